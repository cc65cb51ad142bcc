import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import type { Digest } from '../../shared/digest';
import { ImgmetaError, invalidArgument } from '../../shared/errors';
import { limits } from '../../shared/schemas';
import type { ImportProgress } from './types';
import { throwIfAborted } from './verify';

/**
 * Safe streaming of a tar (or gzip'd tar) archive: every entry is hashed as it streams, JSON-sized entries are kept
 * in memory, nothing is unpacked to disk (except, on request, copies of the other entries for `--keep-layers`), and
 * entry names or links that would leave the archive are refused. The archive is only ever read.
 */

export type TarEntryType = 'file' | 'symlink' | 'link' | 'directory' | 'other';

export interface TarEntry {
  /** Normalized path inside the archive (`blobs/sha256/ab..`: no `./`, no trailing `/`). */
  name: string;
  type: TarEntryType;
  size: number;
  /** Hashes of a regular file's bytes: sha256 always, sha512 for entries under `blobs/sha512/`. */
  sha256?: Digest;
  sha512?: Digest;
  /** symlink: the archive path it points at (resolved against the link's directory); link: the earlier entry. */
  target?: string;
  /** Kept bytes of a small entry that looks like JSON (or is one of the root metadata files). */
  bytes?: Uint8Array;
  /** A copy of the bytes at a path `copyFile` gave (entries not kept in memory, when it was given). */
  file?: string;
}

export interface ScanOptions {
  signal: AbortSignal;
  progress?(update: ImportProgress): void;
  /** Copy every regular file that is not kept in memory to a new file at the path this returns. */
  copyFile?: () => string;
}

/** At most this many entries in one archive: each costs a small record in memory. */
export const maxEntries = 200_000;
/** Total bytes of small entries kept in memory during a scan; anything beyond is read again on demand. */
const keepBudget = 64 * 1024 * 1024;
/** `index.json` and `manifest.json` at the root may be larger than a blob the store keeps. */
export const maxListBytes = 64 * 1024 * 1024;
export const rootListNames = new Set(['manifest.json', 'index.json', 'oci-layout', 'repositories']);
const maxLinkHops = 16;
const progressEvery = 1024 * 1024;

/** How a file is compressed, from its first bytes: the formats `docker load` accepts. */
type Compression = 'gzip' | 'zstd' | 'xz' | 'bzip2';
const magics: [Compression, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['bzip2', [0x42, 0x5a, 0x68]], // "BZh", then the block size '1' to '9' (checked below)
];
/** What a user runs to get the plain tar back, for each compression this reader does not undo itself. */
const decompressCommands: Record<Exclude<Compression, 'gzip'>, string> = {
  zstd: 'zstd -d',
  xz: 'xz -dk',
  bzip2: 'bzip2 -dk',
};

async function compressionOf(path: string): Promise<Compression | undefined> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(6);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, bytesRead);
    const found = magics.find(
      ([, magic]) => magic.length <= head.length && magic.every((b, i) => head[i] === b),
    );
    if (found?.[0] === 'bzip2' && !(head[3]! >= 0x31 && head[3]! <= 0x39)) return undefined;
    return found?.[0];
  } finally {
    await handle.close();
  }
}

/**
 * Whether a file is gzip'd (streamed through gunzip); any other compression `docker load` accepts (an archive saved
 * as `docker save | zstd`, `| xz`, `| bzip2`) is refused with the command that undoes it, not taken for "not a tar".
 */
export async function isGzipFile(path: string, archive = path): Promise<boolean> {
  const compression = await compressionOf(path);
  if (compression === undefined || compression === 'gzip') return compression === 'gzip';
  throw invalidArgument(
    `${archive}: compressed with ${compression}; imgmeta reads tar archives plain or gzip'd: decompress it first (${decompressCommands[compression]} ${archive})`,
  );
}

const isAbsolute = (p: string) => p.startsWith('/') || p.startsWith('\\') || /^[A-Za-z]:/.test(p);

/**
 * The normalized name of a tar entry, or an error for a name that would escape the archive: absolute paths, drive
 * letters, `..` components, NUL bytes. `''` is the archive root (`./`).
 */
export function safeEntryName(raw: string, archive: string): string {
  if (raw.includes('\0'))
    throw invalidArgument(`${archive}: tar entry ${JSON.stringify(raw)} holds a NUL byte`);
  if (isAbsolute(raw))
    throw invalidArgument(`${archive}: tar entry ${JSON.stringify(raw)} is an absolute path; refused`);
  const parts = raw.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (parts.includes('..'))
    throw invalidArgument(
      `${archive}: tar entry ${JSON.stringify(raw)} points outside the archive (..); refused`,
    );
  return parts.join('/');
}

