import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ImgmetaError, invalidArgument } from '../../shared/errors';
import type { ImportProgressEvent } from '../../shared/events';
import type { Detection, ImportResult } from '../../shared/types';
import type { Store } from '../store/store';
import { commitBatch, type CommitSummary } from './commit';
import { detectSource } from './index';
import type { ImportBatch, ImportProgress } from './types';
import { throwIfAborted } from './verify';

export interface ImportRequest {
  path: string;
  namespace?: string;
  keepLayers: boolean;
  dryRun: boolean;
  /** Chosen by the caller so that it can cancel before the result arrives; a fresh one otherwise. */
  id?: string;
}

/** Progress reaches the user at most this often: enough to move a bar, not enough to flood an event stream. */
const progressEveryMs = 100;

/**
 * The imports running in this process, by id, so that `sources.cancel` can stop one. An import reads the whole
 * source first (verifying every blob), and only then writes, in one transaction: a failure or a cancel at any point
 * before the commit leaves the store exactly as it was.
 */
export class Imports {
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly store: Store,
    private readonly emit: (event: ImportProgressEvent) => void = () => {},
  ) {}

  async detect(path: string, namespace?: string): Promise<Detection> {
    return (await detectSource(path, { namespace })).detection;
  }

  async run(request: ImportRequest): Promise<ImportResult> {
    const id = request.id ?? randomUUID();
    if (this.running.has(id)) throw invalidArgument(`an import with id ${id} is already running`);
    const controller = new AbortController();
    this.running.set(id, controller);
    let keepDir: string | undefined;
    let stopReporting = () => {};
    try {
      const { importer, detection } = await detectSource(request.path, { namespace: request.namespace });
      const { report, stop } = this.reporter(id, detection.path);
      stopReporting = stop;
      report({ phase: 'reading', items: 0, bytes: 0 }, true);
      if (request.keepLayers) keepDir = await mkdtemp(join(this.store.path, '.import-'));
      const batch = await importer.read(detection.path, {
        namespace: request.namespace,
        keepLayers: request.keepLayers,
        tempDir: keepDir,
        signal: controller.signal,
        progress: (update) => report(update, false),
      });
      throwIfAborted(controller.signal);
      report({ phase: 'writing', items: 0, totalItems: batch.images.length, bytes: 0 }, true);
      const summary = request.dryRun
        ? this.rehearse(batch)
        : this.store.write((ctx) => commitBatch(this.store.env, ctx, batch));
      const kept = request.dryRun ? 0 : await this.keepLayers(batch);
      report({ phase: 'done', items: batch.images.length, totalItems: batch.images.length, bytes: 0 }, true);
      return {
        id,
        kind: batch.kind,
        path: detection.path,
        dryRun: request.dryRun,
        ...summary,
        layers: { kept },
        damaged: batch.damaged,
        notes: batch.notes,
      };
    } finally {
      stopReporting();
      this.running.delete(id);
      if (keepDir) await rm(keepDir, { recursive: true, force: true });
    }
  }

  cancel(id: string): boolean {
    const controller = this.running.get(id);
    controller?.abort();
    return controller !== undefined;
  }

  /** A dry run is the real commit rolled back, so that what it reports is exactly what the import would do. */
  private rehearse(batch: ImportBatch): CommitSummary {
    let summary: CommitSummary | undefined;
    try {
      this.store.write((ctx) => {
        summary = commitBatch(this.store.env, ctx, batch);
        throw rollback;
      });
    } catch (err) {
      if (err !== rollback) throw err;
    }
    return summary!;
  }

  /** `--keep-layers`: the verified layer files move beside the LMDB environment, to `layers/<alg>/<hex>`. */
  private async keepLayers(batch: ImportBatch): Promise<number> {
    for (const layer of batch.layers) {
      const [algorithm, hex] = layer.digest.split(':') as [string, string];
      const dir = join(this.store.path, 'layers', algorithm);
      await mkdir(dir, { recursive: true });
      await rename(layer.file, join(dir, hex));
    }
    return batch.layers.length;
  }

  private reporter(id: string, source: string) {
    return throttled((update: ImportProgress) =>
      this.emit({
        id,
        source,
        phase: update.phase,
        done: update.items,
        total: update.totalItems,
        bytes: update.bytes,
        totalBytes: update.totalBytes,
      }),
    );
  }
}

/**
 * Progress at most every `everyMs`, and never stale: an update that arrives too soon is held and sent when its turn
 * comes, unless a newer one replaces it. Dropping it instead left a burst's last state (say, the last of 1,500 small
 * layers) unsent while a long step (a large layer) ran, so the app's bar showed nothing for that whole time.
 * `always` sends at once (phase changes); `stop` drops what is held, so a failed import sends nothing after its end.
 */
export function throttled<T>(send: (update: T) => void, everyMs = progressEveryMs) {
  let last = Number.NEGATIVE_INFINITY;
  let held: { update: T } | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    clearTimeout(timer);
    timer = undefined;
    held = undefined;
  };
  const now = (update: T) => {
    stop();
    last = Date.now();
    send(update);
  };
  const report = (update: T, always: boolean) => {
    if (always || Date.now() - last >= everyMs) return now(update);
    held = { update };
    timer ??= setTimeout(() => held && now(held.update), everyMs - (Date.now() - last));
  };
  return { report, stop };
}

/** Thrown inside a dry run's transaction to roll it back; never leaves this module. */
const rollback = new ImgmetaError('cancelled', 'dry run: rolled back');
