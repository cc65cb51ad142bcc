import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../src/main/store/content';
import { run } from '../cli/run';
import { descriptorOf, fakeDigest, json, makeImage, oci, openStore, seedImages } from '../helpers/store';
import { startServe, type Serving } from '../server/harness';
import { artifacts, browserMissing, suiteDir, launchChromium, openPage, type OpenPage } from './chromium';

/**
 * The Images, image details, deletion and Trash flows in a real browser (Debian's Chromium through playwright-core)
 * against `imgmeta serve` on a real store: filled through the store API in this process (content, a multi-platform
 * index with a referrer, pinned and shared images, 60 filler images), then changed by the CLI in another process.
 * Screenshots of each view, at 1024x700 and 1680x1050, light and dark, go to test/artifacts/.
 */

if (browserMissing) console.warn(`e2e skipped: ${browserMissing}`);

const alpine = makeImage('alpine', 3_000_000);
const alpineName = 'docker.io/library/alpine:3.20';
const alpineLatest = 'docker.io/library/alpine:latest';
const multi = 'ghcr.io/acme/api:v2.1.0';
const pinnedName = 'registry.k8s.io/pause:3.10';

/** A config with what the summary shows: Env, Cmd, Entrypoint, WorkingDir, User, ports, volumes, labels, history. */
const config = (arch: string) =>
  json({
    architecture: arch,
    os: 'linux',
    created: '2026-01-02T03:04:05Z',
    config: {
      Env: ['PATH=/usr/local/bin:/usr/bin', `ARCH=${arch}`],
      Cmd: ['serve', '--port', '8080'],
      Entrypoint: ['/usr/local/bin/api'],
      WorkingDir: '/srv',
      User: '65532:65532',
      ExposedPorts: { '8080/tcp': {} },
      Volumes: { '/data': {} },
      Labels: { 'org.opencontainers.image.source': 'https://github.com/acme/api' },
    },
    rootfs: { type: 'layers', diff_ids: [] },
    history: [
      { created: '2026-01-01T00:00:00Z', created_by: '/bin/sh -c #(nop) ADD file:abc in / ' },
      { created: '2026-01-02T00:00:00Z', created_by: 'COPY api /usr/local/bin/api # buildkit' },
      { created: '2026-01-02T00:00:01Z', created_by: 'USER 65532:65532', empty_layer: true },
    ],
  });

function platformImage(arch: string) {
  const cfg = config(arch);
  const manifest = json({
    schemaVersion: 2,
    mediaType: oci.manifest,
    config: descriptorOf(cfg, oci.config),
    layers: [{ mediaType: oci.layer, digest: digestOf(json({ layer: arch })), size: 5_000_000 }],
  });
  return { cfg, manifest };
}

const amd64 = platformImage('amd64');
const arm64 = platformImage('arm64');
const index = json({
  schemaVersion: 2,
  mediaType: oci.index,
  manifests: [
    descriptorOf(amd64.manifest, oci.manifest, { platform: { os: 'linux', architecture: 'amd64' } }),
    descriptorOf(arm64.manifest, oci.manifest, {
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    }),
  ],
});
const sigConfig = json({});
/** A signature (an artifact manifest) that names the amd64 manifest as its subject: a referrer. */
const signature = json({
  schemaVersion: 2,
  mediaType: oci.manifest,
  artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
  config: descriptorOf(sigConfig, 'application/vnd.oci.empty.v1+json'),
  layers: [],
  subject: descriptorOf(amd64.manifest, oci.manifest),
});

const fillers = 60;
const fillerName = (i: number) => `example.com/filler/app-${String(i).padStart(3, '0')}:1.0`;

