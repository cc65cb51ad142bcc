import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoreChangedEvent } from '../../src/shared/events';
import { createHttpClient } from '../../src/shared/http-client';
import type { StoreInfo } from '../../src/shared/types';
import { buildCli, cli, tempDirs, type Result } from '../cli/run';
import { readEvents, startServe, until } from '../server/harness';

/**
 * `imgmeta serve`, two CLI writers and a CLI reader, all separate processes on one store for ~30 s (the writers run
 * for IMGMETA_CONCURRENT_MS, 25 s by default): only `conflict` errors, no lost update of a counter that both writers
 * increment with expected versions, final counts equal to what the writers report, and the server's SSE stream
 * announces the CLI's writes.
 */
const runMs = Number(process.env.IMGMETA_CONCURRENT_MS ?? 25_000);
const dirs = tempDirs();
beforeAll(buildCli, 120_000);
afterAll(() => dirs.removeAll());

interface WriterReport {
  images: number;
  increments: number;
  conflicts: number;
  failures: string[];
}

const describeRun = (args: string[], r: Result) => `imgmeta ${args.join(' ')} exited ${r.code}: ${r.err}`;

/** One writer: adds images under its own names and increments the shared counter (read version, read value, set). */
async function writer(store: string, id: string, until: number): Promise<WriterReport> {
  const run = cli(store);
  const report: WriterReport = { images: 0, increments: 0, conflicts: 0, failures: [] };
  const expectOk = async (args: string[]) => {
    const r = await run(args);
    if (r.code !== 0) report.failures.push(describeRun(args, r));
    return r;
  };
  for (let i = 0; Date.now() < until; i++) {
    const digest = `sha256:${Number(id).toString(16).padStart(8, '0')}${i.toString(16).padStart(56, '0')}`;
    const add = await expectOk([
      'images',
      'add',
      `example.com/writer-${id}/app:${i}`,
      '-n',
      'shared',
      '--digest',
      digest,
      '--media-type',
      'application/vnd.oci.image.manifest.v1+json',
      '--size',
      String(i + 1),
    ]);
    if (add.code === 0) report.images++;
    // the version first, then the value: a write in between moves the version, so the set below conflicts
    const list = await expectOk(['meta', 'ls', 'counters', '--prefix', 'counter', '--json']);
    const version = (JSON.parse(list.out || '[]') as { key: string; version: number }[]).find(
      (k) => k.key === 'counter',
    )?.version;
    const value = version === undefined ? '0' : (await expectOk(['meta', 'get', 'counters', 'counter'])).out;
    const args = ['meta', 'set', 'counters', 'counter', String(Number(value) + 1), '--expected-version'];
    const set = await run([...args, String(version ?? 0)]);
    if (set.code === 0) report.increments++;
    else if (set.code === 1 && /^imgmeta: conflict: /.test(set.err)) report.conflicts++;
    else report.failures.push(describeRun(args, set));
  }
  return report;
}

/** The reader: lists and info while the writers run; counts never go backwards, every command succeeds. */
async function reader(store: string, until: () => boolean) {
  const run = cli(store);
  const failures: string[] = [];
  let reads = 0;
  let lastImages = 0;
  let lastSeq = 0;
  while (!until()) {
    const info = await run(['info', '--json']);
    const list = await run(['images', 'ls', '-n', 'shared', '-q']);
    if (info.code !== 0 || list.code !== 0) {
      failures.push(`reader: ${info.err}${list.err}`);
      continue;
    }
    const { images, changeSeq } = JSON.parse(info.out) as StoreInfo;
    if (images < lastImages || changeSeq < lastSeq)
      failures.push(`reader: went back from ${lastImages} images`);
    if (list.out.split('\n').filter(Boolean).length < images)
      failures.push(`reader: listed fewer images than info counted before`);
    lastImages = images;
    lastSeq = changeSeq;
    reads++;
  }
  return { reads, failures };
}

describe('the server, two CLI writers and a reader on one store at once', () => {
  it(
    'only conflicts fail, no increment is lost, the counts add up and the server announces the writes',
    { timeout: runMs + 90_000 },
    async () => {
      const store = join(dirs.make(), 'store');
      await cli(store).ok(['meta', 'set', 'counters', 'seed', 'x']);
      const serving = await startServe(['--store', store, 'serve', '--port', '0', '--token', 'T']);
      const url = new URL(serving.url);
      const events = readEvents(Number(url.port), 'T');
      await events.ready;
      const http = createHttpClient({ baseUrl: url.origin, token: 'T' });

      const end = Date.now() + runMs;
      let writing = true;
      const writers = Promise.all([writer(store, '1', end), writer(store, '2', end)]).finally(
        () => (writing = false),
      );
      const readers = reader(store, () => !writing);
      // and the server's own readers, over HTTP, see the same growing store
      let httpReads = 0;
      while (writing) {
        const page = await http['images.list']({ namespace: 'shared', limit: 1 });
        expect(page.total).toBeGreaterThanOrEqual(0);
        httpReads++;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const reports = await writers;
      const read = await readers;

      expect(reports.flatMap((r) => r.failures)).toEqual([]);
      expect(read.failures).toEqual([]);
      const images = reports.reduce((n, r) => n + r.images, 0);
      const increments = reports.reduce((n, r) => n + r.increments, 0);
      const conflicts = reports.reduce((n, r) => n + r.conflicts, 0);
      console.log(
        `concurrent processes: ${runMs / 1000} s, ${images} images and ${increments} increments written, ` +
          `${conflicts} conflicts, ${read.reads} CLI reads, ${httpReads} HTTP reads`,
      );
      expect(reports.every((r) => r.images > 0)).toBe(true);
      expect(increments).toBeGreaterThan(0);

      const info = await http['store.info']({});
      expect(info.images).toBe(images);
      const counter = await http['metadata.get']({ namespace: 'counters', key: 'counter' });
      expect(Number(new TextDecoder().decode(counter.value))).toBe(increments);
      const check = await cli(store).json<{ ok: boolean; errors: unknown[] }>(['check']);
      expect(check.errors).toEqual([]);

      // the server noticed the other processes' writes: the last store.changed names the final change counter
      const changed = () =>
        [...events.text().matchAll(/event: store\.changed\ndata: (.*)\n/g)].map(
          (m) => JSON.parse(m[1]!) as StoreChangedEvent,
        );
      await until(() => changed().at(-1)?.changeSeq === info.changeSeq, 'store.changed for the last write');
      expect(changed().length).toBeGreaterThan(1);
      events.close();
      serving.kill('SIGTERM');
      expect((await serving.exited).code).toBe(0);
    },
  );
});
