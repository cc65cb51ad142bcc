import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BoltFile, fnv1a64, withBoltFile, type BoltBucket } from '../../src/main/sources/bbolt';
import { ImgmetaError } from '../../src/shared/errors';
import { buildBolt } from './bolt-writer';

const fixture = join(__dirname, '..', 'fixtures', 'containerd-metadata');
const metaDb = join(fixture, 'root', 'io.containerd.metadata.v1.bolt', 'meta.db');
const overlayDb = join(fixture, 'root', 'io.containerd.snapshotter.v1.overlayfs', 'metadata.db');
const original = readFileSync(metaDb);
const pageSize = 4096;

const scratch = mkdtempSync(join(tmpdir(), 'imgmeta-bbolt-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let serial = 0;
function writeVariant(bytes: Uint8Array): string {
  const path = join(scratch, `variant-${++serial}.db`);
  writeFileSync(path, bytes);
  return path;
}

interface DumpNode {
  name: string;
  nameHex: string;
  bucket: boolean;
  valueHex?: string;
  items?: DumpNode[];
}

/** The same shape as tools/boltdump's JSON (Go's bbolt walk of the file). */
function dump(bucket: BoltBucket): DumpNode[] {
  const out: DumpNode[] = [];
  for (const entry of bucket.entries()) {
    const node: DumpNode = {
      name: entry.key.toString('utf8'),
      nameHex: entry.key.toString('hex'),
      bucket: !!entry.bucket,
    };
    if (entry.bucket) {
      const items = dump(entry.bucket);
      if (items.length > 0) node.items = items;
    } else node.valueHex = entry.value!.toString('hex');
    out.push(node);
  }
  return out;
}

const strip = (nodes: DumpNode[]): DumpNode[] =>
  nodes.map((n) => ({
    name: n.name,
    nameHex: n.nameHex,
    bucket: n.bucket,
    ...(n.valueHex !== undefined ? { valueHex: n.valueHex } : {}),
    ...(n.items ? { items: strip(n.items) } : {}),
  }));

function countBuckets(bucket: BoltBucket, counts = { inline: 0, paged: 0 }) {
  for (const entry of bucket.entries()) {
    if (!entry.bucket) continue;
    if (entry.bucket.isInline) counts.inline++;
    else counts.paged++;
    countBuckets(entry.bucket, counts);
  }
  return counts;
}

const walkAll = (path: string) => withBoltFile(path, (db) => dump(db.root()));

/** Where things are in the real file, found by following the tree from the newest meta (independently of the reader). */
function layout(bytes: Buffer) {
  const metas = [0, pageSize].map((at) => ({ at, txid: bytes.readBigUInt64LE(at + 64) }));
  const newest = metas.reduce((a, b) => (b.txid > a.txid ? b : a));
  const older = metas.find((m) => m !== newest)!;
  const root = Number(bytes.readBigUInt64LE(newest.at + 32));
  const freelist = Number(bytes.readBigUInt64LE(newest.at + 48));
  const branches: number[] = [];
  const overflowing: number[] = [];
  const leaves: number[] = [];
  /** Nested paged buckets: the byte offset of their root pgid in the parent's leaf value, and that root. */
  const bucketRoots: { at: number; root: number }[] = [];
  const visit = (id: number) => {
    const at = id * pageSize;
    const flags = bytes.readUInt16LE(at + 8);
    const count = bytes.readUInt16LE(at + 10);
    if (bytes.readUInt32LE(at + 12) > 0) overflowing.push(id);
    for (let i = 0; i < count; i++) {
      const element = at + 16 + i * 16;
      if (flags & 1) {
        if (i === 0) branches.push(id);
        visit(Number(bytes.readBigUInt64LE(element + 8)));
      } else {
        if (i === 0) leaves.push(id);
        if (!(bytes.readUInt32LE(element) & 1)) continue;
        const value = element + bytes.readUInt32LE(element + 4) + bytes.readUInt32LE(element + 8);
        const child = Number(bytes.readBigUInt64LE(value));
        if (child !== 0) {
          bucketRoots.push({ at: value, root: child });
          visit(child);
        }
      }
    }
  };
  visit(root);
  return { newest, older, root, freelist, branches, leaves, overflowing, bucketRoots };
}

const where = layout(original);

const flip = (bytes: Buffer, at: number, mask: number) => bytes.writeUInt8(bytes.readUInt8(at) ^ mask, at);

function expectInvalid(run: () => unknown, message: RegExp) {
  let caught: unknown;
  try {
    run();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected an error').toBeInstanceOf(ImgmetaError);
  expect((caught as ImgmetaError).code).toBe('invalid_argument');
  expect((caught as ImgmetaError).message).toMatch(message);
}

/** A copy of the real file with `patch` applied, walked in full. */
function walkPatched(patch: (bytes: Buffer) => void): () => unknown {
  const bytes = Buffer.from(original);
  patch(bytes);
  const path = writeVariant(bytes);
  return () => walkAll(path);
}

describe('reads a real containerd meta.db (bbolt 1.3.6, 1 MiB)', () => {
  it('picks the meta page with the larger txid and reports its geometry', () => {
    withBoltFile(metaDb, (db) => {
      expect(db.meta.pageSize).toBe(4096);
      expect(db.meta.txid).toBe(635n);
      expect(db.meta.root).toBe(200);
      expect(db.meta.highWater).toBe(202);
      expect(db.fileSize).toBe(1_048_576);
    });
  });

  it("walks every bucket and key exactly as Go's bbolt does (expected/meta.db.dump.json)", () => {
    const expected = JSON.parse(readFileSync(join(fixture, 'expected', 'meta.db.dump.json'), 'utf8'));
    const walked = walkAll(metaDb);
    expect(walked).toEqual(strip(expected.buckets));
  });

  it('goes through the branch page, the overflow page and both kinds of bucket (meta.db.page-stats.json)', () => {
    const stats = JSON.parse(readFileSync(join(fixture, 'expected', 'meta.db.page-stats.json'), 'utf8'));
    withBoltFile(metaDb, (db) => {
      const buckets = countBuckets(db.root());
      expect(db.stats).toEqual({
        branchPages: stats.branchPages,
        leafPages: stats.leafPages,
        overflowPages: stats.overflowPages,
      });
      expect(buckets).toEqual({ inline: stats.inlineBuckets, paged: stats.pagedBuckets });
    });
  });

  it('finds keys and nested buckets by name', () => {
    withBoltFile(metaDb, (db) => {
      const v1 = db.root().bucket('v1')!;
      expect(v1.get('version')).toEqual(Buffer.from([6])); // varint 3
      const target = v1
        .bucket('default')!
        .bucket('images')!
        .bucket('example.com/fixtures/app:1.0')!
        .bucket('target')!;
      expect(target.get('digest')!.toString()).toBe(
        'sha256:f9c2a66311becc0c400f51890806edeb7b52a9dd8789cdfb8385df6f98bbb8f4',
      );
      expect(v1.bucket('nope')).toBeUndefined();
      expect(v1.get('default')).toBeUndefined(); // a bucket, not a value
    });
  });

  it("reads the overlayfs snapshotter's own bbolt file too", () => {
    const lines = readFileSync(join(fixture, 'expected', 'overlayfs-metadata.db.dump.txt'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    const count = (nodes: DumpNode[]): number =>
      nodes.reduce((n, node) => n + 1 + count(node.items ?? []), 0);
    expect(count(walkAll(overlayDb))).toBe(lines.length);
  });

  it('still reads the file when the older meta page is damaged', () => {
    const read = walkPatched((bytes) => {
      flip(bytes, where.older.at + 72, 0xff);
    });
    expect(read()).toEqual(walkAll(metaDb));
  });

  it('never writes to the file: a read-only copy reads, and nothing about it changes', () => {
    const path = writeVariant(original);
    chmodSync(path, 0o444);
    const before = statSync(path);
    walkAll(path);
    const after = statSync(path);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.size).toBe(before.size);
    expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(
      createHash('sha256').update(original).digest('hex'),
    );
  });

  it('reads files written with another page size', () => {
    const bytes = buildBolt({ v1: { a: 'x', b: { c: 'y'.repeat(5000) } } }, 1024);
    const db = BoltFile.open(writeVariant(bytes));
    try {
      expect(db.meta.pageSize).toBe(1024);
      expect(db.root().bucket('v1')!.bucket('b')!.get('c')!.length).toBe(5000);
    } finally {
      db.close();
    }
  });
});

describe('refuses corrupt files with a clear invalid_argument, never a crash or a hang', () => {
  it('a truncated file', () => {
    const path = writeVariant(original.subarray(0, 400_000));
    expectInvalid(() => walkAll(path), /says the file holds 202 pages of 4096 bytes, but it is 400000 bytes/);
  });

  it('a file shorter than a meta page', () => {
    const path = writeVariant(original.subarray(0, 10));
    expectInvalid(() => walkAll(path), /not a bbolt database: the file is only 10 bytes/);
  });

  it('a directory', () => {
    expectInvalid(() => walkAll(scratch), /not a bbolt database: not a regular file/);
  });

  it('random bytes', () => {
    const path = writeVariant(randomBytes(64 * 1024));
    expectInvalid(() => walkAll(path), /not a bbolt database/);
  });

  it("both meta pages' checksums broken", () => {
    const run = walkPatched((bytes) => {
      flip(bytes, 72, 0x01);
      flip(bytes, pageSize + 72, 0x01);
    });
    expectInvalid(run, /no valid meta page \(meta 0: checksum mismatch; meta 1: checksum mismatch\)/);
  });

  it('a meta page whose checksum is right but whose high-water mark is past the end of the file', () => {
    const run = walkPatched((bytes) => {
      for (const at of [0, pageSize]) {
        bytes.writeBigUInt64LE(100_000n, at + 56);
        bytes.writeBigUInt64LE(fnv1a64(bytes.subarray(at + 16, at + 72)), at + 72);
      }
    });
    expectInvalid(run, /says the file holds 100000 pages/);
  });

  it('a branch element pointing beyond the high-water mark', () => {
    expect(where.branches).toHaveLength(1);
    const branch = where.branches[0]!;
    const run = walkPatched((bytes) => bytes.writeBigUInt64LE(5000n, branch * pageSize + 16 + 8));
    expectInvalid(run, /points at page 5000, outside pages 2\.\.201/);
  });

  it('a cycle: a branch page pointing at itself', () => {
    const branch = where.branches[0]!;
    const run = walkPatched((bytes) =>
      bytes.writeBigUInt64LE(BigInt(branch), branch * pageSize + 16 + 16 + 8),
    );
    expectInvalid(run, new RegExp(`page ${branch} is reached twice \\(a cycle`));
  });

  it('a cycle through buckets: a nested bucket pointing back at the root bucket', () => {
    const { at } = where.bucketRoots.at(-1)!;
    const run = walkPatched((bytes) => bytes.writeBigUInt64LE(BigInt(where.root), at));
    expectInvalid(run, /points back at page 200, an enclosing bucket/);
  });

  it('one bucket nested in two places', () => {
    const [first, second] = where.bucketRoots.slice(-2);
    const run = walkPatched((bytes) => bytes.writeBigUInt64LE(BigInt(first!.root), second!.at));
    expectInvalid(run, /nested in two places|reached from two buckets/);
  });

  it('a branch element pointing at the freelist or a meta page', () => {
    const branch = where.branches[0]!;
    expectInvalid(
      walkPatched((bytes) => bytes.writeBigUInt64LE(BigInt(where.freelist), branch * pageSize + 16 + 8)),
      /which is flags 0x10, not a branch or leaf page/,
    );
    expectInvalid(
      walkPatched((bytes) => bytes.writeBigUInt64LE(1n, branch * pageSize + 16 + 8)),
      /points at page 1, outside pages 2\.\.201/,
    );
  });

  it('a page whose header names another page', () => {
    const leaf = where.leaves.at(-1)!;
    const run = walkPatched((bytes) => bytes.writeBigUInt64LE(7n, leaf * pageSize));
    expectInvalid(run, new RegExp(`page ${leaf} says it is page 7`));
  });

  it('an overflow page cut short: the value runs past the page it now claims', () => {
    expect(where.overflowing).toHaveLength(1);
    const page = where.overflowing[0]!;
    const run = walkPatched((bytes) => bytes.writeUInt32LE(0, page * pageSize + 12));
    expectInvalid(
      run,
      new RegExp(
        `leaf page ${page}: element \\d+'s key and value .* run past the page's end \\(4096 bytes\\)`,
      ),
    );
  });

  it('an overflow count reaching past the high-water mark', () => {
    const page = where.overflowing[0]!;
    const run = walkPatched((bytes) => bytes.writeUInt32LE(1000, page * pageSize + 12));
    expectInvalid(
      run,
      new RegExp(`page ${page} continues over 1000 more pages, past the high-water mark 202`),
    );
  });

  it('an element count larger than the page holds', () => {
    const leaf = where.leaves.at(-1)!;
    const run = walkPatched((bytes) => bytes.writeUInt16LE(0xffff, leaf * pageSize + 10));
    expectInvalid(run, /lies past the page's end|run past the page's end/);
  });

  it('a key size larger than the page', () => {
    const leaf = where.leaves.at(-1)!;
    const run = walkPatched((bytes) => bytes.writeUInt32LE(0x7fffffff, leaf * pageSize + 16 + 8));
    expectInvalid(run, /run past the page's end/);
  });

  it('an inline bucket whose page is not a leaf', () => {
    const bytes = buildBolt({ v1: { small: { a: 'b' } } });
    const at = bytes.indexOf(Buffer.from('small')) + 'small'.length + 16 + 8; // flags of the inline page
    bytes.writeUInt16LE(0x01, at);
    const path = writeVariant(bytes);
    expectInvalid(() => walkAll(path), /holds a page with flags 0x01, not a leaf/);
  });

  it('a closed file refuses further reads', () => {
    const db = BoltFile.open(metaDb);
    const root = db.root();
    db.close();
    expectInvalid(() => [...root.entries()], /closed/);
  });
});
