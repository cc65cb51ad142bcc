// The store benchmark (`npm run bench`): imgmeta's LMDB store against raw lmdb-js (the ceiling), better-sqlite3
// (what a user would pick instead) and, for metadata, Docker's file-per-key store, on the same generated data in one
// run. Prints the table and writes bench/results/store.json and bench/results/store.md.
//
// BENCH_SCALE=0.1 scales every count down (for working on the benchmark itself; results are written at 1 only).
// BENCH_FILL_BATCH=50000 fills the stores in 50k-image transactions instead of one (much slower: see config).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import type { ImageRef } from '../src/shared/types';
import { setValue } from '../src/main/store/metadata';
import { Store } from '../src/main/store/store';
import {
  dataNow,
  generateImages,
  imageId,
  prng,
  sampleIndexes,
  type ImageData,
  type ImageSpec,
  MetadataSet,
  type MetadataSpec,
} from './data';
import { fill, fillOnWorker, importKeys, importOnWorker, runWorker, total, type FillBatches } from './fill';
import { GcLog, now, sample, stats, timed, timedOnce, type Stats } from './measure';
import { FilePerKey } from './peer-files';
import { Imgmeta } from './peer-imgmeta';
import { RawLmdb } from './peer-lmdb';
import { loadSqlite, Sqlite, sqliteSettings } from './peer-sqlite';
import type { ImagePeer, MetadataPeer, PageQuery, PageResult, PeerId } from './peers';
import { check, renderMarkdown, renderText, type Figure, type Row } from './report';

const scale = Number(process.env.BENCH_SCALE ?? '1');
const config = {
  images: Math.round(1_000_000 * scale),
  metadataKeys: Math.round(1_000_000 * scale),
  fileKeys: Math.round(100_000 * scale),
  /**
   * Keys of the file-per-key store written durably (fsync each, as Docker does) and timed for its batched-set rate;
   * the rest of its 100,000 keys are written the same way without the fsync, untimed (setup for the read rows).
   */
  fileKeysTimed: Math.round(10_000 * scale),
  /**
   * Images per durable transaction for the 1M fill. One transaction: in 50k batches every commit copies nearly every
   * index page (random keys), which took 412 s for imgmeta and 171 s for raw lmdb-js here; `imagesBatch` measures
   * that cost as one batch into the full store. BENCH_FILL_BATCH=50000 runs the fill that way.
   */
  fillBatch: Number(process.env.BENCH_FILL_BATCH ?? '1000000'),
  /** The batch size of the store's bulk path (~20k-50k per transaction): the metadata import. */
  batch: 50_000,
  /**
   * One more image transaction into the full store, at the small end of the importers' batches (a commit costs about
   * the pages its random keys touch, which at this size is already most index pages; 50,000 took 29 s of the run).
   */
  moreImages: Math.round(20_000 * scale),
  /** Images deleted (with their blobs) by the delete + GC step. */
  deleted: Math.round(10_000 * scale),
  pageSize: 100,
  deepName: Math.round(900_000 * scale),
  deepSorted: Math.round(500_000 * scale),
  label: 'env=prod',
  substrings: ['nginx', 'coredns', 'redis:7', 'acme/api', ':v1.2', 'bookworm', 'csi-', 'sha-0'],
  /** Raw lmdb-js scans every name whatever the needle (0.3-3 s each at 1M): it runs the first one only. */
  rawSubstrings: 1,
  metadataPrefix: 'sha256/ab',
  singleSets: 1000,
  /**
   * Right after a bulk import LMDB commits are slow (here ~10-14 ms each for the ~300 commits after the 1M-key import,
   * raw lmdb-js alike: each merges one more free-list record, see the README): fewer samples there.
   */
  singleSetsAfterBulk: 200,
};

const benchDir = resolve(import.meta.dirname, '..', '..', 'bench');
const resultsDir = join(benchDir, 'results');

const rows: Row[] = [];
/** Where the wall time goes: every progress line, also written to the results. */
const timeline: string[] = [];
const log = (message: string, at = now()) => {
  const line = `[${((at - started) / 1000).toFixed(1).padStart(6)} s] ${message}`;
  timeline.push(line);
  process.stderr.write(`${line}\n`);
};
const started = now();

// ---- sampling ---------------------------------------------------------------------------------------------------

/**
 * Latency of `fn(i)` over up to `maxN` calls (at least `minN`), stopping once `budgetMs` is spent: >= 1000 samples
 * for cheap reads, a handful for the operations that take 100 ms.
 */
function latency(
  fn: (i: number) => unknown,
  { maxN = 1000, minN = 5, budgetMs = 400, warmup = 2 } = {},
): Stats {
  for (let i = 0; i < warmup; i++) fn(i);
  const ms: number[] = [];
  const end = now() + budgetMs;
  for (let i = 0; i < maxN && (i < minN || now() < end); i++) {
    const start = now();
    fn(i);
    ms.push(now() - start);
  }
  return stats(ms);
}

