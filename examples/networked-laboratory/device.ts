/** What the device programs share: their listing name and their scope. */
import { type ActorAddress, Faulted, SCOPES, type Scope } from 'callsign';

/**
 * The name a device publishes, `<kind>-<n>`: the `--name` setting when it is
 * not its default; else, when run as a role (`CALLSIGN_ROLE`), the role's
 * name if it is already `<kind>-<something>` (`callsign add ... strain --count 8`
 * makes the roles strain-0 … strain-7), or `<kind>-<role>`; else the default.
 */
export function deviceName(kind: string, setting: string, fallback: string): string {
  if (setting !== fallback) return setting;
  const role = process.env.CALLSIGN_ROLE;
  if (!role) return fallback;
  return role.startsWith(`${kind}-`) ? role : `${kind}-${role}`;
}

/** The `--scope` setting as a Scope, or the Faulted a program returns for a wrong one. */
export function scopeOf(setting: string): Scope | Faulted {
  const scope = SCOPES.find((s) => s === setting);
  if (scope) return scope;
  const message = `--scope must be one of ${SCOPES.join(', ')}, not ${JSON.stringify(setting)}`;
  return new Faulted({ code: 'ERR_INVALID_SETTINGS', message });
}

/** A set of actor addresses (the subscribers of a publisher), keyed by how they print. */
export class AddressSet {
  readonly #members = new Map<string, ActorAddress>();

  add(address: ActorAddress | undefined): void {
    if (address) this.#members.set(address.toString(), address);
  }

  delete(address: ActorAddress | undefined): void {
    if (address) this.#members.delete(address.toString());
  }

  get size(): number {
    return this.#members.size;
  }

  [Symbol.iterator](): IterableIterator<ActorAddress> {
    return this.#members.values();
  }
}
