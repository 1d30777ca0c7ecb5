// Prints this host's name and IPv4 addresses as JSON: what a simulated host
// looks like from inside.
import { hostname, networkInterfaces } from 'node:os';

const addresses: Record<string, string[]> = {};
for (const [name, list] of Object.entries(networkInterfaces())) {
  addresses[name] = (list ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address);
}
process.stdout.write(JSON.stringify({ hostname: hostname(), addresses }));
