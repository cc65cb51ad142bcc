import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gateFiles } from '../../src/main/store/commit-gate';
import { random } from '../helpers/crash-model';
import { storeWithImportWorker, type ImportOutcome } from '../helpers/import-runner';
import { nextTurn, snapshot, tempDir } from '../helpers/store';
import { treeSnapshot } from '../sources/helpers';
import {
  dockerSaveTar,
  file,
  link,
  readTar,
  skopeo,
  umociLayout,
  writeTar,
  type TarItem,
} from '../sources/oci-helpers';

/**
 * Importer fuzzing from the real fixtures: bit flips, truncations, swapped and reordered entries, oversized fields,
 * JSON nested 100,000 deep, cyclic bbolt pages, tar entries with `..`, absolute paths, symlinks and hard links out,
 * and files that never end (/dev/zero, a FIFO). Each case runs in a worker process under a time bound: never a
 * crash (`internal`), never a hang, never a write outside the store (a sentinel directory the hostile entries aim
 * at stays as it was, and so does the source), and a refused import leaves the store exactly as it was.
 */
const caseTimeoutMs = 20_000;
const fixtures = join(import.meta.dirname, '..', 'fixtures');
const seed = Number(process.env.IMGMETA_FUZZ_SEED ?? Date.now() % 1_000_000);
const rng = random(seed);

let sentinel: string;
const outcomes: { what: string; outcome: ImportOutcome }[] = [];

const bench = storeWithImportWorker(() => {
  const refused = outcomes.filter((o) => !o.outcome.ok).length;
  const slowest = Math.max(...outcomes.map((o) => o.outcome.ms));
  console.log(
    `importer fuzz: ${outcomes.length} cases (seed ${seed}), ${refused} refused, ${outcomes.length - refused} imported, ` +
      `slowest ${slowest.toFixed(0)} ms, peak RSS ${(Math.max(...outcomes.map((o) => o.outcome.maxRss)) / 2 ** 20).toFixed(0)} MiB`,
  );
});

interface Case {
  what: string;
  path: string;
  namespace?: string;
  /** Layouts and archives: a damaged source fails the import as a whole. */
  mustFail?: boolean;
  /** Live stores: the damage is refused, or the entry it hits is skipped and reported as damaged. */
  mustReport?: boolean;
}

/** Runs each case through the worker with every check; `keepLayers` alternates so that layer copies are exercised. */
async function runCases(cases: Case[]): Promise<void> {
  for (const [n, c] of cases.entries()) {
    const sourceBefore = sourceSnapshot(c.path);
    const sentinelBefore = treeSnapshot(sentinel);
    await nextTurn();
    const before = await snapshot(bench.local.service, bench.local.store);
    const outcome = await bench.worker.run(
      { path: c.path, namespace: c.namespace ?? 'fuzz', keepLayers: n % 2 === 0 },
      caseTimeoutMs,
    );
    outcomes.push({ what: c.what, outcome });
    const where = `${c.what}: ${JSON.stringify(outcome)}`;
    expect(outcome.code, where).not.toBe('internal');
    if (c.mustFail) expect(outcome.ok, where).toBe(false);
    if (c.mustReport) expect(!outcome.ok || outcome.damaged!.length > 0, where).toBe(true);
    await nextTurn();
    if (!outcome.ok) expect(await snapshot(bench.local.service, bench.local.store), where).toEqual(before);
    expect(treeSnapshot(sentinel), where).toEqual(sentinelBefore);
    expect(sourceSnapshot(c.path), where).toEqual(sourceBefore);
    expect(strayFiles(), where).toEqual([]);
  }
  expect((await bench.local.service['store.check']({ deep: true })).errors).toEqual([]);
}

