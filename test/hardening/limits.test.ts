import { cpSync, createWriteStream, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ImgmetaError } from '../../src/shared/errors';
import { limits } from '../../src/shared/schemas';
import { maxEntries } from '../../src/main/sources/tar';
import { storeWithImportWorker, type ImportOutcome, type ImportRequest } from '../helpers/import-runner';
import { fakeDigest, nextTurn, snapshot, tempDir } from '../helpers/store';
import { umociLayout } from '../sources/oci-helpers';

/**
 * Limits: a tar of millions of entries, JSON files of a gigabyte (sparse, so the disk is spared) and entries that
 * claim one, names and keys far past their bounds. Each is refused with an error that says which bound, in bounded
 * time and memory (peak RSS of the importing process, a fresh one per case), and changes nothing.
 */
const fixtures = join(import.meta.dirname, '..', 'fixtures');
const tarEntries = Number(process.env.IMGMETA_LIMIT_TAR_ENTRIES ?? 2_000_000);
const maxRssBytes = 400 * 2 ** 20;
const GiB = 2 ** 30;

const measured: string[] = [];
const bench = storeWithImportWorker(() => console.log(`limits:\n  ${measured.join('\n  ')}`));

/** One import in a fresh process: refused with `pattern`, quickly, in bounded memory, the store unchanged. */
async function expectRefused(
  what: string,
  request: ImportRequest,
  pattern: RegExp,
  bounds: { maxRss?: number; maxMs?: number } = {},
): Promise<ImportOutcome> {
  const { maxRss = maxRssBytes, maxMs = 60_000 } = bounds;
  await bench.worker.close(); // a fresh process, so that its peak RSS is this import's
  await nextTurn();
  const before = await snapshot(bench.local.service, bench.local.store);
  const outcome = await bench.worker.run(request, 120_000);
  measured.push(
    `${what}: ${outcome.ok ? 'imported' : outcome.code} in ${(outcome.ms / 1000).toFixed(2)} s, ` +
      `peak RSS ${(outcome.maxRss / 2 ** 20).toFixed(0)} MiB: ${outcome.message ?? ''}`,
  );
  expect(outcome, what).toMatchObject({ ok: false, code: 'invalid_argument' });
  expect(outcome.message).toMatch(pattern);
  expect(outcome.maxRss, `${what}: peak RSS`).toBeLessThan(maxRss);
  expect(outcome.ms, `${what}: time`).toBeLessThan(maxMs);
  await nextTurn();
  expect(await snapshot(bench.local.service, bench.local.store)).toEqual(before);
  return outcome;
}

/** ustar headers of empty files, built from one template (name and checksum change), streamed through gzip. */
async function writeManyEntryTar(path: string, count: number): Promise<void> {
  const template = Buffer.alloc(512);
  const put = (at: number, text: string) => template.write(text, at, 'latin1');
  put(100, '0000644\0');
  put(108, '0000000\0');
  put(116, '0000000\0');
  put(124, '00000000000\0');
  put(136, '14000000000\0');
  put(156, '0');
  put(257, 'ustar\x0000');
  const base = template.reduce((sum, byte) => sum + byte, 0) + 8 * 32; // the checksum field counts as spaces
  function* chunks() {
    const batch = 2048;
    for (let start = 0; start < count; start += batch) {
      const out = Buffer.alloc(512 * Math.min(batch, count - start));
      for (let i = 0; i < out.length / 512; i++) {
        const header = out.subarray(i * 512, (i + 1) * 512);
        template.copy(header);
        const name = `e/${(start + i).toString(36)}`;
        header.write(name, 0, 'latin1');
        let sum = base;
        for (let j = 0; j < name.length; j++) sum += name.charCodeAt(j);
        header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
      }
      yield out;
    }
    yield Buffer.alloc(1024); // end of archive
  }
  await pipeline(Readable.from(chunks()), createGzip({ level: 1 }), createWriteStream(path));
}

