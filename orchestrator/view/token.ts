/**
 * The view's access token: random, given in the URL the command prints
 * (`?token=`) or as `Authorization: Bearer <token>` (for scrapers), and
 * compared in constant time.
 *
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** A new token: 24 random bytes, base64url (32 characters). */
export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * True when `given` is `token` (never for an empty token). Both are hashed
 * first, so the comparison takes the same time whatever the length or
 * content of `given`.
 */
export function sameToken(given: string | undefined, token: string): boolean {
  const same = timingSafeEqual(digest(given ?? ''), digest(token));
  return same && given !== undefined && token.length > 0;
}

/** The token a request carries: `?token=` in its URL, else its bearer authorization. */
export function tokenOf(url: URL, headers: IncomingHttpHeaders): string | undefined {
  const query = url.searchParams.get('token');
  if (query !== null) return query;
  const auth = headers.authorization;
  const m = typeof auth === 'string' ? /^Bearer ([\x21-\x7e]+)$/i.exec(auth) : null;
  return m?.[1];
}
