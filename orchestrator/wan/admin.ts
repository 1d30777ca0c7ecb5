/**
 * The relay's administration on its machine and a site's joining, for
 * `callsign wan tenant|invite|revoke|join` (docs/wan.md): thin wrappers
 * around the relay folder that write every file 0600 and never print a
 * secret or a key, only where the file is.
 *
 * @module
 */
import { chmod, copyFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readAccess, serializeAccess } from '../../scopes/wan/access.ts';
import { checkName, RelayFolder, type TenantLimits } from '../../scopes/wan/registry.ts';
import type { TenantStatus } from '../../scopes/wan/relay-service.ts';
import { CallsignError } from '../../src/errors.ts';
import { errnoOf } from '../files.ts';
import { JOINED_ACCESS_FILE } from './joined.ts';

export { JOINED_ACCESS_FILE } from './joined.ts';

/** Where the relay folder is: `--dir`, else `$CALLSIGN_RELAY_DIR`, else `./.callsign-relay`. */
export function relayDir(option: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  return resolve(cwd, option ?? env.CALLSIGN_RELAY_DIR ?? '.callsign-relay');
}

/** `callsign wan tenant add`: a tenant with its relay secret. */
export async function addTenant(
  dir: string,
  name: string,
  limits: Partial<TenantLimits>,
): Promise<string> {
  checkName('tenant', name);
  const folder = new RelayFolder(dir);
  await folder.addTenant(name, limits);
  return `added tenant ${name} to the relay folder ${dir} (${folder.tenantFile(name)}, 0600)\n`;
}

/** `callsign wan tenant remove`: the tenant goes, its sites are cut by a running relay. */
export async function removeTenant(dir: string, name: string): Promise<string> {
  checkName('tenant', name);
  const t = await new RelayFolder(dir).removeTenant(name);
  return `removed tenant ${name} and its ${t.sites.size} site(s)\n`;
}

/** `callsign wan tenant list`: names, sites and limits; never a secret. */
export async function listTenants(dir: string, json: boolean): Promise<string> {
  const tenants = await new RelayFolder(dir).tenants();
  const rows = tenants.map((t) => ({
    name: t.name,
    sites: [...t.sites.keys()].sort(),
    limits: t.limits,
  }));
  if (json) return `${JSON.stringify(rows, null, 2)}\n`;
  if (rows.length === 0)
    return `no tenants in ${dir}: add one with \`callsign wan tenant add <name>\`\n`;
  return rows
    .map(
      (r) =>
        `${r.name}: ${r.sites.length} site(s)${r.sites.length ? `: ${r.sites.join(', ')}` : ''}\n`,
    )
    .join('');
}

/**
 * `callsign wan invite <tenant> --site <site>`: a new site and its access
 * file, written 0600 where asked (never over an existing file).
 */
export async function inviteSite(init: {
  dir: string;
  tenant: string;
  site: string;
  out: string;
  urls: readonly string[];
}): Promise<string> {
  checkName('tenant', init.tenant);
  checkName('site', init.site);
  const folder = new RelayFolder(init.dir);
  const access = await folder.invite(init.tenant, init.site, init.urls);
  try {
    await writeFile(init.out, serializeAccess(access), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    await folder.revoke(init.tenant, init.site).catch(() => {});
    if (errnoOf(err) === 'EEXIST') {
      throw new CallsignError('ERR_USAGE', `${init.out} exists already: give another --out`);
    }
    throw err;
  }
  return (
    `invited site ${init.site} into tenant ${init.tenant}: its access file is ${init.out} (0600)\n` +
    `give it to the site privately; there: callsign wan join ${init.out}\n` +
    `whoever holds it joins as ${init.site}; \`callsign wan revoke ${init.tenant} --site ${init.site}\` ends it\n`
  );
}

/** `callsign wan revoke <tenant> --site <site>`: a running relay cuts the site at once. */
export async function revokeSite(dir: string, tenant: string, site: string): Promise<string> {
  checkName('tenant', tenant);
  checkName('site', site);
  await new RelayFolder(dir).revoke(tenant, site);
  return `revoked site ${site} of tenant ${tenant}: its directory and nodes are refused from now on\n`;
}

/**
 * `callsign wan join <access file>`: checks the file and keeps a copy in the
 * home (0600), where `callsign lan start` (or `host start` with
 * `CALLSIGN_NO_LAN=1`) finds it.
 */
export async function joinRelay(home: string, file: string): Promise<string> {
  const access = await readAccess(file);
  const target = join(home, JOINED_ACCESS_FILE);
  const temporary = `${target}.${process.pid}.tmp`;
  try {
    await copyFile(file, temporary);
    await chmod(temporary, 0o600);
    const { rename } = await import('node:fs/promises');
    await rename(temporary, target);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
  return (
    `joined tenant ${access.tenant} as site ${access.site} (relay ${access.relays.join(', ')}): ${target} (0600)\n` +
    'the top directory of this site connects out to the relay: `callsign lan start`, or with no LAN directory `CALLSIGN_NO_LAN=1 callsign host start`\n'
  );
}

/**
 * `callsign wan status`: on the relay's machine, what the running relay
 * last wrote (tenants, the sites connected, sessions, circuits, listings,
 * searches, bytes forwarded); never a secret.
 */
export async function relayStatus(dir: string, json: boolean): Promise<string> {
  const { readJsonObject } = await import('../files.ts');
  const { isRunning } = await import('../pids.ts');
  const status = await readJsonObject(join(dir, 'status.json'));
  if (!status || typeof status.pid !== 'number' || !isRunning(status.pid)) {
    if (json) return `${JSON.stringify({ running: false, dir }, null, 2)}\n`;
    return `no relay runs from ${dir}: start one with \`callsign wan serve --dir ${dir}\`\n`;
  }
  if (json) return `${JSON.stringify({ running: true, ...status }, null, 2)}\n`;
  const tenants = (status.tenants ?? []) as TenantStatus[];
  const lines = [
    `WAN relay (pid ${status.pid}) at ${String(status.endpoint)}, reached at ${(status.urls as string[]).join(', ')}`,
    `  forwarded ${String(status.forwardedBytes)} bytes (sealed)`,
  ];
  for (const t of tenants) {
    lines.push(
      `  tenant ${t.name}: sites ${t.connected.length}/${t.sites.length} connected, ${t.sessions} node session(s), ${t.circuits} circuit(s), ${t.listings} listing(s), ${t.searches} search(es)`,
    );
    for (const s of t.sites)
      lines.push(`    site ${s}${t.connected.includes(s) ? '' : '  (not connected)'}`);
  }
  return `${lines.join('\n')}\n`;
}