const p50 = (s: Stats, note?: string): Figure => ({ value: s.p50, unit: 'ms', stats: s, note });
const p99 = (s: Stats, note?: string): Figure => ({ value: s.p99, unit: 'ms', stats: s, note });
const once = (ms: number, note?: string): Figure => ({ value: ms, unit: 'ms', note });

const gcLog = new GcLog();
/** The single-shot figures and when they ran: noteCollections adds the V8 collections that fell inside each. */
const singleShots: { figure: Figure; window: [number, number] }[] = [];

const joinNotes = (...notes: (string | undefined)[]) => notes.filter(Boolean).join('; ') || undefined;

/** One measurement of `fn` (a first query: only the first one is), with the page faults it took. */
function singleShot(fn: () => unknown): Figure {
  const t = timedOnce(fn);
  const figure = once(
    t.ms,
    `${t.minorFaults} minor page faults${t.majorFaults > 0 ? `, ${t.majorFaults} major` : ''}`,
  );
  singleShots.push({ figure, window: t.window });
  return figure;
}

function noteCollections(): void {
  for (const { figure, window } of singleShots) {
    const ms = gcLog.within(...window);
    if (ms >= 0.1) figure.note = joinNotes(figure.note, `V8 collections took ${ms.toFixed(1)} ms of it`);
  }
  gcLog.stop();
}
const rate = (count: number, ms: number, note?: string): Figure => ({
  value: (count / ms) * 1000,
  unit: 'rate',
  note,
  stats: undefined,
});

/** Same answer from every peer, or the comparison is meaningless: a mismatch fails the run. */
function sameItems(operation: string, results: Partial<Record<PeerId, PageResult>>): void {
  const names = Object.entries(results).map(
    ([peer, r]) => [peer, r!.items.map((i) => `${i.namespace}/${i.name}`).join('\n')] as const,
  );
  for (const [peer, list] of names.slice(1)) {
    if (list !== names[0]![1])
      throw new Error(`${operation}: ${peer} returned different items than ${names[0]![0]}`);
  }
  const totals = Object.entries(results).filter(([, r]) => r!.total !== undefined);
  for (const [peer, r] of totals.slice(1)) {
    if (r!.total !== totals[0]![1]!.total)
      throw new Error(`${operation}: ${peer} counted ${r!.total}, ${totals[0]![0]} ${totals[0]![1]!.total}`);
  }
}

// ---- images -----------------------------------------------------------------------------------------------------

interface ImagePeers {
  imgmeta: Imgmeta;
  lmdb: RawLmdb;
  sqlite: Sqlite;
}

const imagePeers = (p: ImagePeers): ImagePeer[] => [p.imgmeta, p.lmdb, p.sqlite];

function bulkCreate(fills: Record<keyof ImagePeers, FillBatches>, images: number): void {
  const figures: Row['figures'] = {};
  for (const [peer, batches] of Object.entries(fills) as [PeerId, FillBatches][]) {
    const ms = total(batches);
    const growth =
      batches.length === 1
        ? 'one transaction'
        : `first batch ${(batches[0]! / 1000).toFixed(1)} s, last ${(batches[batches.length - 1]! / 1000).toFixed(1)} s`;
    figures[peer] = rate(images, ms, `${(ms / 1000).toFixed(1)} s total; ${growth}`);
  }
  rows.push({
    id: 'images.bulkCreate',
    operation: `bulk create ${images.toLocaleString('en')} images (${config.fillBatch >= images ? 'one durable transaction' : `${config.fillBatch / 1000}k per durable transaction`})`,
    figures,
    checks: [],
    note: 'the three fills run at once, a core each: imgmeta on the main thread, raw lmdb-js then SQLite on a worker thread',
  });
}

function countAll(p: ImagePeers): void {
  const figures: Row['figures'] = {};
  const counts = new Set<number>();
  for (const peer of imagePeers(p)) {
    figures[peer.id] = p50(latency(() => counts.add(peer.countAll())));
  }
  if (counts.size !== 1) throw new Error(`count: peers disagree: ${[...counts].join(', ')}`);
  rows.push({
    id: 'images.count',
    operation: 'count all images',
    figures,
    checks: [check.ratio('lmdb', 1.5), check.faster('sqlite')],
    note: 'raw: getStats().entryCount; sqlite: SELECT COUNT(*)',
  });
}

function countNamespace(p: ImagePeers): void {
  const figures: Row['figures'] = {};
  const counts = new Set<number>();
  for (const peer of imagePeers(p))
    figures[peer.id] = p50(latency(() => counts.add(peer.countNamespace('k8s.io'))));
  if (counts.size !== 1) throw new Error(`count k8s.io: peers disagree: ${[...counts].join(', ')}`);
  rows.push({
    id: 'images.countNamespace',
    operation: 'count one namespace (k8s.io)',
    figures,
    checks: [check.ratio('lmdb', 1.5), check.faster('sqlite')],
    note: 'raw: getKeysCount over the namespace range; sqlite: COUNT(*) WHERE ns = ?',
  });
}

