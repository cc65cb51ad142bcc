import { join, resolve } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, screen, session } from 'electron';
import { invalidArgument } from '../shared/errors';
import { developmentContentSecurityPolicy } from './csp';
import { EventHub } from './event-hub';
import { forwardEvents, registerOperations } from './ipc';
import { menuTemplate } from './menu';
import {
  appEntryUrl,
  appScheme,
  appSchemePrivileges,
  createAppHandler,
  isAppUrl,
  parseUrl,
} from './protocol';
import { registerChooseSource, sourceChooser } from './source-dialog';
import { StoreSession } from './store-session';
import { defaultStorePath, userDataPath } from './store/location';
import { createMainWindow, denyAllPermissions, hardenWebContents } from './window';
import { loadWindowState, saveWindowState } from './window-state';

/**
 * Development means an unpackaged app started by `electron-vite dev` (which sets ELECTRON_RENDERER_URL to its dev
 * server) or with IMGMETA_DEV=1. A packaged app ignores both: no environment variable can point a released app's
 * window, and the API bridge that comes with it, at another origin, or give it developer tools.
 */
export interface RunMode {
  development: boolean;
  /** The dev server the renderer loads from instead of app://imgmeta/. */
  devServerUrl?: string;
}

export function runMode(env: NodeJS.ProcessEnv, isPackaged: boolean): RunMode {
  if (isPackaged) return { development: false };
  const devServer = parseUrl(env['ELECTRON_RENDERER_URL']);
  if (devServer && (devServer.protocol === 'http:' || devServer.protocol === 'https:'))
    return { development: true, devServerUrl: devServer.href };
  return { development: env['IMGMETA_DEV'] === '1' };
}

/** Where the renderer comes from, and how a URL is recognised as one of its pages (IPC senders, navigation). */
export function rendererOrigin(mode: RunMode): {
  entryUrl: string;
  isOwnUrl: (url: string | undefined) => boolean;
} {
  if (mode.devServerUrl) {
    const origin = new URL(mode.devServerUrl).origin;
    return { entryUrl: mode.devServerUrl, isOwnUrl: (url) => parseUrl(url)?.origin === origin };
  }
  return { entryUrl: appEntryUrl, isOwnUrl: isAppUrl };
}

/**
 * `--store DIR` or `--store=DIR` anywhere in the arguments (Electron puts its own and Chromium's switches, and in
 * development the app path, in front of ours); the last one wins. Undefined when absent.
 */
export function storeArgument(argv: readonly string[]): string | undefined {
  let dir: string | undefined;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--store') {
      const next = argv[i + 1];
      if (next === undefined || next === '' || next.startsWith('--'))
        throw invalidArgument('--store needs a directory');
      dir = next;
      i++;
    } else if (arg.startsWith('--store=')) {
      dir = arg.slice('--store='.length);
      if (dir === '') throw invalidArgument('--store needs a directory');
    }
  }
  return dir;
}

/** --store DIR, else $IMGMETA_STORE, else <userData>/store: the CLI's rule (store/location.ts), so both agree. */
export function storePathFor(argv: readonly string[], env: NodeJS.ProcessEnv): string {
  return resolve(storeArgument(argv) ?? defaultStorePath(env));
}

const reasonOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export interface StartOptions {
  argv?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Directory of the built main bundle (out/main): the preload and renderer are found next to it. */
  baseDir?: string;
}

/**
 * Starts the desktop app. The main process stays thin: it opens the store, wires IPC and events, and owns the window
 * and menu; everything the app does is the service's. Resolves once the window is created (or the app is exiting).
 */
