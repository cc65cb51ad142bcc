// What a user would pick instead: better-sqlite3 with an equivalent indexed schema, WAL mode with synchronous=FULL
// (every commit fsyncs the WAL: durable like the others), a 256 MiB page cache and memory-mapped reads.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ImageRef } from '../src/shared/types';
import { metadataNamespace, type BlobSpec, type ImageSpec } from './data';
import type { ImagePeer, Item, MetadataListing, MetadataPeer, PageQuery, PageResult } from './peers';

// better-sqlite3 lives in bench/node_modules (installed by `npm run bench`, never an app dependency), so it is loaded
// at run time and typed here by the few calls the benchmark makes: the typecheck never needs it installed.
interface Statement<R> {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): R | undefined;
  all(...params: unknown[]): R[];
  pluck(toggle?: boolean): Statement<unknown>;
}
interface SqliteDatabase {
  pragma(source: string, options?: { simple?: boolean }): unknown;
  exec(sql: string): void;
  prepare<R = unknown>(sql: string): Statement<R>;
  transaction<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T;
  close(): void;
}
type SqliteConstructor = new (path: string) => SqliteDatabase;

export function loadSqlite(benchDir: string): { Database: SqliteConstructor; version: string } {
  const require = createRequire(join(benchDir, 'package.json'));
  const Database = require('better-sqlite3') as SqliteConstructor;
  const version = (require('better-sqlite3/package.json') as { version: string }).version;
  return { Database, version };
}

export const sqliteSettings = {
  journal_mode: 'wal',
  synchronous: 'full',
  cache_size: -262_144,
  mmap_size: 2 ** 31,
  temp_store: 'memory',
} as const;

const schema = `
  CREATE TABLE IF NOT EXISTS images (
    id INTEGER PRIMARY KEY,
    ns TEXT NOT NULL,
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    digest TEXT NOT NULL,
    size INTEGER NOT NULL,
    labels TEXT NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    total_size INTEGER NOT NULL,
    UNIQUE (ns, name)
  );
  CREATE TABLE IF NOT EXISTS image_labels (
    pair TEXT NOT NULL,
    name TEXT NOT NULL,
    ns TEXT NOT NULL,
    image_id INTEGER NOT NULL,
    PRIMARY KEY (pair, name, ns)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS content (digest TEXT PRIMARY KEY, media_type TEXT NOT NULL, size INTEGER NOT NULL, bytes BLOB) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS content_children (parent TEXT NOT NULL, child TEXT NOT NULL, PRIMARY KEY (parent, child)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS metadata (
    ns TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    version INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    PRIMARY KEY (ns, key)
  ) WITHOUT ROWID;
`;

/**
 * The secondary indexes. A bulk load into empty tables creates them after the rows, in the same transaction (one sort
 * per index instead of a million random B-tree inserts each): what a SQLite user does for a bulk load.
 */
const indexes = `
  CREATE INDEX IF NOT EXISTS images_by_name ON images (name, ns);
  CREATE INDEX IF NOT EXISTS images_by_created ON images (created, ns, name);
  CREATE INDEX IF NOT EXISTS images_by_size ON images (total_size, ns, name);
  CREATE INDEX IF NOT EXISTS images_by_digest ON images (digest);
  CREATE INDEX IF NOT EXISTS image_labels_by_image ON image_labels (image_id);
`;
const dropIndexes = `
  DROP INDEX images_by_name;
  DROP INDEX images_by_created;
  DROP INDEX images_by_size;
  DROP INDEX images_by_digest;
  DROP INDEX image_labels_by_image;
`;

interface ImageRow {
  id: number;
  ns: string;
  name: string;
  media_type: string;
  digest: string;
  size: number;
  labels: string;
  created: number;
  updated: number;
  total_size: number;
}

const columns =
  'i.id, i.ns, i.name, i.media_type, i.digest, i.size, i.labels, i.created, i.updated, i.total_size';

const toItem = (r: ImageRow): Item & Record<string, unknown> => ({
  namespace: r.ns,
  name: r.name,
  target: { mediaType: r.media_type, digest: r.digest, size: r.size },
  labels: JSON.parse(r.labels) as Record<string, string>,
  createdAt: r.created,
  updatedAt: r.updated,
  totalSize: r.total_size,
});

