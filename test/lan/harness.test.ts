import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  checkLanPrerequisites,
  findLanTools,
  type Lan,
  LanPrerequisiteError,
  listNamespaces,
  startLan,
  sweepStaleLabs,
} from '../helpers/netns.ts';
import { type Program, startProgram } from '../helpers/processes.ts';

const LISTEN = 'test/lan/programs/udp-listen.ts';
const SEND = 'test/lan/programs/udp-send.ts';
const WHOAMI = 'test/lan/programs/whoami.ts';
const OWNER = 'test/lan/programs/lab-owner.ts';

/** The host's IPv4 routes, without the flags that say whether its link is up. */
function routes(lan: Lan, host: string): string[] {
  const { ip } = checkLanPrerequisites();
  return execFileSync(ip, ['-n', lan.namespace(host), '-4', 'route', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.replace(/\s+linkdown\b/, '').trim())
    .filter(Boolean)
    .sort();
}

function hostLink(lan: Lan, host: string): string {
  const { ip } = checkLanPrerequisites();
  return execFileSync(ip, ['-n', lan.namespace(host), '-o', 'link', 'show', 'eth0'], {
    encoding: 'utf8',
  });
}

/** Exists and is not a zombie. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).charAt(0) !== 'Z';
  } catch {
    return false;
  }
}

/** Kills `owner` if it still runs, then sweeps its lab if it left one. */
async function endAndSweep(owner: Program): Promise<void> {
  owner.child.kill('SIGKILL');
  await owner.exited;
  await sweepStaleLabs(checkLanPrerequisites());
}

/** Probes `to` (address:port) from `host` until an answer or the window ends. */
async function probe(lan: Lan, host: string, to: string, windowMs: number): Promise<boolean> {
  const p = lan.startProgram(host, SEND, ['--probe', `--to=${to}`, `--window-ms=${windowMs}`]);
  const out = (await p.output()) as { answered: boolean; sent: number };
  expect(out.sent).toBeGreaterThan(0);
  return out.answered;
}

describe('the lan harness', () => {
  it('can run here: root, ip, nft and unshare', () => {
    // Fails (never skips) with what to install when the machine lacks them.
    expect(() => checkLanPrerequisites()).not.toThrow();
  });

  it('says exactly what is missing when it cannot run', () => {
    const { tools, problems } = findLanTools({ uid: 1000, dirs: ['/nonexistent'] });
    expect(tools).toBeUndefined();
    expect(problems).toEqual([
      'not root (uid 1000)',
      'no ip (iproute2)',
      'no nft (nftables)',
      'no unshare (util-linux)',
    ]);
    let error: unknown;
    try {
      checkLanPrerequisites({ uid: 1000, dirs: ['/nonexistent'] });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(LanPrerequisiteError);
    expect((error as LanPrerequisiteError).code).toBe('ERR_LAN_PREREQUISITES');
    expect((error as Error).message).toMatch(/need root and iproute2 \+ nftables/);
    expect((error as Error).message).toMatch(/apt-get install -y iproute2 nftables util-linux/);
  });

  it('gives each host its own hostname and lab address', async () => {
    await using lan = await startLan({ hosts: 3 });
    expect(lan.hosts).toEqual(['h1', 'h2', 'h3']);
    const seen = await Promise.all(
      lan.hosts.map(async (h) => {
        const out = (await lan.startProgram(h, WHOAMI).output()) as {
          hostname: string;
          addresses: Record<string, string[]>;
        };
        return { h, ...out };
      }),
    );
    for (const { h, hostname, addresses } of seen) {
      expect(hostname).toBe(h);
      expect(addresses.eth0).toEqual([lan.address(h)]);
      // Only the lab: loopback and eth0, nothing of the machine's network.
      expect(Object.keys(addresses).sort()).toEqual(['eth0', 'lo']);
    }
    expect(new Set(seen.map((s) => s.hostname)).size).toBe(3);
    expect(new Set(lan.hosts.map((h) => lan.address(h))).size).toBe(3);
    expect(lan.address('h1')).toMatch(/^10\.77\.0\.\d+$/);
  });

  it('carries a UDP datagram from h1 to h2 by its lab address, and the answer back', async () => {
    await using lan = await startLan({ hosts: 2 });
    const echo = lan.startProgram('h2', LISTEN, ['--echo']);
    await echo.waitFor(/listening/);
    expect(await probe(lan, 'h1', `${lan.address('h2')}:7000`, 5_000)).toBe(true);
    await echo.waitFor(new RegExp(`from ${lan.address('h1').replaceAll('.', '\\.')}\\b`));
  });

  it('delivers a datagram sent to the mDNS group 224.0.0.251:5353 to every other host', async () => {
    await using lan = await startLan({ hosts: 3 });
    const listeners = ['h2', 'h3'].map((h) =>
      lan.startProgram(h, LISTEN, [
        '--port=5353',
        '--group=224.0.0.251',
        `--iface=${lan.address(h)}`,
      ]),
    );
    await Promise.all(listeners.map((l) => l.waitFor(/listening/)));
    // No multicast interface is chosen: the host's 224.0.0.0/4 route does it.
    const sender = lan.startProgram('h1', SEND, [
      '--to=224.0.0.251:5353',
      '--tag=mdns',
      '--count=3',
      '--done',
    ]);
    expect(await sender.output()).toMatchObject({ sent: 3, sendErrors: 0 });
    for (const l of listeners) {
      const [, count] = await l.waitFor(/done mdns (\d+)/);
      expect(Number(count)).toBe(3);
      expect(l.stdout).toContain(`from ${lan.address('h1')}`);
    }
  });

  it('stops h1↔h2 traffic when h1’s cable is pulled at the switch, and restores it, routes intact', async () => {
    await using lan = await startLan({ hosts: 2 });
    const a1 = lan.address('h1');
    const a2 = lan.address('h2');
    const echoes = ['h1', 'h2'].map((h) => lan.startProgram(h, LISTEN, ['--echo']));
    await Promise.all(echoes.map((e) => e.waitFor(/listening/)));
    const routesBefore = routes(lan, 'h1');
    expect(routesBefore).toContain('224.0.0.0/4 dev eth0 scope link');
    expect(await probe(lan, 'h1', `${a2}:7000`, 5_000)).toBe(true);

    await lan.cable('h1', 'down');
    // The host's interface stays up (admin), it just has no carrier.
    expect(hostLink(lan, 'h1')).toMatch(/NO-CARRIER.*\bUP\b/);
    const [there, back] = await Promise.all([
      probe(lan, 'h1', `${a2}:7000`, 1_500),
      probe(lan, 'h2', `${a1}:7000`, 1_500),
    ]);
    expect(there).toBe(false);
    expect(back).toBe(false);
    expect(routes(lan, 'h1')).toEqual(routesBefore);

    await lan.cable('h1', 'up');
    const [there2, back2] = await Promise.all([
      probe(lan, 'h1', `${a2}:7000`, 10_000),
      probe(lan, 'h2', `${a1}:7000`, 10_000),
    ]);
    expect(there2).toBe(true);
    expect(back2).toBe(true);
    expect(routes(lan, 'h1')).toEqual(routesBefore);
  });

  it('joins two switches with a trunk: pulled, the two sides stop reaching each other; plugged back, they do again', async () => {
    await using lan = await startLan({ hosts: 3, name: 'trunk', switches: [['h1', 'h2'], ['h3']] });
    const echoes = lan.hosts.map((h) => lan.startProgram(h, LISTEN, ['--echo']));
    await Promise.all(echoes.map((e) => e.waitFor(/listening/)));
    const at = (h: string) => `${lan.address(h)}:7000`;
    expect(await probe(lan, 'h1', at('h3'), 5_000)).toBe(true);

    await lan.trunk('down');
    const [across, back, sameSide] = await Promise.all([
      probe(lan, 'h1', at('h3'), 1_500),
      probe(lan, 'h3', at('h2'), 1_500),
      probe(lan, 'h1', at('h2'), 5_000),
    ]);
    expect(sameSide).toBe(true);
    expect(across).toBe(false);
    expect(back).toBe(false);
    // The hosts keep their carrier: only the switches are apart.
    expect(hostLink(lan, 'h3')).not.toMatch(/NO-CARRIER/);

    await lan.trunk('up');
    expect(await probe(lan, 'h3', at('h1'), 10_000)).toBe(true);
    await expect(lan.trunk('down', 1)).rejects.toThrow(/no trunk 1/);
  });

  it('drops a visible share of datagrams at 50% loss and none at 0%', async () => {
    await using lan = await startLan({ hosts: 2 });
    const to = `--to=${lan.address('h2')}:7000`;
    const counter = lan.startProgram('h2', LISTEN);
    await counter.waitFor(/listening/);

    await lan.startProgram('h1', SEND, [to, '--tag=clear', '--count=200', '--done']).exited;
    const [, clear] = await counter.waitFor(/done clear (\d+)/);
    expect(Number(clear)).toBe(200);

    await lan.loss(50);
    await lan.startProgram('h1', SEND, [to, '--tag=lossy', '--count=200']).exited;
    await lan.loss(0);
    // The end marker goes out without loss, behind every datagram that survived.
    await lan.startProgram('h1', SEND, [to, '--tag=lossy', '--count=0', '--done']).exited;
    const [, lossy] = await counter.waitFor(/done lossy (\d+)/);
    expect(Number(lossy)).toBeGreaterThanOrEqual(40);
    expect(Number(lossy)).toBeLessThanOrEqual(160);

    await lan.startProgram('h1', SEND, [to, '--tag=after', '--count=200', '--done']).exited;
    const [, after] = await counter.waitFor(/done after (\d+)/);
    expect(Number(after)).toBe(200);
  });

  it('tears down: kills what still runs in the lab and deletes its namespaces, twice safely', async () => {
    const tools = checkLanPrerequisites();
    const lan = await startLan({ hosts: 3, name: 'teardown' });
    const mine = () =>
      listNamespaces(tools).then((all) => all.filter((ns) => ns.startsWith(`${lan.prefix}-`)));
    expect((await mine()).sort()).toEqual(
      [`${lan.prefix}-h1`, `${lan.prefix}-h2`, `${lan.prefix}-h3`, `${lan.prefix}-sw`].sort(),
    );
    const running = lan.startProgram('h3', LISTEN);
    await running.waitFor(/listening/);
    await lan.stop();
    expect(await running.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(await mine()).toEqual([]);
    await lan.stop();
    await lan[Symbol.asyncDispose]();
    expect(() => lan.spawn('h1', ['true'])).toThrow(/torn down/);
  });

  it('tears the lab down when its process is interrupted (SIGTERM)', async () => {
    const tools = checkLanPrerequisites();
    const owner = startProgram(OWNER);
    // Whatever happens below, nothing of the owner's lab outlives the test.
    onTestFinished(() => endAndSweep(owner));
    const [line] = await owner.waitFor(/\{.*\}/);
    const { prefix, pid } = JSON.parse(line) as { prefix: string; pid: number };
    expect(isRunning(pid)).toBe(true);
    expect((await listNamespaces(tools)).filter((ns) => ns.startsWith(`${prefix}-`))).toHaveLength(
      3,
    );
    owner.child.kill('SIGTERM');
    expect(await owner.exited).toMatchObject({ signal: 'SIGTERM' });
    expect((await listNamespaces(tools)).filter((ns) => ns.startsWith(`${prefix}-`))).toEqual([]);
    expect(isRunning(pid)).toBe(false);
  });

  it('sweeps a lab left behind by a killed process (SIGKILL) when the next one starts', async () => {
    const tools = checkLanPrerequisites();
    const owner = startProgram(OWNER);
    onTestFinished(() => endAndSweep(owner));
    const [line] = await owner.waitFor(/\{.*\}/);
    const { prefix, pid } = JSON.parse(line) as { prefix: string; pid: number };
    owner.child.kill('SIGKILL');
    await owner.exited;
    const left = () =>
      listNamespaces(tools).then((all) => all.filter((ns) => ns.startsWith(`${prefix}-`)));
    expect(await left()).toHaveLength(3); // nothing could clean up after SIGKILL
    expect(isRunning(pid)).toBe(true);

    await using lan = await startLan({ hosts: 1 });
    expect(await left()).toEqual([]);
    expect(isRunning(pid)).toBe(false);
    expect(lan.prefix).not.toBe(prefix);
  });
});
