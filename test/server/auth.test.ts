import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { allowedHosts, cookieName, sameToken } from '../../src/main/server/auth';
import { createHttpClient } from '../../src/shared/http-client';
import { fakeRenderer, indexHtml, post, raw, serve, tempBase } from './harness';

/**
 * Who gets in: the Host must be the server's own (403), an Origin must be the server's own (403), and the token must
 * come as a bearer header or as the cookie a `?token=` visit sets (401). Host and Origin are checked first.
 */

const tokenLine = /^http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{43})$/;

describe('the access token', () => {
  it('is 32 random bytes unless given, and the URL carries it', async () => {
    const [a, b] = [await serve(), await serve()];
    const match = tokenLine.exec(a.server.url);
    expect(match?.[1]).toBe(String(a.server.port));
    expect(match?.[2]).toBe(a.server.token);
    expect(Buffer.from(a.server.token, 'base64url')).toHaveLength(32);
    expect(b.server.token).not.toBe(a.server.token);
    const given = await serve({ token: 'T0k.en_~-' });
    expect(given.server.url).toBe(`http://127.0.0.1:${given.server.port}/?token=T0k.en_~-`);
    await expect(serve({ token: 'has space' })).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(sameToken('abc', 'abc')).toBe(true);
    expect(sameToken('abc', 'abd')).toBe(false);
    expect(sameToken('abc', 'abcd')).toBe(false);
  });

  it('a request without it is 401: an envelope under /api, text elsewhere', async () => {
    const { server } = await serve({ rendererDir: fakeRenderer(tempBase()) });
    const api = await raw(server, {
      method: 'POST',
      path: '/api/store.info',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(api.status).toBe(401);
    expect(api.headers['www-authenticate']).toBe('Bearer realm="imgmeta"');
    expect(JSON.parse(api.body)).toMatchObject({ ok: false, error: { code: 'failed_precondition' } });
    for (const path of ['/', '/assets/index-3f2a9c.js', '/api/events']) {
      const res = await raw(server, { path });
      expect(res.status, path).toBe(401);
      expect(res.body).not.toContain('imgmeta");');
      expect(res.body).not.toBe(indexHtml);
    }
    expect((await raw(server, { path: '/' })).headers['content-type']).toBe('text/plain; charset=utf-8');
    const client = createHttpClient({ baseUrl: server.origin });
    await expect(client['store.info']({})).rejects.toMatchObject({ code: 'failed_precondition' });
  });

  it('a wrong token is 401, as a bearer, a cookie or a visit', async () => {
    const { server } = await serve({ rendererDir: fakeRenderer(tempBase()) });
    const wrong = `${server.token.slice(0, -1)}${server.token.endsWith('A') ? 'B' : 'A'}`;
    expect((await post(server, 'store.info', '{}', { authorization: `Bearer ${wrong}` })).status).toBe(401);
    expect((await post(server, 'store.info', '{}', { authorization: server.token })).status).toBe(401);
    const cookie = `${cookieName(server.port)}=${wrong}`;
    expect((await raw(server, { path: '/', headers: { cookie } })).status).toBe(401);
    // Another server's cookie (another port) is not this one's.
    const elsewhere = `${cookieName(server.port + 1)}=${server.token}`;
    expect((await raw(server, { path: '/', headers: { cookie: elsewhere } })).status).toBe(401);
    const visit = await raw(server, { path: `/?token=${wrong}` });
    expect(visit.status).toBe(401);
    expect(visit.headers['set-cookie']).toBeUndefined();
    const client = createHttpClient({ baseUrl: server.origin, token: wrong });
    await expect(client['store.info']({})).rejects.toMatchObject({ code: 'failed_precondition' });
  });

  it('a ?token= visit sets an HttpOnly SameSite=Strict cookie, redirects without the token, and the cookie then works', async () => {
    const { server } = await serve({ rendererDir: fakeRenderer(tempBase()) });
    const visit = await raw(server, { path: `/?token=${server.token}` });
    expect(visit.status).toBe(303);
    expect(visit.headers.location).toBe('/');
    expect(visit.headers['cache-control']).toBe('no-store');
    const setCookie = visit.headers['set-cookie'] ?? [];
    expect(setCookie).toEqual([
      `${cookieName(server.port)}=${server.token}; Path=/; HttpOnly; SameSite=Strict`,
    ]);
    const cookie = setCookie[0]!.split(';')[0]!;

    const page = await raw(server, { path: '/', headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.body).toBe(indexHtml);
    const info = await post(server, 'store.info', '{}', { authorization: '', cookie });
    expect(info.status).toBe(200);
    expect(JSON.parse(info.body)).toMatchObject({ ok: true, result: { readOnly: false } });

    // Deep links keep their path and other parameters; the redirect never leaves this host.
    const deep = await raw(server, { path: `/images/default?sort=size&token=${server.token}&q=a%20b` });
    expect(deep.status).toBe(303);
    expect(deep.headers.location).toBe('/images/default?sort=size&q=a+b');
    for (const path of [`//evil.example/x?token=${server.token}`, `/\\evil.example/?token=${server.token}`]) {
      const res = await raw(server, { path });
      expect(res.status, path).toBe(303);
      expect(res.headers.location, path).toMatch(/^\/[^/\\]/);
    }
  });
});

describe('Host and Origin', () => {
  it('a Host that is not the server is 403, even with the token, and is checked before the token', async () => {
    const { server } = await serve({ rendererDir: fakeRenderer(tempBase()) });
    for (const host of [
      `evil.example:${server.port}`,
      'evil.example',
      `127.0.0.1:${server.port + 1}`,
      '127.0.0.1',
    ]) {
      const withToken = await post(server, 'store.info', '{}', { host });
      expect(withToken.status, host).toBe(403);
      expect(JSON.parse(withToken.body)).toMatchObject({ ok: false, error: { code: 'failed_precondition' } });
      const page = await raw(server, { path: `/?token=${server.token}`, headers: { host } });
      expect(page.status, host).toBe(403);
      expect(page.headers['set-cookie']).toBeUndefined();
      const noToken = await raw(server, { path: '/', headers: { host } });
      expect(noToken.status, host).toBe(403);
    }
    for (const host of [
      `127.0.0.1:${server.port}`,
      `localhost:${server.port}`,
      `[::1]:${server.port}`,
      `LOCALHOST:${server.port}`,
    ]) {
      expect((await post(server, 'store.info', '{}', { host })).status, host).toBe(200);
    }
  });

  it("a cross-origin Origin is 403; the server's own origin is fine", async () => {
    const { server } = await serve();
    for (const origin of [
      `http://evil.example:${server.port}`,
      'http://evil.example',
      `https://127.0.0.1:${server.port}`,
      `http://127.0.0.1:${server.port + 1}`,
      'null',
    ]) {
      const res = await post(server, 'store.info', '{}', { origin });
      expect(res.status, origin).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ ok: false, error: { code: 'failed_precondition' } });
    }
    for (const origin of [`http://127.0.0.1:${server.port}`, `http://localhost:${server.port}`]) {
      expect((await post(server, 'store.info', '{}', { origin })).status, origin).toBe(200);
    }
  });

  it("on a wildcard address the machine's name and interface addresses are its own too", () => {
    const loopback = allowedHosts('127.0.0.1', '127.0.0.1', 8080);
    expect([...loopback].sort()).toEqual(['127.0.0.1:8080', '[::1]:8080', 'localhost:8080']);
    const everywhere = allowedHosts('0.0.0.0', '0.0.0.0', 8080);
    expect(everywhere.has(`${hostname().toLowerCase()}:8080`)).toBe(true);
    expect(everywhere.has('0.0.0.0:8080')).toBe(false);
    const v6 = allowedHosts('::', '::', 80);
    expect(v6.has('localhost')).toBe(true);
    expect(v6.has('[::1]:80')).toBe(true);
    const named = allowedHosts('inspector.lan', '192.168.1.20', 9000);
    expect(named.has('inspector.lan:9000')).toBe(true);
    expect(named.has('192.168.1.20:9000')).toBe(true);
  });
});