/** A symlink's target as an archive path (relative to the link's directory); refused when it leaves the archive. */
function symlinkTarget(name: string, linkname: string, archive: string): string {
  const refuse = () =>
    invalidArgument(
      `${archive}: symlink ${name} -> ${JSON.stringify(linkname)} points outside the archive; refused`,
    );
  if (linkname === '' || linkname.includes('\0') || isAbsolute(linkname)) throw refuse();
  const joined = posix.normalize(posix.join(posix.dirname(name), linkname.replace(/\\/g, '/')));
  if (joined === '..' || joined.startsWith('../')) throw refuse();
  return joined === '.' ? '' : joined.replace(/\/+$/, '');
}

/** The first byte that is not JSON whitespace, if any. */
function firstSignificant(chunk: Uint8Array): number | undefined {
  for (const byte of chunk) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return byte;
  return undefined;
}

const typeOf = (type: tar.Header['type'] | undefined | null): TarEntryType => {
  switch (type) {
    case 'file':
    case 'contiguous-file':
    case undefined:
    case null:
      return 'file';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'link';
    case 'directory':
      return 'directory';
    default:
      return 'other';
  }
};

/** A stream failure (file system, zlib, tar-stream) as a clear invalid_argument naming the archive. */
function archiveError(err: unknown, archive: string, gzip: boolean): Error {
  if (err instanceof ImgmetaError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string } | undefined)?.code;
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'ELOOP')
    return invalidArgument(`${archive}: cannot read the file: ${message}`);
  if (gzip && code?.startsWith('Z_'))
    return invalidArgument(`${archive}: the gzip stream is corrupt or truncated (${message})`);
  if (/Unexpected end of data/.test(message))
    return invalidArgument(`${archive}: the tar ends in the middle of an entry (truncated)`);
  return invalidArgument(`${archive}: not a readable ${gzip ? "gzip'd " : ''}tar: ${message}`);
}

interface EntryConsumer {
  data(chunk: Buffer): void | Promise<void>;
  end(): void | Promise<void>;
  /** The scan failed mid-entry: release what the consumer holds open. */
  abort?(): void;
}

/** Streams the archive through tar-stream (gunzipping when it starts with 1f 8b), one checked entry at a time. */
async function streamTar(
  path: string,
  archive: string,
  options: ScanOptions,
  onEntry: (entry: TarEntry) => EntryConsumer | undefined,
): Promise<void> {
  throwIfAborted(options.signal);
  let totalBytes: number;
  let gzip: boolean;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw invalidArgument(`${archive}: not a regular file`);
    totalBytes = info.size;
    gzip = await isGzipFile(path, archive);
  } catch (err) {
    throw archiveError(err, archive, false);
  }
  const source = createReadStream(path, { highWaterMark: 1024 * 1024 });
  let fileBytes = 0;
  let reported = -progressEvery;
  let items = 0;
  const report = () => {
    if (!options.progress || fileBytes - reported < progressEvery) return;
    reported = fileBytes;
    options.progress({ phase: 'reading archive', items, bytes: fileBytes, totalBytes });
  };
  source.on('data', (chunk) => {
    fileBytes += chunk.length;
  });
  const extract = tar.extract();
  // tar-stream is a streamx Writable: close enough to Node's for pipeline(), not for its types.
  const sink = extract as unknown as NodeJS.WritableStream;
  const piping = gzip ? pipeline(source, createGunzip(), sink) : pipeline(source, sink);
  // The loop below surfaces the failure; keep the promise from counting as unhandled meanwhile.
  piping.catch(() => undefined);
  let consumer: EntryConsumer | undefined;
  try {
    for await (const entryStream of extract) {
      throwIfAborted(options.signal);
      const header = entryStream.header;
      if (++items > maxEntries) throw invalidArgument(`${archive}: more than ${maxEntries} entries; refused`);
      const type = typeOf(header.type);
      const name = safeEntryName(header.name, archive);
      const size = header.size ?? 0;
      if (!Number.isSafeInteger(size) || size < 0)
        throw invalidArgument(`${archive}: tar entry ${name} has an invalid size`);
      const entry: TarEntry = { name, type, size: type === 'file' ? size : 0 };
      if (type === 'symlink') entry.target = symlinkTarget(name, header.linkname ?? '', archive);
      if (type === 'link') {
        if (!header.linkname) throw invalidArgument(`${archive}: hard link ${name} has no target`);
        entry.target = safeEntryName(header.linkname, archive);
      }
      consumer = onEntry(entry);
      for await (const chunk of entryStream as AsyncIterable<Buffer>) {
        throwIfAborted(options.signal);
        if (consumer) await consumer.data(chunk);
      }
      if (consumer) await consumer.end();
      consumer = undefined;
      report();
    }
    await piping;
  } catch (err) {
    consumer?.abort?.();
    source.destroy();
    extract.destroy();
    throw archiveError(err, archive, gzip);
  }
  reported = -progressEvery;
  report();
}

