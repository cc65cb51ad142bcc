// `npm run bench:import`: imgmeta importing real-shaped sources, beside `openssl dgst -sha256` reading the same bytes
// in the same run (every byte of a file handed in must be hashed anyway, so that is the floor to compare with).
// Sources are generated into a temp directory: an OCI image layout with 10,000 tags and a `docker save` archive with
// more than 500 MB of layers. Each import runs as a user runs it, `imgmeta import` in its own process, under
// /usr/bin/time for the peak RSS of that whole process. Writes bench/results/import.json and .md.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const bin = join(root, 'bin', 'imgmeta.js');
const tags = Number(process.env['BENCH_TAGS'] ?? 10_000);
const archiveMiB = Number(process.env['BENCH_ARCHIVE_MIB'] ?? 520);
const oci = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
};
const sha256 = (bytes: Uint8Array | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** 10,000 tags: one small image per tag, each with its own config, manifest and layer, as a registry mirror holds. */
function writeLayout(dir: string): number {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  let bytes = 0;
  const put = (data: Uint8Array | string, mediaType: string, extra: object = {}) => {
    const buffer = Buffer.from(data);
    const digest = sha256(buffer);
    writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), buffer);
    bytes += buffer.byteLength;
    return { mediaType, digest, size: buffer.byteLength, ...extra };
  };
  const manifests = [];
  for (let i = 0; i < tags; i++) {
    const layer = put(randomBytes(2048), oci.layer);
    const config = put(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Env: [`PATH=/usr/bin`, `BUILD=${i}`], Cmd: ['/bin/sh'] },
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
      }),
      oci.config,
    );
    manifests.push(
      put(
        JSON.stringify({ schemaVersion: 2, mediaType: oci.manifest, config, layers: [layer] }),
        oci.manifest,
        {
          annotations: {
            'org.opencontainers.image.ref.name': `registry.example.com/team${i % 50}/app${i}:v${i % 7}`,
          },
        },
      ),
    );
  }
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const index = JSON.stringify({ schemaVersion: 2, mediaType: oci.index, manifests });
  writeFileSync(join(dir, 'index.json'), index);
  return bytes + index.length;
}

/**
 * A `docker save` archive (the pre-25 format: manifest.json, <id>.json configs, <id>/layer.tar) with 10 layers of
 * ~52 MiB each across 5 images, every layer a real tar of one file of random bytes. Built with GNU tar.
 */
function writeDockerArchive(work: string): string {
  const tree = join(work, 'save');
  mkdirSync(tree, { recursive: true });
  const layerMiB = Math.max(1, Math.round(archiveMiB / 10));
  const chunk = randomBytes(1 << 20);
  const entries = [];
  for (let image = 0; image < 5; image++) {
    const layers: string[] = [];
    const diffIds: string[] = [];
    for (let l = 0; l < 2; l++) {
      const content = join(work, `content-${image}-${l}`);
      mkdirSync(content, { recursive: true });
      const fd = openSync(join(content, 'data.bin'), 'w');
      for (let m = 0; m < layerMiB; m++) {
        chunk.writeUInt32LE(image * 1_000_000 + l * 10_000 + m, 0); // no two MiB alike
        writeSync(fd, chunk);
      }
      closeSync(fd);
      const id = createHash('sha256').update(`${image}-${l}`).digest('hex');
      mkdirSync(join(tree, id));
      const layerTar = join(tree, id, 'layer.tar');
      execFileSync('tar', ['-cf', layerTar, '--mtime=2024-01-02 03:04:05', '-C', content, 'data.bin']);
      rmSync(content, { recursive: true });
      diffIds.push(execFileSync('sha256sum', [layerTar]).toString().split(' ')[0]!);
      layers.push(`${id}/layer.tar`);
    }
    const config = JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2024-01-02T03:04:05Z',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: diffIds.map((d) => `sha256:${d}`) },
    });
    const configFile = `${sha256(config).slice(7)}.json`;
    writeFileSync(join(tree, configFile), config);
    entries.push({ Config: configFile, RepoTags: [`bench/big${image}:latest`], Layers: layers });
  }
  writeFileSync(join(tree, 'manifest.json'), JSON.stringify(entries));
  const archive = join(work, 'big.tar');
  execFileSync('tar', ['-cf', archive, '-C', tree, '.']);
  rmSync(tree, { recursive: true });
  return archive;
}

interface Run {
  seconds: number;
  peakRssMiB: number;
}