describe.skipIf(browserMissing !== undefined)(
  'images, details and deletion in Chromium through imgmeta serve',
  () => {
    let base: string;
    let storeDir: string;
    let serving: Serving;
    let browser: Browser;
    const stops: (() => void)[] = [];

    beforeAll(async () => {
      base = suiteDir('images-', stops);
      storeDir = join(base, 'store');
      const { service, store, dispose } = openStore(storeDir);
      try {
        for (const [bytes, mediaType] of [
          [alpine.config, oci.config],
          [alpine.manifest, oci.manifest],
          [amd64.cfg, oci.config],
          [amd64.manifest, oci.manifest],
          [arm64.cfg, oci.config],
          [arm64.manifest, oci.manifest],
          [index, oci.index],
          [sigConfig, 'application/vnd.oci.empty.v1+json'],
          [signature, oci.manifest],
        ] as const)
          await service['content.put']({ bytes, mediaType });
        const create = (namespace: string, name: string, target: typeof alpine.target, labels = {}) =>
          service['images.create']({ namespace, name, target, labels });
        await create('default', alpineName, alpine.target, { env: 'prod', team: 'base' });
        // The same manifest under a second name: its content is shared, so deleting one name frees nothing.
        await create('default', alpineLatest, alpine.target, { env: 'prod' });
        await create('default', multi, descriptorOf(index, oci.index), { team: 'api' });
        await create('default', 'docker.io/library/busybox:1.36', {
          mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
          digest: fakeDigest(9),
          size: 2048,
        });
        await create('default', `sha256:${'d'.repeat(64)}`, {
          mediaType: oci.manifest,
          digest: fakeDigest(10),
          size: 700,
        });
        await create(
          'k8s.io',
          pinnedName,
          { mediaType: oci.manifest, digest: fakeDigest(11), size: 900 },
          {
            'imgmeta.pinned': 'true',
          },
        );
        seedImages(
          store,
          Array.from({ length: fillers }, (_, i) => ({
            namespace: 'filler',
            name: fillerName(i),
            target: { mediaType: oci.manifest, digest: fakeDigest(1000 + i), size: 1000 + i * 10 },
            labels: { batch: i < 20 ? 'old' : 'new' },
            createdAt: Date.parse('2025-06-01T00:00:00Z') + i * 86_400_000,
          })),
        );
      } finally {
        dispose();
      }
      serving = await startServe(['--store', storeDir, 'serve', '--port', '0'], (fn) => stops.push(fn));
      browser = await launchChromium();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      stops.reverse().forEach((stop) => stop());
    });

    const open = (colorScheme: 'light' | 'dark' = 'light', hash = '#/images') =>
      openPage(browser, `${serving.url.replace(/#.*$/, '')}${hash}`, { colorScheme });
    const grid = (page: Page) => page.getByRole('grid', { name: 'Images' });
    const rowNames = (page: Page) =>
      grid(page)
        .locator('[role="row"][aria-rowindex]:not([aria-rowindex="1"]) [role="gridcell"]:first-child a')
        .allTextContents();
    const status = (page: Page) => page.getByRole('status').filter({ hasText: /images?\b/ });
    const filterBox = (page: Page) => page.getByRole('searchbox', { name: 'Filter images by name' });
    /** The rows of an image by its repository (any tag) or its whole name. */
    const rowOf = (page: Page, name: string) =>
      grid(page)
        .getByRole('row')
        .filter({
          has: page.getByRole('link', {
            name: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}([:@].*)?$`),
          }),
        });
    const cli = (args: string[]) =>
      run(['--store', storeDir, ...args]).then((result) => {
        if (result.code !== 0) throw new Error(`imgmeta ${args.join(' ')}: ${result.err}`);
        return result;
      });
    const inspect = async (name: string, namespace = 'default') =>
      run(['--store', storeDir, 'images', 'inspect', name, '-n', namespace, '--json']);
    const shots = async (page: Page, name: string) => {
      for (const [size, viewport] of [
        ['1024x700', { width: 1024, height: 700 }],
        ['large', { width: 1680, height: 1050 }],
      ] as const) {
        await page.setViewportSize(viewport);
        await page.waitForTimeout(150);
        await page.screenshot({ path: join(artifacts, `images-${name}-${size}.png`) });
      }
      await page.setViewportSize({ width: 1280, height: 800 });
    };
    const finish = async ({ problems, close }: OpenPage) => {
      expect(problems).toEqual([]);
      await close();
    };

    describe('browsing', () => {
      it('lists every namespace with a true count, name, tag, type, digest, size and labels', async () => {
        for (const scheme of ['light', 'dark'] as const) {
          const opened = await open(scheme);
          const { page } = opened;
          await expect.poll(() => status(page).textContent()).toContain('66 images in all namespaces');
          expect(await grid(page).getAttribute('aria-rowcount')).toBe('67');
          const alpineRow = rowOf(page, 'docker.io/library/alpine');
          await expect.poll(() => alpineRow.count()).toBe(2);
          const first = await alpineRow.first().getByRole('gridcell').allTextContents();
          expect(first.slice(1, 4)).toEqual(['3.20', 'default', 'manifest']);
          expect(first.join(' ')).toContain(alpine.target.digest.slice(7, 19));
          expect(first.join(' ')).toContain('env=prod');
          // The namespace picker counts each namespace.
          const options = await page.getByLabel('Namespace').locator('option').allTextContents();
          expect(options).toEqual(['All namespaces (66)', 'default (5)', 'filler (60)', 'k8s.io (1)']);
          await shots(page, `list-${scheme}`);
          await page.getByLabel('Namespace').selectOption('default');
          await expect.poll(() => status(page).textContent()).toContain('5 images in default');
          const cells = async (name: string) =>
            rowOf(page, name).first().getByRole('gridcell').allTextContents();
          await expect
            .poll(async () => (await cells('ghcr.io/acme/api')).slice(1, 4))
            .toEqual(['v2.1.0', 'default', 'index']);
          // Platforms from the stored index; the alpine manifest's from its config.
          await expect
            .poll(async () => (await cells('ghcr.io/acme/api'))[6])
            .toBe('linux/amd64, linux/arm64/v8');
          await expect.poll(async () => (await cells('docker.io/library/alpine'))[6]).toBe('linux/amd64');
          await finish(opened);
        }
      });

      it('picks one namespace and sorts by name, size and created', async () => {
        const opened = await open();
        const { page } = opened;
        await page.getByLabel('Namespace').selectOption('filler');
        await expect.poll(() => status(page).textContent()).toContain('60 images in filler');
        await expect.poll(async () => (await rowNames(page))[0]).toBe('example.com/filler/app-000');
        const size = page
          .getByRole('columnheader')
          .filter({ has: page.getByRole('button', { name: 'Size' }) });
        await page.getByRole('button', { name: 'Size' }).click();
        await expect.poll(() => size.getAttribute('aria-sort')).toBe('descending');
        await expect.poll(async () => (await rowNames(page))[0]).toBe('example.com/filler/app-059');
        await page.getByRole('button', { name: 'Size' }).click();
        await expect.poll(() => size.getAttribute('aria-sort')).toBe('ascending');
        await expect.poll(async () => (await rowNames(page))[0]).toBe('example.com/filler/app-000');
        await page.getByRole('button', { name: 'Created' }).click();
        await expect.poll(async () => (await rowNames(page))[0]).toBe('example.com/filler/app-059');
        await page.getByRole('button', { name: 'Name' }).click();
        await expect.poll(async () => (await rowNames(page))[0]).toBe('example.com/filler/app-000');
        await finish(opened);
      });

      it('filters as you type, by label, media type and dangling', async () => {
        const opened = await open();
        const { page } = opened;
        // Slower than the debounce: each prefix reaches the address while typing goes on, and no key is lost.
        await filterBox(page).pressSequentially('alpine', { delay: 180 });
        await expect.poll(() => status(page).textContent()).toContain('2 images');
        expect(await rowNames(page)).toEqual(['docker.io/library/alpine', 'docker.io/library/alpine']);
        await filterBox(page).fill('');
        await page.getByRole('searchbox', { name: 'Filter by label (key=value)' }).fill('team=api');
        await expect.poll(() => status(page).textContent()).toContain('1 image');
        expect(await rowNames(page)).toEqual(['ghcr.io/acme/api']);
        await page.getByRole('searchbox', { name: 'Filter by label (key=value)' }).fill('');
        await page.getByLabel('Media type').selectOption({ label: 'OCI index' });
        await expect.poll(() => rowNames(page)).toEqual(['ghcr.io/acme/api']);
        await page.getByLabel('Media type').selectOption({ label: 'Any' });
        await page.getByLabel('Dangling').selectOption({ label: 'Only dangling' });
        await expect.poll(() => status(page).textContent()).toContain('1 image');
        expect(await rowNames(page)).toEqual([`sha256:${'d'.repeat(64)}`]);
        await page.getByLabel('Dangling').selectOption({ label: 'Any' });
        await filterBox(page).fill('no-such-image');
        await expect.poll(() => grid(page).textContent()).toContain('No image matches the filter.');
        await finish(opened);
      });

      it('selects with click, Shift-click, Ctrl-click and Ctrl+A, and moves with the keyboard', async () => {
        const opened = await open('light', '#/images?namespace=filler');
        const { page } = opened;
        await expect.poll(() => status(page).textContent()).toContain('60 images in filler');
        const row = (i: number) => grid(page).locator(`[role="row"][aria-rowindex="${i + 2}"]`);
        await row(2).getByRole('gridcell').nth(2).click();
        await row(5)
          .getByRole('gridcell')
          .nth(2)
          .click({ modifiers: ['Shift'] });
        await expect.poll(() => status(page).textContent()).toContain('4 selected');
        await row(9)
          .getByRole('gridcell')
          .nth(2)
          .click({ modifiers: ['Control'] });
        await expect.poll(() => status(page).textContent()).toContain('5 selected');
        expect(await row(9).getAttribute('aria-selected')).toBe('true');
        await row(3)
          .getByRole('gridcell')
          .nth(2)
          .click({ modifiers: ['Control'] });
        await expect.poll(() => status(page).textContent()).toContain('4 selected');
        expect(await row(3).getAttribute('aria-selected')).toBe('false');
        // The keyboard: Down, Shift+Down extends, Space toggles, End goes to the last row, Home back.
        await page.keyboard.press('Escape');
        await expect.poll(() => status(page).textContent()).not.toContain('selected');
        await page.keyboard.press('ArrowDown');
        await page.keyboard.press('Space');
        await page.keyboard.press('Shift+ArrowDown');
        await page.keyboard.press('Shift+ArrowDown');
        await expect.poll(() => status(page).textContent()).toContain('3 selected');
        const activeName = async () => {
          const id = await grid(page).getAttribute('aria-activedescendant');
          return id ? page.locator(`[id="${id}"] a`).textContent() : undefined;
        };
        expect(await activeName()).toBe('example.com/filler/app-006');
        await page.keyboard.press('End');
        await expect.poll(activeName).toBe('example.com/filler/app-059');
        await page.keyboard.press('PageUp');
        await expect.poll(activeName).not.toBe('example.com/filler/app-059');
        await page.keyboard.press('Home');
        await expect.poll(activeName).toBe('example.com/filler/app-000');
        await page.keyboard.press('Control+A');
        await expect.poll(() => status(page).textContent()).toContain('60 selected');
        // Delete opens the dialog (nothing is deleted without it); Escape closes it.
        await page.keyboard.press('Delete');
        const dialog = page.getByRole('alertdialog', { name: /Delete 60 images/ });
        await expect.poll(() => dialog.isVisible()).toBe(true);
        await shots(page, 'delete-dialog');
        await page.keyboard.press('Escape');
        await expect.poll(() => dialog.count()).toBe(0);
        expect((await inspect(fillerName(0), 'filler')).code).toBe(0);
        await finish(opened);
      });
    });

    describe('image details', () => {
      it('shows the descriptor, the tree with platforms and a referrer, raw JSON and the config summary', async () => {
        for (const scheme of ['light', 'dark'] as const) {
          const opened = await open(scheme, '#/images?filter=acme');
          const { page } = opened;
          await rowOf(page, 'ghcr.io/acme/api').getByRole('link').click();
          await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(multi);
          const descriptor = page.getByRole('region', { name: 'Descriptor' });
          await expect.poll(() => descriptor.textContent()).toContain(digestOf(index));
          expect(await descriptor.getByRole('button', { name: /Copy digest/ }).count()).toBe(1);
          const tree = page.getByRole('region', { name: 'Content tree' });
          await expect.poll(() => tree.textContent()).toContain('linux/arm64/v8');
          const text = (await tree.textContent())!;
          expect(text).toContain('linux/amd64');
          expect(text).toContain('referrer');
          expect(text).toContain('not stored');
          // Raw JSON of the index in the read-only viewer; then of the arm64 manifest.
          const raw = page.getByRole('region', { name: 'Raw JSON' });
          await expect.poll(() => raw.getByRole('textbox').textContent()).toContain('"manifests"');
          await tree
            .getByRole('button', { name: `Show JSON of manifest ${digestOf(arm64.manifest).slice(0, 19)}` })
            .click();
          await expect.poll(() => raw.getByRole('textbox').textContent()).toContain('"layers"');
          const summary = page.getByRole('region', { name: 'Config' });
          await expect.poll(() => summary.textContent()).toContain('ARCH=arm64');
          const summaryText = (await summary.textContent())!;
          for (const part of [
            '/usr/local/bin/api',
            '8080/tcp',
            '/data',
            '65532:65532',
            '/srv',
            'COPY api /usr/local/bin/api',
          ])
            expect(summaryText).toContain(part);
          await shots(page, `details-${scheme}`);
          // A stored digest is a link to its blob.
          await tree
            .getByRole('link', { name: digestOf(amd64.cfg).slice(0, 19) })
            .first()
            .click();
          await expect.poll(() => page.url()).toContain(`#/content/${digestOf(amd64.cfg)}`);
          await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('OCI config');
          await expect
            .poll(() => page.getByRole('region', { name: 'Config' }).textContent())
            .toContain('ARCH=amd64');
          await shots(page, `content-${scheme}`);
          await finish(opened);
        }
      });

      it('edits labels: add, change, remove, saved in one call', async () => {
        const opened = await open('light', `#/images/default/${alpineName}`);
        const { page } = opened;
        const labels = page.getByRole('region', { name: 'Labels' });
        await expect.poll(() => labels.getByLabel('Value of env').inputValue()).toBe('prod');
        await labels.getByLabel('Value of env').fill('staging');
        await labels.getByRole('button', { name: 'Remove label team' }).click();
        await labels.getByLabel('New label key').fill('owner');
        await labels.getByLabel('New label value').fill('platform');
        await labels.getByRole('button', { name: 'Add label' }).click();
        await labels.getByRole('button', { name: 'Save labels' }).click();
        await expect.poll(() => labels.textContent()).toContain('Saved.');
        const record = JSON.parse((await inspect(alpineName)).out) as { labels: Record<string, string> };
        expect(record.labels).toEqual({ env: 'staging', owner: 'platform' });
        await finish(opened);
      });
    });

    describe('deletion', () => {
      it('deletes a selection after a preview of names and bytes, and Undo restores it', async () => {
        const opened = await open();
        const { page } = opened;
        await filterBox(page).fill('alpine');
        await expect.poll(() => status(page).textContent()).toContain('2 images');
        await page.keyboard.press('Tab');
        await grid(page).focus();
        await page.keyboard.press('Control+A');
        await page.getByRole('button', { name: 'Delete 2…' }).click();
        const dialog = page.getByRole('alertdialog', { name: 'Delete 2 images?' });
        await expect
          .poll(() => dialog.getByRole('list', { name: 'Images to delete' }).textContent())
          .toContain(alpineLatest);
        // Both names share one manifest and config: all of it goes, and only the stored blobs count.
        const bytes = alpine.manifest.byteLength + alpine.config.byteLength;
        expect(await dialog.textContent()).toContain(`${bytes.toLocaleString('en-US')} bytes`);
        await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
        await expect.poll(() => status(page).textContent()).toContain('0 images');
        expect((await inspect(alpineName)).code).toBe(1);
        await page
          .getByRole('region', { name: 'Notifications' })
          .getByRole('button', { name: 'Undo' })
          .click();
        await expect.poll(() => status(page).textContent()).toContain('2 images');
        expect((await inspect(alpineName)).code).toBe(0);
        await finish(opened);
      });

      it('counts content another image shares as kept', async () => {
        const opened = await open('light', `#/images/default/${alpineLatest}`);
        const { page } = opened;
        await page.getByRole('button', { name: 'Delete…' }).click();
        const dialog = page.getByRole('alertdialog', { name: 'Delete 1 image?' });
        await expect.poll(() => dialog.textContent()).toContain('(0 bytes)');
        await dialog.getByRole('button', { name: 'Cancel' }).click();
        await finish(opened);
      });

      it('refuses pinned images unless Force is ticked', async () => {
        const opened = await open('light', '#/images?namespace=k8s.io');
        const { page } = opened;
        await rowOf(page, 'registry.k8s.io/pause').getByRole('gridcell').nth(2).click();
        await page.keyboard.press('Delete');
        const dialog = page.getByRole('alertdialog', { name: 'Delete 1 image?' });
        await expect.poll(() => dialog.textContent()).toContain('pinned');
        const remove = dialog.getByRole('button', { name: 'Delete', exact: true });
        expect(await remove.isDisabled()).toBe(true);
        await dialog.getByLabel('Force: delete pinned images too').check();
        expect(await remove.isDisabled()).toBe(false);
        await remove.click();
        await expect.poll(() => status(page).textContent()).toContain('0 images');
        expect((await inspect(pinnedName, 'k8s.io')).code).toBe(1);
        await finish(opened);
      });

      it('deletes all N matching the filter in one request', async () => {
        const opened = await open('light', '#/images?namespace=filler');
        const { page } = opened;
        await page.getByRole('searchbox', { name: 'Filter by label (key=value)' }).fill('batch=old');
        await expect
          .poll(() => status(page).textContent())
          .toContain('20 images in filler matching the filter');
        const requests: string[] = [];
        page.on('request', (r) => {
          if (r.url().endsWith('/api/images.delete') || r.url().endsWith('/api/images.restore'))
            requests.push(r.postData() ?? '');
        });
        // All but one (Ctrl+A, then Ctrl-click takes one out): one request naming the scope and the one left out;
        // the preview carries only the names the dialog shows. Undo brings back exactly that deletion.
        await grid(page).focus();
        await page.keyboard.press('Control+A');
        await rowOf(page, 'example.com/filler/app-003')
          .getByRole('gridcell')
          .nth(2)
          .click({ modifiers: ['Control'] });
        await expect.poll(() => status(page).textContent()).toContain('19 selected');
        await page.keyboard.press('Delete');
        const allBut = page.getByRole('alertdialog', { name: 'Delete 19 images?' });
        await expect.poll(() => allBut.textContent()).toContain('and 11 more');
        expect(await allBut.textContent()).not.toContain('app-003');
        await allBut.getByRole('button', { name: 'Delete', exact: true }).click();
        await expect.poll(() => status(page).textContent()).toContain('1 image in filler');
        expect(requests.map((r) => JSON.parse(r) as object)).toMatchObject([
          { except: [{ namespace: 'filler', name: fillerName(3) }], dryRun: true, names: 8 },
          { except: [{ namespace: 'filler', name: fillerName(3) }], names: 0 },
        ]);
        await page
          .getByRole('region', { name: 'Notifications' })
          .getByRole('button', { name: 'Undo' })
          .click();
        await expect.poll(() => status(page).textContent()).toContain('20 images in filler');
        expect(Object.keys(JSON.parse(requests[2]!) as object)).toEqual(['deletion']);
        requests.length = 0;

        await page.getByRole('button', { name: 'Delete all 20 matching…' }).click();
        const dialog = page.getByRole('alertdialog', { name: 'Delete 20 images?' });
        await expect.poll(() => dialog.textContent()).toContain('and 12 more');
        await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
        await expect.poll(() => status(page).textContent()).toContain('0 images');
        // The dry run and the deletion: each one request naming the scope, not the images.
        expect(requests).toHaveLength(2);
        expect(JSON.parse(requests[1]!)).toMatchObject({
          matching: { namespace: 'filler', filter: { labels: ['batch=old'] } },
        });
        const left = JSON.parse((await cli(['images', 'ls', '-n', 'filler', '--json'])).out) as unknown[];
        expect(left).toHaveLength(40);
        await finish(opened);
      });
    });

    describe('trash and garbage collection', () => {
      it('restores and purges from the Trash view, and collects garbage after a preview', async () => {
        await cli(['images', 'rm', 'docker.io/library/busybox:1.36']);
        await cli(['images', 'rm', alpineName, alpineLatest]);
        const opened = await open('light', '#/trash');
        const { page } = opened;
        const table = page.getByRole('table', { name: 'Trash' });
        await expect.poll(() => table.textContent()).toContain('docker.io/library/busybox:1.36');
        await shots(page, 'trash-light');
        await table.getByRole('button', { name: 'Restore docker.io/library/busybox:1.36' }).first().click();
        await expect.poll(async () => (await inspect('docker.io/library/busybox:1.36')).code).toBe(0);
        // Purging the two alpine names: their content becomes garbage.
        for (const name of [alpineName, alpineLatest]) {
          await table
            .getByRole('button', { name: `Purge ${name}` })
            .first()
            .click();
          const dialog = page.getByRole('alertdialog', { name: 'Purge from the trash?' });
          await expect.poll(() => dialog.textContent()).toContain('1 entry goes');
          await dialog.getByRole('button', { name: 'Purge' }).click();
          await expect.poll(() => dialog.count()).toBe(0);
        }
        await expect.poll(() => table.getByRole('button', { name: `Purge ${alpineName}` }).count()).toBe(0);
        await page.getByRole('button', { name: 'Collect garbage…' }).click();
        const gc = page.getByRole('dialog', { name: 'Collect garbage?' });
        await expect
          .poll(() => gc.getByRole('list', { name: 'Blobs to remove' }).textContent())
          .toContain(alpine.target.digest);
        await page.screenshot({ path: join(artifacts, 'images-gc-dialog.png') });
        await gc.getByRole('button', { name: 'Collect' }).click();
        await expect.poll(() => gc.count()).toBe(0);
        expect((await run(['--store', storeDir, 'content', 'info', alpine.target.digest])).code).toBe(1);
        await finish(opened);
      });
    });

    describe('live refresh', () => {
      it('keeps the selection and the scroll position when the CLI writes', async () => {
        const opened = await open('light', '#/images?namespace=filler');
        const { page } = opened;
        await page.setViewportSize({ width: 1024, height: 700 });
        await expect.poll(() => status(page).textContent()).toContain('40 images in filler');
        const scroller = page.locator('[data-scroll="images"]');
        await scroller.evaluate((el) => (el.scrollTop = 400));
        const target = fillerName(35).replace(/:1\.0$/, '');
        await rowOf(page, target).getByRole('gridcell').nth(2).click();
        await expect.poll(() => status(page).textContent()).toContain('1 selected');
        const before = await scroller.evaluate((el) => el.scrollTop);
        // Another process adds an image that sorts before every row on screen.
        await cli([
          'images',
          'add',
          'example.com/filler/aaa:1',
          '-n',
          'filler',
          '--digest',
          fakeDigest(77),
          '--media-type',
          oci.manifest,
          '--size',
          '10',
        ]);
        await expect
          .poll(() => status(page).textContent(), { timeout: 10_000 })
          .toContain('41 images in filler');
        expect(await scroller.evaluate((el) => el.scrollTop)).toBe(before);
        // Still selected by name, though it moved down a row.
        expect(await rowOf(page, target).getAttribute('aria-selected')).toBe('true');
        await finish(opened);
      });
    });
  },
);

