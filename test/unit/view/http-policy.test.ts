import { describe, expect, it } from 'vitest';
import {
  decide,
  isRefusal,
  MAX_TARGET_LENGTH,
  type RequestLine,
} from '../../../orchestrator/view/http-policy.ts';
import { newToken, sameToken } from '../../../orchestrator/view/token.ts';

const token = newToken();
const init = { port: 4321, token, assets: new Set(['view.js']) };
const host = '127.0.0.1:4321';

function ask(
  target: string,
  more: Partial<RequestLine> & { headers?: RequestLine['headers'] } = {},
) {
  return decide(
    { method: 'GET', target, upgrade: false, ...more, headers: { host, ...more.headers } },
    init,
  );
}
const status = (x: ReturnType<typeof decide>) => (isRefusal(x) ? x.status : x.kind);

describe("the view's HTTP policy", () => {
  it('serves nothing without the token, not even the probes', () => {
    const bearer = { headers: { authorization: `Bearer ${token}` } };
    expect(status(ask('/alive', bearer))).toBe('alive');
    expect(status(ask(`/ready?token=${token}`))).toBe('ready');
    for (const path of [
      '/alive',
      '/ready',
      '/',
      '/api/state',
      '/metrics',
      '/assets/view.js',
      '/nothing',
      '/../etc/passwd',
    ]) {
      const refused = ask(path);
      expect(status(refused), path).toBe(401);
      // It says nothing of the view, and names how to authenticate.
      expect(isRefusal(refused) && refused.text).toBe('401 unauthorized\n');
      expect(isRefusal(refused) && refused.headers?.['www-authenticate']).toMatch(/^Bearer /);
      expect(status(ask(`${path}?token=${token}x`)), path).toBe(403);
      expect(status(ask(`${path}?token=`)), path).toBe(403);
    }
    expect(status(ask(`/?token=${token}`))).toBe('page');
    expect(status(ask('/api/state', { headers: { authorization: `Bearer ${token}` } }))).toBe(
      'state',
    );
    expect(status(ask('/metrics', { headers: { authorization: `bearer ${token}` } }))).toBe(
      'metrics',
    );
    expect(status(ask('/metrics', { headers: { authorization: `Basic ${token}` } }))).toBe(401);
    expect(ask(`/assets/view.js?token=${token}`)).toEqual({ kind: 'asset', name: 'view.js' });
  });

  it('serves only its own paths and assets', () => {
    for (const path of [
      '/assets/other.js',
      '/assets/../server.ts',
      '/assets/%2e%2e/x',
      '/index.html',
      '/api/state/',
    ]) {
      expect(status(ask(`${path}?token=${token}`)), path).toBe(404);
    }
  });

  it('refuses another Host (a page whose name points at 127.0.0.1), other methods, bodies and long targets', () => {
    expect(status(ask(`/?token=${token}`, { headers: { host: 'evil.example:4321' } }))).toBe(403);
    expect(status(ask(`/?token=${token}`, { headers: { host: '127.0.0.1:9999' } }))).toBe(403);
    expect(status(ask(`/?token=${token}`, { headers: { host: undefined } }))).toBe(403);
    expect(status(ask(`/?token=${token}`, { headers: { host: 'localhost:4321' } }))).toBe('page');
    expect(status(ask('/alive', { headers: { host: 'evil.example' } }))).toBe(403);
    expect(status(ask(`/?token=${token}`, { method: 'POST' }))).toBe(405);
    expect(status(ask(`/?token=${token}`, { method: 'HEAD' }))).toBe('page');
    expect(status(ask(`/?token=${token}`, { headers: { 'content-length': '5' } }))).toBe(413);
    expect(status(ask(`/?token=${token}`, { headers: { 'transfer-encoding': 'chunked' } }))).toBe(
      413,
    );
    expect(status(ask(`/${'a'.repeat(MAX_TARGET_LENGTH)}`))).toBe(414);
    expect(status(ask('http://127.0.0.1:4321/'))).toBe(400);
    expect(
      status(decide({ method: 'GET', target: undefined, upgrade: false, headers: { host } }, init)),
    ).toBe(400);
  });

  it('lets only its own page open the websocket, with the token', () => {
    const ws = (target: string, origin?: string) =>
      status(ask(target, { upgrade: true, headers: origin ? { origin } : {} }));
    expect(ws(`/live?token=${token}`, `http://${host}`)).toBe('live');
    expect(ws(`/live?token=${token}`)).toBe('live');
    expect(ws('/live', `http://${host}`)).toBe(401);
    expect(ws(`/live?token=nope`, `http://${host}`)).toBe(403);
    expect(ws(`/live?token=${token}`, 'http://evil.example')).toBe(403);
    expect(ws(`/live?token=${token}`, `https://${host}`)).toBe(403);
    expect(ws(`/?token=${token}`, `http://${host}`)).toBe(404);
    expect(ws('/alive')).toBe(401);
  });
});

describe('the token', () => {
  it('is random, and compared whole', () => {
    const other = newToken();
    expect(other).not.toBe(token);
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(sameToken(token, token)).toBe(true);
    expect(sameToken(token.slice(0, -1), token)).toBe(false);
    expect(sameToken(`${token}a`, token)).toBe(false);
    expect(sameToken(undefined, token)).toBe(false);
    expect(sameToken('', '')).toBe(false);
  });
});
