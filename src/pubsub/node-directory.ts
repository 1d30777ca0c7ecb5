/**
 * A node's directory as callers see it: its options (before it starts),
 * its actor (started on first use, see directory-actor.ts), and what may be
 * read of it from another actor's turn (never changed from there).
 *
 * @module
 */

import { hostEndpoint } from '../../scopes/host/well-known.ts';
import { CallsignError } from '../errors.ts';
import type { Message } from '../messages/registry.ts';
import type { ActorAddress } from '../runtime/address.ts';
import type { Node } from '../runtime/node.ts';
import { type DirectoryActorSettings, directoryActor } from './directory-actor.ts';
import type { NodeDirectoryInit } from './options.ts';
import type { ProcessDirectory } from './process-directory.ts';

const NODE_DIRECTORY = Symbol('callsign.nodeDirectory');

/** A node's directory: its configuration, then (from first use) its actor. */
export class NodeDirectory {
  readonly node: Node;
  #init: NodeDirectoryInit = {};
  #address: ActorAddress | undefined;
  #core: ProcessDirectory | undefined;
  #parentEndpoint: string | undefined;
  #endpoints: () => string[] = () => [];

  private constructor(node: Node) {
    this.node = node;
  }

  /** The node directory of `node` (its actor starts on first use). */
  static of(node: Node): NodeDirectory {
    const d = node.extension(NODE_DIRECTORY, () => new NodeDirectory(node));
    d.#start();
    return d;
  }

  /**
   * Starts the node directory of `node` listening for sessions at once;
   * resolves when the link above has had its first answer and the listener
   * runs (or either failed).
   */
  static startEarly(node: Node): Promise<void> {
    const d = node.extension(NODE_DIRECTORY, () => new NodeDirectory(node));
    d.#listenAtStart = true;
    d.#start();
    return d.#ready;
  }

  #listenAtStart = false;
  #resolveReady: () => void = () => {};
  readonly #ready = new Promise<void>((resolve) => {
    this.#resolveReady = resolve;
  });

  /** The node directory of `node` if its actor runs, without starting it. */
  static peek(node: Node): NodeDirectory | undefined {
    const d = node.extension<NodeDirectory | undefined>(NODE_DIRECTORY, () => undefined);
    return d !== undefined && d.#address !== undefined ? d : undefined;
  }

  /**
   * Sets the options of `node`'s directory before it starts.
   *
   * @throws CallsignError `ERR_INVALID_STATE` once the directory runs (after
   *   the node's first publish, subscribe, clear or retract).
   */
  static configure(node: Node, init: NodeDirectoryInit): void {
    const d = node.extension(NODE_DIRECTORY, () => new NodeDirectory(node));
    if (d.#address) {
      throw new CallsignError(
        'ERR_INVALID_STATE',
        `configureDirectory on node ${node.name} after its first publish or subscribe: call it before`,
      );
    }
    d.#init = { ...init };
  }

  /** The directory actor's address. */
  get address(): ActorAddress {
    this.#start();
    return this.#address as ActorAddress;
  }

  /** Hands `request` from local actor `from` to the directory actor. */
  ask(request: Message, from: ActorAddress): void {
    this.node.send(request, this.address, from);
  }

  /** True when `actor` has a session with `other` now (read only). */
  hasSession(actor: ActorAddress, other: ActorAddress): boolean {
    return this.#core?.sessions.between(actor, other) !== undefined;
  }

  /**
   * The directory actor of the other node in the session between `actor`
   * and `other` (undefined within one process): it answers Enquiry with Ack,
   * which is how `callsign ping` times round trips to a listing's node.
   */
  remoteDirectoryOf(actor: ActorAddress, other: ActorAddress): ActorAddress | undefined {
    return this.#core?.remoteDirectoryOf(actor, other);
  }

  /** A description of this node's tables, for `callsign network` and tests. */
  report() {
    return {
      where: this.#where,
      parent: this.#parentEndpoint,
      endpoints: this.#endpoints(),
      ...(this.#core?.report() ?? { listings: [], searches: [], sessions: 0, refused: undefined }),
    };
  }

  get #where(): string {
    return this.#init.where ?? `${this.node.name} (pid ${process.pid})`;
  }

  #start(): void {
    if (this.#address) return;
    this.#parentEndpoint =
      this.#init.parent === undefined ? hostEndpoint({}) : (this.#init.parent ?? undefined);
    const settings: DirectoryActorSettings = {
      parent: this.#parentEndpoint,
      where: this.#where,
      listenAtStart: this.#listenAtStart,
      ready: () => this.#resolveReady(),
      attach: (core, endpoints) => {
        this.#core = core;
        this.#endpoints = endpoints;
      },
    };
    this.#address = this.node.spawn(directoryActor, settings, { name: 'directory' });
  }
}