/**
 * Hashes one entry as it streams. Small entries that look like JSON (first byte `{` or `[`) are kept; the others
 * are copied to `copyFile` when given. Keeping is decided on the first significant byte, so nothing is both.
 */
class EntryReader implements EntryConsumer {
  private readonly sha256: Hash = createHash('sha256');
  private readonly sha512?: Hash;
  private state: 'undecided' | 'keep' | 'stream';
  private chunks: Buffer[] = [];
  private out?: WriteStream;
  private length = 0;

  constructor(
    private readonly entry: TarEntry,
    keepLimit: number,
    private readonly budget: { left: number },
    private readonly copyFile: string | undefined,
    forceKeep: boolean,
  ) {
    if (entry.name.startsWith('blobs/sha512/')) this.sha512 = createHash('sha512');
    if (entry.size > keepLimit || entry.size > budget.left) this.state = 'stream';
    else this.state = forceKeep ? 'keep' : 'undecided';
    // Reserve the bytes now so that concurrent decisions cannot overrun the budget.
    if (this.state !== 'stream') budget.left -= entry.size;
  }

  async data(chunk: Buffer): Promise<void> {
    this.length += chunk.length;
    if (this.length > this.entry.size)
      throw invalidArgument(`${this.entry.name}: more bytes than the tar header says (${this.entry.size})`);
    this.sha256.update(chunk);
    this.sha512?.update(chunk);
    if (this.state === 'undecided') {
      const first = firstSignificant(chunk);
      if (first !== undefined) {
        if (first === 0x7b || first === 0x5b) this.state = 'keep';
        else {
          this.state = 'stream';
          this.budget.left += this.entry.size;
          const earlier = this.chunks;
          this.chunks = [];
          for (const kept of earlier) await this.copy(kept);
        }
      }
    }
    if (this.state === 'stream') await this.copy(chunk);
    else this.chunks.push(chunk);
  }

  private async copy(chunk: Buffer): Promise<void> {
    if (this.copyFile === undefined) return;
    if (!this.out) {
      this.entry.file = this.copyFile;
      this.out = createWriteStream(this.copyFile, { flags: 'wx', mode: 0o600 });
    }
    const out = this.out;
    if (!out.write(chunk))
      await new Promise<void>((resolve, reject) => {
        out.once('drain', resolve);
        out.once('error', reject);
      });
  }

  abort(): void {
    // As for an abandoned layout copy: a write in flight fails after destroy, with no one left to tell.
    this.out?.on('error', () => {});
    this.out?.destroy();
  }

