/**
 * What a directory holds: listings (names published by actors) and searches
 * (names or regular expressions subscribed to by actors), each at a scope,
 * and the links they came in through.
 *
 * Entries arrive from the network (after the codec), so
 * {@link assertListing} and {@link assertSearch} check them before a table
 * takes them.
 *
 * @module
 */

import { CallsignError } from '../errors.ts';
import { isScope, type Scope, scopeRank } from './scope.ts';
import { isValidSubjectPattern } from './subject-pattern.ts';

/**
 * Where an entry came from: {@link LOCAL} for this directory's own node (only
 * a node's process directory uses it), or the id of a connection to a child
 * directory below.
 */
export type LinkId = string;

/** The link of a node's own actors, in that node's process directory. */
export const LOCAL: LinkId = 'local';

/** The longest listing name, and the longest name an exact search can have. */
export const MAX_NAME_LENGTH = 255;
/** The longest search pattern (the source of a regular expression). */
export const MAX_PATTERN_LENGTH = 1024;
/** The longest entry id (ids are `<nodeId>:<n>`, chosen by the publishing node). */
export const MAX_ENTRY_ID_LENGTH = 256;

/** The actor behind a listing. Opaque to the directory table; passed on in routes. */
export interface PublisherRef {
  /** The publishing node's public key (as the codec carries it). */
  nodeKey: string;
  /** The publishing actor's id on its node. */
  actor: number;
  /** Where the publishing node can be reached. */
  endpoints: string[];
  /** A human description of the publisher, for messages and `callsign network`. */
  where: string;
}

/** A name published by an actor, at a scope. */
export interface ListingEntry {
  /** Globally unique, chosen by the publishing node (e.g. `<nodeId>:<n>`). */
  id: string;
  /** The published name: 1 to {@link MAX_NAME_LENGTH} characters. */
  name: string;
  /** How far the listing reaches. */
  scope: Scope;
  /** Several publishers may share the name when every one of them says `multi`. */
  multi: boolean;
  publisher: PublisherRef;
}

/** The actor behind a search. Opaque to the directory table; passed on in routes. */
export interface SubscriberRef {
  /** The subscribing node's public key. */
  nodeKey: string;
  /** The subscribing actor's id on its node. */
  actor: number;
  /** A human description of the subscriber. */
  where: string;
}

/**
 * The kinds of search: a name matched exactly, a regular expression matched
 * against whole names, or a NATS-style subject pattern (dot-separated tokens,
 * `*` for one token, `>` for one or more at the end) matched against names
 * that are subjects.
 */
export const SEARCH_KINDS = ['name', 'regex', 'subject'] as const;

/** One of {@link SEARCH_KINDS}. */
export type SearchKind = (typeof SEARCH_KINDS)[number];

/**
 * A search subscribed to by an actor, at a scope: a name (exact), a regular
 * expression that must match the whole name (tested as
 * `new RegExp('^(?:' + pattern + ')$', flags)`), or a subject pattern.
 */
export interface SearchEntry {
  /** Globally unique, chosen by the subscribing node. */
  id: string;
  /** The name (exact), the source of the regular expression, or the subject pattern. */
  pattern: string;
  /** How `pattern` matches names. */
  kind: SearchKind;
  /** Flags of the regular expression: any of `i`, `s`, `u` (see docs/directory.md). */
  flags?: string | undefined;
  /** How far the search reaches. */
  scope: Scope;
  subscriber: SubscriberRef;
}

/**
 * Checks that `x` is a well-formed {@link ListingEntry} whose scope reaches
 * a directory at `level`.
 *
 * @throws CallsignError `ERR_INVALID_LISTING` saying what is wrong.
 */
export function assertListing(x: unknown, level: Scope): asserts x is ListingEntry {
  const problem = listingProblem(x, level);
  if (problem !== undefined)
    throw new CallsignError('ERR_INVALID_LISTING', `invalid listing: ${problem}`);
}

/**
 * Checks that `x` is a well-formed {@link SearchEntry} whose scope reaches a
 * directory at `level`. The regular expression itself is checked when it is
 * compiled (see `compileSearchPattern`).
 *
 * @throws CallsignError `ERR_INVALID_SEARCH` saying what is wrong.
 */
export function assertSearch(x: unknown, level: Scope): asserts x is SearchEntry {
  const problem = searchProblem(x, level);
  if (problem !== undefined)
    throw new CallsignError('ERR_INVALID_SEARCH', `invalid search: ${problem}`);
}

