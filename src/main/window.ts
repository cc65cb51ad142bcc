import { BrowserWindow, shell, type Session, type WebContents } from 'electron';
import { minimumWindowSize, type WindowState } from './window-state';

export interface MainWindowOptions {
  preload: string;
  /** app://imgmeta/index.html, or the dev server's URL in development. */
  entryUrl: string;
  isOwnUrl: (url: string | undefined) => boolean;
  state: WindowState;
  /** Called with the window's normal bounds as it closes, to be remembered for the next run. */
  onClose?: (state: WindowState) => void;
  openExternal?: (url: string) => Promise<void>;
}

/**
 * The main window and the rules every web contents lives by (Electron's security checklist): an isolated, sandboxed
 * renderer without Node, no navigation away from our pages, no new windows (http(s) links go to the system browser),
 * no webviews, no permissions.
 */
export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const { state } = options;
  // One literal, not built elsewhere, so that electronegativity (`npm run scan:electron`) reads every value.
  const win = new BrowserWindow({
    title: 'imgmeta',
    width: state.width,
    height: state.height,
    ...(state.x !== undefined && state.y !== undefined ? { x: state.x, y: state.y } : {}),
    minWidth: minimumWindowSize.width,
    minHeight: minimumWindowSize.height,
    show: false,
    backgroundColor: '#ffffff',
    webPreferences: {
      preload: options.preload, // eng-disable PRELOAD_JS_CHECK (reviewed: see SECURITY.md)
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
      // A middle click would ask for a new window; the handler below denies it anyway, this keeps it from asking.
      disableBlinkFeatures: 'Auxclick',
    },
  });
  hardenWebContents(win.webContents, options.isOwnUrl, options.openExternal);
  if (state.maximized) win.maximize();
  // Shown once painted (no white flash), or when loading failed, so an error page is never an invisible window.
  win.once('ready-to-show', () => win.show());
  win.webContents.once('did-fail-load', () => {
    if (!win.isDestroyed() && !win.isVisible()) win.show();
  });
  win.on('close', () => {
    const bounds = win.getNormalBounds();
    options.onClose?.({ ...bounds, maximized: win.isMaximized() });
  });
  void win.loadURL(options.entryUrl).catch((err: unknown) => {
    console.error(`imgmeta: could not load ${options.entryUrl}:`, err);
  });
  return win;
}

type Contents = Pick<WebContents, 'on' | 'setWindowOpenHandler'>;

const hardened = new WeakSet<Contents>();

/**
 * Navigation only within our own pages; window.open never; http(s) links to the system browser; no webviews.
 * Applied to every web contents as it is created (app.ts) and by createMainWindow; the first call wins.
 */
export function hardenWebContents(
  contents: Contents,
  isOwnUrl: (url: string | undefined) => boolean,
  // Only ever called with externalUrl()'s answer: a parsed, normalised http(s) URL (see SECURITY.md).
  openExternal: (url: string) => Promise<void> = (url) => shell.openExternal(url), // eng-disable OPEN_EXTERNAL_JS_CHECK (see SECURITY.md)
): void {
  if (hardened.has(contents)) return;
  hardened.add(contents);
  const denyForeign = (event: { preventDefault(): void; url: string }) => {
    if (!isOwnUrl(event.url)) {
      event.preventDefault();
      console.warn(`imgmeta: blocked navigation to ${event.url}`);
    }
  };
  contents.on('will-navigate', denyForeign);
  // Subframes too (the main frame's navigations are will-navigate's); the CSP already keeps foreign frames out.
  contents.on('will-frame-navigate', (event) => {
    if (!event.isMainFrame) denyForeign(event);
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    const external = externalUrl(url);
    if (external) {
      openExternal(external).catch((err: unknown) =>
        console.warn(`imgmeta: could not open ${external} in the browser:`, err),
      );
    }
    return { action: 'deny' };
  });
}

/** The URL if it is an http(s) link we may hand to the system browser, normalised; undefined otherwise. */
export function externalUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
}

/** The app asks for no permission (camera, notifications, clipboard reads, ...): every request and check is no. */
export function denyAllPermissions(
  session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>,
) {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}
