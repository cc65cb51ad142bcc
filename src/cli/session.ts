import { resolve } from 'node:path';
import { defaultStorePath } from '../main/store/location';
import type { ServiceOptions } from '../main/service';
import type { Store } from '../main/store/store';
import type { Api } from '../shared/operations';
import type { Page } from '../shared/types';

/**
 * One CLI run's access to the store: opened on first use (usage errors and `--help` never touch it), through the
 * same service the app and the server use, and closed by the entry point whatever happened.
 */
export class Session {
  private store: Store | undefined;
  private service: Api | undefined;
  private readOnly = false;

  /** `storeOption` reads the global --store once commander has parsed it. */
  constructor(private readonly storeOption: () => string | undefined) {}

  /** --store DIR, else $IMGMETA_STORE, else the directory the desktop app opens; absolute, for messages and `info`. */
  storePath(): string {
    return resolve(this.storeOption() || defaultStorePath());
  }

  /** The service over the opened store. */
  async api(options: ServiceOptions = {}): Promise<Api> {
    return (await this.open(options)).api;
  }

  /**
   * The opened store and the service over it, for commands that need the store itself (`serve` watches its change
   * counter). `readOnly` gives a service that refuses every operation declared as writing (`serve --read-only`).
   * The store, the service and what they load (lmdb, zod) are imported here, on first use, so that --help, usage
   * errors and commands that need no store start in half the time.
   */
  async open(options: ServiceOptions = {}): Promise<{ store: Store; api: Api }> {
    const readOnly = options.readOnly ?? false;
    if (!this.store || !this.service || this.readOnly !== readOnly || options.onImportProgress) {
      const [{ Store }, { createService }] = await Promise.all([
        import('../main/store/store'),
        import('../main/service'),
      ]);
      this.store ??= Store.openAsAllowed(this.storePath());
      this.service = createService(this.store, options);
      this.readOnly = readOnly;
    }
    return { store: this.store, api: this.service };
  }

  close(): void {
    const store = this.store;
    this.store = undefined;
    this.service = undefined;
    store?.close();
  }
}

/** The largest page the API serves; listing everything walks pages of this size through `nextCursor`. */
export const pageSize = 1000;

/**
 * Every page of a paged list, up to `max` items in all: each call gets the cursor of the previous page and how many
 * items to ask for.
 */
export async function* allPages<T>(
  fetch: (cursor: string | undefined, limit: number) => Promise<Page<T>>,
  max = Number.POSITIVE_INFINITY,
): AsyncGenerator<T[]> {
  let cursor: string | undefined;
  let left = max;
  while (left > 0) {
    const page = await fetch(cursor, Math.min(pageSize, left));
    const items = page.items.slice(0, left);
    left -= items.length;
    if (items.length > 0) yield items;
    if (page.nextCursor === undefined || page.items.length === 0) return;
    cursor = page.nextCursor;
  }
}
