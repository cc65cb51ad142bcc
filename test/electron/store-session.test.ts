import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventHub } from '../../src/main/event-hub';
import { StoreSession } from '../../src/main/store-session';
import { Store } from '../../src/main/store/store';
import type { StoreChangedEvent } from '../../src/shared/events';
import { imageInput, tempDir } from '../helpers/store';

const sessions: StoreSession[] = [];
afterEach(() => {
  while (sessions.length > 0) sessions.pop()!.close();
});

function open(path: string) {
  const hub = new EventHub();
  const events: StoreChangedEvent[] = [];
  hub.on('store.changed', (event) => events.push(event));
  // A long interval: these tests never wait for the poller; the feed's own tests cover it.
  const session = new StoreSession(path, hub, 60_000);
  sessions.push(session);
  return { session, events };
}

/** A directory Store.open refuses: it holds other files and no data.mdb. */
function notAStore(): string {
  const dir = join(tempDir(), 'documents');
  mkdirSync(dir);
  writeFileSync(join(dir, 'notes.txt'), 'not a store');
  return dir;
}

describe('the open store (Open Store...)', () => {
  it('opens the store at a path, creating it', async () => {
    const dir = join(tempDir(), 'store');
    const { session } = open(dir);
    expect(session.path).toBe(dir);
    expect(await session.api['store.info']({})).toMatchObject({ path: dir, images: 0 });
  });

  it('throws the store error for a directory that is not a store', () => {
    const dir = notAStore();
    expect(() => open(dir)).toThrow(/is not a store/);
  });

  it('switches to another store and says so with store.changed reopened', async () => {
    const first = join(tempDir(), 'first');
    const second = join(tempDir(), 'second');
    const { session, events } = open(first);
    const api = session.api;
    await api['images.create'](imageInput('default', 'a:1', 1));

    expect(session.switchTo(second)).toBe(true);
    expect(session.path).toBe(second);
    expect(events).toEqual([{ changeSeq: 0, reopened: true }]);
    expect((await session.api['images.list']({})).total).toBe(0);

    // The first store was closed and its data is intact.
    const reopened = Store.open(first);
    try {
      expect(reopened.env.count(['images*'])).toBe(1);
    } finally {
      reopened.close();
    }
  });

  it('keeps the old store open when the new one cannot be opened', async () => {
    const first = join(tempDir(), 'first');
    const { session, events } = open(first);
    await session.api['images.create'](imageInput('default', 'a:1', 1));
    expect(() => session.switchTo(notAStore())).toThrow(/is not a store/);
    expect(session.path).toBe(first);
    expect((await session.api['images.list']({})).total).toBe(1);
    expect(events).toEqual([]);
  });

  it('does nothing when asked for the store already open', () => {
    const dir = join(tempDir(), 'store');
    const { session, events } = open(dir);
    expect(session.switchTo(join(dir, '.'))).toBe(false);
    expect(events).toEqual([]);
  });

  it('reports writes through the change feed as store.changed', async () => {
    const dir = join(tempDir(), 'store');
    const hub = new EventHub();
    const seen = new Promise<StoreChangedEvent>((resolve) => hub.on('store.changed', resolve));
    const session = new StoreSession(dir, hub, 5);
    sessions.push(session);
    await session.api['images.create'](imageInput('default', 'b:1', 2));
    const event = await seen;
    expect(event).toEqual({ changeSeq: 1 });
  });
});
