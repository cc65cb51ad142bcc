import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerImporter } from '../../src/main/sources/docker';
import { metadataDirImporter } from '../../src/main/sources/metadata-dir';
import { exportMetadata, type MetadataEntry } from '../../src/main/sources/metadata-export';
import type { ImportMetadata, ReadOptions } from '../../src/main/sources/types';
import { limits } from '../../src/shared/schemas';
import { parseInput } from '../../src/shared/validate';
import { tempDir } from '../helpers/store';
import { options, rejection } from './helpers';

const fixtures = join(__dirname, '..', 'fixtures');
/** Docker's filesystem metadata store: exactly the seed's layout, with base `distribution`. */
const distribution = join(fixtures, 'docker-data-root', 'image', 'vfs', 'distribution');

const read = (path: string, extra: Partial<ReadOptions> = {}) =>
  metadataDirImporter.read(path, options(extra));

/** A writable copy of Docker's distribution directory. */
function copyDistribution(): string {
  const dir = join(tempDir('imgmeta-metadir-'), 'distribution');
  cpSync(distribution, dir, { recursive: true });
  return dir;
}

/** Every file under `dir` as {namespace, key, value}, read with plain fs calls. */
function filesOf(dir: string): ImportMetadata[] {
  const out: ImportMetadata[] = [];
  const walk = (d: string, namespace: string, parts: string[]) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(d, entry.name), namespace, [...parts, entry.name]);
      else
        out.push({
          namespace,
          key: [...parts, entry.name].join('/'),
          value: new Uint8Array(readFileSync(join(d, entry.name))),
        });
    }
  };
  for (const ns of readdirSync(dir)) walk(join(dir, ns), ns, []);
  return out.sort((a, b) => (`${a.namespace}/${a.key}` < `${b.namespace}/${b.key}` ? -1 : 1));
}

const sorted = (entries: ImportMetadata[]) =>
  [...entries].sort((a, b) => (`${a.namespace}/${a.key}` < `${b.namespace}/${b.key}` ? -1 : 1));

describe("imports the seed's file-per-key layout: <base>/<namespace>/<key...>", () => {
  it("reads Docker's distribution directory: namespace = first directory, key = the rest with /", async () => {
    const batch = await read(distribution);
    expect(batch.kind).toBe('metadata-dir');
    expect(batch.images).toEqual([]);
    expect(batch.content).toEqual([]);
    expect(batch.metadata).toHaveLength(9);
    expect(sorted(batch.metadata)).toEqual(filesOf(distribution));
    expect(new Set(batch.metadata.map((m) => m.namespace))).toEqual(
      new Set(['diffid-by-digest', 'v2metadata-by-diffid']),
    );
    for (const m of batch.metadata) expect(m.key).toMatch(/^sha256\/[0-9a-f]{64}$/);
  });

  it("gives the same keys and bytes as the Docker importer's distribution metadata", async () => {
    const docker = await dockerImporter.read(join(fixtures, 'docker-data-root'), options());
    expect(sorted((await read(distribution)).metadata)).toEqual(sorted(docker.metadata));
  });

  it('reads keys at any depth, and every entry is one the store accepts', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'ns', 'a', 'b', 'c'), { recursive: true });
    writeFileSync(join(dir, 'ns', 'top'), 'top');
    writeFileSync(join(dir, 'ns', 'a', 'b', 'c', 'deep'), 'deep');
    writeFileSync(join(dir, 'ns', 'empty'), '');
    mkdirSync(join(dir, 'unused'));
    const batch = await read(dir);
    expect(batch.metadata.map((m) => [m.namespace, m.key, Buffer.from(m.value).toString()])).toEqual([
      ['ns', 'a/b/c/deep', 'deep'],
      ['ns', 'empty', ''],
      ['ns', 'top', 'top'],
    ]);
    for (const m of batch.metadata) parseInput('metadata.set', m);
  });

  it('skips the temp files an interrupted writer left (.tmp-*), and says so', async () => {
    const dir = copyDistribution();
    writeFileSync(join(dir, 'diffid-by-digest', 'sha256', '.tmp-abc123'), 'half');
    const batch = await read(dir);
    expect(batch.metadata).toHaveLength(9);
    expect(batch.notes.join('\n')).toMatch(/leftover temp file/);
  });
});