/** One page query on every image peer: cross-checked at the first offset, then timed over `offsets(i)`. */
function pageRow(
  p: ImagePeers,
  id: string,
  operation: string,
  query: PageQuery,
  options: {
    offsets?: (i: number) => number;
    orders?: boolean;
    peers?: ImagePeer[];
    note?: string;
    checks?: Row['checks'];
  } = {},
): void {
  const peers = options.peers ?? imagePeers(p);
  const results: Partial<Record<PeerId, PageResult>> = {};
  for (const peer of peers) results[peer.id] = peer.page(query);
  sameItems(operation, results);
  if (options.orders) {
    const desc: Partial<Record<PeerId, PageResult>> = {};
    for (const peer of peers) desc[peer.id] = peer.page({ ...query, order: 'desc' });
    sameItems(`${operation} (desc)`, desc);
  }
  const figures: Row['figures'] = {};
  for (const peer of peers) {
    const at = (i: number): PageQuery => ({
      ...query,
      offset: options.offsets ? options.offsets(i) : query.offset,
      order: options.orders && i % 2 === 1 ? 'desc' : query.order,
    });
    figures[peer.id] = p50(latency((i) => peer.page(at(i))));
  }
  rows.push({
    id,
    operation,
    figures,
    checks: options.checks ?? [check.under(10), check.ratio('lmdb', 1.5), check.faster('sqlite')],
    note: options.note,
  });
}

/**
 * One-time costs on a freshly opened store (what a new process pays once): the first deep page, then the first
 * name-substring query, which needs the in-memory catalog: scanned from the name index (and saved) the first time,
 * loaded from the save by every process after.
 */
function firstAfterOpen(p: ImagePeers): void {
  p.imgmeta.reopen();
  const deep = singleShot(() =>
    p.imgmeta.page({ sort: 'name', order: 'asc', offset: config.deepName, limit: config.pageSize }),
  );
  const substring = singleShot(() => p.imgmeta.nameContains('nginx:1', config.pageSize));
  if (p.imgmeta.store.catalog.origin !== 'index')
    throw new Error('the first catalog was not scanned from the index');
  const next = firstQueryInNewProcess(p.imgmeta.store.path, 'nginx:1');
  if (next.origin !== 'saved') throw new Error('the next process did not load the saved catalog');
  const loaded = once(next.ms, `in a process of its own; ${next.minorFaults} minor page faults`);
  rows.push({
    id: 'images.deepAfterOpen',
    operation: `page at ${config.deepName.toLocaleString('en')} by name, first after open (cold)`,
    figures: { imgmeta: deep },
    checks: [],
    note: 'paid once per process',
  });
  rows.push({
    id: 'images.substringAfterOpen',
    operation: 'first name-substring query after open, no saved catalog (scans the index, saves)',
    figures: { imgmeta: substring },
    checks: [],
    note: 'paid once after a bulk change; later processes load the save',
  });
  rows.push({
    id: 'images.substringAfterOpenSaved',
    operation: 'first name-substring query after open, from the saved catalog',
    figures: { imgmeta: loaded },
    checks: [],
    note: 'paid once per process, then kept current from the change log',
  });
}

/**
 * A new process's first name-substring query on the store (`store-bench.cjs first-query <store> <needle>`), timed in
 * that process after it opens the store, as a CLI command pays it on top of starting up. A process of its own, so
 * that it starts with a fresh memory map and heap, and leaves the benchmark's own as they were.
 */
