/**
 * A stand-in for the `electron` module, for `vi.mock('electron', ...)`: the real one cannot be loaded here (plain
 * Node's `require('electron')` tries to download the binary). It records what the app asks of Electron and routes
 * IPC the way Electron does: `ipcRenderer.invoke` reaches the handler registered with `ipcMain.handle`, with the
 * arguments and the answer structured-cloned, and an event naming the sender frame's URL; `webContents.send` reaches
 * `ipcRenderer.on` listeners. `contextBridge` keeps only the message of an error thrown across it, as Electron does.
 */
type Listener = (...args: never[]) => unknown;

export class FakeEmitter {
  private readonly listeners = new Map<string, Listener[]>();

  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }

  once(event: string, listener: Listener): this {
    const wrapper = ((...args: never[]) => {
      this.removeListener(event, wrapper);
      return listener(...args);
    }) as Listener;
    return this.on(event, wrapper);
  }

  removeListener(event: string, listener: Listener): this {
    this.listeners.set(
      event,
      (this.listeners.get(event) ?? []).filter((l) => l !== listener),
    );
    return this;
  }

  emit(event: string, ...args: unknown[]): boolean {
    const listeners = this.listeners.get(event) ?? [];
    for (const listener of [...listeners]) (listener as (...a: unknown[]) => unknown)(...args);
    return listeners.length > 0;
  }

  removeAllListeners(event?: string): this {
    if (event === undefined) this.listeners.clear();
    else this.listeners.delete(event);
    return this;
  }

  listenerCount(event: string): number {
    return (this.listeners.get(event) ?? []).length;
  }
}

type InvokeHandler = (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => unknown;
type RendererListener = (event: unknown, ...args: unknown[]) => void;

export interface NavigationResult {
  prevented: boolean;
}

export class FakeWebContents extends FakeEmitter {
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
  readonly sent: [channel: string, payload: unknown][] = [];
  destroyed = false;

  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }

  send(channel: string, ...args: unknown[]): void {
    this.sent.push([channel, args[0]]);
    fake.deliverToRenderer(channel, args);
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  /** What the page's `location.href = url` would go through. */
  navigate(url: string, isMainFrame = true): NavigationResult {
    const result = { prevented: false };
    const event = { url, isMainFrame, preventDefault: () => (result.prevented = true) };
    this.emit(isMainFrame ? 'will-navigate' : 'will-frame-navigate', event, url);
    if (isMainFrame) this.emit('will-frame-navigate', event);
    return result;
  }

  /** What the page's `window.open(url)` would go through. */
  openWindow(url: string): { action: string } | undefined {
    return this.windowOpenHandler?.({ url });
  }

  attachWebview(): NavigationResult {
    const result = { prevented: false };
    this.emit('will-attach-webview', { preventDefault: () => (result.prevented = true) }, {}, {});
    return result;
  }
}

export class FakeBrowserWindow extends FakeEmitter {
  static instances: FakeBrowserWindow[] = [];

  static getAllWindows(): FakeBrowserWindow[] {
    return FakeBrowserWindow.instances.filter((w) => !w.destroyed);
  }

  readonly webContents = new FakeWebContents();
  loadedUrl: string | undefined;
  destroyed = false;
  visible = false;
  maximized = false;
  minimized = false;
  focused = false;

  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeBrowserWindow.instances.push(this);
    fake.app.emit('web-contents-created', {}, this.webContents);
  }

  loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
    return Promise.resolve();
  }
  show(): void {
    this.visible = true;
  }
  focus(): void {
    this.focused = true;
  }
  restore(): void {
    this.minimized = false;
  }
  maximize(): void {
    this.maximized = true;
  }
  isMaximized(): boolean {
    return this.maximized;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  isVisible(): boolean {
    return this.visible;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  getNormalBounds() {
    const o = this.options as { x?: number; y?: number; width: number; height: number };
    return { x: o.x ?? 10, y: o.y ?? 20, width: o.width, height: o.height };
  }
  close(): void {
    this.emit('close', {});
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.emit('closed');
  }
}

class FakeApp extends FakeEmitter {
  name = 'Electron';
  isPackaged = false;
  gotLock = true;
  sandboxed = false;
  quitCalled = false;
  exitCode: number | undefined;
  readonly paths = new Map<string, string>();

  setName(name: string): void {
    this.name = name;
  }
  getName(): string {
    return this.name;
  }
  getVersion(): string {
    return '0.1.0-test';
  }
  setPath(name: string, path: string): void {
    this.paths.set(name, path);
  }
  getPath(name: string): string {
    const path = this.paths.get(name);
    if (path === undefined) throw new Error(`fake electron: no path ${name}`);
    return path;
  }
  enableSandbox(): void {
    this.sandboxed = true;
  }
  requestSingleInstanceLock(): boolean {
    return this.gotLock;
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  quit(): void {
    this.quitCalled = true;
  }
  exit(code = 0): void {
    this.exitCode = code;
  }
}

type MenuItem = { label?: string; role?: string; submenu?: MenuItem[]; click?: () => void };

export interface FakeState {
  senderUrl: string | null;
  exposed: Map<string, unknown>;
  errorBoxes: { title: string; content: string }[];
  messageBoxes: Record<string, unknown>[];
  nextOpenDialog: { canceled: boolean; filePaths: string[] };
  openedExternally: string[];
  privilegedSchemes: unknown[];
  protocolHandlers: Map<string, (request: Request) => Promise<Response> | Response>;
  permissionRequestHandler: ((...args: never[]) => unknown) | undefined;
  permissionCheckHandler: ((...args: never[]) => unknown) | undefined;
  headersHandlers: { filter: unknown; handler: unknown }[];
  menu: MenuItem[] | undefined;
}

const freshState = (): FakeState => ({
  senderUrl: 'app://imgmeta/index.html',
  exposed: new Map(),
  errorBoxes: [],
  messageBoxes: [],
  nextOpenDialog: { canceled: true, filePaths: [] },
  openedExternally: [],
  privilegedSchemes: [],
  protocolHandlers: new Map(),
  permissionRequestHandler: undefined,
  permissionCheckHandler: undefined,
  headersHandlers: [],
  menu: undefined,
});

/** Copies a value across the bridge: functions become proxies whose errors keep only their message. */
function acrossBridge(value: unknown): unknown {
  if (typeof value === 'function') {
    return (...args: unknown[]) => {
      const carried = args.map((a) => (typeof a === 'function' ? a : structuredClone(a)));
      let result: unknown;
      try {
        result = (value as (...a: unknown[]) => unknown)(...carried);
      } catch (err) {
        throw new Error((err as Error).message);
      }
      if (result instanceof Promise)
        return result.then(acrossBridge, (err: unknown) => {
          throw new Error((err as Error).message);
        });
      return acrossBridge(result);
    };
  }
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value) && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, acrossBridge(v)]));
  }
  return structuredClone(value);
}