/** What the source holds, to show the import only read it (undefined when it is gone). */
const sourceSnapshot = (path: string) => {
  if (!existsSync(path)) return undefined;
  return statSync(path).isDirectory() ? treeSnapshotSafe(path) : readFileSync(path).toString('base64');
};
/** Like treeSnapshot, but a FIFO or a device file is named, not read. */
function treeSnapshotSafe(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = join(entry.parentPath, entry.name);
    out[p] = entry.isFile() ? readFileSync(p).toString('base64') : entry.isSymbolicLink() ? 'link' : 'other';
  }
  return out;
}

/** Anything in the store directory but the environment, its gate and kept layers (an import's temp dir left behind, say). */
const strayFiles = () =>
  readdirSync(bench.local.dir).filter(
    (name) => !['data.mdb', 'lock.mdb', ...gateFiles, 'layers'].includes(name),
  );

/** `flips` random bits flipped, at or after byte `from`. */
const flipBits = (bytes: Buffer, flips: number, from = 0): Buffer => {
  const out = Buffer.from(bytes);
  for (let i = 0; i < flips; i++) out[from + rng.int(out.length - from)]! ^= 1 << rng.int(8);
  return out;
};

/**
 * The end of a gzip member's fixed header: its bytes 4-9 (modification time, extra flags, OS) are information that
 * decompressors do not check, so a bit flipped there is no damage (seed 564169 flipped the extra flags of app.tar's
 * 1,867-byte gzip, and the import rightly succeeded). Everything after, deflate data and the CRC-32 and size trailer,
 * is checked.
 */
const gzipHeaderBytes = 10;

const deepJson = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const deepObject = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

/** A fresh scratch directory per test, with the sentinel beside the sources it is aimed at. */
function scratch(): string {
  const dir = tempDir('imgmeta-fuzz-');
  sentinel = join(dir, 'sentinel');
  mkdirSync(sentinel);
  writeFileSync(join(sentinel, 'secret'), 'do not touch');
  return dir;
}

