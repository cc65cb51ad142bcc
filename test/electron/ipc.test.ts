import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventHub } from '../../src/main/event-hub';
import { forwardEvents, registerOperations } from '../../src/main/ipc';
import { isAppUrl } from '../../src/main/protocol';
import { chooseSourceChannel, registerChooseSource } from '../../src/main/source-dialog';
import { createBridge, type DesktopExtras } from '../../src/preload/index';
import { ImgmetaError } from '../../src/shared/errors';
import { eventNames } from '../../src/shared/events';
import { operationNames } from '../../src/shared/operations';
import { eventChannel, ipcChannel, reviveError, type Client } from '../../src/shared/transport';
import { imageInput, snapshot, tempStore } from '../helpers/store';
import { fake, FakeWebContents } from './fake-electron';

// The real electron module cannot load here; the preload and the IPC wiring run against a fake that routes
// ipcRenderer.invoke to the ipcMain handlers, over the real service and a real store in a temp directory. webUtils as
// Electron's: a File's path on disk ('' for one made in JS; here, one whose name is not absolute), a throw for
// anything that is not a File (Node's structured clone turns a File into a plain Blob).
vi.mock('electron', async () => ({
  ...(await import('./fake-electron')).electronModule,
  webUtils: {
    getPathForFile(file: unknown): string {
      if (!(file instanceof File)) throw new TypeError('Error processing argument at index 0');
      return file.name.startsWith('/') ? file.name : '';
    },
  },
}));
// Importing the preload runs it: it exposes `imgmeta` through the fake contextBridge.
await import('../../src/preload/index');

/** What the page sees as `window.imgmeta`, after the bridge. */
const page = () => fake.state.exposed.get('imgmeta') as Client & DesktopExtras;

/** The page's call, its rejection revived the way the renderer does it. */
async function failure(call: Promise<unknown>): Promise<{ raw: Error; revived: ImgmetaError }> {
  const raw = await call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e as Error,
  );
  return { raw, revived: reviveError(raw) };
}

let setup: ReturnType<typeof tempStore>;
let unregister: () => void;

beforeEach(() => {
  fake.reset();
  setup = tempStore();
  unregister = registerOperations(fake.module.ipcMain, () => setup.service, isAppUrl);
});
afterEach(() => unregister());

describe('every declared operation crosses IPC', () => {
  it('registers one handler per operation and nothing else', () => {
    expect(new Set(fake.handlers.keys())).toEqual(new Set(operationNames.map(ipcChannel)));
    expect(fake.handlers.size).toBe(operationNames.length);
  });

  it('exposes one named method per operation plus on, pathForFile and chooseSource, and nothing else', () => {
    expect([...fake.state.exposed.keys()]).toEqual(['imgmeta']);
    expect(Object.keys(page()).sort()).toEqual(
      [...operationNames, 'on', 'pathForFile', 'chooseSource'].sort(),
    );
    for (const key of Object.keys(page()))
      expect(typeof (page() as unknown as Record<string, unknown>)[key]).toBe('function');
  });

  it('removes its handlers when unregistered', () => {
    unregister();
    expect(fake.handlers.size).toBe(0);
    unregister = registerOperations(fake.module.ipcMain, () => setup.service, isAppUrl);
  });
});

