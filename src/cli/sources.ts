import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { ImportResult } from '../shared/types';
import { humanSize, keyValueLines, plural, printJson, println } from './output';
import { jsonOption, namespaceOption } from './options';
import type { Session } from './session';

/** `import` and `export`: real sources in, OCI image layouts out. */
export function registerSources(program: Command, session: Session): void {
  program
    .command('import')
    .description(
      'import a source in one transaction: an OCI layout, a docker save or OCI archive, a containerd root or meta.db, ' +
        'a Docker data root, a containers/storage root, a skopeo dir: directory, or a file-per-key metadata directory ' +
        '(detected from the path)',
    )
    .argument('<source>', 'path of the source')
    .option('-n, --namespace <ns>', "namespace to import into (default: the source's own, else default)")
    .option('--dry-run', 'report what would change; write nothing')
    .option('--detect', 'only say what the source is and holds')
    .option('--keep-layers', 'also keep the verified layer blobs, as files beside the store')
    .addOption(jsonOption())
    .action(
      async (
        source: string,
        opts: {
          namespace?: string;
          dryRun?: boolean;
          detect?: boolean;
          keepLayers?: boolean;
          json?: boolean;
        },
      ) => {
        const api = await session.api({ onImportProgress: progressLine });
        if (opts.detect) {
          const detection = await api['sources.detect']({ path: source, namespace: opts.namespace });
          if (opts.json) return printJson(detection);
          return println(
            keyValueLines([
              ['Kind', `${detection.kind} (${detection.description})`],
              ['Path', detection.path],
              ['Namespaces', detection.namespaces.join(', ') || '-'],
              ['Images', String(detection.images)],
              ['Metadata keys', String(detection.metadataKeys)],
              ...detection.notes.map((note) => ['Note', note] as const),
            ]).join('\n'),
          );
        }
        // Ctrl-C cancels: the import stops between items and nothing of it is written.
        const id = randomUUID();
        const cancel = () => void api['sources.cancel']({ id });
        process.once('SIGINT', cancel);
        try {
          const result = await api['sources.import']({
            path: source,
            namespace: opts.namespace,
            dryRun: opts.dryRun ?? false,
            keepLayers: opts.keepLayers ?? false,
            id,
          });
          clearProgress();
          if (opts.json) return printJson(result);
          await println(summary(result).join('\n'));
        } finally {
          process.removeListener('SIGINT', cancel);
          clearProgress();
        }
      },
    );

  program
    .command('export')
    .description(
      'write images as an OCI image layout (a new or empty directory); blobs the store lacks are listed',
    )
    .argument('<names...>', 'image names')
    .requiredOption('--to <dir>', 'destination directory')
    .addOption(namespaceOption('namespace of the images'))
    .addOption(jsonOption())
    .action(async (names: string[], opts: { to: string; namespace: string; json?: boolean }) => {
      const api = await session.api();
      const result = await api['sources.export']({
        images: names.map((name) => ({ namespace: opts.namespace, name })),
        to: opts.to,
      });
      if (opts.json) return printJson(result);
      const lines = [
        `wrote ${plural(result.images, 'image')} to ${result.path}: ${plural(result.blobs, 'blob')}, ${humanSize(result.bytes)}`,
      ];
      if (result.missing.length > 0)
        lines.push(
          `not in the store, so not in the layout (${plural(result.missing.length, 'blob')}):`,
          ...result.missing.map((d) => `  ${d.digest}  ${d.mediaType}  ${humanSize(d.size)}`),
        );
      await println(lines.join('\n'));
    });
}

function summary(result: ImportResult): string[] {
  const verb = result.dryRun ? 'would import' : 'imported';
  const lines = [
    `${verb} ${result.kind} ${result.path}` +
      (result.namespaces.length > 0 ? ` into ${result.namespaces.join(', ')}` : ''),
    `  images: ${result.images.created.length} new, ${result.images.updated.length} updated, ${result.images.unchanged} unchanged`,
    `  content: ${result.content.added} new, ${result.content.present} already present`,
  ];
  if (result.metadata.set + result.metadata.unchanged > 0)
    lines.push(`  metadata: ${result.metadata.set} set, ${result.metadata.unchanged} unchanged`);
  if (result.layers.kept > 0) lines.push(`  layers kept: ${result.layers.kept}`);
  for (const ref of result.images.updated) lines.push(`  updated ${ref.namespace}/${ref.name} (new target)`);
  for (const note of result.notes) lines.push(`  note: ${note}`);
  if (result.damaged.length > 0) {
    lines.push(`  damaged (${result.damaged.length}; imported as incomplete, bad blobs left out):`);
    for (const d of result.damaged)
      lines.push(`    ${[d.namespace, d.name].filter(Boolean).join('/') || d.digest || '?'}: ${d.reason}`);
  }
  return lines;
}

/** A one-line progress indicator on a terminal's stderr; silent when stderr is a file or a pipe. */
let progressShown = false;
function progressLine(event: { phase: string; done: number; total?: number; bytes?: number }): void {
  if (!process.stderr.isTTY) return;
  const count = event.total !== undefined ? `${event.done}/${event.total}` : String(event.done);
  const bytes = event.bytes ? `, ${humanSize(event.bytes)}` : '';
  process.stderr.write(`\r\x1b[2K${event.phase}: ${count}${bytes}`);
  progressShown = true;
}

function clearProgress(): void {
  if (progressShown) process.stderr.write('\r\x1b[2K');
  progressShown = false;
}