function firstQueryInNewProcess(
  path: string,
  needle: string,
): { ms: number; origin: string | undefined; minorFaults: number } {
  const out = execFileSync(process.execPath, [process.argv[1]!, 'first-query', path, needle], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as { ms: number; origin: string | undefined; minorFaults: number };
}

function firstQuery(path: string, needle: string): void {
  const store = Store.open(path);
  try {
    const t = timedOnce(() =>
      store.listImages({ sort: 'name', order: 'asc', limit: config.pageSize, filter: { name: needle } }),
    );
    const result = { ms: t.ms, origin: store.catalog.origin, minorFaults: t.minorFaults };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    store.close();
  }
}

/** A new sort order or filter on a warm catalog: the first query sorts or filters every row, later pages slice. */
function catalogFirstQuery(p: ImagePeers, id: string, operation: string, query: PageQuery): void {
  rows.push({
    id,
    operation,
    figures: { imgmeta: singleShot(() => p.imgmeta.page(query)) },
    checks: [check.under(10)],
    note: 'the first query of its kind (later pages of it are the warm row below)',
  });
}

function cursorRow(p: ImagePeers): void {
  const query: PageQuery = { sort: 'name', order: 'asc', offset: config.deepName, limit: config.pageSize };
  const firsts: Partial<Record<PeerId, PageResult>> = {};
  const nexts: Partial<Record<PeerId, PageResult>> = {};
  for (const peer of imagePeers(p)) {
    firsts[peer.id] = peer.page(query);
    nexts[peer.id] = peer.nextPage(query, firsts[peer.id]!);
  }
  sameItems('next page by cursor', nexts);
  const figures: Row['figures'] = {};
  for (const peer of imagePeers(p))
    figures[peer.id] = p50(latency(() => peer.nextPage(query, firsts[peer.id]!)));
  rows.push({
    id: 'images.cursorDeep',
    operation: `next page by cursor at ${config.deepName.toLocaleString('en')}`,
    figures,
    checks: [check.under(10), check.ratio('lmdb', 1.5), check.faster('sqlite')],
    note: 'raw: getKeys from the last key; sqlite: keyset WHERE (name, ns) > (?, ?)',
  });
}

function nameSubstring(p: ImagePeers): void {
  const figures: Row['figures'] = {};
  const all: Partial<Record<PeerId, PageResult[]>> = {};
  for (const peer of imagePeers(p)) {
    const needles = peer.id === 'lmdb' ? config.substrings.slice(0, config.rawSubstrings) : config.substrings;
    const results: PageResult[] = [];
    const ms = needles.map(
      (needle) => timed(() => results.push(peer.nameContains(needle, config.pageSize))).ms,
    );
    figures[peer.id] = p50(stats(ms), `max ${Math.max(...ms).toFixed(1)} ms over ${ms.length} needles`);
    all[peer.id] = results;
  }
  config.substrings.forEach((needle, i) =>
    sameItems(
      `name contains ${needle}`,
      Object.fromEntries(
        Object.entries(all)
          .filter(([, r]) => i < r.length)
          .map(([peer, r]) => [peer, r[i]!]),
      ),
    ),
  );
  const totals = all.imgmeta!.map((r) => r.total ?? 0);
  rows.push({
    id: 'images.nameSubstring',
    operation: `name-substring filter over ${config.images.toLocaleString('en')} names (total + first page)`,
    figures,
    checks: [check.faster('sqlite')],
    note: `${config.substrings.length} needles, each a new query (${Math.min(...totals)}..${Math.max(...totals)} matches); sqlite: COUNT(*) + page with LIKE '%x%'; raw: a scan of the name index, for the first ${config.rawSubstrings === 1 ? 'needle' : `${config.rawSubstrings} needles`} only`,
  });
}

function liveStore(p: ImagePeers, run: ImageRun): void {
  // A deep sorted page right after an unrelated write (a metadata set): does the catalog keep its sorted results?
  const query: PageQuery = {
    sort: 'created',
    order: 'asc',
    offset: config.deepSorted,
    limit: config.pageSize,
  };
  p.imgmeta.page(query);
  const value = new TextEncoder().encode('sha256:' + '0'.repeat(64));
  p.imgmeta.store.write((ctx) =>
    setValue(p.imgmeta.store.env, ctx, {
      namespace: 'diffid-by-digest',
      key: 'sha256/' + '1'.repeat(64),
      value,
    }),
  );
  const afterMeta = singleShot(() => p.imgmeta.page(query));
  rows.push({
    id: 'images.afterUnrelatedWrite',
    operation: `page at ${config.deepSorted.toLocaleString('en')} by created, first after a metadata write`,
    figures: { imgmeta: afterMeta },
    checks: [check.under(10)],
    note: 'a write that touches no image',
  });
  const template = run.template;
  p.imgmeta.createImages([{ ...template, name: 'docker.io/library/bench:after', createdAt: dataNow }]);
  const afterImage = singleShot(() => p.imgmeta.page(query));
  rows.push({
    id: 'images.afterOneImage',
    operation: `page at ${config.deepSorted.toLocaleString('en')} by created, first after creating one image`,
    figures: { imgmeta: afterImage },
    checks: [check.under(10)],
    note: 'one image written since the previous query in this order',
  });
  p.imgmeta.deleteImages([{ namespace: template.namespace, name: 'docker.io/library/bench:after' }]);
}

/** The store's bulk path at scale: one batch of the documented size (~20k-50k per transaction) into the full store. */
function imagesBatch(p: ImagePeers, run: ImageRun): void {
  const batch = run.more;
  const figures: Row['figures'] = {};
  for (const peer of imagePeers(p)) {
    const ms = timed(() => peer.createImages(batch)).ms;
    figures[peer.id] = rate(batch.length, ms, `${(ms / 1000).toFixed(1)} s for the batch`);
    log(`batch of ${batch.length} into the full store ${peer.id}: ${(ms / 1000).toFixed(1)} s`);
  }
  rows.push({
    id: 'images.batchIntoFull',
    operation: `create ${config.moreImages.toLocaleString('en')} more images in one transaction (store holds ${config.images.toLocaleString('en')})`,
    figures,
    checks: [],
    note: 'random keys touch nearly every index page, and LMDB copies each touched page on commit',
  });
}

function deleteAndGc(p: ImagePeers, run: ImageRun): void {
  const refs = run.doomed;
  const figures: Row['figures'] = {};
  const removed = new Set<number>();
  for (const peer of imagePeers(p)) {
    const del = timed(() => peer.deleteImages(refs)).ms;
    const gc = timed(() => removed.add(peer.gc())).ms;
    figures[peer.id] = once(del + gc, `delete ${del.toFixed(0)} ms + gc ${gc.toFixed(0)} ms`);
    log(`delete + gc ${peer.id}: ${del.toFixed(0)} + ${gc.toFixed(0)} ms`);
  }
  if (removed.size !== 1 || !removed.has(run.blobs))
    throw new Error(`gc: peers removed ${[...removed].join(', ')}, expected ${run.blobs}`);
  rows.push({
    id: 'images.deleteGc',
    operation: `delete ${refs.length.toLocaleString('en')} images (purge) + GC of their ${run.blobs.toLocaleString('en')} blobs`,
    figures,
    checks: [],
    note: 'raw: digest-index lookup per stored blob, then sweep; sqlite: recursive CTE mark + DELETE',
  });
  const rebuild = singleShot(() =>
    p.imgmeta.page({ sort: 'name', order: 'asc', offset: config.deepName, limit: config.pageSize }),
  );
  rows.push({
    id: 'images.afterBulkDelete',
    operation: `page at ${config.deepName.toLocaleString('en')} by name, first after the delete`,
    figures: { imgmeta: rebuild },
    checks: [check.under(10)],
    note: '10,000 images deleted in one transaction since the previous query',
  });
}

/**
 * What the image rows need of the generated data once the stores are filled; the million generated records are let go
 * (see MetadataSet for why).
 */
interface ImageRun {
  images: number;
  /** An image to copy for the one-image write. */
  template: ImageSpec;
  /** The batch written into the full store: new names. */
  more: ImageSpec[];
  /** The images the delete + GC step removes, and how many blobs only they hold. */
  doomed: ImageRef[];
  blobs: number;
}

function imageRun(data: ImageData): ImageRun {
  const existing = new Set(data.images.map((i) => imageId(i.namespace, i.name)));
  return {
    images: data.images.length,
    template: data.images[0]!,
    more: generateImages(config.moreImages, 0, 43, existing).images,
    doomed: data.doomed.map((i) => ({ namespace: data.images[i]!.namespace, name: data.images[i]!.name })),
    blobs: data.blobs.length,
  };
}

function imageBenchmarks(p: ImagePeers, run: ImageRun, fills: Record<keyof ImagePeers, FillBatches>): void {
  const q = (sort: PageQuery['sort'], offset: number, label?: string): PageQuery => ({
    sort,
    order: 'asc',
    offset,
    limit: config.pageSize,
    label,
  });
  // Offsets around `base`, so that no two consecutive samples ask for the same page.
  const spread = (base: number) => (i: number) =>
    base + ((i * 7919) % Math.min(1000, Math.max(1, Math.floor(base / 2))));

  bulkCreate(fills, run.images);
  countAll(p);
  countNamespace(p);
  pageRow(p, 'images.firstPage', 'first page of 100 by name', q('name', 0), { orders: false });
  firstAfterOpen(p);
  log('first queries after open done');
  pageRow(
    p,
    'images.deepName',
    `page at ${config.deepName.toLocaleString('en')} by name`,
    q('name', config.deepName),
    {
      offsets: spread(config.deepName),
      note: 'raw and sqlite skip with offset (linear); imgmeta warm (after the first deep query)',
    },
  );
  cursorRow(p);
  for (const sort of ['created', 'size'] as const) {
    catalogFirstQuery(
      p,
      `images.${sort}First`,
      `page at ${config.deepSorted.toLocaleString('en')} by ${sort}, first query in that order`,
      q(sort, config.deepSorted),
    );
    pageRow(
      p,
      `images.${sort}Deep`,
      `page at ${config.deepSorted.toLocaleString('en')} by ${sort} (asc and desc)`,
      q(sort, config.deepSorted),
      {
        offsets: spread(config.deepSorted),
        orders: true,
        note: 'warm (after the first query in that order)',
      },
    );
  }
  log('sorted pages done');
  nameSubstring(p);
  log('substring done');

  const labelTotal = p.imgmeta.page(q('name', 0, config.label)).total!;
  pageRow(
    p,
    'images.labelFirst',
    `label filter ${config.label}: first page by name`,
    q('name', 0, config.label),
  );
  const labelDeep = Math.floor(labelTotal / 2);
  catalogFirstQuery(
    p,
    'images.labelDeepFirst',
    `label filter ${config.label}: page at ${labelDeep.toLocaleString('en')}, first query`,
    q('name', labelDeep, config.label),
  );
  pageRow(
    p,
    'images.labelDeep',
    `label filter ${config.label}: page at ${labelDeep.toLocaleString('en')} of ${labelTotal.toLocaleString('en')} by name`,
    q('name', labelDeep, config.label),
    {
      offsets: spread(labelDeep),
    },
  );
  pageRow(
    p,
    'images.labelCreated',
    `label filter ${config.label}: page at ${labelDeep.toLocaleString('en')} by created`,
    q('created', labelDeep, config.label),
    {
      offsets: spread(labelDeep),
      peers: [p.imgmeta, p.sqlite],
      checks: [check.under(10), check.faster('sqlite')],
      note: 'raw lmdb-js has no index for this order: n/a',
    },
  );
  log('label pages done');
  liveStore(p, run);
  imagesBatch(p, run);
  deleteAndGc(p, run);
}

// ---- metadata ---------------------------------------------------------------------------------------------------

interface MetadataPeers {
  imgmeta: Imgmeta;
  lmdb: RawLmdb;
  sqlite: Sqlite;
  files: FilePerKey;
}

const metadataPeers = (p: MetadataPeers): MetadataPeer[] => [p.imgmeta, p.lmdb, p.sqlite, p.files];

interface SetLatencies {
  afterBulk: Partial<Record<PeerId, number[]>>;
}

/** Where the raw lmdb-js and SQLite stores live (the worker opens its own handles on them). */
interface PeerPaths {
  lmdb: string;
  sqlite: string;
}

async function metadataBulk(
  p: MetadataPeers,
  keys: MetadataSet,
  extra: MetadataSpec[],
  paths: PeerPaths,
): Promise<SetLatencies> {
  const n = config.metadataKeys;
  const imported = (ms: number, beside: string) =>
    rate(n, ms, `${n.toLocaleString('en')} keys in ${(ms / 1000).toFixed(1)} s, ${beside}`);
  // raw lmdb-js and SQLite import on the worker while imgmeta imports here (fill.ts).
  const others = importOnWorker(
    {
      metadata: keys.parts(),
      count: n,
      batchSize: config.batch,
      lmdbPath: paths.lmdb,
      sqlitePath: paths.sqlite,
      benchDir,
    },
    log,
  );
  const ms = importKeys(p.imgmeta, keys, n, config.batch);
  log(`metadata bulk imgmeta: ${(ms / 1000).toFixed(1)} s`);
  const figures: Row['figures'] = { imgmeta: imported(ms, 'beside the other two imports') };
  const { lmdb, sqlite } = await others;
  figures.lmdb = imported(lmdb, 'beside the imgmeta import');
  figures.sqlite = imported(sqlite, 'beside the imgmeta import');
  const timedFiles = importKeys(p.files, keys, config.fileKeysTimed, config.batch);
  figures.files = rate(
    config.fileKeysTimed,
    timedFiles,
    `${config.fileKeysTimed.toLocaleString('en')} keys in ${(timedFiles / 1000).toFixed(1)} s`,
  );
  log(`metadata bulk files: ${(timedFiles / 1000).toFixed(1)} s`);
  const fillMs = timed(() => p.files.fill(keys.slice(config.fileKeysTimed, config.fileKeys))).ms;
  log(
    `file-per-key: ${(config.fileKeys - config.fileKeysTimed).toLocaleString('en')} more keys without fsync (setup) in ${(fillMs / 1000).toFixed(1)} s`,
  );
  // Then, one store at a time: single durable sets of new keys, to catch commits that stall after a big import.
  const afterBulk: SetLatencies['afterBulk'] = {};
  for (const peer of metadataPeers(p)) {
    afterBulk[peer.id] = extra
      .slice(0, config.singleSetsAfterBulk)
      .map((e) => timed(() => peer.setOne(e.key, e.value)).ms);
  }
  rows.push({
    id: 'metadata.bulkSet',
    operation: `metadata batched set (${config.batch / 1000}k per durable transaction; file-per-key: one atomic write per key)`,
    figures,
    checks: [check.rateRatio('files', 5)],
    note: `imgmeta, raw and sqlite write ${n.toLocaleString('en')} keys, imgmeta's import at the same time as the other two (on a worker thread); file-per-key's rate is timed alone over ${config.fileKeysTimed.toLocaleString('en')} fsynced writes, and the rest of its ${config.fileKeys.toLocaleString('en')} keys are written without fsync, untimed`,
  });
  return { afterBulk };
}

function metadataGet(p: MetadataPeers, keys: MetadataSet): void {
  const rnd = prng(11);
  const samples = {
    all: sampleIndexes(rnd, 10_000, config.metadataKeys),
    files: sampleIndexes(rnd, 10_000, config.fileKeys),
  };
  const p50s: Row['figures'] = {};
  const p99s: Row['figures'] = {};
  for (const peer of metadataPeers(p)) {
    const picks = peer.id === 'files' ? samples.files : samples.all;
    const before = process.resourceUsage();
    const s = latency(
      (i) => {
        if (!peer.get(keys.key(picks[i % picks.length]!)))
          throw new Error(`${peer.id}: a key it holds is missing`);
      },
      { maxN: 10_000, budgetMs: 3000, warmup: 100 },
    );
    // A random key's leaf is mostly one this process has not mapped yet; a fault costs ~12 us on this VM.
    const after = process.resourceUsage();
    const per = (n: number) => (n / (s.n + 100)).toFixed(2);
    const faults = `${per(after.minorPageFault - before.minorPageFault)} minor, ${per(after.majorPageFault - before.majorPageFault)} major page faults a get`;
    p50s[peer.id] = p50(s, faults);
    p99s[peer.id] = p99(s);
  }
  const checks = [check.ratio('lmdb', 1.5), check.faster('sqlite')];
  rows.push({
    id: 'metadata.getP50',
    operation: 'metadata get p50 (random existing keys)',
    figures: p50s,
    checks,
  });
  rows.push({ id: 'metadata.getP99', operation: 'metadata get p99', figures: p99s, checks });
}

function metadataList(p: MetadataPeers): void {
  for (const [id, operation, prefix] of [
    ['metadata.listNamespace', 'metadata: list a namespace (first 100 keys + total)', ''],
    [
      'metadata.listPrefix',
      `metadata: list prefix ${config.metadataPrefix} (first 100 keys + total)`,
      config.metadataPrefix,
    ],
  ] as const) {
    const figures: Row['figures'] = {};
    const listed: Partial<Record<PeerId, string>> = {};
    for (const peer of metadataPeers(p)) {
      const first = peer.list(prefix, config.pageSize);
      listed[peer.id] = `${first.total}:${first.keys.join(',')}`;
      // At least five samples, fewer than a second's worth for the slow peers (a listing of 100,000 files takes ~250 ms).
      figures[peer.id] = p50(latency(() => peer.list(prefix, config.pageSize), { budgetMs: 1000 }));
    }
    for (const peer of ['lmdb', 'sqlite'] as const) {
      if (listed[peer] !== listed.imgmeta)
        throw new Error(
          `${operation}: ${peer} listed ${listed[peer]!.slice(0, 80)}..., imgmeta ${listed.imgmeta!.slice(0, 80)}...`,
        );
    }
    rows.push({
      id,
      operation,
      figures,
      checks:
        prefix === ''
          ? [check.speedup('files', 100), check.ratio('lmdb', 1.5), check.faster('sqlite')]
          : [check.ratio('lmdb', 1.5), check.faster('sqlite')],
      note:
        prefix === ''
          ? `file-per-key holds ${config.fileKeys.toLocaleString('en')} keys, the others ${config.metadataKeys.toLocaleString('en')}`
          : undefined,
    });
  }
}

function metadataSingleSets(p: MetadataPeers, latencies: SetLatencies, extra: MetadataSpec[]): void {
  const afterBulk: Row['figures'] = {};
  const afterBulkMax: Row['figures'] = {};
  for (const peer of metadataPeers(p)) {
    const s = stats(latencies.afterBulk[peer.id]!);
    afterBulk[peer.id] = p99(s);
    afterBulkMax[peer.id] = {
      value: s.max,
      unit: 'ms',
      stats: s,
      note: `first 10: ${latencies.afterBulk[peer.id]!.slice(0, 10)
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    };
  }
  const steady: Row['figures'] = {};
  const steadyP99: Row['figures'] = {};
  for (const peer of metadataPeers(p)) {
    const tail = extra.slice(config.singleSetsAfterBulk, config.singleSetsAfterBulk + config.singleSets);
    const s = sample(tail.length, (i) => peer.setOne(tail[i]!.key, tail[i]!.value));
    steady[peer.id] = p50(s);
    steadyP99[peer.id] = p99(s);
  }
  const note =
    'acknowledged on disk: lmdb sync commit; sqlite WAL synchronous=FULL; file: temp + fsync + rename + directory fsync';
  rows.push({
    id: 'metadata.setOneP50',
    operation: 'metadata single durable set p50',
    figures: steady,
    checks: [check.notSlower('files')],
    note,
  });
  rows.push({
    id: 'metadata.setOneP99',
    operation: 'metadata single durable set p99',
    figures: steadyP99,
    checks: [check.notSlower('files')],
  });
  rows.push({
    id: 'metadata.setAfterBulkP99',
    operation: `metadata single durable set p99, the ${config.singleSetsAfterBulk} right after the bulk import`,
    figures: afterBulk,
    checks: [check.notSlower('files')],
  });
  rows.push({
    id: 'metadata.setAfterBulkMax',
    operation: 'metadata single durable set max, right after the bulk import',
    figures: afterBulkMax,
    checks: [],
  });
}

async function metadataBenchmarks(p: MetadataPeers, all: MetadataSet, paths: PeerPaths): Promise<void> {
  // The bulk import writes the first config.metadataKeys entries; the single sets write the rest.
  const extra = all.slice(config.metadataKeys, all.length);
  const latencies = await metadataBulk(p, all, extra, paths);
  metadataGet(p, all);
  metadataList(p);
  metadataSingleSets(p, latencies, extra);
}

// ---- run --------------------------------------------------------------------------------------------------------

/** The code measured: the commit, and the files under src/ that differ from it (the store changes quickly). */
function sourceState(): { commit?: string; uncommitted?: string[] } {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: join(benchDir, '..'), encoding: 'utf8' }).trim();
    const uncommitted = git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean);
    return { commit: git('rev-parse', '--short', 'HEAD'), uncommitted };
  } catch {
    return {};
  }
}

/** Generates the images and fills imgmeta; only what the later rows need outlives this call. */
function fillImgmeta(imgmeta: Imgmeta): { imgmetaFill: FillBatches; run: ImageRun } {
  const generation = timed(() => generateImages(config.images, config.deleted));
  log(`generated ${config.images} images in ${generation.ms.toFixed(0)} ms`);
  const imgmetaFill = fill(imgmeta, generation.value, config.fillBatch);
  log(`bulk create imgmeta: ${(total(imgmetaFill) / 1000).toFixed(1)} s`);
  return { imgmetaFill, run: imageRun(generation.value) };
}

async function main(): Promise<void> {
  const source = sourceState();
  const sqlite = loadSqlite(benchDir);
  const dir = mkdtempSync(join(tmpdir(), 'imgmeta-bench-'));
  const loadBefore = loadavg();
  log(`temp dir ${dir}; scale ${scale}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
  let settings: Record<string, unknown> = {};
  try {
    const paths = { lmdb: join(dir, 'lmdb'), sqlite: join(dir, 'sqlite.db') };
    const others = fillOnWorker(
      {
        images: config.images,
        deleted: config.deleted,
        batchSize: config.fillBatch,
        lmdbPath: paths.lmdb,
        sqlitePath: paths.sqlite,
        benchDir,
        // Every metadata key the run writes: the bulk import's, then the single sets'.
        metadataEntries: config.metadataKeys + config.singleSetsAfterBulk + config.singleSets,
      },
      log,
    );
    const imgmeta = new Imgmeta(join(dir, 'imgmeta'));
    const { imgmetaFill, run } = fillImgmeta(imgmeta);
    const { fills: peerFills, metadata } = await others;
    const fills = { imgmeta: imgmetaFill, ...peerFills };
    log('fills done');
    const lmdb = new RawLmdb(paths.lmdb);
    const db = new Sqlite(sqlite.Database, paths.sqlite);
    const files = new FilePerKey(join(dir, 'files'));
    settings = db.settings();
    try {
      imageBenchmarks({ imgmeta, lmdb, sqlite: db }, run, fills);
      await metadataBenchmarks({ imgmeta, lmdb, sqlite: db, files }, metadata, paths);
    } finally {
      for (const peer of [imgmeta, lmdb, db, files]) {
        log(`closing ${peer.id}`);
        peer.close();
      }
    }
  } finally {
    // Each store on its own line: removing them is part of the wall time.
    const each = readdirSync(dir).map(
      (entry) =>
        `${entry} ${(timed(() => rmSync(join(dir, entry), { recursive: true, force: true })).ms / 1000).toFixed(1)} s`,
    );
    rmSync(dir, { recursive: true, force: true });
    log(`removed ${dir}: ${each.join(', ')}`);
  }

  await new Promise((resolve) => setTimeout(resolve, 0)); // the last collections' entries
  noteCollections();
  const wallSeconds = (now() - started) / 1000;
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  const environment = {
    source,
    node: process.version,
    lmdb: (
      JSON.parse(readFileSync(join(benchDir, '..', 'node_modules', 'lmdb', 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version,
    betterSqlite3: sqlite.version,
    sqliteSettings: settings,
    requestedSqliteSettings: sqliteSettings,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    /** 1/5/15-minute load averages before and after: other work on the machine skews every figure. */
    loadAverage: { before: loadBefore, after: loadavg() },
    scale,
  };
  const result = {
    generatedAt: new Date().toISOString(),
    environment,
    config,
    wallSeconds,
    peakRssMiB,
    rows,
    timeline,
  };
  process.stdout.write(renderText(rows, { wallSeconds, peakRssMiB }));
  if (scale !== 1) {
    process.stdout.write(
      `BENCH_SCALE=${scale}: results not written (bench/results holds full-scale runs only)\n`,
    );
    return;
  }
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'store.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(
    join(resultsDir, 'store.md'),
    renderMarkdown(rows, { wallSeconds, peakRssMiB, environment, config }),
  );
  process.stdout.write(`written: ${relative(process.cwd(), join(resultsDir, 'store.json'))}, store.md\n`);
}

// The same bundle runs on the fill worker (fill.ts): there it fills the peers and nothing else; and as a new
// process's first query (firstQueryInNewProcess).
if (isMainThread && process.argv[2] === 'first-query') firstQuery(process.argv[3]!, process.argv[4]!);
else if (isMainThread)
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
else runWorker();
