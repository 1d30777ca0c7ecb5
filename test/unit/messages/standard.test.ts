import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../../src/messages/codec.ts';
import { lookupMessage, type Message, typeNameOf } from '../../../src/messages/registry.ts';
import * as standard from '../../../src/messages/standard.ts';

const samples: Message[] = [
  new standard.Start(),
  new standard.Stop(),
  new standard.Completed({ value: { result: [1, 'two'], at: new Date(0) } }),
  new standard.Completed({ value: undefined }),
  new standard.Completed({ value: new standard.Ack() }),
  new standard.Ack(),
  new standard.Nak(),
  new standard.Nak({ reason: 'busy' }),
  new standard.Enquiry(),
  new standard.Ping(),
  new standard.Ping({ sent: 1234.5 }),
  new standard.Aborted({ reason: 'stopped' }),
  new standard.TimedOut({ seconds: 5 }),
  new standard.TimedOut(),
  new standard.Faulted({ code: 'ERR_ACTOR_FAULTED', message: 'boom' }),
  new standard.Faulted({ code: 'ERR_TIMEOUT', message: 'late', stack: 'Error: late\n    at x' }),
  new standard.SelectTimer({ seconds: 0.25 }),
  ...standard.UNDELIVERED_REASONS.map(
    (reason) => new standard.Undelivered({ typeName: 'demo.Hello', reason }),
  ),
  new standard.Listening({ endpoint: '127.0.0.1:5010' }),
  new standard.NotListening({ endpoint: ':1', code: 'ERR_LISTEN_FAILED', reason: 'EACCES' }),
  new standard.Connected({ endpoint: 'unix:/tmp/x.sock', peerKey: 'abc' }),
  new standard.NotConnected({ endpoint: 'h:1', code: 'ERR_CONNECT_FAILED', reason: 'refused' }),
  new standard.Accepted({ endpoint: '0.0.0.0:5010', peerKey: 'def' }),
  new standard.Closed({ endpoint: 'h:1' }),
  new standard.Closed({ endpoint: 'h:1', code: 'ERR_CONNECTION_LOST', reason: 'reset' }),
  new standard.Abandoned({ endpoint: 'h:1', code: 'ERR_PEER_NOT_TRUSTED', reason: 'key changed' }),
];

describe('standard messages', () => {
  it('are registered under callsign.<Name>', () => {
    const classes = Object.entries(standard).filter(([name]) => name !== 'UNDELIVERED_REASONS');
    expect(classes.length).toBe(19);
    for (const [name, cls] of classes) {
      expect((cls as { typeName: string }).typeName).toBe(`callsign.${name}`);
      expect(lookupMessage(`callsign.${name}`)).toBe(cls);
    }
  });

  it.each(samples.map((m) => [typeNameOf(m), m] as const))('%s round-trips', (_name, m) => {
    const back = decodeMessage(encodeMessage(m));
    expect(back).toStrictEqual(m);
  });

  it('Undelivered takes only the known reasons', () => {
    const bad = new standard.Undelivered({
      typeName: 'x',
      reason: 'lost' as 'closed',
    });
    expect(() => encodeMessage(bad)).toThrow(/one of "mailbox-full"/);
  });
});
