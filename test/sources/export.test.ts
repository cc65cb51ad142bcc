import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportLayout, type ExportSource } from '../../src/main/sources/export';
import { ociLayoutImporter } from '../../src/main/sources/oci-layout';
import type { ImportBatch, ImportProgress } from '../../src/main/sources/types';
import { tempDir } from '../helpers/store';
import { fixtures, json, oci, options, sha256, umociLayout } from './oci-helpers';

const checkLayout = join(fixtures, 'tools', 'check_layout.py');
const hasPython = spawnSync('python3', ['--version']).status === 0;
const hasSkopeo = spawnSync('skopeo', ['--version']).status === 0;

/** The umoci layout imported with its layers: every blob of it in a plain map, like the store after --keep-layers. */
async function importedLayout(): Promise<{ batch: ImportBatch; blobs: Map<string, Uint8Array> }> {
  const batch = await ociLayoutImporter.read(umociLayout, options({ keepLayers: true, tempDir: tempDir() }));
  const blobs = new Map<string, Uint8Array>();
  for (const c of batch.content) blobs.set(c.digest, c.bytes);
  for (const l of batch.layers) blobs.set(l.digest, new Uint8Array(readFileSync(l.file)));
  return { batch, blobs };
}

const source = (blobs: Map<string, Uint8Array>): ExportSource => ({ blob: (digest) => blobs.get(digest) });
const imagesOf = (batch: ImportBatch) => batch.images.map((i) => ({ name: i.name, target: i.target }));
const exportOptions = (extra = {}) => ({
  signal: new AbortController().signal,
  progress: () => {},
  ...extra,
});

describe('export writes an OCI image layout that reads back the same', () => {
  it('writes every blob once, one index entry per image, named by ref.name and io.containerd.image.name', async () => {
    const { batch, blobs } = await importedLayout();
    const dir = join(tempDir(), 'out');
    const result = await exportLayout(source(blobs), imagesOf(batch), dir, exportOptions());
    const total = [...blobs.values()].reduce((sum, b) => sum + b.byteLength, 0);
    expect(result).toEqual({ path: dir, images: 6, blobs: 17, bytes: total, missing: [] });
    expect(JSON.parse(readFileSync(join(dir, 'oci-layout'), 'utf8'))).toEqual({
      imageLayoutVersion: '1.0.0',
    });
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    expect(index.mediaType).toBe(oci.index);
    expect(index.annotations).toBeUndefined(); // nothing left out, nothing to declare
    expect(index.schemaVersion).toBe(2);
    for (const entry of index.manifests) {
      expect(entry.annotations['org.opencontainers.image.ref.name']).toBe(
        entry.annotations['io.containerd.image.name'],
      );
    }
    expect(
      index.manifests
        .map((m: { annotations: Record<string, string> }) => m.annotations['io.containerd.image.name'])
        .sort(),
    ).toEqual(batch.images.map((i) => i.name).sort());
    const files = readdirSync(join(dir, 'blobs', 'sha256')).sort();
    expect(files).toEqual([...blobs.keys()].map((d) => d.slice(7)).sort());
    for (const hex of files)
      expect(sha256(readFileSync(join(dir, 'blobs', 'sha256', hex)))).toBe(`sha256:${hex}`);
  });

  it('re-imports to the same names, targets and content', async () => {
    const { batch, blobs } = await importedLayout();
    const dir = join(tempDir(), 'out');
    await exportLayout(source(blobs), imagesOf(batch), dir, exportOptions());
    const again = await ociLayoutImporter.read(dir, options());
    const sortByName = (b: ImportBatch) => [...b.images].sort((x, y) => x.name.localeCompare(y.name));
    expect(sortByName(again)).toEqual(sortByName(batch));
    expect(again.content.map((c) => c.digest).sort()).toEqual(batch.content.map((c) => c.digest).sort());
    // Names are full now: nothing was derived from the directory this time.
    expect(again.notes).toEqual([]);
  });

  it.skipIf(!hasPython)(
    "passes the fixtures' check_layout.py: every blob verified, none orphaned",
    async () => {
      const { batch, blobs } = await importedLayout();
      const dir = join(tempDir(), 'out');
      await exportLayout(source(blobs), imagesOf(batch), dir, exportOptions());
      const output = execFileSync('python3', [checkLayout, dir], { encoding: 'utf8' });
      expect(output).toMatch(/blobs: 17 orphans: \[\]/);
      expect(output).toMatch(/errors: none/);
    },
  );

  describe.skipIf(!hasSkopeo)('skopeo reads it', () => {
    it('skopeo inspect oci:DIR:REF finds each image by its name', async () => {
      const { batch, blobs } = await importedLayout();
      const dir = join(tempDir(), 'out');
      await exportLayout(source(blobs), imagesOf(batch), dir, exportOptions());
      for (const image of batch.images.filter((i) => i.target.mediaType === oci.manifest)) {
        const raw = execFileSync('skopeo', ['inspect', '--raw', `oci:${dir}:${image.name}`]);
        expect(sha256(raw)).toBe(image.target.digest);
        const inspected = JSON.parse(
          execFileSync('skopeo', ['inspect', `oci:${dir}:${image.name}`], { encoding: 'utf8' }),
        );
        expect(inspected.Digest).toBe(image.target.digest);
      }
      // Layers too: skopeo copies the whole image out of the layout, verifying every blob.
      const copy = join(tempDir(), 'copy');
      execFileSync('skopeo', ['copy', '--all', `oci:${dir}:example.com/fixtures/multi:1.0`, `dir:${copy}`], {
        stdio: 'pipe',
      });
      expect(existsSync(join(copy, 'manifest.json'))).toBe(true);
    });
  });
});