describe.skipIf(browserMissing !== undefined)('a large store in Chromium', () => {
  const count = 20_000;
  let base: string;
  let serving: Serving;
  let browser: Browser;
  const stops: (() => void)[] = [];
  const names = Array.from(
    { length: count },
    (_, i) => `registry.example.com/team-${i % 97}/service-${String(i).padStart(6, '0')}:v${i % 7}`,
  );

  beforeAll(async () => {
    base = suiteDir('large-', stops);
    const { store, dispose } = openStore(join(base, 'store'));
    try {
      seedImages(
        store,
        Array.from({ length: count }, (_, i) => ({
          namespace: i % 3 === 0 ? 'k8s.io' : 'default',
          name: names[i]!,
          target: { mediaType: oci.manifest, digest: fakeDigest(i + 1), size: 500 + ((i * 7919) % 50_000) },
        })),
      );
    } finally {
      dispose();
    }
    serving = await startServe(['--store', join(base, 'store'), 'serve', '--port', '0'], (fn) =>
      stops.push(fn),
    );
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    stops.reverse().forEach((stop) => stop());
  });

  it('shows the true count and reaches the very last row with Control+End', async () => {
    const lastName = names.sort().at(-1)!.replace(/:v\d$/, '');
    const opened = await openPage(browser, serving.url);
    const { page } = opened;
    const grid = page.getByRole('grid', { name: 'Images' });
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'images' }).textContent())
      .toContain('20,000 images');
    expect(await grid.getAttribute('aria-rowcount')).toBe(String(count + 1));
    // Only a window of rows is in the page, not 20,000.
    expect(await grid.getByRole('row').count()).toBeLessThan(60);
    await grid.focus();
    await page.keyboard.press('Control+End');
    const last = grid.locator(`[role="row"][aria-rowindex="${count + 1}"]`);
    await expect.poll(() => last.locator('a').textContent()).toBe(lastName);
    expect(await last.isVisible()).toBe(true);
    await page.screenshot({ path: join(artifacts, 'images-large-last-row.png') });
    // Sorting by size keeps the count and lands back at the top.
    await page.getByRole('button', { name: 'Size' }).click();
    await expect.poll(() => grid.locator('[role="row"][aria-rowindex="2"] a').count()).toBe(1);
    expect(await grid.getAttribute('aria-rowcount')).toBe(String(count + 1));
    // Scrolled to the middle by the scrollbar, the rows there are fetched by position.
    await page.locator('[data-scroll="images"]').evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
    await expect
      .poll(async () =>
        Number(await grid.locator('[role="row"][aria-selected]').first().getAttribute('aria-rowindex')),
      )
      .toBeGreaterThan(9000);
    expect(opened.problems).toEqual([]);
    await opened.close();
  });
});
