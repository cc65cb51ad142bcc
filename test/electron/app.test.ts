import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { rendererOrigin, runMode, startApp, storeArgument, storePathFor } from '../../src/main/app';
import { contentSecurityPolicy, developmentContentSecurityPolicy } from '../../src/main/csp';
import { chooseSourceChannel } from '../../src/main/source-dialog';
import { defaultStorePath } from '../../src/main/store/location';
import { operationNames } from '../../src/shared/operations';
import type { DesktopExtras } from '../../src/preload/index';
import { eventChannel, ipcChannel, reviveError, type Client } from '../../src/shared/transport';
import { imageInput, tempDir } from '../helpers/store';
import { fake, FakeBrowserWindow, findMenuItem } from './fake-electron';

// The desktop app's start-up, run against a fake electron module (the binary is not here): real store, real
// service, the real preload bridge; what Electron itself would do is what the fake records.
vi.mock('electron', async () => (await import('./fake-electron')).electronModule);
await import('../../src/preload/index');

const page = () => fake.state.exposed.get('imgmeta') as Client & DesktopExtras;

let home: string;
let baseDir: string;
let errors: ReturnType<typeof vi.spyOn>;

beforeEach(() => {
  fake.reset();
  home = tempDir('imgmeta-app-');
  // Where the built main bundle would be: out/main, with out/renderer next to it.
  baseDir = join(home, 'out', 'main');
  mkdirSync(join(home, 'out', 'renderer'), { recursive: true });
  writeFileSync(join(home, 'out', 'renderer', 'index.html'), '<!doctype html><title>imgmeta</title>');
  errors = vi.spyOn(console, 'error').mockImplementation(() => {});
});

afterEach(() => {
  fake.app.emit('will-quit'); // closes the store before the temp directory goes
  errors.mockRestore();
});

const env = () => ({ XDG_CONFIG_HOME: join(home, 'config'), APPDATA: join(home, 'config') });

async function start(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  await startApp({ argv: ['/usr/lib/electron', '.', ...args], env: { ...env(), ...extraEnv }, baseDir });
  return FakeBrowserWindow.instances[0];
}

const click = (key: string) => {
  const item = findMenuItem(fake.state.menu, key);
  if (!item?.click) throw new Error(`no menu item ${key}`);
  item.click();
};