async function tarCases(dir: string, source: string, kind: 'docker' | 'oci'): Promise<Case[]> {
  const items = await readTar(source);
  const bytes = readFileSync(source);
  const name = basename(source, '.tar');
  const at = (what: string, data: Buffer | string) => {
    const path = join(dir, `${name}-${what}.tar`);
    writeFileSync(path, data);
    return { what: `${name}: ${what}`, path, mustFail: true };
  };
  const tarOf = async (what: string, edited: TarItem[], gzip = false): Promise<Case> => ({
    what: `${name}: ${what}`,
    path: await writeTar(edited, `${name}-${what.replace(/\W+/g, '-')}.tar${gzip ? '.gz' : ''}`, gzip),
    mustFail: true,
  });
  const files = items.filter((i) => (i.header.type ?? 'file') === 'file' && i.data.length > 0);
  // entries the importer verifies by digest (blobs, configs, layers), not docker save's legacy v1 files
  const verified = files.filter((i) =>
    /^blobs\/sha256\/|^[0-9a-f]{64}\.(json|tar)$|layer\.tar$/.test(i.header.name),
  );
  const rootJson = kind === 'docker' ? 'manifest.json' : 'index.json';
  const withRoot = (data: string | Buffer) =>
    items.map((i) => (i.header.name === rootJson ? file(rootJson, data) : i));
  const cases: Case[] = [];
  for (let i = 0; i < 3; i++) {
    const flipped = flipBits(bytes, 1 + rng.int(8));
    cases.push({ ...at(`bit flips ${i}`, flipped), mustFail: false }); // a flip in padding changes nothing
  }
  for (let i = 0; i < 2; i++)
    cases.push(at(`truncated ${i}`, bytes.subarray(0, 1 + rng.int(bytes.length - 1024))));
  const a = verified[rng.int(verified.length)]!;
  const b = verified.find((i) => !i.data.equals(a.data))!;
  expect(b).toBeDefined();
  cases.push(
    await tarOf(
      'two entries swap their bytes',
      items.map((i) => (i === a ? { ...i, data: b.data } : i === b ? { ...i, data: a.data } : i)),
    ),
  );
  cases.push({ ...(await tarOf('entries reversed', [...items].reverse())), mustFail: false });
  cases.push(await tarOf('an entry named ../sentinel/pwned', [...items, file('../sentinel/pwned', 'x')]));
  cases.push(
    await tarOf('an absolute entry into the sentinel', [...items, file(join(sentinel, 'pwned'), 'x')]),
  );
  const victim = files.find((i) => i.header.name !== rootJson)!;
  const replaced = (entry: TarItem) => items.map((i) => (i === victim ? entry : i));
  cases.push(
    await tarOf(
      'a blob as a symlink out (absolute)',
      replaced(link(victim.header.name, join(sentinel, 'secret'))),
    ),
  );
  cases.push(
    await tarOf(
      'a blob as a symlink out (../)',
      replaced(link(victim.header.name, '../../../../sentinel/secret')),
    ),
  );
  cases.push(
    await tarOf(
      'a blob as a hard link out',
      replaced(link(victim.header.name, '../sentinel/secret', 'link')),
    ),
  );
  cases.push(await tarOf(`${rootJson} nested 100,000 deep`, withRoot(deepJson(100_000))));
  // an object without "manifests" is an empty index (as umoci's empty layouts are): imported as nothing, no crash
  cases.push({
    ...(await tarOf(`${rootJson} an object nested 50,000 deep`, withRoot(deepObject(50_000)))),
    mustFail: kind === 'docker',
  });
  const oversized =
    kind === 'docker'
      ? JSON.stringify([
          { Config: 'x.json', RepoTags: [`example.com/${'a'.repeat(1_000_000)}:1`], Layers: [] },
        ])
      : JSON.stringify({
          schemaVersion: 2,
          manifests: [
            {
              mediaType: 'application/vnd.oci.image.manifest.v1+json',
              digest: `sha256:${'a'.repeat(64)}`,
              size: 10,
              annotations: { 'org.opencontainers.image.ref.name': 'x'.repeat(5_000_000) },
            },
          ],
        });
  cases.push(await tarOf(`${rootJson} with a 1-5 MB field`, withRoot(oversized)));
  cases.push(
    await tarOf(
      `${rootJson} of 10,000 tags`,
      withRoot(
        JSON.stringify([{ Config: 'a', RepoTags: Array.from({ length: 10_000 }, (_, i) => `t:${i}`) }]),
      ),
    ),
  );
  const gz = gzipSync(bytes);
  cases.push(at('gzip truncated', gz.subarray(0, gz.length >> 1)));
  cases.push({ ...at('gzip with a flipped bit', flipBits(gz, 1, gzipHeaderBytes)), mustFail: true });
  return cases;
}

describe('hostile archives built from the real docker save and skopeo archives', () => {
  it('docker save (all.tar)', { timeout: 180_000 }, async () => {
    await runCases(await tarCases(scratch(), dockerSaveTar, 'docker'));
  });
  it('skopeo docker-archive (app.tar)', { timeout: 180_000 }, async () => {
    await runCases(await tarCases(scratch(), join(skopeo, 'docker-archive', 'app.tar'), 'docker'));
  });
  it('skopeo oci-archive (multi-all.tar)', { timeout: 180_000 }, async () => {
    await runCases(await tarCases(scratch(), join(skopeo, 'oci-archive', 'multi-all.tar'), 'oci'));
  });
});

