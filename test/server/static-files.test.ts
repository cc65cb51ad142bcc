import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { notBuiltHint } from '../../src/main/server/static-files';
import { bearer, fakeRenderer, indexHtml, raw, serve, tempBase, type Served } from './harness';

/** The built renderer as static files: the app for any page path, the right types and headers, nothing else. */

const csp =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/** A renderer next to a file that must never be served, and a symlink from inside to it. */
async function withRenderer(): Promise<Served> {
  const base = tempBase();
  const rendererDir = fakeRenderer(base);
  writeFileSync(join(base, 'secret.txt'), 'SECRET outside the renderer\n');
  symlinkSync(join(base, 'secret.txt'), join(rendererDir, 'link.txt'));
  return serve({ rendererDir });
}

const get = (served: Served, path: string, method = 'GET') =>
  raw(served.server, { method, path, headers: bearer(served.server) });

describe('the app', () => {
  it('index.html comes with the strict CSP and the other security headers, never cached', async () => {
    const served = await withRenderer();
    for (const path of ['/', '/index.html']) {
      const res = await get(served, path);
      expect(res.status, path).toBe(200);
      expect(res.body).toBe(indexHtml);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['content-security-policy']).toBe(csp);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });

  it('assets have their MIME types and may be cached (their names carry a hash)', async () => {
    const served = await withRenderer();
    const js = await get(served, '/assets/index-3f2a9c.js');
    expect(js.status).toBe(200);
    expect(js.body).toBe('console.log("imgmeta");\n');
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['content-length']).toBe(String(Buffer.byteLength(js.body)));
    expect(js.headers['cache-control']).toBe('private, max-age=31536000, immutable');
    expect(js.headers['content-security-policy']).toBe(csp);
    const css = await get(served, '/assets/index-77b1e0.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const head = await get(served, '/assets/index-3f2a9c.js', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe(js.headers['content-length']);
  });

  it('a page path the app routes is index.html; a missing file is 404', async () => {
    const served = await withRenderer();
    for (const path of [
      '/images',
      '/images/default/example.com%2Fapp%3A1.0',
      '/metadata/ns/a/b?x=1',
      '/assets',
    ]) {
      const res = await get(served, path);
      expect(res.status, path).toBe(200);
      expect(res.body, path).toBe(indexHtml);
      expect(res.headers['cache-control']).toBe('no-store');
    }
    for (const path of ['/assets/missing.js', '/favicon.ico', '/missing.css']) {
      const res = await get(served, path);
      expect(res.status, path).toBe(404);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(res.headers['content-security-policy']).toBe(csp);
    }
  });

  it('no path escapes the renderer directory: dot segments, encoded, doubled, backslashes, symlinks', async () => {
    const served = await withRenderer();
    const attempts = [
      '/../package.json',
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E/%2E%2E/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd',
      '/..%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/../../secret.txt',
      '/..%5csecret.txt',
      '/.%2e/secret.txt',
      '/%2fetc%2fpasswd',
      '//etc/passwd',
      '/link.txt',
      '/secret.txt%00.html',
      '/%ff%fe',
    ];
    for (const path of attempts) {
      const res = await get(served, path);
      expect(res.body, path).not.toMatch(/SECRET|root:/);
      expect([200, 400, 404], path).toContain(res.status);
      if (res.status === 200) expect(res.body, path).toBe(indexHtml);
    }
    expect((await get(served, '/../secret.txt')).status).toBe(404);
    expect((await get(served, '/%2e%2e/secret.txt')).status).toBe(404);
  });

  it('without a built renderer, the app is 503 with a hint and the API still works', async () => {
    const { server, client } = await serve({ rendererDir: join(tempBase(), 'no-such-dir') });
    const res = await raw(server, { path: '/', headers: bearer(server) });
    expect(res.status).toBe(503);
    expect(res.body).toBe(`${notBuiltHint}\n`);
    expect(res.body).toMatch(/npm run build/);
    expect(res.headers['content-security-policy']).toBe(csp);
    expect(await client['store.info']({})).toMatchObject({ images: 0 });
  });
});