function listingProblem(x: unknown, level: Scope): string | undefined {
  if (!isRecord(x)) return 'not an object';
  const idProblem = entryIdProblem(x.id);
  if (idProblem !== undefined) return idProblem;
  if (!isName(x.name)) return `the name must be a string of 1 to ${MAX_NAME_LENGTH} characters`;
  const scopeProblem = entryScopeProblem(x.scope, level);
  if (scopeProblem !== undefined) return scopeProblem;
  if (typeof x.multi !== 'boolean') return 'multi must be a boolean';
  const p = x.publisher;
  if (!isRecord(p)) return 'the publisher must be an object';
  if (typeof p.nodeKey !== 'string') return 'publisher.nodeKey must be a string';
  if (!isActorId(p.actor)) return 'publisher.actor must be a non-negative integer';
  if (!Array.isArray(p.endpoints) || !p.endpoints.every((e) => typeof e === 'string')) {
    return 'publisher.endpoints must be an array of strings';
  }
  if (typeof p.where !== 'string') return 'publisher.where must be a string';
  return undefined;
}

function searchProblem(x: unknown, level: Scope): string | undefined {
  if (!isRecord(x)) return 'not an object';
  const idProblem = entryIdProblem(x.id);
  if (idProblem !== undefined) return idProblem;
  if (typeof x.kind !== 'string' || !(SEARCH_KINDS as readonly string[]).includes(x.kind)) {
    return `kind must be one of ${SEARCH_KINDS.join(', ')}`;
  }
  if (x.kind === 'subject') {
    if (!isValidSubjectPattern(x.pattern)) {
      return 'a subject search is a subject pattern: dot-separated tokens, `*` for one, `>` for the rest';
    }
    if (x.flags !== undefined && x.flags !== '') return 'a subject search takes no flags';
  } else if (x.kind === 'regex') {
    if (
      typeof x.pattern !== 'string' ||
      x.pattern.length < 1 ||
      x.pattern.length > MAX_PATTERN_LENGTH
    ) {
      return `the pattern must be a string of 1 to ${MAX_PATTERN_LENGTH} characters`;
    }
    if (x.flags !== undefined && typeof x.flags !== 'string') return 'flags must be a string';
  } else {
    if (!isName(x.pattern)) {
      return `an exact search is a name: a string of 1 to ${MAX_NAME_LENGTH} characters`;
    }
    if (x.flags !== undefined && x.flags !== '') return 'an exact search takes no flags';
  }
  const scopeProblem = entryScopeProblem(x.scope, level);
  if (scopeProblem !== undefined) return scopeProblem;
  const s = x.subscriber;
  if (!isRecord(s)) return 'the subscriber must be an object';
  if (typeof s.nodeKey !== 'string') return 'subscriber.nodeKey must be a string';
  if (!isActorId(s.actor)) return 'subscriber.actor must be a non-negative integer';
  if (typeof s.where !== 'string') return 'subscriber.where must be a string';
  return undefined;
}

function entryIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string' || id.length < 1 || id.length > MAX_ENTRY_ID_LENGTH) {
    return `the id must be a string of 1 to ${MAX_ENTRY_ID_LENGTH} characters`;
  }
  return undefined;
}

function entryScopeProblem(scope: unknown, level: Scope): string | undefined {
  if (!isScope(scope)) return `unknown scope ${JSON.stringify(scope)}`;
  if (scopeRank(scope) < scopeRank(level)) {
    return `scope ${scope} does not reach a ${level} directory`;
  }
  return undefined;
}

function isName(x: unknown): x is string {
  return typeof x === 'string' && x.length >= 1 && x.length <= MAX_NAME_LENGTH;
}

function isActorId(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

/** True when `a` and `b` say the same thing (a re-put of `a` changes nothing). */
export function sameListing(a: ListingEntry, b: ListingEntry): boolean {
  if (a === b) return true;
  const p = a.publisher;
  const q = b.publisher;
  return (
    a.id === b.id &&
    a.name === b.name &&
    a.scope === b.scope &&
    a.multi === b.multi &&
    p.nodeKey === q.nodeKey &&
    p.actor === q.actor &&
    p.where === q.where &&
    p.endpoints.length === q.endpoints.length &&
    p.endpoints.every((e, i) => e === q.endpoints[i])
  );
}

/** True when `a` and `b` say the same thing (a re-put of `a` changes nothing). */
export function sameSearch(a: SearchEntry, b: SearchEntry): boolean {
  if (a === b) return true;
  return (
    a.id === b.id &&
    a.pattern === b.pattern &&
    a.kind === b.kind &&
    (a.flags ?? '') === (b.flags ?? '') &&
    a.scope === b.scope &&
    a.subscriber.nodeKey === b.subscriber.nodeKey &&
    a.subscriber.actor === b.subscriber.actor &&
    a.subscriber.where === b.subscriber.where
  );
}
