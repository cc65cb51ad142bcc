import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { ZodType } from 'zod';
import { isDigest, type Digest } from '../../shared/digest';
import { invalidArgument } from '../../shared/errors';
import {
  descriptorSchema,
  imageNameSchema,
  labelsSchema,
  limits,
  namespaceSchema,
} from '../../shared/schemas';
import type { Descriptor, Labels } from '../../shared/types';
import { check } from '../../shared/validate';
import { childrenOfBlob } from '../store/content';
import { BoltFile, hasBoltMagic, type BoltBucket } from './bbolt';
import {
  emptyBatch,
  type DamagedEntry,
  type Detection,
  type ImportBatch,
  type ImportImage,
  type Importer,
  type ReadOptions,
} from './types';
import { throwIfAborted, verifyBytes } from './verify';

/**
 * containerd's image store, read from its metadata database (`<root>/io.containerd.metadata.v1.bolt/meta.db`, a bbolt
 * file) and its content store (`<root>/io.containerd.content.v1.content/blobs/<alg>/<hex>`, shared by all
 * namespaces). Bucket layout and value encodings: formats.md. Nothing is written, locked or unpacked.
 *
 * A live store: sound records are imported and each damaged one is reported in `batch.damaged`. The manifests,
 * indexes and configs each image reaches (index -> manifests -> config) are read and verified against the
 * descriptors naming them; layers are not read. A blob the namespace's content records hold but the content store
 * lacks, or whose bytes do not match, makes the image damaged: its record is kept (incomplete), the bad blob never.
 */

const metadataDir = 'io.containerd.metadata.v1.bolt';
const contentDir = 'io.containerd.content.v1.content';
/** The schema version containerd 1.x writes (`v1 > version`); the image and content layout is the same in 1..3. */
const knownSchemaVersion = 3;
/** index -> index -> manifest -> config is 4; nothing real nests deeper. */
const maxWalkDepth = 8;
/** Yield to the event loop this often so that a cancel can arrive during a long read. */
const yieldEvery = 256;

interface Source {
  /** The containerd root, when meta.db sits in one (so the content store can be found). */
  root?: string;
  metaDb: string;
  /** What the user sees: the root, or the meta.db itself. */
  shown: string;
}

type Layout = 'namespaced' | 'seed';

interface ContentRecord {
  size?: number;
  labels: Labels;
}

interface NamespaceData {
  name: string;
  /** Image buckets under `images` (all that detection reads). */
  imageCount: number;
  images: ImageRecordData[];
  /** Digest -> the namespace's content record; undefined in the seed layout, which has no content records. */
  content?: Map<string, ContentRecord>;
}

interface ImageRecordData {
  /** The name as stored (lossily decoded if it is not UTF-8: then `problems` says so). */
  name: string;
  target: Partial<Descriptor>;
  labels: Labels;
  annotations: Record<string, string>;
  createdAt?: number;
  updatedAt?: number;
  problems: string[];
}

/** A bbolt file that is not containerd's (the overlayfs snapshotter's own db, Podman's libpod db), and why. */
interface NotContainerd {
  notContainerd: string;
}

interface Database {
  layout: Layout;
  version?: number;
  namespaces: NamespaceData[];
  /** Content records with fields that could not be decoded (the records are kept). */
  notes: string[];
}

// ---- locating the source ---------------------------------------------------------------------------------------

/** Whether `path` is a file; a path that exists but cannot be looked at (permissions) is an error that says so. */
async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw invalidArgument(`${path}: cannot read it (${code ?? (err as Error).message})`);
  }
}

