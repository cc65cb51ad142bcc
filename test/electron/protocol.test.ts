import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { contentSecurityPolicy, developmentContentSecurityPolicy } from '../../src/main/csp';
import { appEntryUrl, appSchemePrivileges, createAppHandler, isAppUrl } from '../../src/main/protocol';
import { mimeType } from '../../src/main/renderer-files';
import { root } from '../cli/run';
import { tempDir } from '../helpers/store';

let base: string;
let serve: (request: Request) => Promise<Response>;

beforeEach(() => {
  base = tempDir('imgmeta-protocol-');
  const root = join(base, 'out', 'renderer');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>imgmeta</title>');
  writeFileSync(join(root, 'assets', 'index-abc.js'), 'console.log(1)');
  writeFileSync(join(root, 'assets', 'index-abc.css'), 'body{}');
  writeFileSync(join(root, 'assets', 'logo.svg'), '<svg/>');
  writeFileSync(join(root, '..a'), 'a file whose name starts with two dots');
  writeFileSync(join(base, 'out', 'secret.txt'), 'outside the renderer');
  serve = createAppHandler(root);
});

const get = (url: string, method = 'GET') => serve(new Request(url, { method }));

describe('the app:// scheme', () => {
  it('is registered standard and secure with the fetch API, and not CORS-enabled', () => {
    expect(appSchemePrivileges).toEqual({
      scheme: 'app',
      privileges: { standard: true, secure: true, supportFetchAPI: true },
    });
    expect(appEntryUrl).toBe('app://imgmeta/index.html');
  });

  it('recognises only app://imgmeta pages', () => {
    expect(isAppUrl('app://imgmeta/index.html')).toBe(true);
    expect(isAppUrl('app://imgmeta/')).toBe(true);
    for (const url of [
      'app://other/',
      'https://imgmeta/',
      'app://imgmeta:1/',
      'file:///index.html',
      '',
      undefined,
      null,
    ])
      expect(isAppUrl(url), String(url)).toBe(false);
  });
});

describe('serving the built renderer', () => {
  it('serves index.html for / and by name, with the CSP and nosniff', async () => {
    for (const url of ['app://imgmeta/', 'app://imgmeta/index.html']) {
      const response = await get(url);
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('content-security-policy')).toBe(contentSecurityPolicy);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await response.text()).toContain('<title>imgmeta</title>');
    }
  });

  it('answers each asset with its MIME type', async () => {
    expect((await get('app://imgmeta/assets/index-abc.js')).headers.get('content-type')).toBe(
      'text/javascript; charset=utf-8',
    );
    expect((await get('app://imgmeta/assets/index-abc.css')).headers.get('content-type')).toBe(
      'text/css; charset=utf-8',
    );
    expect((await get('app://imgmeta/assets/logo.svg')).headers.get('content-type')).toBe('image/svg+xml');
    expect(mimeType('x.woff2')).toBe('font/woff2');
    expect(mimeType('x.unknown')).toBe('application/octet-stream');
  });

  it('answers HEAD without a body', async () => {
    const response = await get('app://imgmeta/index.html', 'HEAD');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });

  it('falls back to index.html for routes, but not for missing files', async () => {
    expect(await (await get('app://imgmeta/images/default')).text()).toContain('<title>imgmeta</title>');
    expect((await get('app://imgmeta/assets/missing.js')).status).toBe(404);
  });

  it('never serves a file outside the renderer directory', async () => {
    for (const url of [
      'app://imgmeta/../secret.txt',
      'app://imgmeta/%2e%2e/secret.txt',
      'app://imgmeta/..%2fsecret.txt',
      'app://imgmeta/..%2Fsecret.txt',
      'app://imgmeta/assets/..%2f..%2fsecret.txt',
      'app://imgmeta/..%5csecret.txt',
    ]) {
      const response = await get(url);
      expect(await response.text(), url).not.toContain('outside the renderer');
    }
    // An absolute path is taken relative to the renderer directory: no such file, so the app's page.
    expect(await (await get('app://imgmeta/%2Fetc%2Fpasswd')).text()).toContain('<title>imgmeta</title>');
    expect((await get('app://imgmeta/..a')).status).toBe(200); // a name that merely starts with two dots
  });

  it('refuses malformed paths, NUL bytes, other hosts and other methods', async () => {
    expect((await get('app://imgmeta/%E0%A4%A')).status).toBe(400);
    expect((await get('app://imgmeta/index.html%00.js')).status).toBe(400);
    expect((await get('app://other/index.html')).status).toBe(404);
    expect((await get('app://imgmeta/index.html', 'POST')).status).toBe(405);
  });
});

/** `a b; c d` -> {a: [b], c: [d]} */
const directives = (policy: string) =>
  Object.fromEntries(
    policy
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name, ...sources]) => [name!, sources]),
  );

describe('the Content-Security-Policy', () => {
  it("runs only the app's own scripts: no inline script, no eval, no other origin, no plugins, no framing", () => {
    const policy = directives(contentSecurityPolicy);
    expect(policy['default-src']).toEqual(["'self'"]);
    expect(policy['script-src']).toEqual(["'self'"]);
    expect(policy['connect-src']).toEqual(["'self'"]);
    expect(policy['object-src']).toEqual(["'none'"]);
    expect(policy['base-uri']).toEqual(["'none'"]);
    expect(policy['frame-ancestors']).toEqual(["'none'"]);
    expect(policy['form-action']).toEqual(["'none'"]);
    // Inline styles only (React's style props); images also as data: URLs; nothing anywhere from another origin.
    expect(policy['style-src']).toEqual(["'self'", "'unsafe-inline'"]);
    expect(policy['img-src']).toEqual(["'self'", 'data:']);
    expect(contentSecurityPolicy).not.toMatch(/unsafe-eval|\*|https?:|wasm-unsafe/);
  });

  it('is in index.html as well, the same but for frame-ancestors (which a meta tag cannot carry)', () => {
    const html = readFileSync(join(root, 'src', 'renderer', 'index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBeDefined();
    const { ['frame-ancestors']: _ignored, ...header } = directives(contentSecurityPolicy);
    expect(directives(meta!)).toEqual(header);
  });

  it('is loosened in development only for the dev server: inline Fast Refresh preamble and its WebSocket', () => {
    const dev = directives(developmentContentSecurityPolicy);
    expect(dev['script-src']).toEqual(["'self'", "'unsafe-inline'"]);
    expect(dev['connect-src']).toEqual(["'self'", 'ws://localhost:*', 'ws://127.0.0.1:*']);
    expect({ ...dev, 'script-src': [], 'connect-src': [] }).toEqual({
      ...directives(contentSecurityPolicy),
      'script-src': [],
      'connect-src': [],
    });
  });
});
