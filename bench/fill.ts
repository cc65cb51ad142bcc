// The image peers' bulk fills. One after the other they were half of a run (imgmeta 90 s, raw lmdb-js 69 s, SQLite
// 41 s of 420 s here), and each is one CPU-bound transaction on one core: imgmeta fills on the main thread while a
// worker thread fills raw lmdb-js and then SQLite, each from its own copy of the same generated data (the generator
// is deterministic), and then generates the metadata entries for later. Every figure with a target is measured
// afterwards, with nothing else running.
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { generateImages, generateMetadata, MetadataSet, type ImageData, type MetadataSetParts } from './data';
import { now } from './measure';
import { RawLmdb } from './peer-lmdb';
import { loadSqlite, Sqlite } from './peer-sqlite';
import type { ImagePeer } from './peers';

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

/** What the worker fills, and where: the stores the main thread opens afterwards. */
export interface WorkerFillJob {
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

type WorkerMessage =
  { log: string; at: number } | { fills: WorkerResult['fills']; metadata: MetadataSetParts };

/**
 * Starts the raw lmdb-js and SQLite fills on a worker thread running this same bundle (its entry calls `runFillWorker`
 * off the main thread); resolves once both stores are filled and closed. `log` gets the worker's progress lines with
 * the monotonic time they happened at (the main thread is busy with its own fill when they arrive).
 */
export function fillOnWorker(
  job: WorkerFillJob,
  log: (message: string, at: number) => void,
): Promise<WorkerResult> {
  const worker = new Worker(import.meta.filename, {
    workerData: job,
    // The same heap limit as the main thread's (`npm run bench` passes --max-old-space-size=8192).
    resourceLimits: { maxOldGenerationSizeMb: 8192 },
  });
  return new Promise((resolve, reject) => {
    let result: WorkerResult | undefined;
    worker.on('message', (m: WorkerMessage) => {
      if ('log' in m) log(m.log, m.at);
      else result = { fills: m.fills, metadata: MetadataSet.fromParts(m.metadata) };
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (result) resolve(result);
      else reject(new Error(`the fill worker exited with code ${code} before finishing`));
    });
  });
}

/** The worker side of `fillOnWorker`. */
export function runFillWorker(): void {
  const job = workerData as WorkerFillJob;
  const post = (m: WorkerMessage) => parentPort!.postMessage(m);
  const log = (message: string) => post({ log: `worker: ${message}`, at: now() });
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
