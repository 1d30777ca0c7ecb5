/**
 * Who holds each listing name in a directory: one listing, or several that
 * all say `multi`. Part of the directory table (table.ts).
 *
 * @module
 */

/** What the table keeps of a listing, as far as names go. */
export interface NameHolder {
  readonly entry: { readonly id: string; readonly name: string; readonly multi: boolean };
}

/** The listings holding each name: one, or several that all say `multi`. */
export class NameHolders<H extends NameHolder> {
  readonly #names = new Map<string, H | H[]>();

  /** The listing that keeps `listing` from taking its name, if any. */
  holderOf(listing: NameHolder['entry']): H | undefined {
    const holders = this.#names.get(listing.name);
    if (holders === undefined) return undefined;
    for (const held of Array.isArray(holders) ? holders : [holders]) {
      if (held.entry.id === listing.id) continue;
      if (!(listing.multi && held.entry.multi)) return held;
    }
    return undefined;
  }

  /** Calls `fn` with each listing holding `name`. */
  each(name: string, fn: (held: H) => void): void {
    const holders = this.#names.get(name);
    if (holders === undefined) return;
    if (Array.isArray(holders)) for (const h of holders) fn(h);
    else fn(holders);
  }

  /** Every name held. */
  names(): IterableIterator<string> {
    return this.#names.keys();
  }

  /** `held` holds its name (too). */
  add(held: H): void {
    const name = held.entry.name;
    const holders = this.#names.get(name);
    if (holders === undefined) this.#names.set(name, held);
    else if (Array.isArray(holders)) holders.push(held);
    else this.#names.set(name, [holders, held]);
  }

  /** `held` holds its name no more. */
  remove(held: H): void {
    const name = held.entry.name;
    const holders = this.#names.get(name);
    if (holders === held) {
      this.#names.delete(name);
    } else if (Array.isArray(holders)) {
      const rest = holders.filter((h) => h !== held);
      if (rest.length === 0) this.#names.delete(name);
      else this.#names.set(name, rest.length === 1 ? (rest[0] as H) : rest);
    }
  }
}
