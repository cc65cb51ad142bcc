import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { invalidArgument } from '../../shared/errors';

/**
 * A read-only reader of bbolt 1.3 files (containerd's meta.db), written from the page format in formats.md.
 * It never writes, locks or maps the file: pages are read on demand through a file descriptor, so a large
 * meta.db costs memory in proportion to what is looked at, not to its size.
 *
 * The file is untrusted. Every offset is bounds-checked against its page, every page id against the high-water
 * mark and the file length, and a tree that reaches a page twice (a cycle, or two parents sharing a page) or nests
 * deeper than any real file does is refused: corrupt input is an `invalid_argument` naming the page, never a crash,
 * a hang or a huge allocation.
 */

const magic = 0xed0cdaed;
const formatVersion = 2;
const pageHeaderSize = 16;
const elementSize = 16;
const metaBodySize = 56; // magic .. txid: what the checksum covers
const bucketHeaderSize = 16; // root pgid u64, sequence u64

const flagBranch = 0x01;
const flagLeaf = 0x02;
const flagMeta = 0x04;
const leafBucketFlag = 0x01;

/** Deeper than any bbolt B+tree or any containerd bucket nesting gets; a corrupt file could otherwise recurse on. */
const maxTreeDepth = 64;
const maxBucketDepth = 64;
/** One page span (a page plus its overflow): far above anything containerd writes, far below what would hurt. */
const maxSpanBytes = 64 * 1024 * 1024;
const pageSizes = [4096, 512, 1024, 2048, 8192, 16384, 32768, 65536];

const offsetBasis = 0xcbf29ce484222325n;
const fnvPrime = 0x100000001b3n;
const mask64 = 0xffffffffffffffffn;

/** FNV-1a, 64 bits: bbolt's meta page checksum. */
export function fnv1a64(bytes: Uint8Array): bigint {
  let hash = offsetBasis;
  for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * fnvPrime) & mask64;
  return hash;
}

export interface BoltMeta {
  pageSize: number;
  flags: number;
  /** Page id of the root bucket's tree. */
  root: number;
  freelist: bigint;
  /** The high-water mark: pages with an id below it are allocated. */
  highWater: number;
  txid: bigint;
}

/** Pages a walk has read, counted once each (what `expected/meta.db.page-stats.json` counts). */
export interface BoltPageStats {
  branchPages: number;
  leafPages: number;
  /** Pages whose content continues over further pages. */
  overflowPages: number;
}

export interface BoltEntry {
  key: Buffer;
  /** A key/value pair has a value ... */
  value?: Buffer;
  /** ... a nested bucket has a bucket. */
  bucket?: BoltBucket;
}

interface Page {
  id: number;
  flags: number;
  count: number;
  /** The whole span, header included: `(overflow + 1) * pageSize` bytes, or an inline bucket's bytes. */
  bytes: Buffer;
}

