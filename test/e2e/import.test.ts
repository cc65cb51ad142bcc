import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { artifacts, browserMissing, suiteDir, launchChromium, openPage } from './chromium';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root, run } from '../cli/run';
import { writeLayout } from '../helpers/layout';
import { startServe, type Serving } from '../server/harness';

/**
 * The Import view and Export in a real browser (Debian's Chromium through playwright-core) against `imgmeta serve`
 * on a temp store: a layout written to disk is checked, dry-run, imported, and its images exported again, the way
 * a user does it. Screenshots go to test/artifacts/.
 */

if (browserMissing) console.warn(`e2e skipped: ${browserMissing}`);

const alpine = 'docker.io/library/alpine:3.20';
const app = 'example.com/team/app:1.0';
const fixtures = join(root, 'test', 'fixtures');

describe.skipIf(browserMissing !== undefined)(
  'importing and exporting in Chromium through imgmeta serve',
  () => {
    let base: string;
    let storeDir: string;
    let layout: string;
    let big: string;
    let fresh: string;
    let dataHome: string;
    let serving: Serving;
    let browser: Browser;
    const stops: (() => void)[] = [];

    beforeAll(async () => {
      base = suiteDir('import-', stops);
      storeDir = join(base, 'store');
      layout = join(base, 'layout');
      writeLayout(layout, [
        { ref: alpine, seed: 'alpine' },
        { ref: app, seed: 'app' },
      ]);
      // Big enough that reading it takes a while (every blob is verified), so that Cancel lands mid-import.
      big = join(base, 'big');
      writeLayout(
        big,
        Array.from({ length: 1500 }, (_, i) => ({ ref: `example.com/bulk/app${i}:1.0`, seed: `bulk${i}` })),
      );
      // Imports are fast, so the bar's last stretch is one 32 GiB layer (a sparse file: no disk, seconds to hash),
      // verified after the small ones: Cancel lands while it is read, whatever the machine.
      addSparseLayerImage(big, 'example.com/bulk/huge:1.0');
      fresh = join(base, 'fresh');
      writeLayout(fresh, [
        { ref: 'quay.io/podman/hello:latest', seed: 'hello' },
        { ref: 'registry.k8s.io/pause:3.10', seed: 'pause' },
      ]);
      // The rootless places discovery looks at ($XDG_DATA_HOME/docker, /containerd, /containers/storage), filled with
      // the fixtures (read only: importers never write to a source), and one that holds nothing importable.
      dataHome = join(base, 'xdg');
      mkdirSync(join(dataHome, 'containers', 'storage'), { recursive: true });
      writeFileSync(join(dataHome, 'containers', 'storage', 'README'), 'not a storage root');
      symlinkSync(join(fixtures, 'docker-data-root'), join(dataHome, 'docker'));
      symlinkSync(join(fixtures, 'containerd-metadata', 'root'), join(dataHome, 'containerd'));
      const saved = process.env['XDG_DATA_HOME'];
      process.env['XDG_DATA_HOME'] = dataHome; // the server's environment comes from this process's
      try {
        serving = await startServe(['--store', storeDir, 'serve', '--port', '0'], (fn) => stops.push(fn));
      } finally {
        if (saved === undefined) delete process.env['XDG_DATA_HOME'];
        else process.env['XDG_DATA_HOME'] = saved;
      }
      browser = await launchChromium();
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      stops.reverse().forEach((stop) => stop());
    });

    /** A fresh page on the Import view (see openPage for `expected`). */
    async function open(colorScheme: 'light' | 'dark' = 'light', expected: string[] = []) {
      const opened = await openPage(browser, serving.url, { colorScheme, height: 900, expected });
      const { page } = opened;
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Import' }).click();
      await page.getByRole('heading', { level: 1, name: 'Import' }).waitFor();
      return opened;
    }

    async function check(page: Page, path: string) {
      await page.getByRole('textbox', { name: 'Source path' }).fill(path);
      await page.getByRole('button', { name: 'Check', exact: true }).click();
    }

    const summary = (page: Page) => page.getByRole('region', { name: 'Source summary' });
    const images = async () => {
      const result = await run(['--store', storeDir, 'images', 'ls', '--json']);
      if (result.code !== 0) throw new Error(result.err);
      return result.out;
    };

    it('opens an empty store on its first-run screen, not on an empty list', async () => {
      const { page, problems, close } = await openPage(browser, serving.url);
      await page.getByRole('heading', { level: 1, name: 'This store is empty' }).waitFor();
      expect(await page.getByText(storeDir).count()).toBeGreaterThan(0);
      expect(await page.getByRole('grid', { name: 'Images' }).count()).toBe(0);
      expect(problems).toEqual([]);
      await close();
    });

    it('lists the sources on this machine, each readable or with the reason, and checks one', async () => {
      const { page, problems, close } = await open();
      const sources = page.getByRole('table', { name: 'Sources on this machine' });
      const row = (path: string) => sources.getByRole('row').filter({ hasText: path });
      const docker = row(join(dataHome, 'docker'));
      await expect.poll(() => docker.textContent()).toMatch(/7 images · 9 metadata keys/);
      expect(await docker.textContent()).toContain('Readable');
      const containerd = row(join(dataHome, 'containerd'));
      expect(await containerd.textContent()).toMatch(
        /142 images[\s\S]*bulk, default, k8s\.io, layout-import/,
      );
      const storage = row(join(dataHome, 'containers', 'storage'));
      expect(await storage.textContent()).toMatch(/not a source imgmeta can import[\s\S]*Not importable/);
      expect(await storage.getByRole('button').count()).toBe(0); // nothing to import there
      await sources.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(artifacts, 'e2e-import-sources-light.png') });

      // Import... fills the path in and checks it: the summary, with focus on it.
      await docker.getByRole('button', { name: `Import… ${join(dataHome, 'docker')}` }).click();
      await expect.poll(() => summary(page).textContent()).toContain('Docker data root');
      expect(await page.getByRole('textbox', { name: 'Source path' }).inputValue()).toBe(
        join(dataHome, 'docker'),
      );
      expect(await summary(page).textContent()).toMatch(/Images\s*7(?!\d)/);
      await expect.poll(() => summary(page).locator('h2:focus').count()).toBe(1);
      expect(problems).toEqual([]);
      await close();
    });

    it('checks a path, rehearses with a dry run, imports, and links to what came in', async () => {
      const { page, problems, close } = await open();
      await check(page, layout);
      await expect.poll(() => summary(page).textContent()).toContain('oci-layout');
      const text = (await summary(page).textContent())!;
      expect(text).toContain(layout);
      expect(text).toMatch(/Images\s*2(?!\d)/);
      expect(text).toMatch(/Metadata keys\s*0(?!\d)/);
      expect(text).toContain('default');
      await page.screenshot({ path: join(artifacts, 'e2e-import-detected-light.png'), fullPage: true });

      // A dry run says what would happen and writes nothing.
      await summary(page).getByRole('button', { name: 'Dry run' }).click();
      const dry = page.getByRole('region', { name: /^Dry run: nothing was written/ });
      await expect.poll(() => dry.textContent(), { timeout: 15_000 }).toContain('2 would be created');
      expect(await dry.textContent()).toContain('Importing would create 2 images');
      expect(await dry.getByRole('link', { name: alpine }).count()).toBe(0); // not there yet: nothing to link to
      expect(JSON.parse(await images())).toEqual([]);

      // The import itself.
      await summary(page).getByRole('button', { name: 'Import', exact: true }).click();
      const done = page.getByRole('region', { name: 'Import finished' });
      await expect.poll(() => done.textContent(), { timeout: 15_000 }).toContain('Created 2 images');
      expect(await done.textContent()).toMatch(/2 created · 0 updated · 0 unchanged/);
      expect(await done.getByRole('link', { name: app }).getAttribute('href')).toBe(
        `#/images/default/${app}`,
      );
      // The status bar counts what came in without waiting for the change feed.
      await expect
        .poll(() => page.getByRole('contentinfo', { name: 'Store status' }).textContent())
        .toContain('2 images');
      await done.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(artifacts, 'e2e-import-done-light.png') });
      expect(await images()).toContain(alpine);

      // A link goes to the image's details; Back comes back to the same summary.
      await done.getByRole('link', { name: alpine }).click();
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(alpine);
      await page.getByRole('region', { name: 'Content tree' }).waitFor();
      await page.goBack();
      await expect.poll(() => done.textContent()).toContain('Created 2 images');

      // Importing the same source again changes nothing.
      await summary(page).getByRole('button', { name: 'Import', exact: true }).click();
      await expect.poll(() => done.textContent(), { timeout: 15_000 }).toContain('Nothing new');
      expect(await done.textContent()).toMatch(/0 created · 0 updated · 2 unchanged/);
      expect(problems).toEqual([]);
      await close();
    });

    it('shows not_found for a path that does not exist, and invalid_argument for one it cannot import', async () => {
      const { page, problems, close } = await open('light', ['sources.detect']);
      await check(page, join(base, 'no-such-dir'));
      const alert = page.getByRole('alert');
      await expect.poll(() => alert.textContent()).toContain('not_found');
      expect(await alert.textContent()).toContain('Could not check this source');
      expect(await summary(page).count()).toBe(0);

      await check(page, join(layout, 'oci-layout')); // a file, but no archive
      await expect.poll(() => alert.textContent()).toContain('invalid_argument');
      expect(problems).toEqual([]);
      await close();
    });

    it('shows progress and cancels an import, writing nothing', async () => {
      const { page, problems, close } = await open('light', ['sources.import']);
      const before = await images();
      await check(page, big);
      await expect.poll(() => summary(page).textContent(), { timeout: 15_000 }).toMatch(/Images\s*1,501/);
      await summary(page).getByRole('button', { name: 'Import', exact: true }).click();
      const bar = page.getByRole('progressbar', { name: 'Import progress' });
      await bar.waitFor();
      // Once the events say how far along it is, the bar has a value.
      await expect.poll(() => bar.getAttribute('aria-valuenow'), { timeout: 15_000 }).not.toBeNull();
      await page.screenshot({ path: join(artifacts, 'e2e-import-progress-light.png'), fullPage: true });
      await page.getByRole('button', { name: 'Cancel' }).click();
      await expect
        .poll(() => page.getByRole('status').allTextContents(), { timeout: 15_000 })
        .toContain('Cancelled; nothing was written.');
      expect(await bar.count()).toBe(0);
      expect(await images()).toBe(before);
      expect(problems).toEqual([]);
      await close();
    });

    it('says in a browser that a dropped file has no path: type it instead', async () => {
      const { page, problems, close } = await open();
      await page.goto(new URL('#/images', serving.url).href);
      await page.getByRole('heading', { level: 1, name: 'Images' }).waitFor();
      // A file dragged from the desktop onto the page, as the browser delivers it (a string: DOM code, Node types).
      await page.evaluate(`{
        const data = new DataTransfer();
        data.items.add(new File(['x'], 'layout.tar'));
        for (const type of ['dragenter', 'dragover', 'drop'])
          document.body.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
      }`);
      await page.getByRole('heading', { level: 1, name: 'Import' }).waitFor();
      await expect
        .poll(() => page.getByRole('alert').textContent())
        .toContain('In the browser, type the path of the source on the machine running imgmeta serve');
      expect(problems).toEqual([]);
      await close();
    });

    it('exports a selection of images as an OCI layout', async () => {
      const { page, problems, close } = await open();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Images' }).click();
      const table = page.getByRole('grid', { name: 'Images' });
      await table.getByRole('link', { name: alpine }).waitFor();
      const exportButton = page.getByRole('button', { name: 'Export…' });
      expect(await exportButton.isDisabled()).toBe(true);
      // A click on the row (not on its name, which opens the image) selects it.
      await table
        .getByRole('row')
        .filter({ has: page.getByRole('link', { name: alpine }) })
        .getByRole('gridcell')
        .nth(2)
        .click();
      expect(await exportButton.isEnabled()).toBe(true);

      await exportButton.click();
      const dialog = page.getByRole('dialog', { name: 'Export images' });
      await dialog.waitFor();
      // Escape closes it, and nothing was written.
      await page.keyboard.press('Escape');
      await expect.poll(() => dialog.count()).toBe(0);

      await exportButton.click();
      await dialog.waitFor();
      const to = join(base, 'exported');
      await dialog.getByRole('textbox', { name: 'Destination directory' }).fill(to);
      await page.screenshot({ path: join(artifacts, 'e2e-export-dialog-light.png') });
      await dialog.getByRole('button', { name: 'Export', exact: true }).click();
      await expect.poll(() => dialog.textContent(), { timeout: 15_000 }).toContain('Exported 1 image');
      expect(await dialog.textContent()).toContain(to);
      // The layer was never stored (imported without Keep layers): listed as missing, not silently left out.
      expect(await dialog.getByRole('table', { name: 'Missing blobs' }).getByRole('row').count()).toBe(2);
      await page.screenshot({ path: join(artifacts, 'e2e-export-done-light.png') });

      expect(existsSync(join(to, 'index.json'))).toBe(true);
      expect(existsSync(join(to, 'oci-layout'))).toBe(true);
      const index = JSON.parse(readFileSync(join(to, 'index.json'), 'utf8')) as {
        manifests: { annotations?: Record<string, string> }[];
      };
      expect(JSON.stringify(index.manifests)).toContain('alpine');
      expect(readdirSync(join(to, 'blobs', 'sha256')).length).toBeGreaterThanOrEqual(2);

      await dialog.getByRole('button', { name: 'Close' }).click();
      await expect.poll(() => dialog.count()).toBe(0);
      expect(problems).toEqual([]);
      await close();
    });

    it('looks right in the dark', async () => {
      const { page, problems, close } = await open('dark');
      await check(page, fresh);
      await summary(page).waitFor();
      await page.screenshot({ path: join(artifacts, 'e2e-import-detected-dark.png') });
      await summary(page).getByRole('button', { name: 'Dry run' }).click();
      const dry = page.getByRole('region', { name: /^Dry run: nothing was written/ });
      await dry.waitFor({ timeout: 15_000 });
      await dry.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(artifacts, 'e2e-import-dark.png') });
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Images' }).click();
      await page
        .getByRole('grid', { name: 'Images' })
        .getByRole('row')
        .filter({ has: page.getByRole('link', { name: app }) })
        .getByRole('gridcell')
        .nth(2)
        .click();
      await page.getByRole('button', { name: 'Export…' }).click();
      await page.getByRole('dialog', { name: 'Export images' }).waitFor();
      await page.screenshot({ path: join(artifacts, 'e2e-export-dialog-dark.png') });
      expect(problems).toEqual([]);
      await close();
    });
  },
);