describe('limits: clear errors, bounded memory, nothing changed', () => {
  it(`a tar of ${tarEntries.toLocaleString('en')} entries`, { timeout: 300_000 }, async () => {
    const path = join(tempDir('imgmeta-limits-'), 'many.tar.gz');
    const started = Date.now();
    await writeManyEntryTar(path, tarEntries);
    measured.push(`generated ${tarEntries} entries in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await expectRefused(
      `tar of ${tarEntries} entries`,
      { path },
      new RegExp(`more than ${maxEntries} entries|not a source imgmeta can import`),
    );
  });

  it(
    'JSON files of 1 GiB in every kind of source, and a tar entry that claims 8 GiB',
    { timeout: 300_000 },
    async () => {
      const dir = tempDir('imgmeta-limits-');
      const sparse = (path: string) => {
        writeFileSync(path, '[');
        truncateSync(path, GiB);
      };
      const layout = join(dir, 'layout');
      cpSync(umociLayout, layout, { recursive: true });
      sparse(join(layout, 'index.json'));
      await expectRefused(
        'OCI layout, index.json of 1 GiB',
        { path: layout },
        /index\.json: larger than \d+ bytes/,
      );

      const docker = join(dir, 'docker');
      cpSync(join(fixtures, 'docker-data-root'), docker, { recursive: true });
      sparse(join(docker, 'image', 'vfs', 'repositories.json'));
      await expectRefused(
        'Docker root, repositories.json of 1 GiB',
        { path: docker },
        /repositories\.json.*larger than|bytes/,
      );

      const podman = join(dir, 'storage');
      cpSync(join(fixtures, 'containers-storage', 'storage'), podman, { recursive: true });
      sparse(join(podman, 'vfs-images', 'images.json'));
      await expectRefused(
        'containers-storage, images.json of 1 GiB',
        { path: podman },
        /images\.json.*larger than|bytes/,
      );

      // a docker save whose manifest.json entry says it is 8 GiB (sparse): refused from its header, not read through
      // (reading on to refuse at the end took 7 s per GiB here)
      const archive = join(dir, 'claims.tar');
      const claimed = 8 * GiB - 512;
      const header = Buffer.alloc(512);
      header.write('manifest.json', 0);
      header.write('0000644\0', 100);
      header.write('0000000\0', 108);
      header.write('0000000\0', 116);
      header.write(`${claimed.toString(8).padStart(11, '0')}\0`, 124);
      header.write('14000000000\0', 136);
      header.write('0', 156);
      header.write('ustar\x0000', 257);
      const sum = header.reduce((s, b) => s + b, 0) + 8 * 32;
      header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
      writeFileSync(archive, header);
      truncateSync(archive, 512 + claimed + 1024);
      await expectRefused(
        'a tar whose manifest.json claims 8 GiB',
        { path: archive },
        /manifest\.json is 8589934080 bytes; larger than/,
        { maxMs: 5_000 },
      );
    },
  );

  it(
    'an index.json just under its bound (60 MiB of real JSON): read, refused for what it holds, memory bounded',
    { timeout: 120_000 },
    async () => {
      const layout = join(tempDir('imgmeta-limits-'), 'layout');
      mkdirSync(layout);
      cpSync(umociLayout, layout, { recursive: true });
      const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: object[] };
      (index.manifests[0] as { annotations: Record<string, string> }).annotations = {
        big: 'x'.repeat(60 * 2 ** 20),
      };
      writeFileSync(join(layout, 'index.json'), JSON.stringify(index));
      // JSON read whole costs several times its size (the bytes, the string, the parsed objects): ~390 MiB here
      await expectRefused('OCI layout, 60 MiB index.json', { path: layout }, /annotation|bytes|larger/, {
        maxRss: 640 * 2 ** 20,
      });
    },
  );
});

describe('limits: names and keys far past their bounds', () => {
  it('are invalid_argument naming the bound, through the service, and change nothing', async () => {
    const target = {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: fakeDigest(1),
      size: 1,
    };
    const long = (n: number) => 'a'.repeat(n);
    const cases: [string, () => Promise<unknown>][] = [
      [
        'a 1 MB image name',
        () =>
          bench.local.service['images.create']({
            namespace: 'default',
            name: `${long(1_000_000)}:1`,
            target,
          }),
      ],
      [
        'a 1 MB namespace',
        () => bench.local.service['images.create']({ namespace: long(1_000_000), name: 'app:1', target }),
      ],
      [
        'a 1 MB label key',
        () =>
          bench.local.service['images.create']({
            namespace: 'default',
            name: 'app:1',
            target,
            labels: { [long(1_000_000)]: 'v' },
          }),
      ],
      [
        'a 1 MB label value',
        () =>
          bench.local.service['images.create']({
            namespace: 'default',
            name: 'app:1',
            target,
            labels: { k: long(1_000_000) },
          }),
      ],
      [
        '100,000 labels',
        () =>
          bench.local.service['images.create']({
            namespace: 'default',
            name: 'app:1',
            target,
            labels: Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, 'v'])),
          }),
      ],
      [
        'a 1 MB metadata key',
        () =>
          bench.local.service['metadata.set']({
            namespace: 'meta',
            key: long(1_000_000),
            value: new Uint8Array(1),
          }),
      ],
      [
        'a 64 MiB metadata value',
        () =>
          bench.local.service['metadata.set']({
            namespace: 'meta',
            key: 'k',
            value: new Uint8Array(64 * 2 ** 20),
          }),
      ],
      [
        'a 64 MiB blob',
        () =>
          bench.local.service['content.put']({
            bytes: new Uint8Array(64 * 2 ** 20),
            mediaType: 'application/octet-stream',
          }),
      ],
      [
        'a 1 MB prefix',
        () => bench.local.service['metadata.list']({ namespace: 'meta', prefix: long(1_000_000) }),
      ],
      ['a 1 MB name filter', () => bench.local.service['images.list']({ filter: { name: long(1_000_000) } })],
    ];
    for (const [what, call] of cases) {
      const before = await snapshot(bench.local.service, bench.local.store);
      const error = await call().then(
        () => new Error(`${what}: accepted`),
        (e: unknown) => e,
      );
      expect(error, what).toBeInstanceOf(ImgmetaError);
      expect((error as ImgmetaError).code, `${what}: ${(error as Error).message}`).toBe('invalid_argument');
      // the message says what is wrong, briefly: not the megabyte that was sent
      expect((error as Error).message.length, what).toBeLessThan(1000);
      expect(await snapshot(bench.local.service, bench.local.store)).toEqual(before);
    }
    expect(limits.valueBytes).toBeLessThan(16 * 2 ** 20);
  });
});
