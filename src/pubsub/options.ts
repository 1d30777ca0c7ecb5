/**
 * What actors and programs choose about publish/subscribe: the options of
 * {@link publish}, {@link subscribe} and {@link configureDirectory}, and the
 * kinds of search. One place, so that a new option is added once.
 *
 * @module
 */
import type { Scope } from '../directory/scope.ts';

/** Options of `publish`. */
export interface PublishOptions {
  /** How far the listing reaches. Default `host`. */
  scope?: Scope;
  /** Allow other publishers of the same name (each gets its own sessions). Default false. */
  multi?: boolean;
  /** Send Interested / NotInterested when the first subscriber comes and the last goes. */
  interest?: boolean;
}

/** Options of `subscribe`. */
export interface SubscribeOptions {
  /** How far the search reaches. Default `host`. */
  scope?: Scope;
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

/** The kinds of search; a tagged union, so that a new kind is one more member. */
export const SEARCH_KINDS = ['name', 'regex'] as const;

/** A search as an actor gave it: a name (matched exactly) or a regular expression (whole names). */
export type SearchSpec =
  | { kind: 'name'; name: string }
  | { kind: 'regex'; source: string; flags: string };

/** The search of `subscribe(self, search)`. */
export function searchSpec(search: string | RegExp): SearchSpec {
  return search instanceof RegExp
    ? { kind: 'regex', source: search.source, flags: search.flags }
    : { kind: 'name', name: search };
}

/** The search as it is shown back to the subscriber (in Available): the name, or `/source/flags`. */
export function searchText(spec: SearchSpec): string {
  return spec.kind === 'name' ? spec.name : `/${spec.source}/${spec.flags}`;
}