function createFake() {
  const handlers = new Map<string, InvokeHandler>();
  const rendererListeners = new Map<string, RendererListener[]>();
  let state = freshState();

  const ipcRenderer = {
    async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
      const handler = handlers.get(channel);
      if (!handler)
        throw new Error(
          `Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`,
        );
      const url = state.senderUrl;
      const event = { senderFrame: url === null ? null : { url }, sender: {} };
      const answer = await handler(event, ...structuredClone(args));
      return structuredClone(answer);
    },
    on(channel: string, listener: RendererListener) {
      rendererListeners.set(channel, [...(rendererListeners.get(channel) ?? []), listener]);
      return ipcRenderer;
    },
    removeListener(channel: string, listener: RendererListener) {
      rendererListeners.set(
        channel,
        (rendererListeners.get(channel) ?? []).filter((l) => l !== listener),
      );
      return ipcRenderer;
    },
  };

  const app = new FakeApp();

  const module = {
    app,
    BrowserWindow: FakeBrowserWindow,
    ipcMain: {
      handle(channel: string, handler: InvokeHandler) {
        if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
        handlers.set(channel, handler);
      },
      removeHandler(channel: string) {
        handlers.delete(channel);
      },
    },
    ipcRenderer,
    contextBridge: {
      exposeInMainWorld(key: string, api: unknown) {
        if (state.exposed.has(key))
          throw new Error(`Cannot bind an API on top of an existing property: ${key}`);
        state.exposed.set(key, acrossBridge(api));
      },
    },
    shell: {
      openExternal(url: string): Promise<void> {
        state.openedExternally.push(url);
        return Promise.resolve();
      },
    },
    protocol: {
      registerSchemesAsPrivileged(schemes: unknown[]) {
        state.privilegedSchemes.push(...schemes);
      },
      handle(scheme: string, handler: (request: Request) => Promise<Response> | Response) {
        state.protocolHandlers.set(scheme, handler);
      },
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler(handler: (...args: never[]) => unknown) {
          state.permissionRequestHandler = handler;
        },
        setPermissionCheckHandler(handler: (...args: never[]) => unknown) {
          state.permissionCheckHandler = handler;
        },
        webRequest: {
          onHeadersReceived(filter: unknown, handler: unknown) {
            state.headersHandlers.push({ filter, handler });
          },
        },
      },
    },
    screen: {
      getPrimaryDisplay: () => ({ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }),
      getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }],
    },
    dialog: {
      showErrorBox(title: string, content: string) {
        state.errorBoxes.push({ title, content });
      },
      async showOpenDialog(...args: unknown[]) {
        void args;
        return state.nextOpenDialog;
      },
      async showMessageBox(...args: unknown[]) {
        state.messageBoxes.push(args[args.length - 1] as Record<string, unknown>);
        return { response: 0, checkboxChecked: false };
      },
    },
    Menu: {
      buildFromTemplate: (template: MenuItem[]) => ({ template }),
      setApplicationMenu(menu: { template: MenuItem[] } | null) {
        state.menu = menu?.template;
      },
    },
  };

  return {
    module,
    app,
    handlers,
    get state() {
      return state;
    },
    /** Sets who the next invoke comes from (null: a frame that is gone). */
    set senderUrl(url: string | null) {
      state.senderUrl = url;
    },
    deliverToRenderer(channel: string, args: unknown[]) {
      const event = { sender: ipcRenderer, ports: [] };
      for (const listener of [...(rendererListeners.get(channel) ?? [])])
        listener(event, ...structuredClone(args));
    },
    rendererListenerCount(channel: string): number {
      return (rendererListeners.get(channel) ?? []).length;
    },
    /** Everything back to a fresh start, except what the preload exposed when it was imported. */
    reset() {
      const exposed = state.exposed;
      handlers.clear();
      rendererListeners.clear();
      state = { ...freshState(), exposed };
      FakeBrowserWindow.instances = [];
      app.isPackaged = false;
      app.gotLock = true;
      app.sandboxed = false;
      app.quitCalled = false;
      app.exitCode = undefined;
      app.name = 'Electron';
      app.paths.clear();
      app.removeAllListeners();
    },
  };
}

export const fake = createFake();

/** The module `vi.mock('electron', ...)` returns. */
export const electronModule = fake.module;

/** A menu item by label or role, searched through submenus. */
export function findMenuItem(menu: MenuItem[] | undefined, key: string): MenuItem | undefined {
  for (const item of menu ?? []) {
    if (item.label === key || item.role === key) return item;
    const found = findMenuItem(item.submenu, key);
    if (found) return found;
  }
  return undefined;
}
