/**
 * A simulated internet on one Linux machine, for the WAN tests: a public
 * network (198.51.100.0/24, addresses that callsign takes as public) with
 * the relay host, a host with a public address of its own, and three NAT
 * routers; behind each router one site host in its own private network
 * (10.81.0.0/24, 10.82.0.0/24, 10.83.0.0/24). The routers masquerade what leaves and let
 * in only what answers it, so a site connects out and nobody connects in:
 * the relay, the public host and the other sites cannot reach a site host.
 *
 * Built on the LAN lab (netns.ts): the public network is its switch; the
 * site hosts are lab hosts whose switch cable is unplugged, wired to their
 * router by a veth of their own. Needs what the LAN lab needs (root, `ip`,
 * `nft`, `unshare`); it fails with a message naming what is missing.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { type Lan, type LanProgram, startLan } from './netns.ts';
import { nodeArguments, ROOT, watchProgram } from './processes.ts';

/** The hosts of the simulated internet. */
export const WAN_HOSTS = ['relay', 'pub', 'ra', 'rb', 'rc', 'a1', 'b1', 'c1'] as const;
export type WanHost = (typeof WAN_HOSTS)[number];

/** Public addresses, on the public network. */
export const PUBLIC_ADDRESS = {
  relay: '198.51.100.2',
  pub: '198.51.100.3',
  ra: '198.51.100.11',
  rb: '198.51.100.12',
  rc: '198.51.100.13',
} as const;

/** The site hosts' private addresses, behind their routers. */
export const SITE_ADDRESS = { a1: '10.81.0.2', b1: '10.82.0.2', c1: '10.83.0.2' } as const;

/** A site: its router is `r<site>`, its host `<site>1`. */
export type WanSite = 'a' | 'b' | 'c';

/** The simulated internet; dispose of it to tear it down. */
export interface Wan extends AsyncDisposable {
  readonly lan: Lan;
  /** Cuts (`down`) or restores (`up`) the uplink of a site's router. */
  uplink(site: WanSite, state: 'down' | 'up'): Promise<void>;
  /**
   * Starts `file` on `host` as a user would ({@link nodeArguments}), living
   * until the lab is torn down (not only to the end of the test that started
   * it), or until killed.
   */
  startLasting(
    host: string,
    file: string,
    args?: readonly string[],
    env?: NodeJS.ProcessEnv,
  ): LanProgram;
  /** Drops `percent` of the frames on the public network at random (0 ends it). */
  loss(percent: number): Promise<void>;
  /**
   * Opens a direct path into a site: its router forwards every TCP port
   * from 1024 up on its public address to the site host (a port forward, as
   * a site with a public address would have). The site's host directory
   * must then be told that address (`CALLSIGN_PUBLIC_ADDRESS`).
   */
  forwardPorts(site: WanSite): Promise<void>;
  stop(): Promise<void>;
}

function run(argv: readonly string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${argv.join(' ')} failed (${code}): ${stderr}`)),
    );
    // A command that ends before reading its input (EPIPE) says so by its exit code.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

const HOSTNAME_AND_EXEC = 'printf %s "$0" > /proc/sys/kernel/hostname && exec "$@"';

/** Builds the simulated internet (see the module). */
export async function startWan(): Promise<Wan> {
  const lan = await startLan({
    hosts: [...WAN_HOSTS],
    name: 'wan',
    switches: [['relay', 'pub', 'ra', 'rb', 'rc'], ['a1'], ['b1'], ['c1']],
  });
  try {
    const ip = (ns: string, lines: string[]) =>
      run(['ip', '-n', ns, '-batch', '-'], lines.join('\n'));
    for (const [host, address] of Object.entries(PUBLIC_ADDRESS)) {
      await ip(lan.namespace(host), [`addr add ${address}/24 dev eth0`]);
    }
    for (const [site, net] of [
      ['a', '10.81.0'],
      ['b', '10.82.0'],
      ['c', '10.83.0'],
    ] as const) {
      const router = lan.namespace(`r${site}`);
      const host = lan.namespace(`${site}1`);
      // The site host leaves the lab's switch: its only way out is its router.
      await ip(host, ['link set eth0 down', 'addr flush dev eth0']);
      await ip(router, [
        `link add lan0 type veth peer name eth1 netns ${host}`,
        `addr add ${net}.1/24 dev lan0`,
        'link set lan0 up',
      ]);
      await ip(host, [
        `addr add ${net}.2/24 dev eth1`,
        'link set eth1 up',
        `route add default via ${net}.1`,
      ]);
      await run([
        'ip',
        'netns',
        'exec',
        router,
        '/bin/sh',
        '-c',
        'echo 1 > /proc/sys/net/ipv4/ip_forward',
      ]);
      await run(
        ['ip', 'netns', 'exec', router, 'nft', '-f', '-'],
        [
          'table ip wannat {',
          '  chain nat_out { type nat hook postrouting priority 100; oifname "eth0" masquerade; }',
          '  chain through {',
          '    type filter hook forward priority 0; policy drop;',
          '    iifname "lan0" oifname "eth0" accept',
          '    iifname "eth0" oifname "lan0" ct state established,related accept',
          '  }',
          '}',
          '',
        ].join('\n'),
      );
    }
  } catch (err) {
    await lan.stop();
    throw err;
  }
  const wan: Wan = {
    lan,
    // At the switch end, as a cable pulled out of the router's WAN port.
    uplink: (site, state) => lan.cable(`r${site}`, state),
    startLasting(host, file, args = [], env = {}) {
      const argv = [process.execPath, ...nodeArguments(file, args)];
      const child = spawn(
        'ip',
        [
          'netns',
          'exec',
          lan.namespace(host),
          'unshare',
          '--uts',
          '--',
          '/bin/sh',
          '-c',
          HOSTNAME_AND_EXEC,
          host,
          ...argv,
        ],
        {
          cwd: ROOT,
          env: { ...process.env, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      return Object.assign(watchProgram(child, `${host}: ${file}`), { host });
    },
    loss: (percent) => lan.loss(percent),
    forwardPorts: (site) =>
      run(
        ['ip', 'netns', 'exec', lan.namespace(`r${site}`), 'nft', '-f', '-'],
        [
          'table ip wannat {',
          `  chain nat_in { type nat hook prerouting priority -100; iifname "eth0" tcp dport 1024-65535 dnat to ${SITE_ADDRESS[`${site}1`]}; }`,
          '}',
          `add rule ip wannat through iifname "eth0" oifname "lan0" ct status dnat accept`,
          '',
        ].join('\n'),
      ),
    stop: () => lan.stop(),
    [Symbol.asyncDispose]: () => lan.stop(),
  };
  return wan;
}
