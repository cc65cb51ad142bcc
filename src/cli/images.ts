import { Option, type Command } from 'commander';
import type { ImageRecord, Labels } from '../shared/types';
import { UsageError } from './errors';
import {
  JsonArrayWriter,
  TableWriter,
  humanSize,
  keyValueLines,
  labelList,
  printJson,
  println,
  relativeTime,
  shortDigest,
  shortMediaType,
  treeLines,
} from './output';
import { collect, collectLabel, imageFilter, integer, labelEdits, positiveInteger } from './parse';
import { jsonOption, namespaceOption } from './options';
import { allPages, type Session } from './session';

/** `images ...`: containerd's image store, the way `ctr images` and `docker image` handle it. */
export function registerImages(program: Command, session: Session): void {
  const images = program
    .command('images')
    .alias('image')
    .description('list, add, inspect, tag, label, delete and restore images');

  images
    .command('ls')
    .alias('list')
    .description('list images: every namespace unless -n is given; all pages unless --limit is given')
    .option('-n, --namespace <ns>', 'only this namespace (default: all namespaces)')
    .option('--all-namespaces', 'every namespace (the default)')
    .option(
      '--filter <K=V>',
      'name=SUBSTR, label=K=V, media-type=T, dangling=true|false, or a label K=V; repeatable, all must match',
      collect,
    )
    .addOption(new Option('--sort <field>', 'order by').choices(['name', 'created', 'size']).default('name'))
    .option('--desc', 'descending order')
    .option('--limit <n>', 'at most N images', positiveInteger)
    .option('-q, --quiet', 'print names only')
    .addOption(jsonOption())
    .action(
      async (opts: {
        namespace?: string;
        allNamespaces?: boolean;
        filter?: string[];
        sort: 'name' | 'created' | 'size';
        desc?: boolean;
        limit?: number;
        quiet?: boolean;
        json?: boolean;
      }) => {
        if (opts.namespace !== undefined && opts.allNamespaces)
          throw new UsageError('-n and --all-namespaces exclude each other');
        const filter = imageFilter(opts.filter ?? []);
        const api = await session.api();
        const pages = allPages(
          (cursor, limit) =>
            api['images.list']({
              namespace: opts.namespace,
              filter,
              sort: opts.sort,
              order: opts.desc ? 'desc' : 'asc',
              cursor,
              limit,
            }),
          opts.limit,
        );
        if (opts.json) {
          const out = new JsonArrayWriter();
          for await (const items of pages) await out.push(items);
          await out.end();
        } else if (opts.quiet) {
          for await (const items of pages) await println(items.map((i) => i.name).join('\n'));
        } else {
          const table = new TableWriter(['NAMESPACE', 'NAME', 'DIGEST', 'MEDIA TYPE', 'SIZE', 'CREATED']);
          const now = Date.now();
          for await (const items of pages) {
            await table.push(
              items.map((i) => [
                i.namespace,
                i.name,
                shortDigest(i.target.digest),
                shortMediaType(i.target.mediaType),
                humanSize(i.totalSize),
                relativeTime(i.createdAt, now),
              ]),
            );
          }
          await table.end();
        }
      },
    );

  images
    .command('add')
    .alias('create')
    .description('create an image name pointing at a descriptor (fails if the name exists)')
    .argument('<name>', 'image name, e.g. example.com/app:1.0')
    .requiredOption('--digest <digest>', 'target digest, sha256:<64 hex>')
    .requiredOption(
      '--media-type <type>',
      'target media type, e.g. application/vnd.oci.image.manifest.v1+json',
    )
    .requiredOption('--size <bytes>', 'target size in bytes', integer)
    .option('--label <K=V>', 'label; repeatable', collectLabel)
    .addOption(namespaceOption())
    .addOption(jsonOption())
    .action(
      async (
        name: string,
        opts: {
          digest: string;
          mediaType: string;
          size: number;
          label?: Labels;
          namespace: string;
          json?: boolean;
        },
      ) => {
        const record = await (
          await session.api()
        )['images.create']({
          namespace: opts.namespace,
          name,
          target: { mediaType: opts.mediaType, digest: opts.digest, size: opts.size },
          labels: opts.label ?? {},
        });
        await (opts.json ? printJson(record) : println(record.name));
      },
    );

  images
    .command('inspect')
    .description('show an image: its record, labels and content tree (--json: the record only)')
    .argument('<name>', 'image name')
    .addOption(namespaceOption())
    .addOption(jsonOption())
    .action(async (name: string, opts: { namespace: string; json?: boolean }) => {
      const api = await session.api();
      const record = await api['images.get']({ namespace: opts.namespace, name });
      if (opts.json) return printJson(record);
      const tree = await api['content.tree']({ namespace: opts.namespace, name });
      const lines = keyValueLines([
        ['Name', record.name],
        ['Namespace', record.namespace],
        ['Digest', record.target.digest],
        ['Media type', record.target.mediaType],
        ['Size', `${humanSize(record.target.size)} (${record.target.size} bytes)`],
        ['Total size', `${humanSize(record.totalSize)} (${record.totalSize} bytes)`],
        ['Created', record.createdAt],
        ['Updated', record.updatedAt],
      ]);
      const labels = labelList(record.labels);
      lines.push(`Labels:${labels.length === 0 ? ' (none)' : ''}`, ...labels.map((l) => `  ${l}`));
      lines.push('Content:', ...treeLines(tree, 1));
      await println(lines.join('\n'));
    });

  images
    .command('tag')
    .description('a new name for the same target (and labels) as SOURCE')
    .argument('<source>', 'existing image name')
    .argument('<new-name>', 'new image name')
    .addOption(namespaceOption())
    .addOption(jsonOption())
    .action(async (source: string, newName: string, opts: { namespace: string; json?: boolean }) => {
      const record = await (
        await session.api()
      )['images.tag']({ namespace: opts.namespace, source, name: newName });
      await (opts.json ? printJson(record) : println(record.name));
    });

  images
    .command('label')
    .description('set labels (K=V) and remove them (K=)')
    .argument('<name>', 'image name')
    .argument('<labels...>', 'K=V to set, K= to remove')
    .addOption(namespaceOption())
    .addOption(jsonOption())
    .action(async (name: string, args: string[], opts: { namespace: string; json?: boolean }) => {
      const { set, remove } = labelEdits(args);
      const record = await (
        await session.api()
      )['images.labels']({ namespace: opts.namespace, name, set, remove });
      if (opts.json) return printJson(record);
      const labels = labelList(record.labels);
      await println([record.name, ...labels.map((l) => `  ${l}`)].join('\n'));
    });

  images
    .command('rm')
    .alias('delete')
    .description(
      'delete images: to the trash (restorable) unless --purge; pinned images (imgmeta.pinned=true) need --force',
    )
    .argument('<names...>', 'image names')
    .addOption(namespaceOption())
    .option('--dry-run', 'report what would be deleted and the bytes gc would free; change nothing')
    .option('--purge', 'delete for good instead of moving to the trash')
    .option('--force', 'delete pinned images too')
    .addOption(jsonOption())
    .action(
      async (
        names: string[],
        opts: { namespace: string; dryRun?: boolean; purge?: boolean; force?: boolean; json?: boolean },
      ) => {
        const result = await (
          await session.api()
        )['images.delete']({
          images: names.map((name) => ({ namespace: opts.namespace, name })),
          dryRun: opts.dryRun ?? false,
          purge: opts.purge ?? false,
          force: opts.force ?? false,
        });
        if (opts.json) {
          return printJson({
            deleted: result.deleted.map((r) => r.name),
            reclaimedBytes: result.reclaimedBytes,
            dryRun: result.dryRun,
            purged: result.purged,
            pinned: result.pinned.map((r) => r.name),
            namespace: opts.namespace,
          });
        }
        const verb = result.dryRun ? 'would delete' : 'deleted';
        const where = result.purged ? 'for good' : 'to the trash';
        const lines = result.deleted.map((r) => `${verb}: ${r.name}`);
        lines.push(
          `${verb} ${result.count} image(s) ${where}; ${humanSize(result.reclaimedBytes)} reclaimable by gc${result.purged ? '' : ' once purged from the trash'}`,
        );
        await println(lines.join('\n'));
      },
    );

  images
    .command('restore')
    .description('bring images back from the trash (the latest deletion of each name)')
    .argument('<names...>', 'image names')
    .addOption(namespaceOption())
    .addOption(jsonOption())
    .action(async (names: string[], opts: { namespace: string; json?: boolean }) => {
      const restored: ImageRecord[] = await (
        await session.api()
      )['images.restore']({ images: names.map((name) => ({ namespace: opts.namespace, name })) });
      await (opts.json
        ? printJson(restored)
        : println(restored.map((r) => `restored: ${r.name}`).join('\n')));
    });
}
