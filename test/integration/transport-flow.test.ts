import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Program, startProgram, tempDir } from '../helpers/processes.ts';

/**
 * Backpressure between two processes: a producer that sends as fast as its
 * overflow policy lets it, and a consumer that takes one message per 10 ms.
 * The connection must stay up while both live and answer; whatever does not
 * arrive is reported to the producer as Undelivered, with a code; the
 * producer's memory stays bounded.
 */

const CONSUMER = 'test/integration/programs/flow-consumer.ts';
const PRODUCER = 'test/integration/programs/flow-producer.ts';
const RSS_BOUND = 256 * 1024 * 1024;

interface Outcome {
  sent: number;
  tally: number | null;
  ended: string | null;
  told: Record<string, number>;
  counters: Record<string, number>;
  peakRss: number;
}

async function consumer(
  args: string[] = [],
): Promise<{ program: Program; endpoint: string; env: Record<string, string> }> {
  const env = { CALLSIGN_REALM: join(tempDir(), 'realm.json') };
  const program = startProgram(CONSUMER, ['--debug-level=CONSOLE', ...args], env);
  const [, endpoint] = (await program.waitFor(/listening on (\S+)/, 20_000)) as unknown as [
    string,
    string,
  ];
  return { program, endpoint: endpoint as string, env };
}

function told(o: Outcome, key: string): number {
  return o.told[key] ?? 0;
}

describe('a fast producer and a slow consumer', () => {
  it('1 000 000 messages, refused past a small queue: sent = received + Undelivered, the connection never drops', async () => {
    const c = await consumer();
    const p = startProgram(
      PRODUCER,
      [`--endpoint=${c.endpoint}`, '--policy=refuse', '--limit=100', '--debug-level=CONSOLE'],
      c.env,
    );
    const out = (await p.output()) as Outcome;
    expect(out.sent).toBe(1_000_000);
    expect(out.ended).toBeNull();
    expect(out.tally).not.toBeNull();
    const refused = out.counters.ERR_OVERFLOW_REFUSED ?? 0;
    expect(out.tally! + refused).toBe(out.sent);
    // The producer was told of every refusal it had room to hear, with reason and code.
    expect(told(out, 'Sample:overflow:ERR_OVERFLOW_REFUSED')).toBeGreaterThan(0);
    expect(out.tally).toBeGreaterThan(0);
    expect(out.peakRss).toBeLessThan(RSS_BOUND + 128 * 1024 * 1024);
    expect(c.program.stderr).not.toMatch(/ERR_KEEPALIVE_TIMEOUT/);
  }, 120_000);

  it('with drop-oldest, the newest wait and the dropped are reported', async () => {
    const c = await consumer();
    const p = startProgram(
      PRODUCER,
      [
        `--endpoint=${c.endpoint}`,
        '--count=200000',
        '--policy=drop-oldest',
        '--limit=100',
        '--debug-level=CONSOLE',
      ],
      c.env,
    );
    const out = (await p.output()) as Outcome;
    expect(out.ended).toBeNull();
    const dropped = out.counters.ERR_OVERFLOW_DROPPED ?? 0;
    expect(dropped).toBeGreaterThan(0);
    expect(out.tally! + dropped).toBe(out.sent);
  }, 120_000);

  it('blocking with drain between bursts loses nothing and holds little', async () => {
    const c = await consumer(['--every-ms=1']);
    const p = startProgram(
      PRODUCER,
      [
        `--endpoint=${c.endpoint}`,
        '--count=3000',
        '--policy=block',
        '--drain-every=100',
        '--debug-level=CONSOLE',
      ],
      c.env,
    );
    const out = (await p.output()) as Outcome;
    expect(out.ended).toBeNull();
    expect(out.tally).toBe(3000);
    expect(Object.keys(out.counters)).toEqual([]);
  }, 120_000);

  it.each([
    ['shorter than the keep-alive deadline: the connection survives and nothing is lost', 1500],
    [
      'longer than the keep-alive deadline: the connection ends and every unsent message is reported',
      4000,
    ],
  ])(
    'a consumer frozen by SIGSTOP %s',
    async (_what, ms) => {
      const c = await consumer(['--every-ms=1']);
      const p = startProgram(
        PRODUCER,
        [
          `--endpoint=${c.endpoint}`,
          '--count=300000',
          '--policy=refuse',
          '--limit=100',
          '--debug-level=CONSOLE',
        ],
        c.env,
      );
      await c.program.waitFor(/received 100\b/, 30_000);
      c.program.child.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, ms));
      c.program.child.kill('SIGCONT');
      const out = (await p.output()) as Outcome;
      const refused = out.counters.ERR_OVERFLOW_REFUSED ?? 0;
      if (out.ended === null) {
        // It survived: exact accounting.
        expect(out.tally! + refused).toBe(out.sent);
        return;
      }
      expect(out.ended).toBe('ERR_KEEPALIVE_TIMEOUT');
      const [, received] = (await c.program.waitFor(
        /after receiving (\d+)/,
        30_000,
      )) as unknown as [string, string];
      // What the producer was told of its Samples (Finish, sent last, is reported too, apart).
      const closed = told(out, 'Sample:closed:ERR_KEEPALIVE_TIMEOUT');
      const unconfirmed = told(out, 'Sample:unconfirmed:ERR_KEEPALIVE_TIMEOUT');
      const lost = closed + unconfirmed;
      // Every message never written is reported; what was in flight is reported as unconfirmed
      // (it may or may not have arrived), so the received count lies between the two sums.
      expect(Number(received) + refused + closed).toBeLessThanOrEqual(out.sent);
      expect(Number(received) + refused + lost).toBeGreaterThanOrEqual(out.sent);
      expect(lost).toBeGreaterThan(0);
    },
    120_000,
  );
});