describe('a directory handed in is all or nothing: anything wrong refuses the whole import', () => {
  /** The last field: whether the directory still has the shape of one (detection claims it; reading refuses it). */
  const cases: [string, (dir: string) => void, RegExp, 'shaped'?][] = [
    [
      'a symbolic link to a file',
      (dir) => symlinkSync('/etc/hostname', join(dir, 'diffid-by-digest', 'sha256', 'link')),
      /diffid-by-digest\/sha256\/link: a symbolic link/,
    ],
    [
      'a symbolic link to a directory',
      (dir) => symlinkSync('/etc', join(dir, 'diffid-by-digest', 'etc')),
      /diffid-by-digest\/etc: a symbolic link/,
    ],
    [
      'a symbolic link as a namespace',
      (dir) => symlinkSync('/etc', join(dir, 'etc')),
      /etc: a symbolic link/,
    ],
    ['a file at the top level', (dir) => writeFileSync(join(dir, 'stray'), 'x'), /stray: not a directory/],
    [
      'a namespace the store cannot hold',
      (dir) => mkdirSync(join(dir, 'bad namespace')),
      /bad namespace: not a namespace the store can hold/,
    ],
    [
      'a FIFO',
      (dir) => execFileSync('mkfifo', [join(dir, 'diffid-by-digest', 'fifo')]),
      /diffid-by-digest\/fifo: not a regular file/,
    ],
    [
      'a file name that is not UTF-8',
      (dir) =>
        writeFileSync(
          Buffer.concat([Buffer.from(join(dir, 'diffid-by-digest', 'bad-')), Buffer.from([0xff])]),
          'x',
        ),
      /not valid UTF-8/,
    ],
    [
      'a key longer than the store allows',
      (dir) => {
        let path = join(dir, 'diffid-by-digest');
        for (let i = 0; i < 6; i++) {
          path = join(path, 'd'.repeat(200));
          mkdirSync(path);
        }
        writeFileSync(join(path, 'value'), 'x');
      },
      /not a key the store can hold/,
      'shaped',
    ],
    [
      'a value larger than the store keeps',
      (dir) => writeFileSync(join(dir, 'diffid-by-digest', 'big'), Buffer.alloc(limits.valueBytes + 1)),
      /diffid-by-digest\/big: \d+ bytes, more than/,
      'shaped',
    ],
  ];
  for (const [what, damage, message, shaped] of cases) {
    it(what, async () => {
      const dir = copyDistribution();
      damage(dir);
      const err = await rejection(read(dir));
      expect(err.code).toBe('invalid_argument');
      expect(err.message).toMatch(message);
      // Detection claims only a directory of directories of regular files with namespace names.
      expect((await metadataDirImporter.detect(dir))?.kind).toBe(shaped ? 'metadata-dir' : undefined);
    });
  }

  it('a directory with no files at all', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'ns'));
    expect((await rejection(read(dir))).code).toBe('invalid_argument');
  });

  it('a path that is not a directory', async () => {
    expect((await rejection(read(join(fixtures, 'docker-data-root', 'README.md')))).code).toBe(
      'invalid_argument',
    );
  });
});

describe('detection: only a directory of directories of regular files, and none of the other kinds', () => {
  it('recognises the distribution directory, with its key count', async () => {
    expect(await metadataDirImporter.detect(distribution)).toMatchObject({
      kind: 'metadata-dir',
      path: distribution,
      namespaces: [],
      images: 0,
      metadataKeys: 9,
    });
  });

  it('does not swallow a Docker data root, its driver directory, a containers/storage root, a containerd root', async () => {
    const containerd = tempDir();
    mkdirSync(join(containerd, 'io.containerd.metadata.v1.bolt'));
    writeFileSync(join(containerd, 'io.containerd.metadata.v1.bolt', 'meta.db'), 'x');
    // Docker's driver directory without repositories.json: only directories of files, still not ours.
    const driver = join(tempDir(), 'vfs');
    cpSync(join(fixtures, 'docker-data-root', 'image', 'vfs'), driver, { recursive: true });
    execFileSync('rm', [join(driver, 'repositories.json')]);
    for (const path of [
      join(fixtures, 'docker-data-root'),
      join(fixtures, 'docker-data-root', 'image'),
      driver,
      join(fixtures, 'containers-storage', 'storage'),
      containerd,
    ])
      expect(await metadataDirImporter.detect(path), path).toBeUndefined();
  });

  it('does not claim an empty directory, a file, or a directory with files at the top', async () => {
    expect(await metadataDirImporter.detect(tempDir())).toBeUndefined();
    expect(await metadataDirImporter.detect(join(fixtures, 'docker-data-root', 'README.md'))).toBeUndefined();
    expect(await metadataDirImporter.detect(join(fixtures, 'docker-data-root', 'expected'))).toBeUndefined();
  });
});

