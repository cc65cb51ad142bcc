import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isAppUrl } from '../../src/main/protocol';
import { createMainWindow, denyAllPermissions, externalUrl, hardenWebContents } from '../../src/main/window';
import { root } from '../cli/run';
import { fake, FakeBrowserWindow, FakeWebContents } from './fake-electron';

vi.mock('electron', async () => (await import('./fake-electron')).electronModule);

let warn: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  fake.reset();
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(() => warn.mockRestore());

function openWindow(overrides: Partial<Parameters<typeof createMainWindow>[0]> = {}) {
  const win = createMainWindow({
    preload: '/app/out/preload/index.js',
    entryUrl: 'app://imgmeta/index.html',
    isOwnUrl: isAppUrl,
    state: { width: 1000, height: 700, maximized: false },
    ...overrides,
  }) as unknown as FakeBrowserWindow;
  return win;
}

describe('the window follows the Electron security checklist', () => {
  it('isolates and sandboxes the renderer, without Node, webviews or insecure content', () => {
    const win = openWindow();
    // Exactly these: a setting added or dropped is a decision to review, not a side effect.
    expect(win.options.webPreferences).toEqual({
      preload: '/app/out/preload/index.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      disableBlinkFeatures: 'Auxclick',
    });
    expect(win.options.title).toBe('imgmeta');
    expect(win.loadedUrl).toBe('app://imgmeta/index.html');
  });

  it('denies navigation away from the app, in the main frame and in subframes', () => {
    const { webContents } = openWindow();
    expect(webContents.navigate('app://imgmeta/index.html').prevented).toBe(false);
    expect(webContents.navigate('app://imgmeta/other.html').prevented).toBe(false);
    for (const url of [
      'https://evil.example/',
      'file:///etc/passwd',
      'app://evil/index.html',
      'javascript:alert(1)',
    ])
      expect(webContents.navigate(url).prevented, url).toBe(true);
    expect(webContents.navigate('https://evil.example/', false).prevented).toBe(true);
    expect(fake.state.openedExternally).toEqual([]);
  });

  it('denies every new window and hands only http(s) links to the system browser', async () => {
    const { webContents } = openWindow();
    const urls = [
      'https://github.com/containerd/containerd',
      'http://example.com/a b',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'app://imgmeta/index.html',
      'smb://host/share',
      'not a url',
    ];
    for (const url of urls) expect(webContents.openWindow(url), url).toEqual({ action: 'deny' });
    await Promise.resolve();
    expect(fake.state.openedExternally).toEqual([
      'https://github.com/containerd/containerd',
      'http://example.com/a%20b',
    ]);
  });

  it('prevents webviews from attaching', () => {
    expect(openWindow().webContents.attachWebview().prevented).toBe(true);
  });

  it('restores the saved position and size, and reports them when closing', () => {
    const saved: unknown[] = [];
    const win = openWindow({
      state: { x: 50, y: 60, width: 900, height: 650, maximized: true },
      onClose: (state) => saved.push(state),
    });
    expect(win.options).toMatchObject({ x: 50, y: 60, width: 900, height: 650 });
    expect(win.maximized).toBe(true);
    win.close();
    expect(saved).toEqual([{ x: 50, y: 60, width: 900, height: 650, maximized: true }]);
  });

  it('lets the window manager place a window without a saved position', () => {
    const win = openWindow();
    expect(win.options).not.toHaveProperty('x');
    expect(win.options).not.toHaveProperty('y');
  });

  it('shows the window once painted, and when loading failed', () => {
    const painted = openWindow();
    expect(painted.visible).toBe(false);
    painted.emit('ready-to-show');
    expect(painted.visible).toBe(true);
    const failed = openWindow();
    failed.webContents.emit('did-fail-load');
    expect(failed.visible).toBe(true);
  });
});

describe('hardening applies to any web contents', () => {
  it('is applied once, by the first caller', () => {
    const contents = new FakeWebContents();
    hardenWebContents(contents as never, isAppUrl);
    hardenWebContents(contents as never, () => true);
    expect(contents.listenerCount('will-navigate')).toBe(1);
    expect(contents.navigate('https://evil.example/').prevented).toBe(true);
  });

  it('follows the dev server origin in development', () => {
    const contents = new FakeWebContents();
    const origin = 'http://localhost:5173';
    hardenWebContents(contents as never, (url) => url !== undefined && url.startsWith(`${origin}/`));
    expect(contents.navigate('http://localhost:5173/#/images').prevented).toBe(false);
    expect(contents.navigate('http://localhost:5174/').prevented).toBe(true);
  });
});

describe('permissions', () => {
  it('denies every permission request and check', () => {
    denyAllPermissions(fake.module.session.defaultSession as never);
    const request = fake.state.permissionRequestHandler as unknown as (
      contents: unknown,
      permission: string,
      callback: (granted: boolean) => void,
    ) => void;
    const check = fake.state.permissionCheckHandler as unknown as (
      contents: unknown,
      permission: string,
    ) => boolean;
    for (const permission of [
      'media',
      'notifications',
      'clipboard-read',
      'geolocation',
      'openExternal',
      'unknown',
    ]) {
      const answers: boolean[] = [];
      request({}, permission, (granted) => answers.push(granted));
      expect(answers, permission).toEqual([false]);
      expect(check({}, permission), permission).toBe(false);
    }
  });
});

describe('external links', () => {
  it('accepts http and https only, normalised', () => {
    expect(externalUrl('HTTPS://Example.COM/x')).toBe('https://example.com/x');
    expect(externalUrl('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080/');
    for (const url of ['file:///x', 'ftp://x/', 'mailto:a@b', 'vbscript:x', '//example.com', ''])
      expect(externalUrl(url), url).toBeUndefined();
  });
});

describe('shell.openExternal', () => {
  it('is called in one place in the app, the window-open handler, behind externalUrl', () => {
    const sources = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) =>
      /\.tsx?$/.test(f),
    );
    const callers = sources.flatMap((file) =>
      readFileSync(join(root, 'src', file), 'utf8')
        .split('\n')
        .map((line, i) => ({ at: `${file}:${i + 1}`, line }))
        .filter(({ line }) => /\bopenExternal\s*\(/.test(line)),
    );
    expect(callers.map(({ at }) => at.replace(/:\d+$/, ''))).toEqual([
      join('main', 'window.ts'), // the default: (url) => shell.openExternal(url)
      join('main', 'window.ts'), // the handler: openExternal(external), external = externalUrl(url)
    ]);
    expect(callers.map(({ line }) => line.trim())).toEqual([
      expect.stringMatching(/= \(url\) => shell\.openExternal\(url\)/),
      expect.stringMatching(/^openExternal\(external\)/),
    ]);
  });
});
