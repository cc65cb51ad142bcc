import type { Command } from 'commander';
import {
  JsonArrayWriter,
  TableWriter,
  humanSize,
  printJson,
  println,
  relativeTime,
  shortDigest,
} from './output';
import { jsonOption } from './options';
import { allPages, type Session } from './session';

/** `trash ...`: deleted images, restorable with `images restore` until purged. */
export function registerTrash(program: Command, session: Session): void {
  const trash = program.command('trash').description('deleted images (restore them with images restore)');

  trash
    .command('ls')
    .alias('list')
    .description('deleted images, newest first (all namespaces unless -n is given)')
    .option('-n, --namespace <ns>', 'only this namespace')
    .option('-q, --quiet', 'print trash entry ids only')
    .addOption(jsonOption())
    .action(async (opts: { namespace?: string; quiet?: boolean; json?: boolean }) => {
      const api = await session.api();
      const pages = allPages((cursor, limit) =>
        api['trash.list']({ namespace: opts.namespace, cursor, limit }),
      );
      if (opts.json) {
        const out = new JsonArrayWriter();
        for await (const items of pages) await out.push(items);
        return out.end();
      }
      if (opts.quiet) {
        for await (const items of pages) await println(items.map((e) => e.id).join('\n'));
        return;
      }
      const table = new TableWriter(['ID', 'NAMESPACE', 'NAME', 'DIGEST', 'SIZE', 'DELETED']);
      const now = Date.now();
      for await (const items of pages) {
        await table.push(
          items.map((e) => [
            e.id,
            e.image.namespace,
            e.image.name,
            shortDigest(e.image.target.digest),
            humanSize(e.image.totalSize),
            relativeTime(e.deletedAt, now),
          ]),
        );
      }
      await table.end();
    });

  trash
    .command('purge')
    .description(
      'remove trash entries for good (every entry when no ID is given); their content goes at the next gc',
    )
    .argument('[ids...]', 'trash entry ids (see trash ls)')
    .option('--dry-run', 'report what would be purged; change nothing')
    .addOption(jsonOption())
    .action(async (ids: string[], opts: { dryRun?: boolean; json?: boolean }) => {
      const dryRun = opts.dryRun ?? false;
      const result = await (
        await session.api()
      )['trash.purge']({ ids: ids.length > 0 ? ids : undefined, dryRun });
      if (opts.json) return printJson({ ...result, dryRun });
      await println(
        `${dryRun ? 'would purge' : 'purged'} ${result.purged} trash entr${result.purged === 1 ? 'y' : 'ies'}; ${humanSize(result.reclaimedBytes)} reclaimable by gc`,
      );
    });
}