/**
 * 32 GiB of zero bytes: its sha256, worked out once (`head -c 32G /dev/zero | sha256sum`), not at every run. Big
 * enough that verifying it takes tens of seconds even with hardware SHA (4 GiB took under 3 s here), so the cancel
 * always lands first; the sparse file costs no disk.
 */
const zeroLayer = {
  size: 32 * 1024 ** 3,
  digest: 'sha256:97af759fc4597bc41706df77cbab318a57d935bacb262bd409e3ab767e07066f',
};

/** Adds to a layout one image whose only layer is 32 GiB of zeros, written as a sparse file. */
function addSparseLayerImage(dir: string, ref: string): void {
  const blob = (digest: string) => join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar', ...zeroLayer };
  writeFileSync(blob(layer.digest), '');
  truncateSync(blob(layer.digest), layer.size);
  const put = (value: unknown, mediaType: string, extra: object = {}) => {
    const bytes = Buffer.from(JSON.stringify(value));
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    writeFileSync(blob(digest), bytes);
    return { mediaType, digest, size: bytes.byteLength, ...extra };
  };
  const config = put(
    { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] } },
    'application/vnd.oci.image.config.v1+json',
  );
  const manifest = put(
    { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [layer] },
    'application/vnd.oci.image.manifest.v1+json',
    { annotations: { 'org.opencontainers.image.ref.name': ref } },
  );
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: unknown[] };
  index.manifests.push(manifest);
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
}
