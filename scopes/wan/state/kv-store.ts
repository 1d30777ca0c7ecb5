/**
 * The WAN directory's shared state in JetStream key-value buckets, one per
 * tenant (`callsign-wan-<tenant>-<generation>`), for relays over a NATS cluster
 * (`callsign wan serve --nats`). A bucket keeps one value per key and drops
 * values older than its TTL, so that entries whose relay stopped writing
 * them (their site went quiet, or their relay died) leave the store as well
 * as every relay's memory ({@link SharedDirectory} forgets them at the same
 * age). docs/wan.md.
 *
 * @module
 */
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { CallsignError } from '../../../src/errors.ts';
import type { DirectoryStore, TenantState } from './directory-store.ts';

/** The bucket of the state of `tenant` of `generation`. */
export function tenantBucket(tenant: string, generation?: string): string {
  return generation ? `callsign-wan-${tenant}-${generation}` : `callsign-wan-${tenant}`;
}

/** Options of {@link KvDirectoryStore}. */
export interface KvDirectoryStoreInit {
  readonly nc: NatsConnection;
  /** How long an entry lives without being written again, ms. */
  readonly ttlMs: number;
  /** Replicas of each bucket (1, 3 or 5). */
  readonly replicas: number;
}

/** The directory's state in JetStream KV: see the module. */
export class KvDirectoryStore implements DirectoryStore {
  readonly ttlMs: number;
  readonly #init: KvDirectoryStoreInit;
  readonly #kvm: Kvm;
  readonly #stops = new Set<() => void>();

  constructor(init: KvDirectoryStoreInit) {
    this.#init = init;
    this.ttlMs = init.ttlMs;
    this.#kvm = new Kvm(init.nc);
  }

  async tenant(tenant: string, generation?: string): Promise<TenantState> {
    const bucket = tenantBucket(tenant, generation);
    let kv: KV;
    try {
      kv = await this.#kvm.create(bucket, {
        history: 1,
        ttl: this.#init.ttlMs,
        replicas: this.#init.replicas,
      });
    } catch (err) {
      throw new CallsignError(
        'ERR_WAN_NATS',
        `the bucket ${bucket} of tenant ${tenant}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const stops = this.#stops;
    return {
      async put(key, value) {
        await kv.put(key, value);
      },
      async get(key) {
        const e = await kv.get(key);
        return e && e.operation === 'PUT' ? e.value : undefined;
      },
      async delete(key) {
        await kv.delete(key);
      },
      async watch(onChange) {
        const it = await kv.watch({ key: '>' });
        const stop = () => {
          stops.delete(stop);
          it.stop();
        };
        stops.add(stop);
        void (async () => {
          for await (const e of it) onChange(e.key, e.operation === 'PUT' ? e.value : undefined);
        })().catch(() => {});
        return stop;
      },
    };
  }

  async dropTenant(tenant: string, generation?: string): Promise<void> {
    try {
      await this.#kvm.open(tenantBucket(tenant, generation)).then((kv) => kv.destroy());
    } catch {}
  }

  async close(): Promise<void> {
    for (const stop of [...this.#stops]) stop();
  }
}