/** A u64 that must fit a JavaScript number (page ids): anything above 2^53 is corrupt in any real file. */
function readId(bytes: Buffer, offset: number, what: string): number {
  const value = bytes.readBigUInt64LE(offset);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${what} ${value} is out of range`);
  return Number(value);
}

function describeFlags(flags: number): string {
  return `0x${flags.toString(16).padStart(2, '0')}`;
}

export class BoltFile {
  readonly meta: BoltMeta;
  readonly fileSize: number;
  readonly stats: BoltPageStats = { branchPages: 0, leafPages: 0, overflowPages: 0 };
  /** Which tree (by its root page) each page read so far belongs to: a page never belongs to two. */
  private readonly owner = new Map<number, number>();
  /** Which bucket entry (parent id + key) each paged bucket root hangs from: a bucket has one parent. */
  private readonly rootParent = new Map<number, string>();
  private fd: number | undefined;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
    const info = fstatSync(fd);
    if (!info.isFile()) throw invalidArgument(`${path}: not a bbolt database: not a regular file`);
    this.fileSize = info.size;
    this.meta = this.readMeta();
  }

  /** Opens the file read-only (no lock: bbolt's readers take a shared flock; we take none and write nothing). */
  static open(path: string): BoltFile {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      throw invalidArgument(`${path}: cannot open it (${(err as NodeJS.ErrnoException).code ?? err})`);
    }
    try {
      return new BoltFile(path, fd);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** The root bucket: its keys are the top-level buckets (`v1` in containerd's meta.db). */
  root(): BoltBucket {
    return new BoltBucket(this, 'root', this.meta.root, undefined, new Set([this.meta.root]), 0);
  }

  private fail(message: string): never {
    throw invalidArgument(`${this.path}: corrupt bbolt database: ${message}`);
  }

  private read(position: number, length: number, what: string): Buffer {
    if (this.fd === undefined) throw invalidArgument(`${this.path}: the database was closed`);
    const buffer = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        n = readSync(this.fd, buffer, done, length - done, position + done);
      } catch (err) {
        throw invalidArgument(
          `${this.path}: cannot read ${what} (${(err as NodeJS.ErrnoException).code ?? err})`,
        );
      }
      if (n === 0) this.fail(`${what} runs past the end of the file (${this.fileSize} bytes)`);
      done += n;
    }
    return buffer;
  }

  private readMeta(): BoltMeta {
    const size = this.fileSize;
    const minimum = pageHeaderSize + metaBodySize + 8;
    if (size < minimum)
      throw invalidArgument(`${this.path}: not a bbolt database: the file is only ${size} bytes`);
    const parse = (offset: number): BoltMeta | string => {
      if (offset + minimum > size) return `the file ends before offset ${offset}`;
      const page = this.read(offset, minimum, `the meta page at offset ${offset}`);
      if (page.readUInt32LE(16) !== magic) return 'no bbolt magic';
      const version = page.readUInt32LE(20);
      if (version !== formatVersion) return `format version ${version}, expected ${formatVersion}`;
      const stored = page.readBigUInt64LE(pageHeaderSize + metaBodySize);
      if (fnv1a64(page.subarray(pageHeaderSize, pageHeaderSize + metaBodySize)) !== stored)
        return 'checksum mismatch';
      const pageSize = page.readUInt32LE(24);
      if (!pageSizes.includes(pageSize))
        return `page size ${pageSize} is not a power of two from 512 to 65536`;
      try {
        return {
          pageSize,
          flags: page.readUInt32LE(28),
          root: readId(page, 32, 'root page'),
          freelist: page.readBigUInt64LE(48),
          highWater: readId(page, 56, 'high-water mark'),
          txid: page.readBigUInt64LE(64),
        };
      } catch (err) {
        return (err as Error).message;
      }
    };

    const meta0 = parse(0);
    let meta1: BoltMeta | string;
    if (typeof meta0 !== 'string') meta1 = parse(meta0.pageSize);
    else {
      // Without meta 0 the page size is unknown: meta 1 is where a valid meta says its own page size is.
      meta1 = 'no valid meta page at any page size';
      for (const pageSize of pageSizes) {
        const candidate = parse(pageSize);
        if (typeof candidate !== 'string' && candidate.pageSize === pageSize) {
          meta1 = candidate;
          break;
        }
        if (pageSize === 4096) meta1 = candidate;
      }
    }
    const valid = [meta0, meta1].filter((m): m is BoltMeta => typeof m !== 'string');
    if (valid.length === 0) {
      if (meta0 === 'no bbolt magic' && meta1 === 'no bbolt magic')
        throw invalidArgument(`${this.path}: not a bbolt database (no bbolt magic in either meta page)`);
      this.fail(`no valid meta page (meta 0: ${meta0 as string}; meta 1: ${meta1 as string})`);
    }
    const meta = valid.reduce((a, b) => (b.txid > a.txid ? b : a));
    if (meta.highWater < 3 || meta.highWater * meta.pageSize > size)
      this.fail(
        `the meta page (txid ${meta.txid}) says the file holds ${meta.highWater} pages of ${meta.pageSize} bytes, ` +
          `but it is ${size} bytes long (truncated?)`,
      );
    if (meta.root < 2 || meta.root >= meta.highWater)
      this.fail(`the root bucket's page ${meta.root} is outside pages 2..${meta.highWater - 1}`);
    return meta;
  }

  // readPage, claimPage, claimRoot and corrupt are BoltBucket's view of the file; nothing else needs them.

  /** Reads one page and its overflow pages, checking that it is where it says it is and inside the file. */
  readPage(id: number, where: string): Page {
    const { pageSize, highWater } = this.meta;
    if (!Number.isSafeInteger(id) || id < 2 || id >= highWater)
      this.fail(`${where} points at page ${id}, outside pages 2..${highWater - 1} (the high-water mark)`);
    const head = this.read(id * pageSize, pageSize, `page ${id}`);
    const storedId = head.readBigUInt64LE(0);
    if (storedId !== BigInt(id)) this.fail(`page ${id} says it is page ${storedId} (${where})`);
    const overflow = head.readUInt32LE(12);
    if (id + overflow >= highWater)
      this.fail(
        `page ${id} continues over ${overflow} more pages, past the high-water mark ${highWater} (${where})`,
      );
    const span = (overflow + 1) * pageSize;
    if (span > maxSpanBytes) this.fail(`page ${id} spans ${span} bytes, more than any real database`);
    const bytes = overflow === 0 ? head : this.read(id * pageSize, span, `page ${id} and its overflow`);
    return { id, flags: head.readUInt16LE(8), count: head.readUInt16LE(10), bytes };
  }

  /** Records that `page` belongs to the tree rooted at `tree`; a page reached from two trees is corrupt. */
  claimPage(page: Page, tree: number): void {
    const owner = this.owner.get(page.id);
    if (owner === undefined) {
      this.owner.set(page.id, tree);
      if (page.flags & flagBranch) this.stats.branchPages++;
      else if (page.flags & flagLeaf) this.stats.leafPages++;
      if (page.bytes.length > this.meta.pageSize) this.stats.overflowPages++;
    } else if (owner !== tree)
      this.fail(
        `page ${page.id} is reached from two buckets (the trees rooted at pages ${owner} and ${tree})`,
      );
  }

  /** Records which bucket entry a paged bucket hangs from; a bucket root reached from two entries is corrupt. */
  claimRoot(root: number, parent: string): void {
    const existing = this.rootParent.get(root);
    if (existing === undefined) this.rootParent.set(root, parent);
    else if (existing !== parent) this.fail(`the bucket at page ${root} is nested in two places`);
  }

  corrupt(message: string): never {
    this.fail(message);
  }
}

