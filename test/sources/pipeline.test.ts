import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createService } from '../../src/main/service';
import { throttled } from '../../src/main/sources/imports';
import { digestOf } from '../../src/main/store/content';
import type { ImportProgressEvent } from '../../src/shared/events';
import { writeLayout } from '../helpers/layout';
import { tempDir, tempStore } from '../helpers/store';

/** The import pipeline around every importer: one transaction, dry runs, cancel, progress, kept layers. */
function layoutWith(n: number): string {
  const dir = join(tempDir(), 'layout');
  writeLayout(
    dir,
    Array.from({ length: n }, (_, i) => ({ ref: `example.com/pipeline/app${i}:1`, seed: `s${i}` })),
  );
  return dir;
}

describe('an import', () => {
  it('reports progress for its id from reading to done', async () => {
    const { store } = tempStore();
    const events: ImportProgressEvent[] = [];
    const service = createService(store, { onImportProgress: (e) => events.push(e) });
    const result = await service['sources.import']({ path: layoutWith(3), id: 'watch-me' });
    expect(result.id).toBe('watch-me');
    expect(events.every((e) => e.id === 'watch-me')).toBe(true);
    expect(events[0]!.phase).toBe('reading');
    expect(events.at(-1)).toMatchObject({ phase: 'done', done: 3, total: 3 });
  });

  it('a dry run reports what would change and writes nothing', async () => {
    const { service } = tempStore();
    const before = (await service['store.info']({})).changeSeq;
    const dry = await service['sources.import']({ path: layoutWith(2), dryRun: true });
    expect([dry.dryRun, dry.images.created.length, dry.content.added]).toEqual([true, 2, 4]);
    const info = await service['store.info']({});
    expect([info.changeSeq, info.images, info.content]).toEqual([before, 0, 0]);
  });

  it('cancelled while reading: cancelled, and the store is exactly as before', async () => {
    const { service } = tempStore();
    const layout = layoutWith(50);
    const running = service['sources.import']({ path: layout, id: 'stop-me' });
    expect(await service['sources.cancel']({ id: 'stop-me' })).toEqual({ cancelled: true });
    await expect(running).rejects.toMatchObject({ code: 'cancelled' });
    expect((await service['store.info']({})).changeSeq).toBe(0);
    expect(await service['sources.cancel']({ id: 'stop-me' })).toEqual({ cancelled: false });
  });

  it('--keep-layers keeps each verified layer as a file beside the store, and no temp files', async () => {
    const { service, dir: storeDir } = tempStore();
    const layout = layoutWith(2);
    const result = await service['sources.import']({ path: layout, keepLayers: true });
    expect(result.layers.kept).toBe(2);
    for (let i = 0; i < 2; i++) {
      const bytes = new TextEncoder().encode(`layer bytes of s${i}`);
      const file = join(storeDir, 'layers', 'sha256', digestOf(bytes).slice('sha256:'.length));
      expect(readFileSync(file)).toEqual(Buffer.from(bytes));
    }
    expect(readdirSync(storeDir).filter((f) => f.startsWith('.import-'))).toEqual([]);
    expect(existsSync(join(layout, 'oci-layout'))).toBe(true); // the source is only read
  });
});

describe('progress reporting', () => {
  it('sends at most one update per interval, and the last of a burst once its turn comes', () => {
    vi.useFakeTimers();
    try {
      const sent: number[] = [];
      const { report, stop } = throttled((n: number) => sent.push(n), 100);
      for (let i = 1; i <= 50; i++) report(i, false);
      expect(sent).toEqual([1]);
      vi.advanceTimersByTime(100);
      expect(sent).toEqual([1, 50]);
      report(51, true);
      expect(sent).toEqual([1, 50, 51]);
      report(52, false);
      stop();
      vi.advanceTimersByTime(1000);
      expect(sent).toEqual([1, 50, 51]);
    } finally {
      vi.useRealTimers();
    }
  });
});
