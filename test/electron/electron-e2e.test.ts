import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findElectronBinary } from '../../scripts/electron-binary.mjs';
import { contentSecurityPolicy } from '../../src/main/csp';
import { operationNames } from '../../src/shared/operations';
import type { Client } from '../../src/shared/transport';
import { imageInput } from '../helpers/store';

/**
 * The desktop app end to end: the built app in the real Electron binary, driven by Playwright. Electron cannot be
 * downloaded on the machines this project is developed on, so this runs only where the binary is already there
 * (node_modules/electron/dist, or ELECTRON_OVERRIDE_DIST_PATH) and a display is available; otherwise it is skipped
 * and says why. The binary is found without `require('electron')`, which would try to download it.
 */
const root = join(__dirname, '..', '..');
const binary = findElectronBinary({ root });
const hasDisplay =
  process.platform !== 'linux' || Boolean(process.env['DISPLAY'] || process.env['WAYLAND_DISPLAY']);
const skipReason = !binary.path
  ? binary.reason
  : !hasDisplay
    ? 'no display (DISPLAY and WAYLAND_DISPLAY are unset; run under xvfb-run)'
    : undefined;
if (skipReason) console.warn(`imgmeta: the Electron end-to-end test is skipped: ${skipReason}`);

/** `window.imgmeta` as the page sees it (this file is type-checked without the DOM library). */
type PageGlobals = {
  imgmeta: Client;
  require?: unknown;
  process?: unknown;
  module?: unknown;
  Buffer?: unknown;
};

describe.skipIf(skipReason !== undefined)(
  `the desktop app in Electron${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let home: string;
    let app: ElectronApplication;
    let page: Page;
    const store = () => join(home, 'store');

    beforeAll(async () => {
      const build = spawnSync(
        process.execPath,
        [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'],
        { cwd: root, encoding: 'utf8' },
      );
      if (build.status !== 0)
        throw new Error(`electron-vite build failed:\n${build.stdout}\n${build.stderr}`);
      home = mkdtempSync(join(tmpdir(), 'imgmeta-electron-e2e-'));
      // Its own userData (window state, single-instance lock, Chromium profile): never the user's.
      const env: Record<string, string> = {};
      for (const [key, value] of Object.entries(process.env))
        if (value !== undefined && key !== 'ELECTRON_RUN_AS_NODE' && key !== 'IMGMETA_STORE')
          env[key] = value;
      Object.assign(env, { XDG_CONFIG_HOME: join(home, 'config'), APPDATA: join(home, 'config') });
      // macOS has no such variable: userData is under the home directory (store/location.ts).
      if (process.platform === 'darwin') env['HOME'] = home;
      app = await _electron.launch({
        executablePath: binary.path!,
        args: ['.', '--store', store()],
        cwd: root,
        env,
      });
      page = await app.firstWindow();
      await page.waitForLoadState('domcontentloaded');
    });

    afterAll(async () => {
      await app?.close();
      if (home) rmSync(home, { recursive: true, force: true });
    });

    it('opens one window titled imgmeta, served from app://imgmeta', async () => {
      expect(await page.title()).toBe('imgmeta');
      expect(page.url()).toMatch(/^app:\/\/imgmeta\//);
      const windows = await app.evaluate(({ BrowserWindow }) =>
        BrowserWindow.getAllWindows().map((w) => w.getTitle()),
      );
      expect(windows).toEqual(['imgmeta']);
    });

    it('serves the page with the CSP and lets it open no window', async () => {
      const seen = await page.evaluate(async () => {
        const g = globalThis as unknown as {
          location: { href: string };
          open: (url: string) => unknown;
        };
        const response = await fetch(g.location.href);
        return { csp: response.headers.get('content-security-policy'), opened: g.open('file:///etc/passwd') };
      });
      expect(seen.csp).toBe(contentSecurityPolicy);
      expect(seen.opened).toBeNull();
      expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
    });

    it('gives the page window.imgmeta with one method per operation, on and the two desktop extras, and no Node', async () => {
      const seen = await page.evaluate(() => {
        const g = globalThis as unknown as PageGlobals;
        return {
          keys: Object.keys(g.imgmeta).sort(),
          require: typeof g.require,
          process: typeof g.process,
          module: typeof g.module,
          Buffer: typeof g.Buffer,
        };
      });
      expect(seen.keys).toEqual([...operationNames, 'on', 'pathForFile', 'chooseSource'].sort());
      expect(seen).toMatchObject({
        require: 'undefined',
        process: 'undefined',
        module: 'undefined',
        Buffer: 'undefined',
      });
    });

    it('answers calls from the store given with --store', async () => {
      const input = imageInput('default', 'docker.io/library/alpine:3.20', 1);
      const result = await page.evaluate(async (input) => {
        const { imgmeta } = globalThis as unknown as PageGlobals;
        const created = await imgmeta['images.create'](input);
        const info = await imgmeta['store.info']({});
        return { created, path: info.path, images: info.images };
      }, input);
      expect(result.created).toMatchObject({ namespace: 'default', name: input.name, target: input.target });
      expect(result.path).toBe(store());
      expect(result.images).toBeGreaterThanOrEqual(1);
    });

    it('throws errors whose message carries the code', async () => {
      const message = await page.evaluate(async () => {
        const { imgmeta } = globalThis as unknown as PageGlobals;
        try {
          await imgmeta['images.get']({ namespace: 'default', name: 'missing:1' });
          return 'no error';
        } catch (err) {
          return (err as Error).message;
        }
      });
      expect(message).toMatch(/not_found: /);
    });
  },
);
