import { writeFileSync } from 'node:fs';
import { type Realm, serializeRealm } from '../../src/wire/realm.ts';

export * from '../../src/index.ts';

/** Writes a realm file, so child processes join the bench's realm. */
export function serializeRealmForTests(realm: Realm, path: string): void {
  writeFileSync(path, serializeRealm(realm), { mode: 0o600 });
}