/**
 * A bucket: paged (its tree starts at `root`) or inline (`root` 0: a leaf page stored inside its parent's value).
 * `entries()` yields keys in order, each either a value or a nested bucket, reading pages as it goes.
 */
export class BoltBucket {
  constructor(
    private readonly file: BoltFile,
    /** Names the bucket in errors and in the parent claims: `root`, then `>hex(key)` per level. */
    readonly id: string,
    readonly root: number,
    private readonly inlinePage: Buffer | undefined,
    /** Root pages of this bucket and its ancestors: a nested bucket pointing back at one is a cycle. */
    private readonly ancestors: ReadonlySet<number>,
    readonly depth: number,
  ) {}

  get isInline(): boolean {
    return this.inlinePage !== undefined;
  }

  *entries(): Generator<BoltEntry> {
    if (this.inlinePage) {
      const page = this.inlinePage;
      const flags = page.readUInt16LE(8);
      if (!(flags & flagLeaf))
        this.file.corrupt(
          `inline bucket ${this.describe()} holds a page with flags ${describeFlags(flags)}, not a leaf`,
        );
      yield* this.leaf(
        { id: 0, flags, count: page.readUInt16LE(10), bytes: page },
        `inline bucket ${this.describe()}`,
      );
      return;
    }
    yield* this.walk(this.root, new Set(), 0, `bucket ${this.describe()}`);
  }

  /** The value under `key`, or undefined (also when `key` names a bucket). */
  get(key: string): Buffer | undefined {
    const wanted = Buffer.from(key, 'utf8');
    for (const entry of this.entries()) if (entry.key.equals(wanted)) return entry.value;
    return undefined;
  }

  /** The nested bucket under `key`, or undefined. */
  bucket(key: string): BoltBucket | undefined {
    const wanted = Buffer.from(key, 'utf8');
    for (const entry of this.entries()) if (entry.key.equals(wanted)) return entry.bucket;
    return undefined;
  }

  private describe(): string {
    return this.root ? `at page ${this.root}` : this.id;
  }

