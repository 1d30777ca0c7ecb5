/**
 * What the relay tests share: a relay client stopped after its test, and the
 * set-up with which `describeTransport` runs over relayed circuits (the
 * listening and the dialling node each hold a pass of their own).
 */
import { onTestFinished } from 'vitest';
import { systemClock } from '../../src/index.ts';
import { RelayClient, type RelayPass } from '../../src/internal.ts';
import { until } from '../helpers/until.ts';
import type { TransportSetup } from './describe-transport.ts';

/** A relay client's context: the system clock, no log. */
export const relayContext = { clock: systemClock, log: () => {} };

/** A relay client holding `p`, stopped after the test. */
export function relayClient(p: RelayPass): RelayClient {
  const c = new RelayClient({ context: relayContext });
  c.admit(p);
  onTestFinished(() => c.stop());
  return c;
}

/** Circuits between a listener holding `listenerPass()` and a dialler holding `diallerPass()`. */
export function relayCircuits(
  listenerPass: () => Promise<RelayPass>,
  diallerPass: () => Promise<RelayPass>,
): TransportSetup {
  let listener: RelayClient | undefined;
  let dialler: RelayClient | undefined;
  return {
    transport: () => ({
      name: 'relay',
      listen: async (endpoint, init) => {
        listener ??= relayClient(await listenerPass());
        const l = listener;
        await until(() => l.status().state === 'open', 10_000, 'the relay session');
        return l.listen(endpoint, init);
      },
      dial: async (endpoint, init) => {
        dialler ??= relayClient(await diallerPass());
        return dialler.dial(endpoint, init);
      },
    }),
    endpoint: () => 'relay:',
  };
}
