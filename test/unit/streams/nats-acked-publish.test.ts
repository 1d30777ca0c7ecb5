/**
 * The `nats` driver's acknowledged publishes: what a JetStream answer
 * means (pure), and against a nats-server of the test's own, an answer
 * that never comes (a core subscriber that is not JetStream) failing at
 * its time, and a subject no one hears failing as no responders.
 */
import { connect, headers } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { CallsignError } from '../../../src/errors.ts';
import { AckedPublisher, readPubAck } from '../../../src/streams/nats/acked-publish.ts';
import { natsFailure } from '../../../src/streams/nats/connection.ts';
import { useNatsServer } from '../../streams/nats-servers.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('a JetStream answer', () => {
  it('is an ack with its sequence, and whether it was a duplicate', () => {
    expect(readPubAck(bytes('{"stream":"s","seq":7}'), undefined)).toEqual({
      seq: 7,
      duplicate: false,
    });
    expect(readPubAck(bytes('{"stream":"s","seq":7,"duplicate":true}'), undefined)).toEqual({
      seq: 7,
      duplicate: true,
    });
  });

  it('is an error of JetStream that keeps its code', () => {
    const answer = readPubAck(
      bytes('{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 3"}}'),
      undefined,
    );
    expect(answer).toBeInstanceOf(Error);
    expect(natsFailure(answer, 'append').code).toBe('ERR_WRONG_LAST_SEQUENCE');
  });

  it('is no responders for a 503 status, and invalid for bytes that are not an ack', () => {
    const h = headers(503, 'No Responders');
    const none = readPubAck(new Uint8Array(), h);
    expect(natsFailure(none, 'append').code).toBe('ERR_UNKNOWN_STREAM');
    for (const text of [
      '',
      'not json',
      '{}',
      '{"stream":"","seq":1}',
      '{"stream":"s","seq":"1"}',
    ]) {
      expect(String(readPubAck(bytes(text), undefined))).toMatch(/invalid ack response/);
    }
  });
});

describe('acknowledged publishes on a server', () => {
  const server = useNatsServer();

  it('fail at their time when nothing answers, and as no responders where no one hears', async () => {
    const nc = await connect({ servers: server.url() });
    const silent = await connect({ servers: server.url() });
    try {
      // Hears the subject, never answers.
      silent.subscribe('quiet.>', { callback: () => {} });
      await silent.flush();
      const publisher = new AckedPublisher(nc, 300);
      await expect(publisher.publish('quiet.one', bytes('x'))).rejects.toThrow(/timeout/);
      const none = await publisher.publish('nobody.here', bytes('x')).catch((e: unknown) => e);
      expect(natsFailure(none, 'append').code).toBe('ERR_UNKNOWN_STREAM');
      // Closed, what still waits fails with a code.
      const waiting = publisher.publish('quiet.two', bytes('x'));
      publisher.close();
      await expect(waiting).rejects.toBeInstanceOf(CallsignError);
      await expect(waiting).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    } finally {
      await nc.close();
      await silent.close();
    }
  }, 20_000);
});
