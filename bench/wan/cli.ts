// The `callsign` command run from the sources (no build needed), for bench/wan.ts.
import { main } from '../../orchestrator/cli.ts';

await main();