async function readHead(path: string, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** A containerd root (or its metadata directory), or a bare bbolt file; undefined when the path is neither. */
async function locate(path: string): Promise<Source | undefined> {
  const absolute = resolve(path);
  const info = await stat(absolute);
  if (info.isDirectory()) {
    if (await isFile(join(absolute, metadataDir, 'meta.db')))
      return { root: absolute, metaDb: join(absolute, metadataDir, 'meta.db'), shown: absolute };
    if (basename(absolute) === metadataDir && (await isFile(join(absolute, 'meta.db'))))
      return { root: dirname(absolute), metaDb: join(absolute, 'meta.db'), shown: dirname(absolute) };
    return undefined;
  }
  if (!info.isFile()) return undefined;
  let head: Buffer;
  try {
    head = await readHead(absolute, 32);
  } catch (err) {
    throw invalidArgument(`${absolute}: cannot read it (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  if (!hasBoltMagic(head)) return undefined;
  if (basename(dirname(absolute)) === metadataDir) {
    const root = dirname(dirname(absolute));
    return { root, metaDb: absolute, shown: root };
  }
  return { metaDb: absolute, shown: absolute };
}

// ---- value encodings -------------------------------------------------------------------------------------------

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Go's `binary.Varint` (zig-zag), which must use every byte of the value. */
export function decodeVarint(bytes: Uint8Array): number | undefined {
  let value = 0n;
  let shift = 0n;
  for (let i = 0; i < bytes.length && i < 10; i++) {
    const byte = bytes[i]!;
    value |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if (byte < 0x80) {
      if (i !== bytes.length - 1 || value >= 1n << 64n) return undefined;
      const decoded = value & 1n ? -((value >> 1n) + 1n) : value >> 1n;
      if (decoded > BigInt(Number.MAX_SAFE_INTEGER) || decoded < BigInt(Number.MIN_SAFE_INTEGER))
        return undefined;
      return Number(decoded);
    }
  }
  return undefined;
}

/** Seconds from 0001-01-01T00:00:00Z to the Unix epoch: Go's time.Time counts from year 1. */
const goEpochOffset = 62135596800n;
const maxDateMs = 8.64e15;

/** Go's `time.Time.MarshalBinary` (version 1: 15 bytes, version 2: 16) as ms since the Unix epoch. */
export function decodeGoTime(bytes: Uint8Array): number | undefined {
  const version = bytes[0];
  if (!((version === 1 && bytes.length === 15) || (version === 2 && bytes.length === 16))) return undefined;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const seconds = view.readBigInt64BE(1) - goEpochOffset;
  const nanoseconds = view.readInt32BE(9);
  if (nanoseconds < 0 || nanoseconds > 999_999_999) return undefined;
  const ms = Number(seconds) * 1000 + Math.floor(nanoseconds / 1e6);
  return Number.isSafeInteger(ms) && Math.abs(ms) <= maxDateMs ? ms : undefined;
}

// ---- reading meta.db -------------------------------------------------------------------------------------------

const tick = () => new Promise<void>((done) => setImmediate(done));

function stringMap(bucket: BoltBucket | undefined, what: string, problems: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!bucket) return out;
  for (const entry of bucket.entries()) {
    const key = text(entry.key);
    const value = entry.value && text(entry.value);
    if (key === undefined || value === undefined) {
      problems.push(`${what} ${JSON.stringify(entry.key.toString('utf8'))} is not a UTF-8 key/value`);
      continue;
    }
    // A plain object with `__proto__` as data would not survive; the store's schema refuses it with a clear message.
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function readTarget(bucket: BoltBucket, problems: string[]): Partial<Descriptor> {
  const target: Partial<Descriptor> = {};
  const present = new Set<string>();
  for (const entry of bucket.entries()) {
    if (!entry.value) continue;
    const field = entry.key.toString('latin1');
    present.add(field);
    if (field === 'digest' || field === 'mediatype') {
      const value = text(entry.value);
      if (value === undefined) problems.push(`target ${field} is not UTF-8`);
      else if (field === 'digest') target.digest = value;
      else target.mediaType = value;
    } else if (field === 'size') {
      const size = decodeVarint(entry.value);
      if (size === undefined) problems.push(`target size is not a varint (${entry.value.toString('hex')})`);
      else target.size = size;
    }
  }
  if (!present.has('digest')) problems.push('the record has no target digest');
  if (!present.has('mediatype')) problems.push('the record has no target media type');
  if (!present.has('size')) problems.push('the record has no target size');
  return target;
}

function readImage(key: Buffer, bucket: BoltBucket, layout: Layout): ImageRecordData {
  const problems: string[] = [];
  const name = text(key);
  if (name === undefined) problems.push('the name is not UTF-8');
  const image: ImageRecordData = {
    name: name ?? key.toString('utf8'),
    target: {},
    labels: {},
    annotations: {},
    problems,
  };
  let targetBucket: BoltBucket | undefined;
  for (const entry of bucket.entries()) {
    const field = entry.key.toString('latin1');
    if (entry.bucket) {
      if (field === 'target') targetBucket = entry.bucket;
      else if (field === 'labels') image.labels = stringMap(entry.bucket, 'label', problems);
      else if (field === 'annotations') image.annotations = stringMap(entry.bucket, 'annotation', problems);
    } else if (entry.value && (field === 'createdat' || field === 'updatedat')) {
      const time = decodeGoTime(entry.value);
      if (time === undefined) problems.push(`${field} is not a Go time (${entry.value.toString('hex')})`);
      else if (field === 'createdat') image.createdAt = time;
      else image.updatedAt = time;
    }
  }
  // The 2017 layout keeps digest, mediatype and size in the image bucket itself.
  if (targetBucket) image.target = readTarget(targetBucket, problems);
  else if (layout === 'seed') image.target = readTarget(bucket, problems);
  else problems.push('the record has no target');
  return image;
}

function readContent(namespace: BoltBucket, notes: string[], nsName: string): Map<string, ContentRecord> {
  const records = new Map<string, ContentRecord>();
  const blobs = namespace.bucket('content')?.bucket('blob');
  if (!blobs) return records;
  for (const entry of blobs.entries()) {
    const digest = text(entry.key);
    if (!entry.bucket || digest === undefined) continue;
    const problems: string[] = [];
    const record: ContentRecord = { labels: {} };
    for (const field of entry.bucket.entries()) {
      const key = field.key.toString('latin1');
      if (key === 'size' && field.value) record.size = decodeVarint(field.value);
      else if (key === 'labels' && field.bucket) record.labels = stringMap(field.bucket, 'label', problems);
    }
    if (problems.length > 0) notes.push(`${nsName}: content ${digest}: ${problems.join('; ')}`);
    records.set(digest, record);
  }
  return records;
}

/** The image records and content records of every namespace; with `countOnly`, only how many images each has. */
async function readDatabase(
  file: BoltFile,
  where: string,
  signal: AbortSignal,
  countOnly = false,
): Promise<Database | NotContainerd> {
  const v1 = file.root().bucket('v1');
  if (!v1) return { notContainerd: 'it has no v1 bucket' };
  const versionBytes = v1.get('version');
  let seen = 0;
  const pause = async () => {
    if (++seen % yieldEvery === 0) {
      await tick();
      throwIfAborted(signal);
    }
  };

  if (versionBytes === undefined) {
    // The 2017 layout, before namespaces: v1 > images > <name> > digest | mediatype | size.
    const images = v1.bucket('images');
    if (!images) return { notContainerd: 'v1 has neither a version nor an images bucket' };
    const namespace: NamespaceData = { name: 'default', imageCount: 0, images: [] };
    for (const entry of images.entries()) {
      if (!entry.bucket) continue;
      namespace.imageCount++;
      if (!countOnly) namespace.images.push(readImage(entry.key, entry.bucket, 'seed'));
      await pause();
    }
    return { layout: 'seed', namespaces: [namespace], notes: [] };
  }

  const version = decodeVarint(versionBytes);
  if (version === undefined)
    throw invalidArgument(`${where}: v1 > version is not a varint (${versionBytes.toString('hex')})`);
  const namespaces: NamespaceData[] = [];
  const notes: string[] = [];
  for (const entry of v1.entries()) {
    if (!entry.bucket) continue;
    const name = text(entry.key) ?? entry.key.toString('utf8');
    const data: NamespaceData = { name, imageCount: 0, images: [] };
    if (!countOnly) data.content = readContent(entry.bucket, notes, name);
    const images = entry.bucket.bucket('images');
    for (const image of images?.entries() ?? []) {
      data.imageCount++;
      if (countOnly) continue;
      if (image.bucket) data.images.push(readImage(image.key, image.bucket, 'namespaced'));
      else
        data.images.push({
          name: text(image.key) ?? image.key.toString('utf8'),
          target: {},
          labels: {},
          annotations: {},
          problems: ['a plain value where an image bucket belongs'],
        });
      await pause();
    }
    namespaces.push(data);
  }
  return { layout: 'namespaced', version, namespaces, notes };
}

// ---- validation ------------------------------------------------------------------------------------------------

const utf8Length = (value: string) => Buffer.byteLength(value, 'utf8');

function problemWith(schema: ZodType, value: unknown, what: string): string | undefined {
  const checked = check(schema, value);
  return checked.ok ? undefined : `${what}: ${checked.problem}`;
}

/** Why the store would refuse this record, or undefined when it is storable as it is (never altered to fit). */
function whyUnstorable(namespace: string, image: ImageRecordData, target: Descriptor): string | undefined {
  if (image.problems.length > 0) return image.problems.join('; ');
  const tooLong = Object.entries(image.labels)
    .filter(([k, v]) => utf8Length(k) + utf8Length(v) + 1 > limits.labelBytes)
    .map(([k, v]) => `${k} (${utf8Length(k) + utf8Length(v) + 1} bytes)`);
  if (tooLong.length > 0)
    return (
      `label${tooLong.length > 1 ? 's' : ''} ${tooLong.join(', ')} ` +
      `exceed${tooLong.length > 1 ? '' : 's'} the store's ${limits.labelBytes} bytes per key=value`
    );
  return (
    problemWith(namespaceSchema, namespace, `namespace ${JSON.stringify(namespace)}`) ??
    problemWith(imageNameSchema, image.name, 'name') ??
    problemWith(descriptorSchema, target, 'target') ??
    problemWith(labelsSchema, image.labels, 'labels')
  );
}

// ---- reading blobs ---------------------------------------------------------------------------------------------

type BlobResult = { kind: 'ok'; bytes: Uint8Array } | { kind: 'damaged'; reason: string };

async function readBlob(contentRoot: string, descriptor: Descriptor): Promise<BlobResult | 'missing'> {
  const [algorithm, encoded] = descriptor.digest.split(':') as [string, string];
  const file = join(contentRoot, 'blobs', algorithm, encoded);
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    return { kind: 'damaged', reason: `its blob cannot be read (${code ?? (err as Error).message})` };
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return { kind: 'damaged', reason: 'its blob is not a regular file' };
    if (info.size !== descriptor.size)
      return {
        kind: 'damaged',
        reason: `size mismatch: the blob is ${info.size} bytes, the descriptor says ${descriptor.size}`,
      };
    const bytes = Buffer.alloc(descriptor.size);
    let done = 0;
    while (done < bytes.length) {
      const { bytesRead } = await handle.read(bytes, done, bytes.length - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    try {
      verifyBytes(bytes.subarray(0, done), descriptor, `blobs/${algorithm}/${encoded}`);
    } catch (err) {
      return { kind: 'damaged', reason: (err as Error).message };
    }
    return { kind: 'ok', bytes };
  } finally {
    await handle.close();
  }
}

// ---- the importer ----------------------------------------------------------------------------------------------

function describe(database: Database, source: Source): string {
  const schema =
    database.layout === 'seed'
      ? 'the 2017 layout, without namespaces'
      : `schema v1, version ${database.version ?? '?'}`;
  const content = source.root ? 'with its content store' : 'without a content store';
  return `containerd metadata database (${schema}), ${content}`;
}

async function openDatabase(
  path: string,
  signal: AbortSignal,
  countOnly = false,
): Promise<{ source: Source; database: Database | NotContainerd }> {
  const source = await locate(path);
  if (!source)
    throw invalidArgument(
      `${resolve(path)} is not a containerd root (with ${metadataDir}/meta.db) nor a meta.db file`,
    );
  const file = BoltFile.open(source.metaDb);
  try {
    return { source, database: await readDatabase(file, source.metaDb, signal, countOnly) };
  } finally {
    file.close();
  }
}

const notContainerdError = (source: Source, why: NotContainerd) =>
  invalidArgument(`${source.metaDb} is a bbolt database but not containerd's metadata: ${why.notContainerd}`);

async function detect(path: string, options: { namespace?: string } = {}): Promise<Detection | undefined> {
  if (!(await locate(path))) return undefined;
  const { source, database } = await openDatabase(path, new AbortController().signal, true);
  if ('notContainerd' in database) {
    // A bare bbolt file may be another program's: not ours to claim. One inside a containerd root is broken.
    if (!source.root) return undefined;
    throw notContainerdError(source, database);
  }
  const withImages = database.namespaces.filter((ns) => ns.imageCount > 0).map((ns) => ns.name);
  const notes: string[] = [];
  if (database.layout === 'seed') notes.push("the 2017 layout has no namespaces: its images go to 'default'");
  if (!source.root)
    notes.push('no content store next to meta.db: image records only, no manifests or configs');
  if (database.version !== undefined && database.version > knownSchemaVersion)
    notes.push(`schema version ${database.version} is newer than ${knownSchemaVersion}: read as version 3`);
  return {
    kind: 'containerd',
    path: source.shown,
    description: describe(database, source),
    namespaces: options.namespace !== undefined ? [options.namespace] : withImages,
    images: database.namespaces.reduce((sum, ns) => sum + ns.imageCount, 0),
    metadataKeys: 0,
    notes,
  };
}

async function read(path: string, options: ReadOptions): Promise<ImportBatch> {
  const { signal } = options;
  throwIfAborted(signal);
  if (options.namespace !== undefined) {
    const problem = problemWith(namespaceSchema, options.namespace, 'namespace');
    if (problem) throw invalidArgument(problem);
  }
  const { source, database } = await openDatabase(path, signal);
  if ('notContainerd' in database) throw notContainerdError(source, database);
  throwIfAborted(signal);

  const batch = emptyBatch('containerd');
  const totalItems = database.namespaces.reduce((sum, ns) => sum + ns.images.length, 0);
  let items = 0;
  let bytes = 0;
  const report = (phase: string) => options.progress({ phase, items, totalItems, bytes });
  report('reading image records');

  batch.notes.push(...database.notes);
  if (database.layout === 'seed')
    batch.notes.push("the 2017 layout has no namespaces: its images go to 'default'");
  if (database.version !== undefined && database.version > knownSchemaVersion)
    batch.notes.push(
      `schema version ${database.version} is newer than ${knownSchemaVersion}: read as version 3`,
    );
  if (options.keepLayers)
    batch.notes.push("layers stay in containerd's content store: a live store's layers are not copied");
  const contentRoot = source.root ? join(source.root, contentDir) : undefined;
  if (!contentRoot)
    batch.notes.push('no content store next to meta.db: image records only, no manifests or configs');

  const blobs = new Map<string, BlobResult | 'missing' | 'too-large'>();
  const content = new Map<Digest, { mediaType: string; bytes: Uint8Array; labels: Labels }>();
  /** Under a namespace override, which source namespace each name came from. */
  const taken = new Map<string, { from: string; image: ImportImage }>();

  const load = async (descriptor: Descriptor) => {
    const key = `${descriptor.digest}/${descriptor.size}`;
    let result = blobs.get(key);
    if (result === undefined) {
      result = descriptor.size > limits.valueBytes ? 'too-large' : await readBlob(contentRoot!, descriptor);
      blobs.set(key, result);
      if (typeof result === 'object' && result.kind === 'ok') bytes += result.bytes.byteLength;
    }
    return result;
  };

  for (const namespace of database.namespaces) {
    const into = options.namespace ?? namespace.name;
    const notPulled: string[] = [];
    for (const record of namespace.images) {
      // Without a content store nothing below awaits: yield now and then so that a cancel can arrive.
      if (items % yieldEvery === yieldEvery - 1) await tick();
      throwIfAborted(signal);
      const damaged = (reason: string, digest?: Digest) => {
        const entry: DamagedEntry = { namespace: namespace.name, name: record.name, reason };
        if (digest) entry.digest = digest;
        batch.damaged.push(entry);
      };
      const target = { ...record.target } as Descriptor;
      if (Object.keys(record.annotations).length > 0) target.annotations = record.annotations;
      const problem = whyUnstorable(into, record, target);
      if (problem) {
        damaged(
          `the record cannot be stored: ${problem}`,
          isDigest(target.digest ?? '') ? target.digest : undefined,
        );
        items++;
        continue;
      }
      const image: ImportImage = { namespace: into, name: record.name, target, labels: record.labels };
      if (record.createdAt !== undefined) image.createdAt = record.createdAt;
      if (record.updatedAt !== undefined) image.updatedAt = record.updatedAt;

      if (options.namespace !== undefined) {
        const previous = taken.get(record.name);
        if (previous) {
          if (
            JSON.stringify([previous.image.target, previous.image.labels]) !==
            JSON.stringify([target, image.labels])
          )
            damaged(
              `namespace ${namespace.name} and namespace ${previous.from} both have this name with different ` +
                `records; only the one from ${previous.from} goes into ${into}`,
            );
          items++;
          continue;
        }
        taken.set(record.name, { from: namespace.name, image });
      }
      batch.images.push(image);

      if (contentRoot) {
        // index -> manifests -> config; layers are not read. `path` keeps a digest from being walked inside itself.
        const walk = async (descriptor: Descriptor, role: string, depth: number, path: string[]) => {
          if (depth > maxWalkDepth || path.includes(descriptor.digest)) return;
          throwIfAborted(signal);
          const contentRecord = namespace.content?.get(descriptor.digest);
          // Not in the namespace's content: never pulled (a single platform of an index, say), not damage.
          if (namespace.content && !contentRecord) {
            if (role === 'target') notPulled.push(record.name);
            return;
          }
          const result = await load(descriptor);
          if (result === 'too-large') {
            batch.notes.push(
              `${namespace.name}/${record.name}: ${role} ${descriptor.digest} is ${descriptor.size} bytes, above ` +
                `the store's ${limits.valueBytes}: not imported`,
            );
            return;
          }
          if (result === 'missing') {
            // Without content records (2017 layout) a blob that is not there was simply never fetched.
            if (namespace.content)
              damaged(
                `${role} ${descriptor.digest} is in the namespace's content records but its blob is missing ` +
                  `from the content store`,
                descriptor.digest,
              );
            return;
          }
          if (result.kind === 'damaged') {
            damaged(`${role} ${descriptor.digest}: ${result.reason}`, descriptor.digest);
            return;
          }
          let children: ReturnType<typeof childrenOfBlob>;
          try {
            children = childrenOfBlob(result.bytes, descriptor.mediaType);
          } catch (err) {
            damaged(`${role} ${descriptor.digest}: ${(err as Error).message}`, descriptor.digest);
            return;
          }
          const kept = content.get(descriptor.digest);
          const labels = { ...kept?.labels, ...contentRecord?.labels };
          content.set(descriptor.digest, {
            mediaType: kept?.mediaType ?? descriptor.mediaType,
            bytes: result.bytes,
            labels,
          });
          for (const [childRole, child] of children)
            if (childRole === 'manifest' || childRole === 'config')
              await walk(child, childRole, depth + 1, [...path, descriptor.digest]);
        };
        await walk(target, 'target', 0, []);
      }
      items++;
      if (items % 64 === 0) report('reading manifests and configs');
    }
    if (notPulled.length > 0)
      batch.notes.push(
        `${namespace.name}: ${notPulled.length} image${notPulled.length > 1 ? 's point' : ' points'} at content ` +
          `the namespace does not hold (${notPulled.slice(0, 3).join(', ')}${notPulled.length > 3 ? ', ...' : ''}): ` +
          'imported as incomplete',
      );
  }

  for (const [digest, blob] of content) {
    const entry = { digest, mediaType: blob.mediaType, bytes: blob.bytes, labels: blob.labels };
    const problem = problemWith(labelsSchema, blob.labels, 'labels');
    if (problem) {
      batch.notes.push(`content ${digest}: its containerd labels cannot be stored (${problem}): left out`);
      entry.labels = {};
    }
    if (Object.keys(entry.labels).length === 0) delete (entry as { labels?: Labels }).labels;
    batch.content.push(entry);
  }
  report('done');
  return batch;
}

export const containerdImporter: Importer = { kind: 'containerd', detect, read };