describe('calls round-trip through the preload and main', () => {
  it('creates an image and gets it back', async () => {
    const input = imageInput('default', 'docker.io/library/alpine:3.20', 1, { labels: { team: 'infra' } });
    const created = await page()['images.create'](input);
    expect(created).toMatchObject({
      namespace: 'default',
      name: input.name,
      target: input.target,
      labels: input.labels,
    });
    expect(await page()['images.get']({ namespace: 'default', name: input.name })).toEqual(created);
    expect((await setup.service['images.list']({})).total).toBe(1);
  });

  it('keeps bytes as bytes in both directions', async () => {
    const value = new Uint8Array([0, 1, 2, 127, 128, 255]);
    await page()['metadata.set']({ namespace: 'distribution', key: 'v2/blobs/x', value });
    const got = await page()['metadata.get']({ namespace: 'distribution', key: 'v2/blobs/x' });
    expect(got.value).toBeInstanceOf(Uint8Array);
    expect([...got.value]).toEqual([...value]);
  });

  it('turns invalid input into invalid_argument, revived with its code', async () => {
    const before = await snapshot(setup.service, setup.store);
    const { raw, revived } = await failure(
      page()['images.create']({
        namespace: '',
        name: 'x',
        target: { mediaType: 'x', digest: 'nope', size: -1 },
      }),
    );
    expect(raw).not.toBeInstanceOf(ImgmetaError); // the bridge keeps only the message...
    expect(raw.message).toMatch(/^invalid_argument: images\.create: /);
    expect(revived).toBeInstanceOf(ImgmetaError); // ...from which the renderer gets the typed error back
    expect(revived.code).toBe('invalid_argument');
    expect(await snapshot(setup.service, setup.store)).toEqual(before);
  });

  it('refuses input that is not an object', async () => {
    const call = (page() as unknown as Record<string, (input: unknown) => Promise<unknown>>)['store.info']!;
    expect((await failure(call('all of it'))).revived.code).toBe('invalid_argument');
  });

  it('carries the service error codes', async () => {
    const { revived } = await failure(page()['images.get']({ namespace: 'default', name: 'missing:1' }));
    expect(revived.code).toBe('not_found');
    await page()['images.create'](imageInput('default', 'a:1', 1));
    expect((await failure(page()['images.create'](imageInput('default', 'a:1', 2)))).revived.code).toBe(
      'already_exists',
    );
  });

  it('follows the service it is given at call time (Open Store... swaps it)', async () => {
    const other = tempStore();
    await page()['images.create'](imageInput('default', 'first:1', 1));
    unregister();
    unregister = registerOperations(fake.module.ipcMain, () => other.service, isAppUrl);
    expect((await page()['images.list']({})).total).toBe(0);
  });
});

describe('only our own pages may call', () => {
  let warn: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  });
  afterEach(() => warn.mockRestore());

  for (const url of [
    'https://evil.example/',
    'http://localhost:5173/',
    'file:///work/main/out/renderer/index.html',
    'app://evil/index.html',
    'app://imgmeta:8080/index.html',
    'app://user@imgmeta/index.html',
    'not a url',
    '',
  ]) {
    it(`refuses ${JSON.stringify(url)} and changes nothing`, async () => {
      const before = await snapshot(setup.service, setup.store);
      fake.senderUrl = url;
      const { raw, revived } = await failure(page()['images.create'](imageInput('default', 'evil:1', 1)));
      expect(revived.code).toBe('failed_precondition');
      expect(raw.message).toMatch(/not an imgmeta page/);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^imgmeta: refused images\.create from /));
      fake.senderUrl = 'app://imgmeta/index.html';
      expect(await snapshot(setup.service, setup.store)).toEqual(before);
    });
  }

  it('refuses a frame that is gone', async () => {
    fake.senderUrl = null;
    expect((await failure(page()['store.info']({}))).revived.code).toBe('failed_precondition');
  });

  it('answers a refusal as an envelope, never a throw', async () => {
    const handler = fake.handlers.get(ipcChannel('images.create'))!;
    const answer = await handler(
      { senderFrame: { url: 'https://evil.example/' } },
      imageInput('default', 'x:1', 1),
    );
    expect(answer).toMatchObject({ ok: false, error: { code: 'failed_precondition' } });
  });

  it('accepts any page of the app', async () => {
    fake.senderUrl = 'app://imgmeta/images/default?sort=name#top';
    expect(await page()['store.info']({})).toMatchObject({ path: setup.dir });
  });
});