describe('what the store does not have is listed in missing, never silently left out', () => {
  it('exports manifests and configs without layers, listing the six layers; the index says so, and imports back', async () => {
    const { batch } = await importedLayout();
    const blobs = new Map(batch.content.map((c) => [c.digest, c.bytes]));
    const dir = join(tempDir(), 'out');
    const result = await exportLayout(source(blobs), imagesOf(batch), dir, exportOptions());
    expect(result.blobs).toBe(11);
    expect(result.missing.map((d) => d.digest).sort()).toEqual(batch.layers.map((l) => l.digest).sort());
    for (const d of result.missing) expect(d.mediaType).toBe(oci.layer);
    const indexPath = join(dir, 'index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8'));
    expect(index.annotations).toEqual({ 'imgmeta.absent-layers': '6' });

    // Our own import takes it back: the same images and content, the absent layers noted.
    const again = await ociLayoutImporter.read(dir, options());
    const sortByName = (b: ImportBatch) => [...b.images].sort((x, y) => x.name.localeCompare(y.name));
    expect(sortByName(again)).toEqual(sortByName(batch));
    expect(again.content.map((c) => c.digest).sort()).toEqual(batch.content.map((c) => c.digest).sort());
    expect(again.notes.join('\n')).toContain('6 layer blob(s) are not in the layout, as its index.json says');

    // Without the declaration the same layout is incomplete, and refused as before.
    delete index.annotations;
    writeFileSync(indexPath, JSON.stringify(index));
    await expect(ociLayoutImporter.read(dir, options())).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringMatching(/is missing from the layout/),
    });
  });

  it('the declaration covers layers only: a missing config is still refused', async () => {
    const { batch } = await importedLayout();
    const blobs = new Map(batch.content.map((c) => [c.digest, c.bytes]));
    const dir = join(tempDir(), 'out');
    await exportLayout(source(blobs), imagesOf(batch), dir, exportOptions());
    const app = batch.images.find((i) => i.name === 'example.com/fixtures/app:1.0')!.target.digest;
    const manifest = JSON.parse(readFileSync(join(dir, 'blobs', 'sha256', app.slice(7)), 'utf8')) as {
      config: { digest: string };
    };
    rmSync(join(dir, 'blobs', 'sha256', manifest.config.digest.slice(7)));
    await expect(ociLayoutImporter.read(dir, options())).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringMatching(/config .* is missing/),
    });
  });

  it('lists a missing manifest (and cannot go below it), but not an absent foreign layer', async () => {
    const config = json({ architecture: 'amd64', os: 'linux' });
    const configDesc = { mediaType: oci.config, digest: sha256(config), size: config.length };
    const foreign = {
      mediaType: oci.layer,
      digest: sha256('foreign'),
      size: 7,
      urls: ['https://example.com/l'],
    };
    const manifest = json({ schemaVersion: 2, config: configDesc, layers: [foreign] });
    const target = { mediaType: oci.manifest, digest: sha256(manifest), size: manifest.length };
    const absent = { mediaType: oci.manifest, digest: sha256('absent'), size: 6 };
    const blobs = new Map<string, Uint8Array>([
      [configDesc.digest, config],
      [target.digest, manifest],
    ]);
    const result = await exportLayout(
      source(blobs),
      [
        { name: 'x/app:1', target },
        { name: 'x/gone:1', target: absent },
      ],
      join(tempDir(), 'out'),
      exportOptions(),
    );
    expect(result).toMatchObject({ images: 2, blobs: 2, missing: [absent] });
  });
});