/** The ORDER BY key of each sort; keyset continuation compares the same columns. */
const orderColumns = {
  name: ['i.name', 'i.ns'],
  created: ['i.created', 'i.ns', 'i.name'],
  size: ['i.total_size', 'i.ns', 'i.name'],
} as const;
const labelOrderColumns = {
  name: ['l.name', 'l.ns'],
  created: ['i.created', 'i.ns', 'i.name'],
  size: ['i.total_size', 'i.ns', 'i.name'],
} as const;

export class Sqlite implements ImagePeer, MetadataPeer {
  readonly id = 'sqlite';
  private readonly db: SqliteDatabase;
  private readonly statements = new Map<string, Statement<unknown>>();

  constructor(Database: SqliteConstructor, path: string) {
    this.db = new Database(path);
    for (const [name, value] of Object.entries(sqliteSettings)) this.db.pragma(`${name} = ${value}`);
    this.db.exec(schema);
    this.db.exec(indexes);
  }

  /** The settings as SQLite reports them back. */
  settings(): Record<string, unknown> {
    return Object.fromEntries(
      Object.keys(sqliteSettings).map((name) => [name, this.db.pragma(name, { simple: true })]),
    );
  }

  private statement<R>(sql: string): Statement<R> {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s as Statement<R>;
  }

  putBlobs(blobs: BlobSpec[]): void {
    const content = this.statement(
      'INSERT INTO content (digest, media_type, size, bytes) VALUES (?, ?, ?, ?)',
    );
    const child = this.statement('INSERT OR IGNORE INTO content_children (parent, child) VALUES (?, ?)');
    this.db.transaction(() => {
      for (const b of blobs) {
        content.run(b.digest, b.mediaType, b.bytes.byteLength, b.bytes);
        for (const c of b.children) child.run(b.digest, c.digest);
      }
    })();
  }

  createImages(images: ImageSpec[]): void {
    const insert = this.statement(
      'INSERT INTO images (ns, name, media_type, digest, size, labels, created, updated, total_size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const label = this.statement('INSERT INTO image_labels (pair, name, ns, image_id) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => {
      const empty = this.countAll() === 0;
      if (empty) this.db.exec(dropIndexes);
      for (const i of images) {
        const t = i.target;
        const { lastInsertRowid } = insert.run(
          i.namespace,
          i.name,
          t.mediaType,
          t.digest,
          t.size,
          JSON.stringify(i.labels),
          i.createdAt,
          i.updatedAt,
          i.totalSize,
        );
        for (const [k, v] of Object.entries(i.labels))
          label.run(`${k}=${v}`, i.name, i.namespace, lastInsertRowid);
      }
      if (empty) this.db.exec(indexes);
    })();
  }

  countAll(): number {
    return this.statement('SELECT COUNT(*) FROM images').pluck().get() as number;
  }

  countNamespace(namespace: string): number {
    return this.statement('SELECT COUNT(*) FROM images WHERE ns = ?').pluck().get(namespace) as number;
  }

  private select(q: PageQuery, after: unknown[] | undefined): { sql: string; keys: readonly string[] } {
    const keys = q.label !== undefined ? labelOrderColumns[q.sort] : orderColumns[q.sort];
    const dir = q.order === 'desc' ? ' DESC' : '';
    const from = q.label !== undefined ? 'image_labels l JOIN images i ON i.id = l.image_id' : 'images i';
    const where = [
      ...(q.label !== undefined ? ['l.pair = ?'] : []),
      ...(after
        ? [`(${keys.join(', ')}) ${q.order === 'desc' ? '<' : '>'} (${keys.map(() => '?').join(', ')})`]
        : []),
    ];
    const sql =
      `SELECT ${columns} FROM ${from}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}` +
      ` ORDER BY ${keys.map((k) => `${k}${dir}`).join(', ')} LIMIT ?${after ? '' : ' OFFSET ?'}`;
    return { sql, keys };
  }

