/**
 * Where a relay keeps the WAN directory's state that other relays must see:
 * per tenant, a set of keys and values (the listings and searches of the
 * sites connected to each relay; see {@link SharedDirectory}). A single
 * relay keeps it in memory ({@link MemoryDirectoryStore}, the default);
 * relays over a NATS cluster keep it in one JetStream key-value bucket per
 * tenant ({@link KvDirectoryStore}). Values are opaque here. Entries that
 * are not written again within the store's `ttlMs` are stale: their site
 * went quiet. docs/wan.md.
 *
 * @module
 */

/** A value changed: the new value, or undefined when the key was deleted. */
export type StateChange = (key: string, value: Uint8Array | undefined) => void;

/** One tenant's part of a {@link DirectoryStore}. */
export interface TenantState {
  put(key: string, value: Uint8Array): Promise<void>;
  get(key: string): Promise<Uint8Array | undefined>;
  delete(key: string): Promise<void>;
  /** Gives every value there is now, then every change, to `onChange`, until the returned stop. */
  watch(onChange: StateChange): Promise<() => void>;
}

/** The directory's shared state: see the module. */
export interface DirectoryStore {
  /** How long an entry lives without being written again, ms. */
  readonly ttlMs: number;
  /**
   * The state of `tenant` (made when there is none). `generation` tells a
   * tenant from one removed and added again under the same name (a
   * fingerprint of its secret): they never share state.
   */
  tenant(tenant: string, generation?: string): Promise<TenantState>;
  /** Forgets the state of `tenant` of `generation` (the tenant was removed). */
  dropTenant(tenant: string, generation?: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The state of relays in one process, in memory: the default of a single
 * relay, and two relays of one test can share one.
 */
export class MemoryDirectoryStore implements DirectoryStore {
  readonly ttlMs: number;
  readonly #tenants = new Map<
    string,
    { values: Map<string, Uint8Array>; watchers: Set<StateChange> }
  >();

  constructor(ttlMs = 15_000) {
    this.ttlMs = ttlMs;
  }

  async tenant(tenant: string, generation = ''): Promise<TenantState> {
    const name = `${tenant}\0${generation}`;
    let t = this.#tenants.get(name);
    if (!t) {
      t = { values: new Map(), watchers: new Set() };
      this.#tenants.set(name, t);
    }
    const { values, watchers } = t;
    const tell = (key: string, value: Uint8Array | undefined) => {
      for (const w of watchers) queueMicrotask(() => w(key, value));
    };
    return {
      async put(key, value) {
        const copy = Uint8Array.prototype.slice.call(value);
        values.set(key, copy);
        tell(key, copy);
      },
      async get(key) {
        return values.get(key);
      },
      async delete(key) {
        if (values.delete(key)) tell(key, undefined);
      },
      async watch(onChange) {
        for (const [k, v] of values) queueMicrotask(() => onChange(k, v));
        watchers.add(onChange);
        return () => watchers.delete(onChange);
      },
    };
  }

  async dropTenant(tenant: string, generation = ''): Promise<void> {
    this.#tenants.delete(`${tenant}\0${generation}`);
  }

  async close(): Promise<void> {
    this.#tenants.clear();
  }
}