  async end(): Promise<void> {
    if (this.length !== this.entry.size)
      throw invalidArgument(
        `${this.entry.name}: ${this.length} bytes, the tar header says ${this.entry.size}`,
      );
    this.entry.sha256 = `sha256:${this.sha256.digest('hex')}`;
    if (this.sha512) this.entry.sha512 = `sha512:${this.sha512.digest('hex')}`;
    if (this.state !== 'stream') {
      const bytes = Buffer.concat(this.chunks);
      this.entry.bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    this.chunks = [];
    if (this.out) {
      const out = this.out;
      await new Promise<void>((resolve, reject) => {
        out.once('error', reject);
        out.end(resolve);
      });
    }
  }
}

/**
 * Reads the whole archive once: every entry recorded (name, type, size, hashes), small JSON-like entries kept, link
 * targets checked to stay inside. Throws invalid_argument on anything unsafe or unreadable. A name that appears
 * twice is refused: tools disagree about which copy wins.
 */
export async function scanTar(
  path: string,
  archive: string,
  options: ScanOptions,
): Promise<Map<string, TarEntry>> {
  const entries = new Map<string, TarEntry>();
  const budget = { left: keepBudget };
  await streamTar(path, archive, options, (entry) => {
    if (entry.name === '') return undefined;
    const existing = entries.get(entry.name);
    if (existing && !(existing.type === 'directory' && entry.type === 'directory'))
      throw invalidArgument(`${archive}: tar entry ${entry.name} appears twice; refused as ambiguous`);
    if (entry.type === 'link') {
      // A hard link always names an entry that came before it.
      const target = entries.get(entry.target!);
      if (!target || target.type === 'directory')
        throw invalidArgument(
          `${archive}: hard link ${entry.name} -> ${entry.target} names no earlier file in the archive`,
        );
    }
    entries.set(entry.name, entry);
    if (entry.type !== 'file') return undefined;
    const rootList = rootListNames.has(entry.name);
    const copyFile = options.copyFile?.();
    return new EntryReader(entry, rootList ? maxListBytes : limits.valueBytes, budget, copyFile, rootList);
  });
  return entries;
}

/** The regular file an archive path names, following symlinks and hard links inside the archive (bounded). */
export function resolveEntry(
  entries: Map<string, TarEntry>,
  name: string,
  archive: string,
): TarEntry | undefined {
  let current = entries.get(name);
  for (let hops = 0; current && current.type !== 'file'; hops++) {
    if (current.type !== 'symlink' && current.type !== 'link') return undefined;
    if (hops >= maxLinkHops)
      throw invalidArgument(`${archive}: ${name}: too many levels of links (a link cycle?)`);
    const next = entries.get(current.target!);
    if (!next)
      throw invalidArgument(
        `${archive}: ${current.name} links to ${current.target}, which is not in the archive`,
      );
    current = next;
  }
  return current;
}

/**
 * A second pass for small entries the first pass did not keep (its memory budget ran out, or they did not look like
 * JSON): their bytes, each checked against the first pass's hash so that a file changed in between is noticed.
 */
export async function readEntries(
  path: string,
  archive: string,
  wanted: Map<string, TarEntry>,
  options: ScanOptions,
): Promise<void> {
  if (wanted.size === 0) return;
  const found = new Set<string>();
  await streamTar(path, archive, { signal: options.signal }, (entry) => {
    const record = wanted.get(entry.name);
    if (!record || entry.type !== 'file') return undefined;
    const chunks: Buffer[] = [];
    let length = 0;
    return {
      data(chunk) {
        length += chunk.length;
        if (length > record.size) throw invalidArgument(`${archive}: ${entry.name} changed while reading`);
        chunks.push(chunk);
      },
      end() {
        const bytes = Buffer.concat(chunks);
        const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
        if (digest !== record.sha256)
          throw invalidArgument(`${archive}: ${entry.name} changed while reading`);
        record.bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        found.add(entry.name);
      },
    };
  });
  for (const name of wanted.keys())
    if (!found.has(name)) throw invalidArgument(`${archive}: ${name} changed while reading`);
}

/**
 * A root file (manifest.json, index.json) past its bound is refused when its header is seen: reading on to the end
 * of a huge archive first, to refuse it then, took time in proportion to what the header claims (7 s for 1 GiB).
 */
function rootFileWithinBound(name: string, size: number, archive: string): true {
  if (size > maxListBytes)
    throw invalidArgument(`${archive}: ${name} is ${size} bytes; larger than ${maxListBytes}`);
  return true;
}

export interface TarListing {
  gzip: boolean;
  names: Set<string>;
  /** Bytes of the wanted root files (manifest.json, index.json, oci-layout) when small enough. */
  files: Map<string, Uint8Array>;
}

/**
 * What an archive holds, cheaply, for detection: its entry names and the few small root files asked for. A plain tar
 * is walked header by header (seeking past the contents); a gzip'd one has to be streamed. Returns undefined when
 * the file is not a tar at all (first header invalid).
 */
export async function listTar(
  path: string,
  archive: string,
  wanted: Set<string>,
  signal: AbortSignal,
): Promise<TarListing | undefined> {
  if (await isGzipFile(path, archive)) {
    const names = new Set<string>();
    const files = new Map<string, Uint8Array>();
    await streamTar(path, archive, { signal }, (entry) => {
      names.add(entry.name);
      if (entry.type !== 'file' || !wanted.has(entry.name)) return undefined;
      rootFileWithinBound(entry.name, entry.size, archive);
      const chunks: Buffer[] = [];
      return {
        data: (chunk) => void chunks.push(chunk),
        end: () => void files.set(entry.name, new Uint8Array(Buffer.concat(chunks))),
      };
    });
    return { gzip: true, names, files };
  }
  return listPlainTar(path, archive, wanted, signal);
}

function parseOctal(block: Buffer, offset: number, length: number): number {
  const field = block.subarray(offset, offset + length);
  // GNU base-256 for large sizes: the high bit of the first byte is set.
  if (field[0]! & 0x80) {
    let value = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    return value;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return NaN;
  return parseInt(text, 8);
}

const cString = (block: Buffer, offset: number, length: number) => {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
};

function headerChecksumOk(block: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum === parseOctal(block, 148, 8);
}

/** The `path` and `size` records of a pax extended header. */
function paxRecords(data: Buffer): { path?: string; size?: number } {
  const found: { path?: string; size?: number } = {};
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space < 0) break;
    const length = parseInt(data.subarray(offset, space).toString('latin1'), 10);
    if (!Number.isSafeInteger(length) || length <= 0 || offset + length > data.length) break;
    const record = data.subarray(space + 1, offset + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    const key = eq > 0 ? record.slice(0, eq) : '';
    if (key === 'path') found.path = record.slice(eq + 1);
    if (key === 'size' && /^\d+$/.test(record.slice(eq + 1))) found.size = Number(record.slice(eq + 1));
    offset += length;
  }
  return found;
}

async function listPlainTar(
  path: string,
  archive: string,
  wanted: Set<string>,
  signal: AbortSignal,
): Promise<TarListing | undefined> {
  const handle = await open(path, 'r');
  try {
    const { size: fileSize } = await handle.stat();
    const names = new Set<string>();
    const files = new Map<string, Uint8Array>();
    const block = Buffer.alloc(512);
    let offset = 0;
    // What a GNU long-name or pax header says about the entry that follows it.
    let next: { path?: string; size?: number } = {};
    let count = 0;
    const readAt = async (position: number, length: number) => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      if (bytesRead !== length)
        throw invalidArgument(`${archive}: the tar ends in the middle of an entry (truncated)`);
      return buffer;
    };
    for (;;) {
      throwIfAborted(signal);
      if (offset + 512 > fileSize) {
        if (count === 0) return undefined;
        // tar writers end with zero blocks, but readers accept an archive that simply stops after a whole entry.
        break;
      }
      await handle.read(block, 0, 512, offset);
      if (block.every((b) => b === 0)) break;
      if (!headerChecksumOk(block)) {
        if (count === 0) return undefined;
        throw invalidArgument(`${archive}: invalid tar header at byte ${offset}`);
      }
      if (++count > maxEntries) throw invalidArgument(`${archive}: more than ${maxEntries} entries; refused`);
      const typeflag = String.fromCharCode(block[156]!);
      const isMeta = typeflag === 'L' || typeflag === 'x' || typeflag === 'g' || typeflag === 'K';
      const size = isMeta ? parseOctal(block, 124, 12) : (next.size ?? parseOctal(block, 124, 12));
      if (!Number.isSafeInteger(size) || size < 0)
        throw invalidArgument(`${archive}: invalid tar header at byte ${offset}`);
      const dataAt = offset + 512;
      offset = dataAt + Math.ceil(size / 512) * 512;
      if (offset > fileSize)
        throw invalidArgument(`${archive}: the tar ends in the middle of an entry (truncated)`);
      if (typeflag === 'L' || typeflag === 'x') {
        if (size > 1024 * 1024) throw invalidArgument(`${archive}: tar header exceeds 1 MiB`);
        const data = await readAt(dataAt, size);
        if (typeflag === 'L') next.path = cString(data, 0, data.length);
        else next = { ...next, ...paxRecords(data) };
        continue;
      }
      if (typeflag === 'g' || typeflag === 'K') continue;
      let raw = next.path ?? cString(block, 0, 100);
      if (next.path === undefined && block.subarray(257, 263).toString('latin1') === 'ustar\0') {
        const prefix = cString(block, 345, 155);
        if (prefix !== '') raw = `${prefix}/${raw}`;
      }
      next = {};
      const name = safeEntryName(raw, archive);
      names.add(name);
      const isFile = typeflag === '0' || typeflag === '\0' || typeflag === '7';
      if (isFile && wanted.has(name) && rootFileWithinBound(name, size, archive))
        files.set(name, new Uint8Array(await readAt(dataAt, size)));
    }
    return { gzip: false, names, files };
  } finally {
    await handle.close();
  }
}
