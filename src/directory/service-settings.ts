/**
 * The settings of a directory service (service.ts): its scope, where it
 * listens, and how it finds the directory above and a preferred peer.
 *
 * @module
 */
import type { Scope } from './scope.ts';

/** Settings of `directoryService`. */
export interface DirectoryServiceSettings {
  /** The scope this directory serves: group, host, lan or wan. */
  level: Scope;
  /** Where it listens for the nodes and directories below. */
  endpoint: string;
  /** The directory above, if any; connected to (and reconnected) in the background. */
  parent?: string;
  /**
   * The address of this host for the `0.0.0.0` endpoints of listings that
   * come over links with no address (unix sockets: this host's nodes). A
   * host directory under a WAN directory gives its public address, if it
   * has one, so that other sites can connect directly (docs/wan.md).
   */
  localHost?: string;
  /**
   * Finds the directory above, instead of a fixed `parent`: asked before every
   * attempt to connect (at start, and after the parent is lost or a connect
   * fails). Undefined means none for now: ask again a little later.
   */
  findParent?: (signal: AbortSignal) => Promise<string | undefined>;
  /** Told when a connection above failed or was lost, with its code, so `findParent` can look elsewhere. */
  parentFailed?: (endpoint: string, code: string) => void;
  /** Told when a connection above is made (its handshake completed). */
  parentConnected?: (endpoint: string) => void;
  /**
   * Finds a directory of this realm that is preferred to this one (for a LAN
   * directory: one with a lower id, seen again after a partition healed):
   * this directory then hands its children over to it (docs/lan.md).
   */
  findPreferred?: (signal: AbortSignal) => Promise<string | undefined>;
  /** Told when a preferred directory could not be reached or refused this one. */
  preferredFailed?: (endpoint: string, code: string) => void;
  /** Told the real endpoint once listening. */
  onListening?: (endpoint: string) => void;
}