describe('hostile OCI layouts built from the umoci layout', () => {
  it('damaged index.json and blobs, links out, files that never end', { timeout: 180_000 }, async () => {
    const dir = scratch();
    let n = 0;
    const variant = (what: string, edit: (layout: string) => void, mustFail = true): Case => {
      const layout = join(dir, `layout-${++n}`);
      cpSync(umociLayout, layout, { recursive: true });
      edit(layout);
      return { what: `layout: ${what}`, path: layout, mustFail };
    };
    const index = (l: string) => join(l, 'index.json');
    const blobs = (l: string) => join(l, 'blobs', 'sha256');
    const someBlob = (l: string) =>
      join(blobs(l), readdirSync(blobs(l)).sort()[rng.int(readdirSync(blobs(l)).length)]!);
    const cases: Case[] = [];
    for (let i = 0; i < 3; i++)
      cases.push(
        variant(
          `index.json bit flips ${i}`,
          (l) => writeFileSync(index(l), flipBits(readFileSync(index(l)), 1 + rng.int(4))),
          false,
        ),
      );
    cases.push(variant('index.json truncated', (l) => truncateSync(index(l), rng.int(200))));
    cases.push(variant('index.json nested 100,000 deep', (l) => writeFileSync(index(l), deepJson(100_000))));
    cases.push(
      variant('index.json manifests nested 50,000 deep', (l) =>
        writeFileSync(index(l), `{"schemaVersion":2,"manifests":[${deepObject(50_000)}]}`),
      ),
    );
    cases.push(
      variant('index.json with a 20 MB annotation', (l) => {
        const idx = JSON.parse(readFileSync(index(l), 'utf8')) as { manifests: { annotations?: object }[] };
        idx.manifests[0]!.annotations = { big: 'x'.repeat(20_000_000) };
        writeFileSync(index(l), JSON.stringify(idx));
      }),
    );
    for (let i = 0; i < 2; i++)
      cases.push(
        variant(`a blob with flipped bits ${i}`, (l) => {
          const b = someBlob(l);
          writeFileSync(b, flipBits(readFileSync(b), 1));
        }),
      );
    cases.push(variant('a blob truncated', (l) => truncateSync(someBlob(l), 1)));
    cases.push(
      variant('two blobs swapped', (l) => {
        const [x, y] = readdirSync(blobs(l))
          .sort()
          .slice(0, 2)
          .map((f) => join(blobs(l), f));
        const [bx, by] = [readFileSync(x!), readFileSync(y!)];
        writeFileSync(x!, by);
        writeFileSync(y!, bx);
      }),
    );
    cases.push(
      variant('a blob as a symlink to the sentinel', (l) => {
        const b = someBlob(l);
        rmSync(b);
        symlinkSync(join(sentinel, 'secret'), b);
      }),
    );
    cases.push(
      variant('blobs/sha256 as a symlink to the sentinel', (l) => {
        rmSync(blobs(l), { recursive: true });
        symlinkSync(sentinel, blobs(l));
      }),
    );
    cases.push(
      variant('index.json -> /dev/zero', (l) => {
        rmSync(index(l));
        symlinkSync('/dev/zero', index(l));
      }),
    );
    cases.push(
      variant('a blob -> /dev/zero', (l) => {
        const b = someBlob(l);
        rmSync(b);
        symlinkSync('/dev/zero', b);
      }),
    );
    cases.push(
      variant('index.json is a FIFO nobody writes', (l) => {
        rmSync(index(l));
        execFileSync('mkfifo', [index(l)]);
      }),
    );
    await runCases(cases);
  });
});