  private run(q: PageQuery, after?: unknown[]): PageResult {
    const { sql, keys } = this.select(q, after);
    const params = [
      ...(q.label !== undefined ? [q.label] : []),
      ...(after ?? []),
      q.limit,
      ...(after ? [] : [q.offset]),
    ];
    const rows = this.statement<ImageRow>(sql).all(...params);
    const last = rows[rows.length - 1];
    const cursor = last ? keys.map((k) => last[k.replace(/^[il]\./, '') as keyof ImageRow]) : undefined;
    return { items: rows.map(toItem), cursor };
  }

  page(q: PageQuery): PageResult {
    return this.run(q);
  }

  /** Keyset pagination: WHERE (sort key) > (last row's sort key), which the index answers with one seek. */
  nextPage(q: PageQuery, previous: PageResult): PageResult {
    return this.run(q, previous.cursor as unknown[]);
  }

  /** `LIKE '%x%'` over the name index (names are lowercase, so LIKE's ASCII case folding changes nothing). */
  nameContains(needle: string, limit: number): PageResult {
    const pattern = `%${needle}%`;
    const total = this.statement('SELECT COUNT(*) FROM images WHERE name LIKE ?')
      .pluck()
      .get(pattern) as number;
    const rows = this.statement<ImageRow>(
      `SELECT ${columns} FROM images i WHERE i.name LIKE ? ORDER BY i.name, i.ns LIMIT ?`,
    ).all(pattern, limit);
    return { items: rows.map(toItem), total };
  }

  deleteImages(refs: ImageRef[]): void {
    const find = this.statement('SELECT id FROM images WHERE ns = ? AND name = ?').pluck();
    const labels = this.statement('DELETE FROM image_labels WHERE image_id = ?');
    const image = this.statement('DELETE FROM images WHERE id = ?');
    this.db.transaction(() => {
      for (const ref of refs) {
        const id = find.get(ref.namespace, ref.name);
        if (id === undefined) continue;
        labels.run(id);
        image.run(id);
      }
    })();
  }

  /** Mark (blobs an image targets, then their children, recursively) and sweep, in SQL. */
  gc(): number {
    return this.db.transaction(() => {
      const { changes } = this.statement(
        `
        WITH RECURSIVE live(digest) AS (
          SELECT c.digest FROM content c WHERE EXISTS (SELECT 1 FROM images i WHERE i.digest = c.digest)
          UNION
          SELECT cc.child FROM content_children cc JOIN live ON cc.parent = live.digest
        )
        DELETE FROM content WHERE digest NOT IN (SELECT digest FROM live)`,
      ).run();
      this.statement('DELETE FROM content_children WHERE parent NOT IN (SELECT digest FROM content)').run();
      return changes;
    })();
  }

  // ---- metadata ----

  private upsert(): Statement<unknown> {
    return this.statement(
      `INSERT INTO metadata (ns, key, value, version, updated) VALUES (?, ?, ?, 1, ?)
       ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, version = version + 1, updated = excluded.updated`,
    );
  }

  setMany(entries: { key: string; value: Uint8Array }[]): void {
    const upsert = this.upsert();
    this.db.transaction(() => {
      const now = Date.now();
      for (const e of entries) upsert.run(metadataNamespace, e.key, e.value, now);
    })();
  }

  setOne(key: string, value: Uint8Array): void {
    this.upsert().run(metadataNamespace, key, value, Date.now());
  }

  get(key: string): Uint8Array | undefined {
    return this.statement('SELECT value FROM metadata WHERE ns = ? AND key = ?')
      .pluck()
      .get(metadataNamespace, key) as Uint8Array | undefined;
  }

  list(prefix: string, limit: number): MetadataListing {
    const range = prefix === '' ? 'ns = ?' : 'ns = ? AND key >= ? AND key < ?';
    const params = prefix === '' ? [metadataNamespace] : [metadataNamespace, prefix, `${prefix}\uffff`];
    const keys = this.statement<{ key: string; size: number }>(
      `SELECT key, length(value) AS size FROM metadata WHERE ${range} ORDER BY key LIMIT ?`,
    )
      .all(...params, limit)
      .map((r) => r.key);
    const total = this.statement(`SELECT COUNT(*) FROM metadata WHERE ${range}`)
      .pluck()
      .get(...params) as number;
    return { keys, total };
  }

  close(): void {
    this.db.close();
  }
}
