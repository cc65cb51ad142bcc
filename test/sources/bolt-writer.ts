import { fnv1a64 } from '../../src/main/sources/bbolt';

/**
 * A minimal bbolt 1.3 writer for tests: builds a file holding `tree` (a string or bytes is a value, an object is a
 * nested bucket), in the page format formats.md describes. Buckets without sub-buckets are inline when small, as bbolt
 * does; every other bucket gets its own leaf page (with overflow pages when it does not fit one page).
 */
export type BoltTree = { [key: string]: string | Uint8Array | BoltTree };

const pageHeaderSize = 16;
const elementSize = 16;

export function buildBolt(tree: BoltTree, pageSize = 4096): Buffer {
  const pages: Buffer[] = [];
  // Pages 0 and 1 are the metas, 2 the (empty) freelist; written last, once the root is known.
  let next = 3;

  const leafPage = (entries: [Buffer, number, Buffer][]): Buffer => {
    const dataSize = entries.reduce((sum, [k, , v]) => sum + k.length + v.length, 0);
    const bytes = Buffer.alloc(pageHeaderSize + entries.length * elementSize + dataSize);
    bytes.writeUInt16LE(0x02, 8);
    bytes.writeUInt16LE(entries.length, 10);
    let data = pageHeaderSize + entries.length * elementSize;
    entries.forEach(([key, flags, value], i) => {
      const at = pageHeaderSize + i * elementSize;
      bytes.writeUInt32LE(flags, at);
      bytes.writeUInt32LE(data - at, at + 4);
      bytes.writeUInt32LE(key.length, at + 8);
      bytes.writeUInt32LE(value.length, at + 12);
      key.copy(bytes, data);
      value.copy(bytes, data + key.length);
      data += key.length + value.length;
    });
    return bytes;
  };

  const place = (leaf: Buffer): number => {
    const count = Math.ceil(leaf.length / pageSize);
    const id = next;
    next += count;
    const span = Buffer.alloc(count * pageSize);
    leaf.copy(span);
    span.writeBigUInt64LE(BigInt(id), 0);
    span.writeUInt32LE(count - 1, 12);
    pages[id] = span;
    return id;
  };

  /** The element list of a bucket; nested buckets are placed (or inlined) first. */
  const encode = (bucket: BoltTree): [Buffer, number, Buffer][] =>
    Object.keys(bucket)
      .map((k) => Buffer.from(k, 'utf8'))
      .sort(Buffer.compare)
      .map((key) => {
        const value = bucket[key.toString('utf8')]!;
        if (typeof value === 'string') return [key, 0, Buffer.from(value, 'utf8')];
        if (value instanceof Uint8Array) return [key, 0, Buffer.from(value)];
        const header = Buffer.alloc(16);
        const children = encode(value);
        const inline = leafPage(children);
        const hasBuckets = children.some(([, flags]) => flags & 1);
        if (!hasBuckets && inline.length <= pageSize / 4) return [key, 1, Buffer.concat([header, inline])];
        header.writeBigUInt64LE(BigInt(place(inline)), 0);
        return [key, 1, header];
      });

  const root = place(leafPage(encode(tree)));
  const freelist = Buffer.alloc(pageSize);
  freelist.writeBigUInt64LE(2n, 0);
  freelist.writeUInt16LE(0x10, 8);
  pages[2] = freelist;
  for (const id of [0, 1]) {
    const meta = Buffer.alloc(pageSize);
    meta.writeBigUInt64LE(BigInt(id), 0);
    meta.writeUInt16LE(0x04, 8);
    meta.writeUInt32LE(0xed0cdaed, 16);
    meta.writeUInt32LE(2, 20);
    meta.writeUInt32LE(pageSize, 24);
    meta.writeBigUInt64LE(BigInt(root), 32);
    meta.writeBigUInt64LE(2n, 48);
    meta.writeBigUInt64LE(BigInt(next), 56);
    meta.writeBigUInt64LE(BigInt(id + 1), 64);
    meta.writeBigUInt64LE(fnv1a64(meta.subarray(16, 72)), 72);
    pages[id] = meta;
  }
  return Buffer.concat(pages.filter((p) => p !== undefined));
}

/** Go's binary.PutVarint. */
export function varint(value: number): Buffer {
  let v = value >= 0 ? BigInt(value) << 1n : (BigInt(-value) << 1n) - 1n;
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}

/** Go's time.Time.MarshalBinary (version 1, UTC) of a ms timestamp. */
export function goTime(ms: number): Buffer {
  const bytes = Buffer.alloc(15);
  bytes[0] = 1;
  const seconds = Math.floor(ms / 1000);
  bytes.writeBigInt64BE(BigInt(seconds) + 62135596800n, 1);
  bytes.writeInt32BE((ms - seconds * 1000) * 1e6, 9);
  bytes.writeInt16BE(-1, 13);
  return bytes;
}