function parseTime(stderr: string): Run {
  const match = /@@time ([\d.]+) (\d+)/.exec(stderr);
  if (!match) throw new Error(`no timing in: ${stderr}`);
  return { seconds: Number(match[1]), peakRssMiB: Number(match[2]) / 1024 };
}

/** A command under /usr/bin/time: its stdout, wall seconds and the peak RSS of the whole process. */
function run(command: string, args: string[]): Run & { stdout: string } {
  const r = spawnSync('/usr/bin/time', ['-f', '@@time %e %M', command, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr}`);
  return { stdout: r.stdout, ...parseTime(r.stderr) };
}

function main() {
  const work = mkdtempSync(join(tmpdir(), 'imgmeta-bench-import-'));
  const rows: Record<string, unknown>[] = [];
  try {
    console.log(
      `bench:import: generating an OCI layout with ${tags} tags and a docker archive of ~${archiveMiB} MiB of layers in ${work}`,
    );
    const layout = join(work, 'layout');
    const layoutBytes = writeLayout(layout);
    const archive = writeDockerArchive(work);
    const archiveBytes = statSync(archive).size;

    const importOnce = (source: string, label: string, bytes: number, peer: Run) => {
      const store = join(work, `store-${label}`);
      const imported = run(process.execPath, [bin, '--store', store, 'import', source, '--json']);
      const result = JSON.parse(imported.stdout) as { images: { created: unknown[] } };
      const again = run(process.execPath, [bin, '--store', store, 'import', source, '--json']);
      const row = {
        source: label,
        bytes,
        images: result.images.created.length,
        imgmetaSeconds: imported.seconds,
        imgmetaPeakRssMiB: Math.round(imported.peakRssMiB),
        reimportSeconds: again.seconds,
        opensslSeconds: peer.seconds,
        opensslPeakRssMiB: Math.round(peer.peakRssMiB),
        ratio: imported.seconds / Math.max(peer.seconds, 0.01),
      };
      rows.push(row);
      rmSync(store, { recursive: true, force: true });
      return row;
    };

    // openssl reads every blob file of the layout (the same bytes imgmeta must hash), in one process.
    const layoutPeer = run('sh', [
      '-c',
      `find '${join(layout, 'blobs')}' -type f -print0 | xargs -0 openssl dgst -sha256 > /dev/null`,
    ]);
    const layoutRow = importOnce(layout, `OCI layout, ${tags} tags`, layoutBytes, layoutPeer);
    const archivePeer = run('openssl', ['dgst', '-sha256', archive]);
    const archiveRow = importOnce(
      archive,
      `docker save archive, ${(archiveBytes / 2 ** 20).toFixed(0)} MiB`,
      archiveBytes,
      archivePeer,
    );

    const checks = [
      { target: 'archive: peak RSS < 250 MiB', pass: archiveRow.imgmetaPeakRssMiB < 250 },
      { target: 'archive: time <= 2x openssl dgst -sha256', pass: archiveRow.ratio <= 2 },
    ];
    const lines = [
      '# Import benchmark',
      '',
      `Node ${process.version}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; \`imgmeta import\` as a subprocess under /usr/bin/time; the store is durable (no noSync).`,
      '',
      '| source | bytes | images | imgmeta import | peak RSS | import again (no change) | openssl dgst -sha256 | ratio |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows.map(
        (r) =>
          `| ${r.source} | ${(Number(r.bytes) / 2 ** 20).toFixed(1)} MiB | ${r.images} | ${Number(r.imgmetaSeconds).toFixed(2)} s | ${r.imgmetaPeakRssMiB} MiB | ${Number(r.reimportSeconds).toFixed(2)} s | ${Number(r.opensslSeconds).toFixed(2)} s (${r.opensslPeakRssMiB} MiB) | ${Number(r.ratio).toFixed(2)}x |`,
      ),
      '',
      ...checks.map((c) => `- ${c.target}: ${c.pass ? 'pass' : 'FAIL'}`),
      `- layout (no target: the issue's targets are for archives): ${layoutRow.imgmetaPeakRssMiB} MiB peak; an import holds` +
        ' every manifest and config of the source until its one transaction commits, so memory grows with the number of images, not with layer bytes',
      '',
    ];
    const text = lines.join('\n');
    console.log(text);
    const results = join(root, 'bench', 'results');
    mkdirSync(results, { recursive: true });
    writeFileSync(join(results, 'import.md'), text);
    writeFileSync(
      join(results, 'import.json'),
      JSON.stringify({ node: process.version, rows, checks }, null, 2) + '\n',
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
