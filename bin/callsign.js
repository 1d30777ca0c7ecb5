#!/usr/bin/env node
// The `callsign` command: runs orchestrator/cli.ts through tsx, so that
// `npx callsign ...` works without a build.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../orchestrator/cli.ts');
await main(process.argv.slice(2));
