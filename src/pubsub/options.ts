/**
 * What actors and programs choose about publish/subscribe: the options of
 * {@link publish}, {@link subscribe} and {@link configureDirectory}, and the
 * kinds of search. One place, so that a new option is added once.
 *
 * @module
 */
import type { Scope } from '../directory/scope.ts';
import type { OverflowPolicy } from '../transport/overflow.ts';

/**
 * What happens to the messages an actor sends the other party of each of its
 * sessions when that party's node cannot take more for now (a slow reader):
 * `block` (the default: they wait, nothing is lost; `drain` tells when there
 * is room), `drop-oldest` (the oldest waiting one is dropped) or `refuse` (the
 * new one is refused); `limit` is how many may wait. What is dropped or
 * refused comes back to the sender as `Undelivered` with a code. See
 * docs/transport.md.
 */
export type SessionOverflow = OverflowPolicy | { policy: OverflowPolicy; limit?: number };

/** Options of `publish`. */
export interface PublishOptions {
  /** How far the listing reaches. Default `host`. */
  scope?: Scope;
  /** Allow other publishers of the same name (each gets its own sessions). Default false. */
  multi?: boolean;
  /** Send Interested / NotInterested when the first subscriber comes and the last goes. */
  interest?: boolean;
  /** What happens to what the publisher sends a subscriber that reads slowly. Default `block`. */
  overflow?: SessionOverflow;
}

/** Options of `subscribe`. */
export interface SubscribeOptions {
  /** How far the search reaches. Default `host`. */
  scope?: Scope;
  /** What happens to what the subscriber sends a publisher that reads slowly. Default `block`. */
  overflow?: SessionOverflow;
}

/** The policy and limit of a {@link SessionOverflow} (undefined: the node's default). */
export function overflowOf(
  o: SessionOverflow | undefined,
): { policy: OverflowPolicy; limit: number | undefined } | undefined {
  if (o === undefined) return undefined;
  return typeof o === 'string'
    ? { policy: o, limit: undefined }
    : { policy: o.policy, limit: o.limit };
}

/** Options of a node's directory; see `configureDirectory`. */
export interface NodeDirectoryInit {
  /**
   * The directory above this node: an endpoint, or `null` for none (process
   * scope only). Default: the host directory's well-known endpoint.
   * `createNode` sets it from the environment (`CALLSIGN_GROUP`, else
   * `CALLSIGN_HOST` or the well-known endpoint, none with `CALLSIGN_NO_HOST=1`).
   */
  parent?: string | null;
  /**
   * How this node's actors are described to directories and in messages
   * (`callsign network`, the holder of a duplicate name). Default
   * `<node name> (pid N)`; `createNode` uses the role's name when it runs in
   * a group.
   */
  where?: string;
}

export { SEARCH_KINDS } from '../directory/entries.ts';

/**
 * What `subscribe` looks for: a name (matched exactly), a regular expression
 * (matched against whole names), or `{ subject }`, a NATS-style subject
 * pattern (`lab.*.temperature`, `lab.>`) matched against names that are
 * subjects (dot-separated tokens).
 */
export type Search = string | RegExp | { subject: string };

/** A search as an actor gave it; a tagged union, so that a new kind is one more member. */
export type SearchSpec =
  | { kind: 'name'; name: string }
  | { kind: 'regex'; source: string; flags: string }
  | { kind: 'subject'; subject: string };

/** The search of `subscribe(self, search)`. */
export function searchSpec(search: Search): SearchSpec {
  if (search instanceof RegExp)
    return { kind: 'regex', source: search.source, flags: search.flags };
  if (typeof search === 'object' && search !== null)
    return { kind: 'subject', subject: search.subject };
  return { kind: 'name', name: search };
}

/** What the directory table matches: the name, the regular expression's source, or the subject pattern. */
export function searchPattern(spec: SearchSpec): string {
  if (spec.kind === 'name') return spec.name;
  return spec.kind === 'regex' ? spec.source : spec.subject;
}

/** The search as it is shown back to the subscriber (in Available): the name or pattern, or `/source/flags`. */
export function searchText(spec: SearchSpec): string {
  return spec.kind === 'regex' ? `/${spec.source}/${spec.flags}` : searchPattern(spec);
}
