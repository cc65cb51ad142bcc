import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { artifacts, browserMissing, suiteDir, launchChromium, openPage } from './chromium';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../src/main/store/content';
import { json, makeImage, oci } from '../helpers/store';
import { run } from '../cli/run';
import { raw, startServe, type Serving } from '../server/harness';

/**
 * The app in a real browser (Debian's Chromium, driven by playwright-core) against `imgmeta serve` on a real store,
 * with images added the way a user adds them: the CLI, in another process. Screenshots go to test/artifacts/.
 */

if (browserMissing) console.warn(`e2e skipped: ${browserMissing}`);

describe.skipIf(browserMissing !== undefined)('the app in Chromium through imgmeta serve', () => {
  let storeDir: string;
  let serving: Serving;
  let browser: Browser;
  const stops: (() => void)[] = [];
  const alpine = makeImage('alpine');

  beforeAll(async () => {
    const base = suiteDir('', stops);
    storeDir = join(base, 'store');
    await cli(['images', 'add', 'docker.io/library/busybox:1.36', ...target(9, 2048), '--label', 'env=dev']);
    const files = join(storeDir, '..');
    writeFileSync(join(files, 'config.json'), alpine.config);
    writeFileSync(join(files, 'manifest.json'), alpine.manifest);
    await cli(['content', 'put', join(files, 'config.json'), '--media-type', oci.config]);
    await cli(['content', 'put', join(files, 'manifest.json'), '--media-type', oci.manifest]);
    await cli([
      'images',
      'add',
      'docker.io/library/alpine:3.20',
      '--digest',
      alpine.target.digest,
      '--media-type',
      oci.manifest,
      '--size',
      String(alpine.target.size),
      '--label',
      'env=prod',
    ]);
    serving = await startServe(['--store', storeDir, 'serve', '--port', '0'], (fn) => stops.push(fn));
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    // Server first, then its store's directory.
    stops.reverse().forEach((stop) => stop());
  });

  const open = (colorScheme: 'light' | 'dark' = 'light') => openPage(browser, serving.url, { colorScheme });

  const imagesTable = (page: Page) => page.getByRole('grid', { name: 'Images' });
  /** The image names in the grid (each name's link carries the whole name; the tag has its own column). */
  const listedNames = (page: Page) =>
    imagesTable(page)
      .getByRole('link')
      .evaluateAll((links) => links.map((link) => link.getAttribute('aria-label')));

  it('loads with no console errors and lists the images the CLI added', async () => {
    const { page, problems, close } = await open();
    // The token visit traded the token for a cookie and left the address without it.
    expect(new URL(page.url()).searchParams.has('token')).toBe(false);
    await expect.poll(() => imagesTable(page).getByRole('row').count(), { timeout: 10_000 }).toBe(3);
    const names = await listedNames(page);
    expect(names).toEqual(['docker.io/library/alpine:3.20', 'docker.io/library/busybox:1.36']);
    await expect
      .poll(() => page.getByRole('contentinfo', { name: 'Store status' }).textContent())
      .toContain('2 images');
    await page.screenshot({ path: join(artifacts, 'e2e-images.png') });
    expect(problems).toEqual([]);
    await close();
  });

  it("shows one image's descriptor, labels and content tree", async () => {
    const { page, problems, close } = await open('dark');
    await imagesTable(page).getByRole('link', { name: 'docker.io/library/alpine:3.20' }).click();
    await expect
      .poll(() => page.getByRole('heading', { level: 1 }).textContent())
      .toBe('docker.io/library/alpine:3.20');
    const descriptor = page.getByRole('region', { name: 'Descriptor' });
    await expect.poll(() => descriptor.textContent()).toContain(alpine.target.digest);
    expect(await descriptor.textContent()).toContain(oci.manifest);
    expect(await page.getByRole('region', { name: 'Labels' }).getByLabel('Value of env').inputValue()).toBe(
      'prod',
    );
    const tree = page.getByRole('region', { name: 'Content tree' });
    await expect.poll(() => tree.textContent()).toContain(digestOf(alpine.config).slice(0, 19));
    // The config was put with the CLI; the layer never was.
    expect(await tree.getByRole('button', { name: /^Show JSON of config / }).count()).toBe(1);
    expect(await tree.textContent()).toMatch(/layer[\s\S]*not stored/);
    // A reload keeps the view: the address names the image.
    expect(decodeURIComponent(page.url())).toContain('#/images/default/docker.io/library/alpine:3.20');
    await page.screenshot({ path: join(artifacts, 'e2e-details-dark.png'), fullPage: true });
    expect(problems).toEqual([]);
    await close();
  });

  it('follows a write made by another process without a reload', async () => {
    const { page, problems, close } = await open();
    await expect.poll(() => imagesTable(page).getByRole('row').count(), { timeout: 10_000 }).toBe(3);
    await cli(['images', 'add', 'quay.io/podman/hello:latest', ...target(11, 512)]);
    await expect.poll(() => listedNames(page), { timeout: 10_000 }).toContain('quay.io/podman/hello:latest');
    await cli(['images', 'rm', 'quay.io/podman/hello:latest', '--purge']);
    await expect
      .poll(() => listedNames(page), { timeout: 10_000 })
      .not.toContain('quay.io/podman/hello:latest');
    expect(problems).toEqual([]);
    await close();
  });

  it('refuses the API without the token (401) and for a foreign Host (403)', async () => {
    const url = new URL(serving.url);
    const port = Number(url.port);
    const token = url.searchParams.get('token')!;
    const call = { method: 'POST', path: '/api/images.list', body: '{}' };
    const json = { 'content-type': 'application/json' };
    expect((await raw({ port }, { ...call, headers: json })).status).toBe(401);
    expect(
      (
        await raw(
          { port },
          { ...call, headers: { ...json, authorization: `Bearer ${token}`, host: `evil.example:${port}` } },
        )
      ).status,
    ).toBe(403);
    // The same request with the server's own Host goes through: the refusals above are about the token and the Host.
    expect(
      (await raw({ port }, { ...call, headers: { ...json, authorization: `Bearer ${token}` } })).status,
    ).toBe(200);
  });

  it('the Content-Security-Policy stops scripts the app did not ship: inline, eval, another origin, plugins', async () => {
    const { page, close } = await open();
    await expect.poll(() => imagesTable(page).getByRole('row').count(), { timeout: 10_000 }).toBe(3);
    // Another origin that would happily serve a script.
    const elsewhere = createServer((_req, res) => {
      res.setHeader('content-type', 'text/javascript');
      res.end('window.__fromElsewhere = 1;');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    stops.push(() => elsewhere.close());
    const port = (elsewhere.address() as AddressInfo).port;
    // Page code (a string: this file is compiled without the DOM's types), as an injected string would run.
    const result = (await page.evaluate(`(async () => {
      const violations = [];
      document.addEventListener('securitypolicyviolation', (e) => violations.push(e.effectiveDirective));
      const inline = document.createElement('script');
      inline.textContent = 'window.__inline = 1;';
      document.head.append(inline);
      const foreign = document.createElement('script');
      foreign.src = 'http://127.0.0.1:${port}/x.js';
      const foreignDone = new Promise((resolve) => { foreign.onload = foreign.onerror = resolve; });
      document.head.append(foreign);
      // A string run as code later: eval-like, so only with 'unsafe-eval'.
      setTimeout('window.__evaluated = 1;', 0);
      const object = document.createElement('object');
      object.data = 'http://127.0.0.1:${port}/x.js';
      document.body.append(object);
      await foreignDone;
      await new Promise((resolve) => setTimeout(resolve, 200));
      return { inline: window.__inline, foreign: window.__fromElsewhere, evaluated: window.__evaluated, violations };
    })()`)) as { inline?: number; foreign?: number; evaluated?: number; violations: string[] };
    expect(result.inline).toBeUndefined();
    expect(result.foreign).toBeUndefined();
    expect(result.evaluated).toBeUndefined();
    expect(new Set(result.violations)).toEqual(new Set(['script-src-elem', 'script-src', 'object-src']));
    await close();
  });

  it("refuses a cross-site write riding on the visitor's cookie (CSRF)", async () => {
    const { page, close } = await open();
    await expect.poll(() => imagesTable(page).getByRole('row').count(), { timeout: 10_000 }).toBe(3);
    // Another site on this machine: a form-like request needs no CORS preflight and carries the cookie.
    const attacker = createServer((_req, res) => res.end('<!doctype html><title>elsewhere</title>'));
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    stops.push(() => attacker.close());
    // Same site (cookies are not scoped by port), another origin: only the Origin check stands in the way.
    await page.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
    const target = new URL(serving.url).origin;
    await page.evaluate(async (origin) => {
      // The response is unreadable to this page either way (no-cors, CORP); what matters is what the server did.
      await fetch(`${origin}/api/images.create`, {
        method: 'POST',
        mode: 'no-cors',
        credentials: 'include',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({
          namespace: 'default',
          name: 'evil:latest',
          target: {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: `sha256:${'e'.repeat(64)}`,
            size: 1,
          },
        }),
      }).catch(() => undefined);
    }, target);
    const inspect = await run(['--store', storeDir, 'images', 'inspect', 'evil:latest']);
    expect(inspect.err).toMatch(/^imgmeta: not_found/);
    await close();
  });

  function cli(args: string[]) {
    return run(['--store', storeDir, ...args]).then((result) => {
      if (result.code !== 0) throw new Error(`imgmeta ${args.join(' ')}: ${result.err}`);
      return result;
    });
  }
});

function target(n: number, size: number): string[] {
  const manifest = json({ schemaVersion: 2, mediaType: oci.manifest, n });
  return ['--digest', digestOf(manifest), '--media-type', oci.manifest, '--size', String(size)];
}
