import type { Command } from 'commander';
import type { Labels } from '../shared/types';
import { UsageError } from './errors';
import { readInput } from './input';
import { humanSize, keyValueLines, labelList, printJson, println, treeLines, write } from './output';
import { collectLabel } from './parse';
import { defaultNamespace, jsonOption } from './options';
import type { Session } from './session';

/** `content ...`: the manifests, indexes and configs the store keeps, by digest. */
export function registerContent(program: Command, session: Session): void {
  const content = program.command('content').description('manifests, indexes and configs by digest');

  content
    .command('put')
    .description("store a manifest, index or config from a file ('-': stdin); prints its digest")
    .argument('<file>', "file to read, or '-' for stdin")
    .requiredOption('--media-type <type>', 'media type of the blob')
    .option('--digest <digest>', 'expected digest: refuse the bytes if they hash to something else')
    .option('--label <K=V>', 'label; repeatable', collectLabel)
    .addOption(jsonOption())
    .action(
      async (file: string, opts: { mediaType: string; digest?: string; label?: Labels; json?: boolean }) => {
        const bytes = await readInput(file);
        const info = await (
          await session.api()
        )['content.put']({ bytes, mediaType: opts.mediaType, digest: opts.digest, labels: opts.label ?? {} });
        await (opts.json ? printJson(info) : println(info.digest));
      },
    );

  content
    .command('get')
    .description('the bytes of a blob, raw on stdout')
    .argument('<digest>', 'blob digest')
    .action(async (digest: string) => {
      const blob = await (await session.api())['content.get']({ digest });
      await write(blob.bytes);
    });

  content
    .command('info')
    .description('what the store knows of a blob: size, media type, labels, children')
    .argument('<digest>', 'blob digest')
    .addOption(jsonOption())
    .action(async (digest: string, opts: { json?: boolean }) => {
      const info = await (await session.api())['content.info']({ digest });
      if (opts.json) return printJson(info);
      const lines = keyValueLines([
        ['Digest', info.digest],
        ['Media type', info.mediaType],
        ['Size', `${humanSize(info.size)} (${info.size} bytes)`],
        ['Created', info.createdAt],
      ]);
      const labels = labelList(info.labels);
      lines.push(`Labels:${labels.length === 0 ? ' (none)' : ''}`, ...labels.map((l) => `  ${l}`));
      lines.push(`Children:${info.children.length === 0 ? ' (none)' : ''}`);
      for (const { role, descriptor } of info.children)
        lines.push(`  ${role} ${descriptor.digest} ${descriptor.mediaType} ${humanSize(descriptor.size)}`);
      await println(lines.join('\n'));
    });

  content
    .command('tree')
    .description("an image's content tree (or a blob's, with --digest); nodes not stored are flagged")
    .argument('[name]', 'image name')
    .option('-n, --namespace <ns>', `namespace of the image (default: ${defaultNamespace})`)
    .option('--digest <digest>', 'the tree under a blob instead of an image')
    .addOption(jsonOption())
    .action(
      async (name: string | undefined, opts: { namespace?: string; digest?: string; json?: boolean }) => {
        if ((name === undefined) === (opts.digest === undefined))
          throw new UsageError('content tree takes an image NAME or --digest D, not both');
        if (opts.digest !== undefined && opts.namespace !== undefined)
          throw new UsageError('-n goes with an image NAME, not --digest');
        const api = await session.api();
        const tree = await (opts.digest !== undefined
          ? api['content.tree']({ digest: opts.digest })
          : api['content.tree']({ namespace: opts.namespace ?? defaultNamespace, name: name! }));
        await (opts.json ? printJson(tree) : println(treeLines(tree).join('\n')));
      },
    );
}