describe('hostile skopeo dir: directories built from the multi-all copy', () => {
  it(
    'damaged manifest.json, instances and blobs, links out, files that never end',
    { timeout: 180_000 },
    async () => {
      const dir = scratch();
      let n = 0;
      const variant = (what: string, edit: (copy: string) => void, mustFail = true): Case => {
        const copy = join(dir, `multi-${++n}`);
        cpSync(join(skopeo, 'dir', 'multi-all'), copy, { recursive: true });
        edit(copy);
        return { what: `dir: ${what}`, path: copy, mustFail };
      };
      const manifest = (d: string) => join(d, 'manifest.json');
      const blobNames = (d: string) =>
        readdirSync(d)
          .filter((f) => /^[0-9a-f]{64}(\.manifest\.json)?$/.test(f))
          .sort();
      const someBlob = (d: string) => join(d, blobNames(d)[rng.int(blobNames(d).length)]!);
      const cases: Case[] = [];
      for (let i = 0; i < 3; i++)
        cases.push(
          variant(
            `manifest.json bit flips ${i}`,
            (d) => writeFileSync(manifest(d), flipBits(readFileSync(manifest(d)), 1 + rng.int(4))),
            false,
          ),
        );
      cases.push(variant('manifest.json truncated', (d) => truncateSync(manifest(d), rng.int(200))));
      cases.push(
        variant('manifest.json nested 100,000 deep', (d) => writeFileSync(manifest(d), deepJson(100_000))),
      );
      cases.push(
        variant('version 1 MB long', (d) => writeFileSync(join(d, 'version'), 'x'.repeat(1_000_000))),
      );
      for (let i = 0; i < 2; i++)
        cases.push(
          variant(`a blob or instance with flipped bits ${i}`, (d) => {
            const b = someBlob(d);
            writeFileSync(b, flipBits(readFileSync(b), 1));
          }),
        );
      cases.push(variant('a blob truncated', (d) => truncateSync(someBlob(d), 1)));
      cases.push(
        variant('an instance manifest swapped with a config', (d) => {
          const instance = join(
            d,
            blobNames(d).find((f) => f.endsWith('.manifest.json'))!,
          );
          const config = join(
            d,
            blobNames(d).find((f) => !f.endsWith('.manifest.json'))!,
          );
          const [bi, bc] = [readFileSync(instance), readFileSync(config)];
          writeFileSync(instance, bc);
          writeFileSync(config, bi);
        }),
      );
      cases.push(
        variant('a blob as a symlink to the sentinel', (d) => {
          const b = someBlob(d);
          rmSync(b);
          symlinkSync(join(sentinel, 'secret'), b);
        }),
      );
      cases.push(
        variant('manifest.json -> /dev/zero', (d) => {
          rmSync(manifest(d));
          symlinkSync('/dev/zero', manifest(d));
        }),
      );
      cases.push(
        variant('version is a FIFO nobody writes', (d) => {
          rmSync(join(d, 'version'));
          execFileSync('mkfifo', [join(d, 'version')]);
        }),
      );
      cases.push(
        variant('manifest.json is a FIFO nobody writes', (d) => {
          rmSync(manifest(d));
          execFileSync('mkfifo', [manifest(d)]);
        }),
      );
      await runCases(cases);
    },
  );
});

/** bbolt page layout: header (id u64, flags u16, count u16, overflow u32), then 16-byte element headers. */
function boltPointers(db: Buffer, pageSize: number) {
  const branchChildren: { page: number; at: number }[] = [];
  const bucketRoots: { page: number; at: number }[] = [];
  for (let page = 2; page * pageSize < db.length; page++) {
    const base = page * pageSize;
    const flags = db.readUInt16LE(base + 8);
    const count = db.readUInt16LE(base + 10);
    for (let i = 0; i < count; i++) {
      const element = base + 16 + i * 16;
      if (flags === 0x01) branchChildren.push({ page, at: element + 8 });
      else if (flags === 0x02 && (db.readUInt32LE(element) & 0x01) !== 0) {
        const valueAt = element + db.readUInt32LE(element + 4) + db.readUInt32LE(element + 8);
        if (db.readBigUInt64LE(valueAt) !== 0n) bucketRoots.push({ page, at: valueAt });
      }
    }
  }
  return { branchChildren, bucketRoots };
}

