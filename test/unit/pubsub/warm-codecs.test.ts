import { describe, expect, it } from 'vitest';
import {
  ListingAccepted,
  PutListing,
  PutSearch,
  RouteAdded,
} from '../../../src/directory/protocol.ts';
import { infoOfClass } from '../../../src/messages/registry.ts';
import { OpenSession, SessionOpened } from '../../../src/pubsub/protocol.ts';
import { warmSessionCodecs } from '../../../src/pubsub/warm-codecs.ts';

describe('warmSessionCodecs: the first session of a new process does not compile its codecs', () => {
  it('compiles the encoder and decoder of every message a first publish and subscribe exchange', () => {
    const classes = [
      PutListing,
      ListingAccepted,
      PutSearch,
      RouteAdded,
      OpenSession,
      SessionOpened,
    ];
    // This file's worker has encoded none of them yet.
    expect(classes.map((c) => infoOfClass(c).encode)).toEqual(classes.map(() => undefined));
    warmSessionCodecs();
    for (const c of classes) {
      expect(typeof infoOfClass(c).encode, c.name).toBe('function');
      expect(typeof infoOfClass(c).decode, c.name).toBe('function');
    }
  });
});