/** Lets the menu's async actions (dialogs are promises) finish. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('start-up', () => {
  it('opens the store given with --store and serves it to the window', async () => {
    const store = join(home, 'my-store');
    const win = await start(['--store', store]);
    expect(win).toBeDefined();
    expect(win!.loadedUrl).toBe('app://imgmeta/index.html');
    expect(win!.options.webPreferences).toMatchObject({
      preload: join(home, 'out', 'preload', 'index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    });
    expect(await page()['store.info']({})).toMatchObject({ path: store });
  });

  it('prepares Electron before ready: app name, userData, the app:// scheme, sandbox for all, one instance', async () => {
    await start(['--store', join(home, 's')]);
    expect(fake.app.getName()).toBe('imgmeta');
    expect(fake.app.getPath('userData')).toBe(join(home, 'config', 'imgmeta'));
    expect(fake.state.privilegedSchemes).toEqual([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
    expect(fake.app.sandboxed).toBe(true);
  });

  it('opens $IMGMETA_STORE, else <userData>/store: the same store as the CLI', async () => {
    const fromEnv = join(home, 'env-store');
    await start([], { IMGMETA_STORE: fromEnv });
    expect((await page()['store.info']({})).path).toBe(fromEnv);
    fake.app.emit('will-quit');
    fake.reset();

    await start([]);
    const path = (await page()['store.info']({})).path;
    expect(path).toBe(join(home, 'config', 'imgmeta', 'store'));
    expect(path).toBe(defaultStorePath({ ...process.env, ...env(), IMGMETA_STORE: '' }));
  });

  it('registers every operation, the source dialog, the app:// handler with the CSP, and denies permissions', async () => {
    await start(['--store', join(home, 's')]);
    expect(new Set(fake.handlers.keys())).toEqual(
      new Set([...operationNames.map(ipcChannel), chooseSourceChannel]),
    );
    const handler = fake.state.protocolHandlers.get('app')!;
    const response = await handler(new Request('app://imgmeta/index.html'));
    expect(response.headers.get('content-security-policy')).toBe(contentSecurityPolicy);
    expect(await response.text()).toContain('<title>imgmeta</title>');
    const answers: boolean[] = [];
    (
      fake.state.permissionRequestHandler as unknown as (
        c: unknown,
        p: string,
        cb: (g: boolean) => void,
      ) => void
    )({}, 'media', (granted) => answers.push(granted));
    expect(answers).toEqual([false]);
    expect((fake.state.permissionCheckHandler as unknown as () => boolean)()).toBe(false);
    expect(fake.state.headersHandlers).toEqual([]); // no dev server
  });

  it('hardens every web contents as it is created', async () => {
    const win = await start(['--store', join(home, 's')]);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(win!.webContents.navigate('https://evil.example/').prevented).toBe(true);
    expect(warn).toHaveBeenCalledWith('imgmeta: blocked navigation to https://evil.example/');
    warn.mockRestore();
    expect(win!.webContents.openWindow('https://example.com/')).toEqual({ action: 'deny' });
  });

  it('shows the path and the reason, and exits 1, when the store cannot be opened', async () => {
    const dir = join(home, 'documents');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'x');
    const win = await start(['--store', dir]);
    expect(win).toBeUndefined();
    expect(fake.state.errorBoxes).toHaveLength(1);
    expect(fake.state.errorBoxes[0]!.content).toContain(dir);
    expect(fake.state.errorBoxes[0]!.content).toMatch(/not a store/);
    expect(fake.app.exitCode).toBe(1);
    expect(fake.handlers.size).toBe(0);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining(dir));
  });

  it('exits 2 when --store has no directory', async () => {
    await start(['--store']);
    expect(fake.app.exitCode).toBe(2);
    expect(fake.state.errorBoxes[0]!.content).toMatch(/--store needs a directory/);
  });

  it('leaves to the instance already running, which focuses its window', async () => {
    fake.app.gotLock = false;
    await start(['--store', join(home, 's')]);
    expect(fake.app.quitCalled).toBe(true);
    expect(FakeBrowserWindow.instances).toHaveLength(0);

    fake.reset();
    const win = await start(['--store', join(home, 's')]);
    win!.minimized = true;
    fake.app.emit('second-instance', {}, [], '/');
    expect(win!.minimized).toBe(false);
    expect(win!.focused).toBe(true);
    expect(FakeBrowserWindow.instances).toHaveLength(1);
  });

  it('remembers the window bounds in userData', async () => {
    const win = await start(['--store', join(home, 's')]);
    win!.close();
    const file = join(home, 'config', 'imgmeta', 'window-state.json');
    expect(existsSync(file)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      width: 1200,
      height: 800,
      maximized: false,
    });
  });
});

describe('the menu', () => {
  it('has Import..., Open Store..., Reload and About, and no developer tools in production', async () => {
    await start(['--store', join(home, 's')]);
    for (const key of ['Import...', 'Open Store...', 'reload', 'About imgmeta'])
      expect(findMenuItem(fake.state.menu, key), key).toBeDefined();
    expect(findMenuItem(fake.state.menu, 'toggleDevTools')).toBeUndefined();
  });

  it('offers developer tools in development (IMGMETA_DEV=1, unpackaged)', async () => {
    await start(['--store', join(home, 's')], { IMGMETA_DEV: '1' });
    expect(findMenuItem(fake.state.menu, 'toggleDevTools')).toBeDefined();
  });

  it('Import... shows the import view at once, then sends the source chosen in the dialog', async () => {
    const win = await start(['--store', join(home, 's')]);
    const commands: unknown[] = [];
    const off = page().on('app.command', (c) => commands.push(c));
    fake.state.nextOpenDialog = { canceled: false, filePaths: ['/home/me/layout'] };
    click('Import...');
    expect(commands).toEqual([{ command: 'show-import' }]); // the view comes up behind the dialog
    await settle();
    off();
    expect(commands).toEqual([
      { command: 'show-import' },
      { command: 'show-import', path: '/home/me/layout' },
    ]);
    expect(win!.webContents.sent).toContainEqual([eventChannel('app.command'), { command: 'show-import' }]);
    // Linux: a dialog is a file or a folder chooser, so the user is asked which first.
    expect(fake.state.messageBoxes).toEqual([
      expect.objectContaining({ message: 'Import from a folder or from a file?' }),
    ]);
  });

  it('Import... cancelled leaves the import view without a path', async () => {
    await start(['--store', join(home, 's')]);
    const commands: unknown[] = [];
    const off = page().on('app.command', (c) => commands.push(c));
    click('Import...');
    await settle();
    off();
    expect(commands).toEqual([{ command: 'show-import' }]);
  });

  it("the Import view's Choose... opens the same dialog and answers the path", async () => {
    await start(['--store', join(home, 's')]);
    fake.state.nextOpenDialog = { canceled: false, filePaths: ['/srv/images.tar'] };
    expect(await page().chooseSource()).toBe('/srv/images.tar');
    fake.state.nextOpenDialog = { canceled: true, filePaths: [] };
    expect(await page().chooseSource()).toBeUndefined();
  });

  it('Open Store... switches the store and tells the renderer it was reopened', async () => {
    const first = join(home, 'first');
    const second = join(home, 'second');
    await start(['--store', first]);
    await page()['images.create'](imageInput('default', 'a:1', 1));
    const changes: unknown[] = [];
    const off = page().on('store.changed', (c) => changes.push(c));

    fake.state.nextOpenDialog = { canceled: false, filePaths: [second] };
    click('Open Store...');
    await settle();
    off();
    expect(changes).toEqual([{ changeSeq: 0, reopened: true }]);
    expect(await page()['store.info']({})).toMatchObject({ path: second, images: 0 });
  });

  it('Open Store... keeps the old store when the new one cannot be opened', async () => {
    const first = join(home, 'first');
    await start(['--store', first]);
    const bad = join(home, 'documents');
    mkdirSync(bad);
    writeFileSync(join(bad, 'notes.txt'), 'x');
    fake.state.nextOpenDialog = { canceled: false, filePaths: [bad] };
    click('Open Store...');
    await settle();
    expect(fake.state.errorBoxes).toHaveLength(1);
    expect(fake.state.errorBoxes[0]!.content).toContain(bad);
    expect(fake.state.errorBoxes[0]!.content).toMatch(/not a store/);
    expect((await page()['store.info']({})).path).toBe(first);
    expect(fake.app.exitCode).toBeUndefined();
  });

  it('Open Store... cancelled changes nothing', async () => {
    const first = join(home, 'first');
    await start(['--store', first]);
    click('Open Store...');
    await settle();
    expect((await page()['store.info']({})).path).toBe(first);
  });

  it('About shows the version and the store path', async () => {
    const store = join(home, 's');
    await start(['--store', store]);
    click('About imgmeta');
    await settle();
    expect(fake.state.messageBoxes).toHaveLength(1);
    expect(fake.state.messageBoxes[0]).toMatchObject({ message: 'imgmeta 0.1.0-test' });
    expect(fake.state.messageBoxes[0]!.detail).toContain(store);
  });
});

describe('after start-up', () => {
  it('refuses calls from a page that is not ours', async () => {
    await start(['--store', join(home, 's')]);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    fake.senderUrl = 'https://evil.example/';
    const info = page()['store.info'];
    const err = await info({}).catch((e: unknown) => e);
    warn.mockRestore();
    expect(reviveError(err).code).toBe('failed_precondition');
  });

  it('closes the store when quitting', async () => {
    await start(['--store', join(home, 's')]);
    fake.app.emit('will-quit');
    expect(fake.handlers.size).toBe(0);
  });
});

describe('arguments and modes', () => {
  it('finds --store among Electron and Chromium switches; the last one wins', () => {
    expect(
      storeArgument(['electron', '--inspect=0', '--remote-debugging-port=0', '.', '--store', '/a']),
    ).toBe('/a');
    expect(storeArgument(['imgmeta', '--store=/b'])).toBe('/b');
    expect(storeArgument(['imgmeta', '--store', '/a', '--store=/b'])).toBe('/b');
    expect(storeArgument(['imgmeta', '.'])).toBeUndefined();
    expect(storeArgument(['--store', '/argv0-is-the-executable'])).toBeUndefined();
    for (const argv of [
      ['x', '--store'],
      ['x', '--store='],
      ['x', '--store', '--inspect'],
    ])
      expect(() => storeArgument(argv), argv.join(' ')).toThrow(/--store needs a directory/);
  });

  it('resolves the store path: --store, then $IMGMETA_STORE, then the CLI default', () => {
    expect(storePathFor(['x', '--store', 'rel'], {})).toBe(join(process.cwd(), 'rel'));
    expect(storePathFor(['x'], { IMGMETA_STORE: '/from/env' })).toBe('/from/env');
    const e = { XDG_CONFIG_HOME: '/cfg', APPDATA: '/cfg' };
    expect(storePathFor(['x'], e)).toBe(defaultStorePath(e));
  });

  it('is in development only unpackaged, with the dev server URL or IMGMETA_DEV=1', () => {
    expect(runMode({}, false)).toEqual({ development: false });
    expect(runMode({ IMGMETA_DEV: '1' }, false)).toEqual({ development: true });
    expect(runMode({ ELECTRON_RENDERER_URL: 'http://localhost:5173' }, false)).toEqual({
      development: true,
      devServerUrl: 'http://localhost:5173/',
    });
    expect(runMode({ ELECTRON_RENDERER_URL: 'http://localhost:5173', IMGMETA_DEV: '1' }, true)).toEqual({
      development: false,
    });
    expect(runMode({ ELECTRON_RENDERER_URL: 'file:///tmp/x.html' }, false)).toEqual({ development: false });
  });

  it('trusts the dev server origin in development and app://imgmeta otherwise', () => {
    const dev = rendererOrigin({ development: true, devServerUrl: 'http://localhost:5173/' });
    expect(dev.entryUrl).toBe('http://localhost:5173/');
    expect(dev.isOwnUrl('http://localhost:5173/index.html')).toBe(true);
    expect(dev.isOwnUrl('http://localhost:5174/')).toBe(false);
    expect(dev.isOwnUrl('app://imgmeta/index.html')).toBe(false);
    const prod = rendererOrigin({ development: false });
    expect(prod.entryUrl).toBe('app://imgmeta/index.html');
    expect(prod.isOwnUrl('app://imgmeta/index.html')).toBe(true);
    expect(prod.isOwnUrl('http://localhost:5173/')).toBe(false);
  });

  it('adds the development CSP (Fast Refresh and HMR only) to the dev server responses', async () => {
    await start(['--store', join(home, 's')], { ELECTRON_RENDERER_URL: 'http://localhost:5173' });
    expect(FakeBrowserWindow.instances[0]!.loadedUrl).toBe('http://localhost:5173/');
    const [{ filter, handler }] = fake.state.headersHandlers as [{ filter: unknown; handler: unknown }];
    expect(filter).toEqual({ urls: ['http://localhost:5173/*'] });
    let answer: { responseHeaders: Record<string, string[]> } | undefined;
    (handler as (d: unknown, cb: (r: typeof answer) => void) => void)(
      { responseHeaders: { 'content-security-policy': ['default-src *'], 'Content-Type': ['text/html'] } },
      (r) => (answer = r),
    );
    expect(answer!.responseHeaders).toEqual({
      'Content-Type': ['text/html'],
      'Content-Security-Policy': [developmentContentSecurityPolicy],
    });
    // Only what Vite's dev client needs is added to the strict policy.
    expect(developmentContentSecurityPolicy).toContain("script-src 'self' 'unsafe-inline'");
    expect(developmentContentSecurityPolicy).not.toContain('unsafe-eval');
    expect(contentSecurityPolicy).toContain("script-src 'self';");
  });
});