describe('events reach the page', () => {
  let hub: EventHub;
  let contents: FakeWebContents;
  let stop: () => void;
  beforeEach(() => {
    hub = new EventHub();
    contents = new FakeWebContents();
    stop = forwardEvents(hub, () => contents);
  });
  afterEach(() => stop());

  it('delivers every declared event with its payload only, until unsubscribed', () => {
    const seen: unknown[][] = [];
    const offs = eventNames.map((name) =>
      page().on(name, (...args: unknown[]) => seen.push([name, ...args])),
    );
    hub.emit('store.changed', { changeSeq: 7 });
    hub.emit('import.progress', { id: 'i1', source: '/tmp/x', phase: 'images', done: 1, total: 2 });
    hub.emit('app.command', { command: 'show-import' });
    expect(seen).toEqual([
      ['store.changed', { changeSeq: 7 }],
      ['import.progress', { id: 'i1', source: '/tmp/x', phase: 'images', done: 1, total: 2 }],
      ['app.command', { command: 'show-import' }],
    ]);
    expect(contents.sent.map(([channel]) => channel)).toEqual(eventNames.map(eventChannel));

    offs.forEach((off) => off());
    offs.forEach((off) => off()); // twice is harmless
    hub.emit('store.changed', { changeSeq: 8 });
    expect(seen).toHaveLength(3);
    for (const name of eventNames) expect(fake.rendererListenerCount(eventChannel(name))).toBe(0);
  });

  it('keeps other listeners when one unsubscribes', () => {
    const a: unknown[] = [];
    const b: unknown[] = [];
    const offA = page().on('store.changed', (e) => a.push(e));
    const offB = page().on('store.changed', (e) => b.push(e));
    offA();
    hub.emit('store.changed', { changeSeq: 1, reopened: true });
    expect(a).toEqual([]);
    expect(b).toEqual([{ changeSeq: 1, reopened: true }]);
    offB();
  });

  it('sends nothing to a window that is gone', () => {
    contents.destroyed = true;
    hub.emit('store.changed', { changeSeq: 1 });
    expect(contents.sent).toEqual([]);
  });

  it('refuses an event name that is not declared, and a listener that is not a function', () => {
    const on = page().on as (event: string, listener: unknown) => unknown;
    expect(() => on('store.deleted', () => {})).toThrow(/^invalid_argument: no event named store\.deleted/);
    expect(() => on('__proto__', () => {})).toThrow(/invalid_argument/);
    expect(() => on('store.changed', 'not a function')).toThrow(/invalid_argument/);
    expect(fake.rendererListenerCount('imgmeta:event:store.deleted')).toBe(0);
  });
});

describe("the desktop extras: a dropped file's path and the source dialog", () => {
  it("maps a dropped File to its path on disk, '' for one without", () => {
    const ipc = fake.module.ipcRenderer as unknown as Parameters<typeof createBridge>[0];
    const bridge = createBridge(ipc, {
      getPathForFile: (file) => (file.name === 'layout' ? '/home/me/layout' : ''),
    });
    expect(bridge.pathForFile(new File([], 'layout'))).toBe('/home/me/layout');
    expect(bridge.pathForFile(new File(['x'], 'made-in-js.txt'))).toBe('');
  });

  it('refuses what is not a File with invalid_argument, across the bridge too', () => {
    const pathForFile = page().pathForFile as (file: unknown) => string;
    let thrown: unknown;
    try {
      pathForFile({ name: '/etc/passwd' });
    } catch (err) {
      thrown = err;
    }
    expect(reviveError(thrown).code).toBe('invalid_argument');
    expect(reviveError(thrown).message).toMatch(/^pathForFile: /);
    // webUtils itself, reached through the exposed method (the fake bridge's clone makes a File a Blob: refused).
    expect(() => pathForFile(new File([], '/tmp/layout'))).toThrow(/invalid_argument/);
  });

  describe('chooseSource', () => {
    let chosen: string | undefined;
    let calls: number;
    let stop: () => void;
    beforeEach(() => {
      chosen = '/home/me/layout';
      calls = 0;
      stop = registerChooseSource(
        fake.module.ipcMain,
        async () => {
          calls++;
          if (chosen === 'boom') throw new Error('no display');
          return chosen;
        },
        isAppUrl,
      );
    });
    afterEach(() => stop());

    it('answers the path chosen in main, or undefined when cancelled', async () => {
      expect(await page().chooseSource()).toBe('/home/me/layout');
      chosen = undefined;
      expect(await page().chooseSource()).toBeUndefined();
      expect(calls).toBe(2);
    });

    it('registers one channel beside the operations, removed by its unregister', () => {
      expect(fake.handlers.has(chooseSourceChannel)).toBe(true);
      expect(fake.handlers.size).toBe(operationNames.length + 1);
      stop();
      expect(fake.handlers.has(chooseSourceChannel)).toBe(false);
      stop = registerChooseSource(fake.module.ipcMain, async () => undefined, isAppUrl);
    });

    it('refuses a page that is not ours without opening the dialog', async () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      fake.senderUrl = 'https://evil.example/';
      const { raw, revived } = await failure(page().chooseSource());
      fake.senderUrl = 'app://imgmeta/index.html';
      warn.mockRestore();
      expect(revived.code).toBe('failed_precondition');
      expect(raw.message).toMatch(/not an imgmeta page/);
      expect(calls).toBe(0);
    });

    it('carries a failure of the dialog as an error with a code', async () => {
      chosen = 'boom';
      const { revived } = await failure(page().chooseSource());
      expect(revived.code).toBe('internal');
      expect(revived.message).toContain('no display');
    });
  });
});
