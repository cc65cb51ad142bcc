import type { Command } from 'commander';
import { ImgmetaError } from '../shared/errors';
import { humanSize, keyValueLines, printJson, printTable, println } from './output';
import { jsonOption } from './options';
import type { Session } from './session';

/** Whole-store commands: namespaces, gc, check, info. */
export function registerStore(program: Command, session: Session): void {
  const namespaces = program.command('namespaces').alias('ns').description('image namespaces');
  namespaces
    .command('ls')
    .alias('list')
    .description('image namespaces with their image and trash counts')
    .addOption(jsonOption())
    .action(async (opts: { json?: boolean }) => {
      const list = await (await session.api())['images.namespaces']({});
      if (opts.json) return printJson(list);
      await printTable(
        ['NAMESPACE', 'IMAGES', 'TRASH'],
        list.map((n) => [n.namespace, String(n.images), String(n.trash)]),
      );
    });

  program
    .command('gc')
    .description('remove content that no image and no trash entry reaches')
    .option('--dry-run', 'report what would be removed; change nothing')
    .addOption(jsonOption())
    .action(async (opts: { dryRun?: boolean; json?: boolean }) => {
      const api = await session.api();
      const result = opts.dryRun ? await api['gc.preview']({}) : await api['gc.run']({});
      if (opts.json) return printJson(result);
      const lines = opts.dryRun ? result.digests.map((d) => `would remove: ${d}`) : [];
      lines.push(
        `${opts.dryRun ? 'would remove ' : ''}${result.digests.length} blobs, ${humanSize(result.bytes)} ${opts.dryRun ? 'to free' : 'freed'}`,
      );
      await println(lines.join('\n'));
    });

  program
    .command('check')
    .description(
      'verify the store: indexes, counts and content digests; exit 1 if anything is wrong (incomplete images only warn)',
    )
    .option('--deep', "also re-derive every manifest's children from its bytes")
    .addOption(jsonOption())
    .action(async (opts: { deep?: boolean; json?: boolean }) => {
      const report = await (await session.api())['store.check']({ deep: opts.deep ?? false });
      if (opts.json) await printJson(report);
      else {
        const lines = [`checked ${report.checkedImages} image(s), ${report.checkedContent} blob(s)`];
        for (const image of report.incomplete) {
          lines.push(`incomplete: ${image.namespace} ${image.name}: not stored: ${image.missing.join(', ')}`);
        }
        for (const problem of report.errors) lines.push(`error: ${problem.kind}: ${problem.message}`);
        lines.push(
          report.ok
            ? `ok${report.incomplete.length > 0 ? ` (${report.incomplete.length} incomplete image(s))` : ''}`
            : `${report.errors.length} problem(s) found`,
        );
        await println(lines.join('\n'));
      }
      // A broken invariant of the store itself: gRPC's INTERNAL, the closest of our codes.
      if (!report.ok)
        throw new ImgmetaError(
          'internal',
          `store check found ${report.errors.length} problem(s) in ${session.storePath()}`,
        );
    });

  program
    .command('info')
    .description('store path, schema, counts, bytes on disk and the change counter')
    .addOption(jsonOption())
    .action(async (opts: { json?: boolean }) => {
      const info = await (await session.api())['store.info']({});
      if (opts.json) return printJson(info);
      await println(
        keyValueLines([
          ['Path', info.path],
          // Only when it is: a store this user cannot write is opened read-only (Store.openAsAllowed).
          ...(info.readOnly
            ? [['Access', 'read-only: this user cannot write the store'] as [string, string]]
            : []),
          ['Schema', String(info.schema)],
          ['Change counter', String(info.changeSeq)],
          ['Bytes on disk', `${humanSize(info.bytesOnDisk)} (${info.bytesOnDisk} bytes)`],
          ['Images', String(info.images)],
          ['Namespaces', String(info.namespaces)],
          ['Trash', String(info.trash)],
          ['Content', `${info.content} blob(s), ${humanSize(info.contentBytes)} stored`],
          ['Metadata', `${info.metadataKeys} key(s) in ${info.metadataNamespaces} namespace(s)`],
        ]).join('\n'),
      );
    });
}