  private *walk(id: number, visited: Set<number>, depth: number, where: string): Generator<BoltEntry> {
    if (visited.has(id)) this.file.corrupt(`${where}: page ${id} is reached twice (a cycle in the tree)`);
    if (depth > maxTreeDepth) this.file.corrupt(`${where}: the tree is deeper than ${maxTreeDepth} levels`);
    visited.add(id);
    const page = this.file.readPage(id, where);
    this.file.claimPage(page, this.root);
    if (page.flags & flagBranch) {
      if (page.count === 0) this.file.corrupt(`branch page ${id} has no elements`);
      for (let i = 0; i < page.count; i++) {
        const at = pageHeaderSize + i * elementSize;
        if (at + elementSize > page.bytes.length)
          this.file.corrupt(`branch page ${id}: element ${i} of ${page.count} lies past the page's end`);
        const child = readIdOrFail(this.file, page.bytes, at + 8, `branch page ${id} element ${i}`);
        yield* this.walk(child, visited, depth + 1, `branch page ${id} element ${i}`);
      }
    } else if (page.flags & flagLeaf) {
      yield* this.leaf(page, `leaf page ${id}`);
    } else {
      const kind = page.flags & flagMeta ? 'a meta page' : `flags ${describeFlags(page.flags)}`;
      this.file.corrupt(`${where} points at page ${id}, which is ${kind}, not a branch or leaf page`);
    }
  }

  private *leaf(page: Page, where: string): Generator<BoltEntry> {
    const bytes = page.bytes;
    for (let i = 0; i < page.count; i++) {
      const at = pageHeaderSize + i * elementSize;
      if (at + elementSize > bytes.length)
        this.file.corrupt(`${where}: element ${i} of ${page.count} lies past the page's end`);
      const flags = bytes.readUInt32LE(at);
      const start = at + bytes.readUInt32LE(at + 4);
      const keySize = bytes.readUInt32LE(at + 8);
      const valueSize = bytes.readUInt32LE(at + 12);
      if (start + keySize + valueSize > bytes.length)
        this.file.corrupt(
          `${where}: element ${i}'s key and value (${keySize} + ${valueSize} bytes at offset ${start}) run past the ` +
            `page's end (${bytes.length} bytes)`,
        );
      const key = bytes.subarray(start, start + keySize);
      const value = bytes.subarray(start + keySize, start + keySize + valueSize);
      if (flags & leafBucketFlag) yield { key, bucket: this.child(key, value, `${where} element ${i}`) };
      else yield { key, value };
    }
  }

  private child(key: Buffer, value: Buffer, where: string): BoltBucket {
    if (this.depth + 1 > maxBucketDepth)
      this.file.corrupt(`${where}: buckets nested deeper than ${maxBucketDepth} levels`);
    if (value.length < bucketHeaderSize)
      this.file.corrupt(
        `${where}: a nested bucket's header is ${value.length} bytes, expected ${bucketHeaderSize}`,
      );
    const id = `${this.id}>${key.toString('hex')}`;
    const root = readIdOrFail(this.file, value, 0, where);
    if (root === 0) {
      const inline = value.subarray(bucketHeaderSize);
      if (inline.length < pageHeaderSize)
        this.file.corrupt(
          `${where}: an inline bucket of ${inline.length} bytes has no room for its page header`,
        );
      return new BoltBucket(this.file, id, 0, inline, this.ancestors, this.depth + 1);
    }
    if (this.ancestors.has(root))
      this.file.corrupt(
        `${where}: a nested bucket points back at page ${root}, an enclosing bucket (a cycle)`,
      );
    this.file.claimRoot(root, id);
    return new BoltBucket(this.file, id, root, undefined, new Set([...this.ancestors, root]), this.depth + 1);
  }
}

function readIdOrFail(file: BoltFile, bytes: Buffer, offset: number, where: string): number {
  try {
    return readId(bytes, offset, 'page id');
  } catch (err) {
    file.corrupt(`${where}: ${(err as Error).message}`);
  }
}

/** Reads `path`, hands the open file to `use`, and closes it whatever happens. */
export function withBoltFile<T>(path: string, use: (file: BoltFile) => T): T {
  const file = BoltFile.open(path);
  try {
    return use(file);
  } finally {
    file.close();
  }
}

/** Whether `bytes` (the first 32 bytes of a file, or more) start like a bbolt file: bbolt's magic in meta page 0. */
export function hasBoltMagic(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 24) return false;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32LE(16) === magic;
}
