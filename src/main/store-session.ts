import { resolve } from 'node:path';
import { failedPrecondition } from '../shared/errors';
import type { Api } from '../shared/operations';
import { watchChanges } from './change-feed';
import type { EventHub } from './event-hub';
import { createService } from './service';
import { Store } from './store/store';

interface Opened {
  store: Store;
  service: Api;
  stopFeed: () => void;
}

/**
 * The store the desktop app has open, with its service and change feed. Open Store... switches it: the new store is
 * opened first, so a store that cannot be opened leaves the old one in place; the feed reports writes (ours and
 * other processes') as `store.changed`, and a switch as `store.changed` with `reopened: true`.
 */
export class StoreSession {
  private current: Opened;
  private closed = false;

  /** Throws the store's own error (newer schema, not a store, cannot be opened) with the path in its message. */
  constructor(
    path: string,
    private readonly hub: EventHub,
    private readonly feedIntervalMs?: number,
  ) {
    this.current = this.open(resolve(path));
  }

  get path(): string {
    return this.current.store.path;
  }

  /** The service of the store open now: callers look it up per call, so a switch takes effect at once. */
  get api(): Api {
    return this.current.service;
  }

  /** Switches to the store at `path`; false when it is the one already open. Throws, changing nothing, on failure. */
  switchTo(path: string): boolean {
    if (this.closed) throw failedPrecondition('the store session is closed');
    const dir = resolve(path);
    if (dir === this.path) return false;
    const next = this.open(dir);
    const previous = this.current;
    this.current = next;
    // Operations run their store work synchronously once called, so none is half-way through the old store here.
    previous.stopFeed();
    previous.store.close();
    this.hub.emit('store.changed', { changeSeq: next.store.changeSeq(), reopened: true });
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.current.stopFeed();
    this.current.store.close();
  }

  private open(path: string): Opened {
    const store = Store.openAsAllowed(path);
    try {
      const service = createService(store, {
        onImportProgress: (event) => this.hub.emit('import.progress', event),
      });
      const stopFeed = watchChanges(
        store,
        (event) => this.hub.emit('store.changed', event),
        this.feedIntervalMs,
      );
      return { store, service, stopFeed };
    } catch (err) {
      store.close();
      throw err;
    }
  }
}