describe('the target: a new or empty directory, written whole or not at all', () => {
  const tiny = () => {
    const config = json({ os: 'linux' });
    const configDesc = { mediaType: oci.config, digest: sha256(config), size: config.length };
    const manifest = json({ schemaVersion: 2, config: configDesc, layers: [] });
    const target = { mediaType: oci.manifest, digest: sha256(manifest), size: manifest.length };
    return {
      blobs: new Map<string, Uint8Array>([
        [configDesc.digest, config],
        [target.digest, manifest],
      ]),
      images: [{ name: 'x/tiny:1', target }],
    };
  };

  it('exports into an existing empty directory', async () => {
    const { blobs, images } = tiny();
    const dir = tempDir();
    const result = await exportLayout(source(blobs), images, dir, exportOptions());
    expect(result.blobs).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(['blobs', 'index.json', 'oci-layout']);
  });

  it('refuses a non-empty directory, a file, a missing parent, and leaves them as they were', async () => {
    const { blobs, images } = tiny();
    const parent = tempDir();
    const full = join(parent, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'keep.txt'), 'mine');
    await expect(exportLayout(source(blobs), images, full, exportOptions())).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringMatching(/is not empty; refused/),
    });
    expect(readdirSync(full)).toEqual(['keep.txt']);
    const aFile = join(parent, 'file');
    writeFileSync(aFile, 'x');
    await expect(exportLayout(source(blobs), images, aFile, exportOptions())).rejects.toMatchObject({
      message: expect.stringMatching(/exists and is not a directory/),
    });
    await expect(
      exportLayout(source(blobs), images, join(parent, 'no', 'such'), exportOptions()),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringMatching(/does not exist/),
    });
    expect(readdirSync(parent).sort()).toEqual(['file', 'full']);
  });

  it('refuses one name for two targets, and a bad name', async () => {
    const { blobs, images } = tiny();
    const other = { ...images[0]!.target, digest: sha256('other') };
    await expect(
      exportLayout(
        source(blobs),
        [...images, { name: 'x/tiny:1', target: other }],
        join(tempDir(), 'o'),
        exportOptions(),
      ),
    ).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/given twice/) });
    await expect(
      exportLayout(
        source(blobs),
        [{ name: 'Bad Name', target: images[0]!.target }],
        join(tempDir(), 'o'),
        exportOptions(),
      ),
    ).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  it('refuses an image known only by its config (a Docker classic image): there is no manifest to export', async () => {
    const config = json({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } });
    const target = {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      digest: sha256(config),
      size: config.byteLength,
    };
    const dir = join(tempDir(), 'out');
    await expect(
      exportLayout(
        source(new Map([[target.digest, config]])),
        [{ name: 'alpine:3.20', target }],
        dir,
        exportOptions(),
      ),
    ).rejects.toMatchObject({
      code: 'failed_precondition',
      message: expect.stringMatching(/^alpine:3.20 points at an image config/),
    });
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses to write a blob whose bytes do not match (a damaged store), leaving nothing', async () => {
    const { blobs, images } = tiny();
    blobs.set(images[0]!.target.digest, json({ tampered: true }));
    const parent = tempDir();
    await expect(
      exportLayout(source(blobs), images, join(parent, 'out'), exportOptions()),
    ).rejects.toMatchObject({
      code: 'failed_precondition',
    });
    expect(readdirSync(parent)).toEqual([]);
  });

  it('an already-aborted signal gives cancelled; a cancel midway leaves nothing', async () => {
    const { batch, blobs } = await importedLayout();
    const aborted = new AbortController();
    aborted.abort();
    const parent = tempDir();
    await expect(
      exportLayout(
        source(blobs),
        imagesOf(batch),
        join(parent, 'out'),
        exportOptions({ signal: aborted.signal }),
      ),
    ).rejects.toMatchObject({ code: 'cancelled' });
    const controller = new AbortController();
    const progress = (u: ImportProgress) => {
      if (u.items === 5) controller.abort();
    };
    await expect(
      exportLayout(
        source(blobs),
        imagesOf(batch),
        join(parent, 'out'),
        exportOptions({ signal: controller.signal, progress }),
      ),
    ).rejects.toMatchObject({ code: 'cancelled' });
    expect(readdirSync(parent)).toEqual([]);
  });
});
