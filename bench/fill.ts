// The peers' bulk fills. One after the other they were most of a run (images: imgmeta 90 s, raw lmdb-js 69 s, SQLite
// 41 s; metadata: 22 + 13 + 19 s; of 420 s here): imgmeta fills on the main thread while a worker thread fills raw
// lmdb-js and then SQLite. Images: each side from its own copy of the same generated data (the generator is
// deterministic), then the worker generates the metadata entries for later. Metadata: the worker gets a copy of the
// entries and opens its own handles on the peers' stores (the main thread's stay open, idle). Every figure with a
// target except imgmeta's batched-set rate is measured with nothing else running; that one runs beside the peers'
// imports (a figure on the low side for imgmeta).
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { generateImages, generateMetadata, MetadataSet, type ImageData, type MetadataSetParts } from './data';
import { now } from './measure';
import { RawLmdb } from './peer-lmdb';
import { loadSqlite, Sqlite } from './peer-sqlite';
import type { ImagePeer, MetadataPeer } from './peers';

/** Milliseconds of each durable image transaction of a fill. */
export type FillBatches = number[];

/** The blobs in one transaction, then the images in transactions of `batchSize`. */
export function fill(peer: ImagePeer, data: ImageData, batchSize: number): FillBatches {
  peer.putBlobs(data.blobs);
  const batches: FillBatches = [];
  for (let i = 0; i < data.images.length; i += batchSize) {
    const start = now();
    peer.createImages(data.images.slice(i, i + batchSize));
    batches.push(now() - start);
  }
  return batches;
}

/** One peer's import of the first `count` entries, `batchSize` per durable transaction; milliseconds in all. */
export function importKeys(peer: MetadataPeer, keys: MetadataSet, count: number, batchSize: number): number {
  const start = now();
  for (let i = 0; i < count; i += batchSize) peer.setMany(keys.slice(i, Math.min(count, i + batchSize)));
  return now() - start;
}

/** What the worker fills, and where: the stores the main thread opens afterwards. */
export interface WorkerFillJob {
  kind: 'images';
  images: number;
  deleted: number;
  batchSize: number;
  lmdbPath: string;
  sqlitePath: string;
  /** Where better-sqlite3 is installed (bench/). */
  benchDir: string;
  /** Metadata entries to generate once the fills are done. */
  metadataEntries: number;
}

export interface WorkerResult {
  fills: { lmdb: FillBatches; sqlite: FillBatches };
  metadata: MetadataSet;
}

/** The metadata imports of raw lmdb-js and SQLite: the first `count` entries, `batchSize` per transaction. */
export interface WorkerMetadataJob {
  kind: 'metadata';
  metadata: MetadataSetParts;
  count: number;
  batchSize: number;
  lmdbPath: string;
  sqlitePath: string;
  benchDir: string;
}

/** Milliseconds of each peer's whole import. */
export interface WorkerImports {
  lmdb: number;
  sqlite: number;
}

type WorkerMessage =
  | { log: string; at: number }
  | { fills: WorkerResult['fills']; metadata: MetadataSetParts }
  | { imports: WorkerImports };

type Log = (message: string, at: number) => void;

/** Runs `job` on a worker thread running this same bundle (its entry calls `runWorker` off the main thread). */
function onWorker<T>(
  job: WorkerFillJob | WorkerMetadataJob,
  log: Log,
  result: (m: WorkerMessage) => T | undefined,
): Promise<T> {
  const worker = new Worker(import.meta.filename, {
    workerData: job,
    // The same heap limit as the main thread's (`npm run bench` passes --max-old-space-size=8192).
    resourceLimits: { maxOldGenerationSizeMb: 8192 },
  });
  return new Promise((resolve, reject) => {
    let answer: T | undefined;
    worker.on('message', (m: WorkerMessage) => {
      if ('log' in m) log(m.log, m.at);
      else answer = result(m);
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (answer !== undefined) resolve(answer);
      else reject(new Error(`the ${job.kind} worker exited with code ${code} before finishing`));
    });
  });
}

/**
 * The raw lmdb-js and SQLite image fills on a worker thread; resolves once both stores are filled and closed. `log`
 * gets the worker's progress lines with the monotonic time they happened at (the main thread is busy with its own
 * fill when they arrive).
 */
export const fillOnWorker = (job: Omit<WorkerFillJob, 'kind'>, log: Log): Promise<WorkerResult> =>
  onWorker({ kind: 'images', ...job }, log, (m) =>
    'fills' in m ? { fills: m.fills, metadata: MetadataSet.fromParts(m.metadata) } : undefined,
  );

/** The raw lmdb-js and SQLite metadata imports on a worker thread, through handles of its own. */
export const importOnWorker = (job: Omit<WorkerMetadataJob, 'kind'>, log: Log): Promise<WorkerImports> =>
  onWorker({ kind: 'metadata', ...job }, log, (m) => ('imports' in m ? m.imports : undefined));

/** The worker side of `fillOnWorker` and `importOnWorker`. */
export function runWorker(): void {
  const job = workerData as WorkerFillJob | WorkerMetadataJob;
  if (job.kind === 'images') runFillWorker(job);
  else runImportWorker(job);
}

const post = (m: WorkerMessage) => parentPort!.postMessage(m);
const log = (message: string) => post({ log: `worker: ${message}`, at: now() });

function runImportWorker(job: WorkerMetadataJob): void {
  const metadata = MetadataSet.fromParts(job.metadata);
  const imports = { lmdb: 0, sqlite: 0 };
  for (const peer of [
    new RawLmdb(job.lmdbPath),
    new Sqlite(loadSqlite(job.benchDir).Database, job.sqlitePath),
  ]) {
    imports[peer.id] = importKeys(peer, metadata, job.count, job.batchSize);
    peer.close();
    log(`metadata bulk ${peer.id}: ${(imports[peer.id] / 1000).toFixed(1)} s`);
  }
  post({ imports });
}

function runFillWorker(job: WorkerFillJob): void {
  const data = generateImages(job.images, job.deleted);
  log(`generated ${job.images} images`);
  const lmdb = new RawLmdb(job.lmdbPath);
  const lmdbFill = fill(lmdb, data, job.batchSize);
  lmdb.close();
  log(`bulk create lmdb: ${(total(lmdbFill) / 1000).toFixed(1)} s`);
  const sqlite = new Sqlite(loadSqlite(job.benchDir).Database, job.sqlitePath);
  const sqliteFill = fill(sqlite, data, job.batchSize);
  sqlite.close();
  log(`bulk create sqlite: ${(total(sqliteFill) / 1000).toFixed(1)} s`);
  const metadata = MetadataSet.pack(generateMetadata(job.metadataEntries)).parts();
  log(`generated ${job.metadataEntries} metadata entries`);
  const message: WorkerMessage = { fills: { lmdb: lmdbFill, sqlite: sqliteFill }, metadata };
  // Moved, not copied, when a view owns its whole buffer (not a slice of Node's shared pool).
  const owned = [metadata.keyEnds, metadata.values, metadata.valueEnds]
    .filter((v) => v.byteOffset === 0 && v.byteLength === v.buffer.byteLength)
    .map((v) => v.buffer as ArrayBuffer);
  parentPort!.postMessage(message, owned);
}

export const total = (batches: FillBatches) => batches.reduce((a, b) => a + b, 0);