describe('hostile live stores built from the containerd, Docker and Podman fixtures', () => {
  it('containerd meta.db: bit flips, truncation, cyclic pages, /dev/zero', { timeout: 180_000 }, async () => {
    const dir = scratch();
    const root = join(fixtures, 'containerd-metadata', 'root');
    const dbPath = join('io.containerd.metadata.v1.bolt', 'meta.db');
    const original = readFileSync(join(root, dbPath));
    const pageSize = original.readUInt32LE(16 + 8);
    let n = 0;
    const variant = (what: string, db: Buffer | ((path: string) => void)): Case => {
      const copy = join(dir, `containerd-${++n}`);
      cpSync(root, copy, { recursive: true });
      if (typeof db === 'function') db(join(copy, dbPath));
      else writeFileSync(join(copy, dbPath), db);
      return { what: `containerd: ${what}`, path: copy, namespace: undefined };
    };
    const cases: Case[] = [];
    for (let i = 0; i < 4; i++) cases.push(variant(`bit flips ${i}`, flipBits(original, 1 + rng.int(16))));
    cases.push({
      ...variant('truncated to half', original.subarray(0, original.length >> 1)),
      mustFail: true,
    });
    cases.push({ ...variant('truncated inside the meta pages', original.subarray(0, 100)), mustFail: true });
    const { branchChildren, bucketRoots } = boltPointers(original, pageSize);
    expect(bucketRoots.length).toBeGreaterThan(0);
    for (const { page, at } of [...bucketRoots.slice(0, 4), ...branchChildren.slice(0, 2)]) {
      const cyclic = Buffer.from(original);
      cyclic.writeBigUInt64LE(BigInt(page), at); // a bucket (or branch) pointing at the page that holds it
      cases.push({ ...variant(`page ${page} points back at itself`, cyclic), mustReport: true });
    }
    cases.push({
      ...variant('meta.db -> /dev/zero', (p) => {
        rmSync(p);
        symlinkSync('/dev/zero', p);
      }),
      mustFail: true,
    });
    await runCases(cases.map((c) => ({ ...c, namespace: undefined })));
  });

  it('Docker data root and containers-storage: damaged and hostile JSON', { timeout: 180_000 }, async () => {
    const dir = scratch();
    let n = 0;
    const variant = (
      what: string,
      root: string,
      file: string,
      data: Buffer | string,
      mustFail = false,
    ): Case => {
      const copy = join(dir, `${basename(root)}-${++n}`);
      cpSync(root, copy, { recursive: true });
      writeFileSync(join(copy, file), data);
      return { what: `${basename(root)}: ${what}`, path: copy, mustFail };
    };
    const docker = join(fixtures, 'docker-data-root');
    const podman = join(fixtures, 'containers-storage', 'storage');
    const targets = [
      { root: docker, file: join('image', 'vfs', 'repositories.json') },
      { root: podman, file: join('vfs-images', 'images.json') },
    ];
    const cases: Case[] = [];
    for (const { root, file } of targets) {
      const original = readFileSync(join(root, file));
      for (let i = 0; i < 2; i++)
        cases.push(variant(`${file} bit flips ${i}`, root, file, flipBits(original, 1 + rng.int(4))));
      cases.push(variant(`${file} truncated`, root, file, original.subarray(0, rng.int(original.length))));
      cases.push({
        ...variant(`${file} nested 100,000 deep`, root, file, deepJson(100_000)),
        mustReport: true,
      });
      // the shape Docker and Podman read with unknown fields ignored: no tags (Docker) or refused (Podman)
      cases.push(variant(`${file} an object nested 50,000 deep`, root, file, deepObject(50_000)));
      cases.push(
        variant(`${file} with a 20 MB string`, root, file, JSON.stringify({ x: 'y'.repeat(20_000_000) })),
      );
    }
    const config = join('image', 'vfs', 'imagedb', 'content', 'sha256');
    const configs = readdirSync(join(docker, config));
    cases.push(
      variant(
        'an image config with flipped bits',
        docker,
        join(config, configs[0]!),
        flipBits(readFileSync(join(docker, config, configs[0]!)), 3),
      ),
    );
    await runCases(cases);
  });
});
