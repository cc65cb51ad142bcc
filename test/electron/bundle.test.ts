import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationNames } from '../../src/shared/operations';
import { reviveError, type Client } from '../../src/shared/transport';
import { imageInput, tempDir } from '../helpers/store';
import { fake, FakeBrowserWindow } from './fake-electron';

/**
 * The main and preload bundles as electron-vite builds them (the project's config; the renderer is left out, it has
 * its own tests), loaded the way Electron loads them, with the fake electron module answering `require('electron')`.
 * The build goes to node_modules/.tmp so that run-time dependencies resolve and out/ is left alone.
 */
const root = join(__dirname, '..', '..');
let outDir: string;
const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const originalLoad = loader._load;

beforeAll(() => {
  mkdirSync(join(root, 'node_modules', '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(root, 'node_modules', '.tmp', 'imgmeta-electron-build-'));
  outDir = join(dir, 'out');
  const config = join(dir, 'electron.vite.config.mjs');
  writeFileSync(
    config,
    `import config from ${JSON.stringify(join(root, 'electron.vite.config.ts'))};\nexport default { main: config.main, preload: config.preload };\n`,
  );
  const build = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'),
      'build',
      '-c',
      config,
      '--outDir',
      outDir,
    ],
    { cwd: root, encoding: 'utf8' },
  );
  if (build.status !== 0) throw new Error(`electron-vite build failed:\n${build.stdout}\n${build.stderr}`);
  loader._load = function (request: string, ...rest: unknown[]) {
    return request === 'electron' ? fake.module : originalLoad.call(this, request, ...rest);
  };
});

afterAll(() => {
  loader._load = originalLoad;
  if (outDir) rmSync(join(outDir, '..'), { recursive: true, force: true });
});

describe('the built bundles', () => {
  it('the preload requires nothing but electron: a sandboxed preload can load nothing else', () => {
    const code = readFileSync(join(outDir, 'preload', 'index.js'), 'utf8');
    const calls = code.match(/\brequire\s*\(/g) ?? [];
    const literal = [...code.matchAll(/\brequire\s*\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1]);
    expect(literal).toEqual(['electron']);
    expect(calls).toHaveLength(1);
    expect(code).not.toMatch(/\bimport\s*\(/);
  });

  it('start the app on the store given with --store, and the page can call it', async () => {
    fake.reset();
    const home = tempDir('imgmeta-bundle-');
    const store = join(home, 'store');
    const saved = { argv: process.argv, xdg: process.env['XDG_CONFIG_HOME'] };
    process.argv = ['/usr/lib/electron', '.', '--store', store];
    process.env['XDG_CONFIG_HOME'] = join(home, 'config');
    const load = createRequire(join(outDir, 'main', 'index.js'));
    try {
      load(join(outDir, 'main', 'index.js'));
      // Start-up awaits app.whenReady(), which the fake resolves at once: one macrotask turn finishes it.
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(FakeBrowserWindow.instances).toHaveLength(1);
      const win = FakeBrowserWindow.instances[0]!;
      expect(win.loadedUrl).toBe('app://imgmeta/index.html');
      expect(win.options.webPreferences).toMatchObject({
        preload: join(outDir, 'preload', 'index.js'),
        sandbox: true,
        contextIsolation: true,
      });

      load(join(outDir, 'preload', 'index.js'));
      const page = fake.state.exposed.get('imgmeta') as Client;
      expect(Object.keys(page).sort()).toEqual(
        [...operationNames, 'on', 'pathForFile', 'chooseSource'].sort(),
      );
      await page['images.create'](imageInput('default', 'a:1', 1));
      expect(await page['store.info']({})).toMatchObject({ path: store, images: 1 });
      const err = await page['images.get']({ namespace: 'default', name: 'b:1' }).catch((e: unknown) => e);
      expect(reviveError(err).code).toBe('not_found');
    } finally {
      process.argv = saved.argv;
      if (saved.xdg === undefined) delete process.env['XDG_CONFIG_HOME'];
      else process.env['XDG_CONFIG_HOME'] = saved.xdg;
      fake.app.emit('will-quit');
    }
  });
});