export async function startApp(options: StartOptions = {}): Promise<void> {
  const argv = options.argv ?? process.argv;
  const env = options.env ?? process.env;
  const baseDir = options.baseDir ?? __dirname;

  // userData is set to the directory the CLI computes (store/location.ts), whatever name Electron derived from how
  // it was started (`electron .` reads package.json; `electron out/main/index.js` would say "Electron"): the
  // default store, the window state and the single-instance lock all live there.
  app.setName('imgmeta');
  app.setPath('userData', userDataPath(env));
  protocol.registerSchemesAsPrivileged([appSchemePrivileges]);
  app.enableSandbox();

  if (!app.requestSingleInstanceLock()) {
    // Another instance has the window: it is focused (second-instance below) and this one leaves quietly.
    app.quit();
    return;
  }

  const mode = runMode(env, app.isPackaged);
  const renderer = rendererOrigin(mode);
  const hub = new EventHub();
  let mainWindow: BrowserWindow | undefined;

  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, renderer.isOwnUrl));

  await app.whenReady();

  let storePath: string;
  let stores: StoreSession;
  try {
    storePath = storePathFor(argv, env);
  } catch (err) {
    fail('imgmeta: bad arguments', reasonOf(err), 2);
    return;
  }
  try {
    stores = new StoreSession(storePath, hub);
  } catch (err) {
    fail('imgmeta cannot open its store', `${storePath}\n\n${reasonOf(err)}`, 1);
    return;
  }

  protocol.handle(appScheme, createAppHandler(join(baseDir, '../renderer')));
  denyAllPermissions(session.defaultSession);
  if (mode.devServerUrl) addDevServerPolicy(mode.devServerUrl);

  const unregister = registerOperations(ipcMain, () => stores.api, renderer.isOwnUrl);
  // The system dialog for a source to import: File > Import... and, over one narrow channel beside the operations,
  // the Import view's Choose... button.
  const chooseSource = sourceChooser(dialog, () => mainWindow);
  const unregisterChooser = registerChooseSource(ipcMain, chooseSource, renderer.isOwnUrl);
  const stopForwarding = forwardEvents(hub, () => mainWindow?.webContents);

  const stateFile = join(app.getPath('userData'), 'window-state.json');
  const createWindow = () => {
    const primary = screen.getPrimaryDisplay().workArea;
    const workAreas = [primary, ...screen.getAllDisplays().map((display) => display.workArea)];
    const win = createMainWindow({
      preload: join(baseDir, '../preload/index.js'),
      entryUrl: renderer.entryUrl,
      isOwnUrl: renderer.isOwnUrl,
      state: loadWindowState(stateFile, workAreas),
      onClose: (state) => saveWindowState(stateFile, state),
    });
    win.on('closed', () => {
      if (mainWindow === win) mainWindow = undefined;
    });
    mainWindow = win;
    return win;
  };

  const openStore = async () => {
    const parent = mainWindow;
    const pick = {
      title: 'Open Store',
      buttonLabel: 'Open',
      defaultPath: stores.path,
      properties: ['openDirectory', 'createDirectory'] as Array<'openDirectory' | 'createDirectory'>,
    };
    const result = parent ? await dialog.showOpenDialog(parent, pick) : await dialog.showOpenDialog(pick);
    const path = result.filePaths[0];
    if (result.canceled || path === undefined) return;
    try {
      stores.switchTo(path);
    } catch (err) {
      // The old store stays open: the session opens the new one before letting go of it.
      dialog.showErrorBox('imgmeta could not open the store', `${path}\n\n${reasonOf(err)}`);
    }
  };

  // File > Import...: the view first (behind the dialog), then the chosen source for it to check.
  const showImport = async () => {
    hub.emit('app.command', { command: 'show-import' });
    const path = await chooseSource();
    if (path !== undefined) hub.emit('app.command', { command: 'show-import', path });
  };

  const about = async () => {
    const info = {
      type: 'info' as const,
      title: 'About imgmeta',
      message: `imgmeta ${app.getVersion()}`,
      detail: `Store: ${stores.path}\n\nElectron ${process.versions.electron ?? '?'}, Chromium ${process.versions.chrome ?? '?'}, Node ${process.versions.node}`,
      buttons: ['OK'],
    };
    if (mainWindow) await dialog.showMessageBox(mainWindow, info);
    else await dialog.showMessageBox(info);
  };

  const report = (what: string) => (err: unknown) => console.error(`imgmeta: ${what} failed:`, err);
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      menuTemplate(
        {
          showImport: () => void showImport().catch(report('Import')),
          openStore: () => void openStore().catch(report('Open Store')),
          about: () => void about().catch(report('About')),
        },
        { development: mode.development },
      ),
    ),
  );

  app.on('second-instance', () => {
    const win = mainWindow ?? createWindow();
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => {
    stopForwarding();
    unregister();
    unregisterChooser();
    stores.close();
  });

  createWindow();
}

/** Before the window opens, a failure is a dialog (stderr too, for scripts) and a non-zero exit. */
function fail(title: string, detail: string, code: number): void {
  console.error(`${title}: ${detail.replace(/\n\n/g, ': ')}`);
  dialog.showErrorBox(title, detail);
  app.exit(code);
}

/** The dev server sends no CSP of its own (the built app gets the strict one from the app:// handler). */
function addDevServerPolicy(devServerUrl: string): void {
  const origin = new URL(devServerUrl).origin;
  session.defaultSession.webRequest.onHeadersReceived({ urls: [`${origin}/*`] }, (details, callback) => {
    const headers = Object.fromEntries(
      Object.entries(details.responseHeaders ?? {}).filter(
        ([name]) => name.toLowerCase() !== 'content-security-policy',
      ),
    );
    callback({
      responseHeaders: { ...headers, 'Content-Security-Policy': [developmentContentSecurityPolicy] },
    });
  });
}
