import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setValues } from '../../src/main/store/metadata';
import { Store } from '../../src/main/store/store';
import { run } from '../cli/run';
import { startServe, type Serving } from '../server/harness';
import { artifacts, browserMissing, suiteDir, launchChromium, openPage } from './chromium';
import type { InPage } from './in-page';

/**
 * The Metadata view in Chromium through `imgmeta serve`, on a store the CLI filled (and changes behind the page's
 * back): create, edit as JSON, text and hex, invalid JSON refused, conflicts, deleting a key and a folder, folders,
 * prefix search, a namespace of 20,000 keys scrolled to its end, and one of 300,000 keys: taller than the browser lets
 * an element be (300,000 x 30 px), so its scroll position is scaled, and the wheel must still move it one to one.
 */

if (browserMissing) console.warn(`e2e skipped: ${browserMissing}`);

const hex = (seed: string) => createHash('sha256').update(seed).digest('hex');
const layer = hex('layer');
const manifest = hex('manifest');
const hugeKeys = 300_000;
const hugeKey = (i: number) => `k/${String(i).padStart(6, '0')}`;
const v2metadata = JSON.stringify([
  { Digest: `sha256:${manifest}`, SourceRepository: 'docker.io/library/alpine', HMAC: '' },
]);

describe.skipIf(browserMissing !== undefined)('the Metadata view in Chromium through imgmeta serve', () => {
  let storeDir: string;
  let serving: Serving;
  let browser: Browser;
  const stops: (() => void)[] = [];

  beforeAll(async () => {
    const base = suiteDir('meta-', stops);
    storeDir = join(base, 'store');
    // Docker's distribution metadata shape, written as Docker writes it: one file per key, imported whole.
    const source = join(base, 'distribution');
    const put = (namespace: string, key: string, value: string | Buffer) => {
      const path = join(source, namespace, key);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, value);
    };
    put('v2metadata-by-diffid', `sha256/${layer}`, v2metadata);
    put('v2metadata-by-diffid', `sha256/${hex('other')}`, v2metadata);
    put('diffid-by-digest', `sha256/${manifest}`, `sha256:${layer}`);
    put('diffid-by-digest', `sha256/${hex('blob')}`, Buffer.from([0, 1, 2, 0xff, 0xfe, 0x41]));
    put('scratch', 'notes/readme', 'hello');
    put('scratch', 'notes/todo', 'later');
    put('scratch', 'old/a', '1');
    put('scratch', 'old/b', '2');
    put('scratch', 'old/deep/c', '3');
    put('scratch', 'top', '{"a":1}');
    for (let i = 0; i < 20_000; i++) put('bulk', `sha256/${hex(`bulk-${i}`)}`, `{"n":${i}}`);
    await cli(['import', source]);
    // Through the store's own bulk path: 300,000 files would take the importer minutes to read here.
    const store = Store.open(storeDir);
    try {
      store.write((ctx) =>
        setValues(
          store.env,
          ctx,
          'huge',
          Array.from({ length: hugeKeys }, (_, i) => [hugeKey(i), new TextEncoder().encode(`${i}`)]),
        ),
      );
    } finally {
      store.close();
    }
    serving = await startServe(['--store', storeDir, 'serve', '--port', '0'], (fn) => stops.push(fn));
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    stops.reverse().forEach((stop) => stop());
  });

  const open = async (
    hash: string,
    options: { colorScheme?: 'light' | 'dark'; width?: number; height?: number; expected?: string[] } = {},
  ) => {
    const opened = await openPage(browser, serving.url, options);
    await opened.page.evaluate((h) => ((globalThis as unknown as InPage).location.hash = h), hash);
    return opened;
  };
  const grid = (page: Page) => page.getByRole('grid', { name: 'Keys' });
  const keyTexts = (page: Page) =>
    grid(page).locator('[role=row][aria-rowindex]:not([aria-rowindex="1"])').allTextContents();
  const status = (page: Page) => page.locator('.keygrid__status');
  const valueOf = async (namespace: string, key: string) => (await cli(['meta', 'get', namespace, key])).out;

  it('lists namespaces with their key counts and a namespace’s folders', async () => {
    const { page, problems, close } = await open('#/metadata/scratch');
    const namespaces = page.getByRole('navigation', { name: 'Metadata namespaces' });
    await expect.poll(() => namespaces.textContent()).toContain('bulk 20,000');
    expect(await namespaces.textContent()).toContain('scratch 6');
    await expect.poll(() => status(page).textContent()).toBe('6 keys');
    const folders = page.getByRole('list', { name: 'Folders under scratch' });
    await expect.poll(() => folders.getByRole('button').allTextContents()).toEqual(['▸ notes/', '▸ old/']);
    expect(problems).toEqual([]);
    await close();
  });

  it('navigates folders and back up the path, and filters by prefix as you type', async () => {
    const { page, problems, close } = await open('#/metadata/scratch');
    await page.getByRole('button', { name: 'Open folder old/' }).click();
    await expect.poll(() => status(page).textContent()).toBe('3 keys under old/');
    expect(await keyTexts(page)).toEqual([
      expect.stringContaining('old/a'),
      expect.stringContaining('old/b'),
      expect.stringContaining('old/deep/c'),
    ]);
    await page.getByRole('button', { name: 'Open folder old/deep/' }).click();
    await expect.poll(() => status(page).textContent()).toBe('1 key under old/deep/');
    const path = page.getByRole('navigation', { name: 'Folder path' });
    expect(await path.getByRole('button').allTextContents()).toEqual(['scratch', 'old/', 'deep/']);
    await path.getByRole('button', { name: 'scratch' }).click();
    await expect.poll(() => status(page).textContent()).toBe('6 keys');
    // The address keeps the folder: back returns to it.
    await page.goBack();
    await expect.poll(() => status(page).textContent()).toBe('1 key under old/deep/');
    const filter = page.getByRole('textbox', { name: 'Filter keys by prefix' });
    await filter.fill('');
    await filter.pressSequentially('no');
    await expect.poll(() => status(page).textContent()).toBe('2 keys under no');
    expect(await keyTexts(page)).toEqual([
      expect.stringContaining('notes/readme'),
      expect.stringContaining('notes/todo'),
    ]);
    await filter.fill('nothing-here');
    await expect.poll(() => status(page).textContent()).toBe('0 keys under nothing-here');
    expect(await grid(page).textContent()).toContain('No keys start with nothing-here');
    expect(problems).toEqual([]);
    await close();
  });

  it('shows a value as JSON, text or hex, detected, with its digests linked to images', async () => {
    const { page, problems, close } = await open(`#/metadata/v2metadata-by-diffid?key=sha256/${layer}`);
    const format = page.getByRole('group', { name: 'Show value as' });
    await expect
      .poll(() => format.getByRole('button', { name: 'JSON' }).getAttribute('aria-pressed'))
      .toBe('true');
    const viewer = page.getByRole('textbox', { name: `Value of sha256/${layer} as JSON` });
    await expect.poll(() => viewer.textContent()).toContain('"SourceRepository": "docker.io/library/alpine"');
    const digests = page.getByRole('navigation', { name: 'Digests in this key and value' });
    expect(
      await digests.getByRole('link').evaluateAll((as) => as.map((a) => a.getAttribute('href'))),
    ).toEqual([
      `#/content/sha256:${layer}`,
      `#/images?filter=sha256%3A${layer}`,
      `#/content/sha256:${manifest}`,
      `#/images?filter=sha256%3A${manifest}`,
    ]);
    await format.getByRole('button', { name: 'Hex' }).click();
    await expect
      .poll(() => page.getByLabel(`Hex dump of sha256/${layer}`).textContent())
      .toMatch(/^00000000 {2}5b 7b 22 44/);
    // Binary bytes open as hex, and text and JSON are not offered for them.
    await page.evaluate(
      (k) => ((globalThis as unknown as InPage).location.hash = `#/metadata/diffid-by-digest?key=${k}`),
      `sha256/${hex('blob')}`,
    );
    await expect
      .poll(() => page.getByLabel(`Hex dump of sha256/${hex('blob')}`).textContent())
      .toContain('00 01 02 ff fe 41');
    expect(await format.getByRole('button', { name: 'Text' }).isDisabled()).toBe(true);
    expect(problems).toEqual([]);
    await close();
  });

  it(
    'creates a key and edits it as JSON, as text and as hex; the CLI reads back each save',
    { timeout: 90_000 },
    async () => {
      const { page, problems, close } = await open('#/metadata/scratch', { expected: ['metadata.set'] });
      await page.getByRole('button', { name: 'New key…' }).click();
      const dialog = page.getByRole('dialog', { name: 'New key in scratch' });
      await dialog.getByRole('textbox', { name: 'Key' }).fill('made/in-browser');
      await dialog.getByRole('textbox', { name: /Value/ }).fill('{"made": true}');
      await dialog.getByRole('button', { name: 'Create' }).click();
      await expect.poll(() => dialog.count()).toBe(0);
      expect(await valueOf('scratch', 'made/in-browser')).toBe('{"made": true}');
      // Creating a key that exists is refused, not an overwrite.
      await page.getByRole('button', { name: 'New key…' }).click();
      await dialog.getByRole('textbox', { name: 'Key' }).fill('top');
      await dialog.getByRole('textbox', { name: /Value/ }).fill('{}');
      await dialog.getByRole('button', { name: 'Create' }).click();
      await expect.poll(() => dialog.getByRole('alert').textContent()).toContain('top already exists');
      await page.keyboard.press('Escape');
      await expect.poll(() => dialog.count()).toBe(0);
      expect(await valueOf('scratch', 'top')).toBe('{"a":1}');

      // JSON
      await expect.poll(() => page.getByRole('heading', { name: 'made/in-browser' }).count()).toBe(1);
      await page.getByRole('button', { name: 'Edit' }).click();
      await replaceText(page, 'Edit made/in-browser as JSON', '{"made": "edited", "n": [1, 2]}');
      await page.getByRole('button', { name: 'Save' }).click();
      await expect.poll(() => valueOf('scratch', 'made/in-browser')).toBe('{"made": "edited", "n": [1, 2]}');
      // Text
      await page.getByRole('group', { name: 'Show value as' }).getByRole('button', { name: 'Text' }).click();
      await page.getByRole('button', { name: 'Edit' }).click();
      await replaceText(page, 'Edit made/in-browser as text', 'plain words, not JSON');
      await page.getByRole('button', { name: 'Save' }).click();
      await expect.poll(() => valueOf('scratch', 'made/in-browser')).toBe('plain words, not JSON');
      // Hex
      await page.getByRole('group', { name: 'Show value as' }).getByRole('button', { name: 'Hex' }).click();
      await page.getByRole('button', { name: 'Edit' }).click();
      await page.getByRole('textbox', { name: 'Edit made/in-browser as hex' }).fill('00 ff 10\n41');
      await page.getByRole('button', { name: 'Save' }).click();
      await expect
        .poll(async () => [...(await cli(['meta', 'get', 'scratch', 'made/in-browser'])).stdout])
        .toEqual([0x00, 0xff, 0x10, 0x41]);
      expect(problems).toEqual([]);
      await close();
    },
  );

  it('refuses invalid JSON and bad hex before saving; the stored value is untouched', async () => {
    const { page, problems, close } = await open('#/metadata/scratch?key=top');
    await page.getByRole('button', { name: 'Edit' }).click();
    await replaceText(page, 'Edit top as JSON', '{"a": 1,');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/Invalid JSON.*Not saved/);
    expect(await valueOf('scratch', 'top')).toBe('{"a":1}');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('group', { name: 'Show value as' }).getByRole('button', { name: 'Hex' }).click();
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByRole('textbox', { name: 'Edit top as hex' }).fill('7b 7');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('odd number of hex digits');
    expect(await valueOf('scratch', 'top')).toBe('{"a":1}');
    expect(problems).toEqual([]);
    await close();
  });

  it(
    'shows both versions when the CLI wrote between load and save, and never overwrites silently',
    { timeout: 90_000 },
    async () => {
      await cli(['meta', 'set', 'scratch', 'contested', '{"by": "first"}']);
      const { page, problems, close } = await open('#/metadata/scratch?key=contested', {
        expected: ['metadata.set'],
      });
      await page.getByRole('button', { name: 'Edit' }).click();
      await replaceText(page, 'Edit contested as JSON', '{"by": "browser"}');
      // Someone else saves meanwhile.
      await cli(['meta', 'set', 'scratch', 'contested', '{"by": "cli"}']);
      await page.getByRole('button', { name: 'Save' }).click();
      const dialog = page.getByRole('alertdialog', { name: 'contested changed while you were editing' });
      await expect
        .poll(() => dialog.getByRole('region', { name: 'Theirs' }).textContent())
        .toContain('"by": "cli"');
      expect(await dialog.getByRole('region', { name: 'Yours' }).textContent()).toContain('"by": "browser"');
      expect(await valueOf('scratch', 'contested')).toBe('{"by": "cli"}');
      await page.screenshot({ path: join(artifacts, 'e2e-metadata-conflict.png') });
      // Keep editing: the dialog goes, the edit stays, nothing is written.
      await dialog.getByRole('button', { name: 'Keep editing' }).click();
      await expect.poll(() => dialog.count()).toBe(0);
      expect(await page.getByRole('textbox', { name: 'Edit contested as JSON' }).textContent()).toContain(
        'browser',
      );
      // Saving again asks again; Escape closes the dialog like Keep editing.
      await page.getByRole('button', { name: 'Save' }).click();
      await expect.poll(() => dialog.count()).toBe(1);
      await page.keyboard.press('Escape');
      await expect.poll(() => dialog.count()).toBe(0);
      expect(await valueOf('scratch', 'contested')).toBe('{"by": "cli"}');
      // Overwrite with mine: replaces exactly the version shown as theirs.
      await page.getByRole('button', { name: 'Save' }).click();
      await dialog.getByRole('button', { name: 'Overwrite with mine' }).click();
      await expect.poll(() => valueOf('scratch', 'contested')).toBe('{"by": "browser"}');
      // Take theirs: the edit is dropped and their value shows.
      await page.getByRole('button', { name: 'Edit' }).click();
      await replaceText(page, 'Edit contested as JSON', '{"by": "browser again"}');
      await cli(['meta', 'set', 'scratch', 'contested', '{"by": "cli again"}']);
      await page.getByRole('button', { name: 'Save' }).click();
      await dialog.getByRole('button', { name: 'Take theirs' }).click();
      await expect
        .poll(() => page.getByRole('textbox', { name: 'Value of contested as JSON' }).textContent())
        .toContain('cli again');
      expect(await valueOf('scratch', 'contested')).toBe('{"by": "cli again"}');
      expect(problems).toEqual([]);
      await close();
    },
  );

  it('deletes one key after a confirmation', async () => {
    await cli(['meta', 'set', 'scratch', 'doomed', 'bye']);
    const { page, problems, close } = await open('#/metadata/scratch?key=doomed');
    await page.getByRole('button', { name: 'Delete key' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete doomed?' });
    // Escape cancels: nothing deleted.
    await page.keyboard.press('Escape');
    await expect.poll(() => confirm.count()).toBe(0);
    expect(await valueOf('scratch', 'doomed')).toBe('bye');
    await page.getByRole('button', { name: 'Delete key' }).click();
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Deleted doomed.' }).count()).toBe(1);
    expect((await run(['--store', storeDir, 'meta', 'get', 'scratch', 'doomed'])).code).toBe(1);
    expect(problems).toEqual([]);
    await close();
  });

  it('deletes a folder with the count in the confirm dialog', async () => {
    const { page, problems, close } = await open('#/metadata/scratch?prefix=old/');
    await expect.poll(() => status(page).textContent()).toBe('3 keys under old/');
    await page.getByRole('button', { name: 'Delete folder…' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete 3 keys?' });
    await expect.poll(() => confirm.textContent()).toContain('Every key starting with old/');
    await page.screenshot({ path: join(artifacts, 'e2e-metadata-delete-folder.png') });
    await confirm.getByRole('button', { name: 'Delete 3 keys' }).click();
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'Deleted 3 keys under old/.' }).count())
      .toBe(1);
    const left = await cli(['meta', 'ls', 'scratch', '-q']);
    expect(left.out).not.toContain('old/');
    expect(left.out).toContain('notes/readme');
    expect(problems).toEqual([]);
    await close();
  });

  it('opens a namespace of 20,000 keys and scrolls to the last one, by keyboard and by scrollbar', async () => {
    const { page, problems, close } = await open('#/metadata/bulk');
    await expect.poll(() => status(page).textContent()).toBe('20,000 keys');
    expect(await grid(page).getAttribute('aria-rowcount')).toBe('20001');
    // Only what is on screen is in the DOM.
    expect(await grid(page).getByRole('row').count()).toBeLessThan(60);
    const sorted = Array.from({ length: 20_000 }, (_, i) => `sha256/${hex(`bulk-${i}`)}`).sort();
    await grid(page).focus();
    await page.keyboard.press('Control+End');
    const last = grid(page).locator('[aria-rowindex="20001"]');
    await expect.poll(() => last.textContent()).toContain(sorted.at(-1)!.slice(7));
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('heading', { name: sorted.at(-1)! }).count()).toBe(1);
    await page.keyboard.press('Control+Home');
    await expect
      .poll(() => grid(page).locator('[aria-rowindex="2"]').textContent())
      .toContain(sorted[0]!.slice(7));
    // Dragging the scrollbar to the middle shows the middle keys.
    await page
      .locator('[data-scroll="keys"]')
      .evaluate((el) => (el.scrollTop = (el.scrollHeight - el.clientHeight) / 2));
    await expect
      .poll(() => grid(page).locator('[aria-rowindex="10001"]').textContent())
      .toContain(sorted[9999]!.slice(7));
    await page.locator('[data-scroll="keys"]').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await expect.poll(() => last.textContent()).toContain(sorted.at(-1)!.slice(7));
    expect(problems).toEqual([]);
    await close();
  });

  it('scrolls a namespace too tall for the browser one to one with the wheel, and by scrollbar to both ends', async () => {
    const { page, problems, close } = await open('#/metadata/huge');
    await expect.poll(() => status(page).textContent()).toBe('300,000 keys');
    const scroller = page.locator('[data-scroll="keys"]');
    const geometry = () =>
      scroller.evaluate((el) => ({ top: el.scrollTop, height: el.scrollHeight, client: el.clientHeight }));
    // Scaled: the scroll content is shorter than the rows it stands for.
    expect((await geometry()).height).toBeLessThan(hugeKeys * 30);
    const rowAt = (i: number) => grid(page).locator(`[aria-rowindex="${i + 2}"]`);
    const y = async (i: number) => (await rowAt(i).boundingBox())!.y;
    const box = (await scroller.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);

    /** One wheel notch of `delta` px: the row `watch` moves up by exactly that on screen, the scrollbar by less. */
    const notch = async (watch: number, delta: number) => {
      await expect.poll(() => rowAt(watch).textContent()).toContain(hugeKey(watch));
      const [before, top] = [await y(watch), (await geometry()).top];
      await page.mouse.wheel(0, delta);
      await expect.poll(() => y(watch)).toBeCloseTo(before - delta, 0);
      const moved = (await geometry()).top - top;
      expect(Math.abs(moved)).toBeGreaterThan(0);
      expect(Math.abs(moved)).toBeLessThan(Math.abs(delta));
    };
    await notch(12, 150);
    await notch(14, 300);
    await notch(20, -90);

    // Dragging the scrollbar to the middle shows the middle keys; the wheel moves one to one there too.
    await scroller.evaluate((el) => (el.scrollTop = (el.scrollHeight - el.clientHeight) / 2));
    await expect.poll(() => rowAt(150_000).textContent()).toContain(hugeKey(150_000));
    await notch(150_002, 300);

    // To the end by scrollbar: the last key; the wheel stops there, and back up it moves one to one.
    await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
    const last = hugeKeys - 1;
    await expect.poll(() => rowAt(last).textContent()).toContain(hugeKey(last));
    const bottom = await y(last);
    await page.mouse.wheel(0, 600);
    await page.waitForTimeout(100);
    expect(await y(last)).toBeCloseTo(bottom, 0);
    await notch(last, -120);
    // Control+Home from there: the first key, at the top of the scroll range.
    await grid(page).focus();
    await page.keyboard.press('Control+Home');
    await expect.poll(() => rowAt(0).textContent()).toContain(hugeKey(0));
    expect((await geometry()).top).toBe(0);
    expect(problems).toEqual([]);
    await close();
  });

  for (const [width, height] of [
    [1024, 700],
    [1680, 1050],
  ] as const)
    for (const colorScheme of ['light', 'dark'] as const)
      it(`lays out at ${width}x${height} in ${colorScheme}: nothing overflows the window`, async () => {
        const { page, problems, close } = await open(
          `#/metadata/v2metadata-by-diffid?prefix=sha256/&key=sha256/${layer}`,
          { colorScheme, width, height },
        );
        await expect.poll(() => status(page).textContent()).toBe('2 keys under sha256/');
        await expect.poll(() => page.getByRole('button', { name: 'Edit' }).count()).toBe(1);
        await expect
          .poll(() => page.getByRole('textbox', { name: `Value of sha256/${layer} as JSON` }).textContent())
          .toContain('SourceRepository');
        await page.screenshot({
          path: join(artifacts, `e2e-metadata-${width}x${height}-${colorScheme}.png`),
        });
        const overflow = await page.evaluate(() => {
          const { document, innerWidth, innerHeight } = globalThis as unknown as InPage;
          return {
            x: document.documentElement.scrollWidth - innerWidth,
            y: document.documentElement.scrollHeight - innerHeight,
          };
        });
        expect(overflow).toEqual({ x: 0, y: 0 });
        // Every control has an accessible name.
        const unnamed = await page.evaluate(() =>
          [
            ...(globalThis as unknown as InPage).document.querySelectorAll(
              'button, a, input, textarea, select, [role=grid]',
            ),
          ]
            .filter((el) => !(el.getAttribute('aria-label') || el.textContent?.trim() || el.labels?.length))
            .map((el) => el.outerHTML.slice(0, 80)),
        );
        expect(unnamed).toEqual([]);
        expect(problems).toEqual([]);
        await close();
      });

  /** Replaces everything in a CodeMirror editor as a user would: select all, delete, type. */
  async function replaceText(page: Page, name: string, text: string) {
    const editor = page.getByRole('textbox', { name });
    await editor.click();
    await page.keyboard.press('Control+a');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(text);
    await expect.poll(() => editor.textContent()).toBe(text);
  }

  function cli(args: string[]) {
    return run(['--store', storeDir, ...args]).then((result) => {
      if (result.code !== 0) throw new Error(`imgmeta ${args.join(' ')}: ${result.err}`);
      return result;
    });
  }
});