describe('export: <dir>/<namespace>/<key> files, the layout the import reads', () => {
  const allBytes = new Uint8Array(256).map((_, i) => i);

  it('round-trips every byte value and keys with /: export then import gives the same entries', async () => {
    const entries: MetadataEntry[] = [
      { key: 'all-bytes', value: allBytes },
      {
        key: 'sha256/48ff1c183f770f028339385035fbc1a1caa546c2df3502cc6081ecf1f93688d8',
        value: allBytes.slice().reverse(),
      },
      { key: 'a/b/c/d/e', value: new TextEncoder().encode('deep') },
      { key: 'empty', value: new Uint8Array(0) },
      { key: 'ünïcödé/キー', value: new TextEncoder().encode('utf-8 names') },
      ...Array.from({ length: 256 }, (_, i) => ({
        key: `byte/${i.toString(16).padStart(2, '0')}`,
        value: new Uint8Array([i]),
      })),
    ];
    const dir = tempDir();
    const result = await exportMetadata(entries, 'round-trip', dir);
    expect(result).toEqual({ path: join(dir, 'round-trip'), written: entries.length });
    const batch = await read(dir);
    expect(sorted(batch.metadata)).toEqual(
      sorted(entries.map((e) => ({ namespace: 'round-trip', key: e.key, value: e.value }))),
    );
    expect(Buffer.from(readFileSync(join(dir, 'round-trip', 'all-bytes')))).toEqual(Buffer.from(allBytes));
  });

  it("writes Docker's distribution back byte for byte, from an async source", async () => {
    const imported = (await read(distribution)).metadata;
    const dir = tempDir();
    for (const namespace of ['diffid-by-digest', 'v2metadata-by-diffid']) {
      async function* entries() {
        for (const m of imported) if (m.namespace === namespace) yield { key: m.key, value: m.value };
      }
      await exportMetadata(entries(), namespace, dir);
    }
    expect(filesOf(dir)).toEqual(filesOf(distribution));
  });

  it('replaces an existing value whole and leaves no temp file behind', async () => {
    const dir = tempDir();
    await exportMetadata([{ key: 'k/v', value: new TextEncoder().encode('a long first value') }], 'ns', dir);
    await exportMetadata([{ key: 'k/v', value: new TextEncoder().encode('short') }], 'ns', dir);
    expect(readFileSync(join(dir, 'ns', 'k', 'v'), 'utf8')).toBe('short');
    expect(readdirSync(join(dir, 'ns', 'k'))).toEqual(['v']);
  });

  const refusedKeys: [string, RegExp][] = [
    ['../escape', /"\.\." component/],
    ['a/../../escape', /"\.\." component/],
    ['/etc/passwd', /absolute/],
    ['a//b', /empty path component/],
    ['trailing/', /empty path component/],
    ['./here', /"\." component/],
    ['', /must not be empty/],
    ['dir/.tmp-x', /temp file/],
  ];
  for (const [key, message] of refusedKeys) {
    it(`refuses the key ${JSON.stringify(key)}`, async () => {
      const dir = tempDir();
      const err = await rejection(exportMetadata([{ key, value: allBytes }], 'ns', dir));
      expect(err.code).toBe('invalid_argument');
      expect(err.message).toMatch(message);
      expect(existsSync(join(dir, 'escape'))).toBe(false);
      expect(readdirSync(join(dir, 'ns'))).toEqual([]);
    });
  }

  it('refuses a namespace that cannot be a directory name', async () => {
    for (const namespace of ['..', 'a/b', '', 'x y'])
      expect((await rejection(exportMetadata([], namespace, tempDir()))).code).toBe('invalid_argument');
  });

  it('refuses a key that needs a directory where a file exists, and the reverse', async () => {
    const value = new Uint8Array([1]);
    const a = tempDir();
    const fileFirst = await rejection(
      exportMetadata(
        [
          { key: 'x', value },
          { key: 'x/y', value },
        ],
        'ns',
        a,
      ),
    );
    expect(fileFirst.code).toBe('failed_precondition');
    expect(fileFirst.message).toMatch(/a file where a directory is needed/);
    const b = tempDir();
    const dirFirst = await rejection(
      exportMetadata(
        [
          { key: 'x/y', value },
          { key: 'x', value },
        ],
        'ns',
        b,
      ),
    );
    expect(dirFirst.code).toBe('failed_precondition');
    expect(dirFirst.message).toMatch(/is a directory where the file/);
  });

  it('refuses to write through a symbolic link in the destination', async () => {
    const dir = tempDir();
    const outside = tempDir();
    mkdirSync(join(dir, 'ns'));
    symlinkSync(outside, join(dir, 'ns', 'sha256'));
    const err = await rejection(exportMetadata([{ key: 'sha256/abc', value: allBytes }], 'ns', dir));
    expect(err.code).toBe('failed_precondition');
    expect(err.message).toMatch(/symbolic link/);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('stops with cancelled when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await rejection(
      exportMetadata([{ key: 'k', value: allBytes }], 'ns', tempDir(), { signal: controller.signal }),
    );
    expect(err.code).toBe('cancelled');
  });
});

describe('progress and cancel', () => {
  it('reports progress per key', async () => {
    const updates: { phase: string; items: number }[] = [];
    await read(distribution, { progress: (u) => updates.push(u) });
    expect(updates).toContainEqual(expect.objectContaining({ phase: 'metadata', items: 9 }));
  });

  it('an already-aborted signal gives cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    expect((await rejection(read(distribution, { signal: controller.signal }))).code).toBe('cancelled');
  });
});
