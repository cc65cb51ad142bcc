import type { Command } from 'commander';
import { UsageError } from './errors';
import { readInput, readStdin } from './input';
import {
  JsonArrayWriter,
  TableWriter,
  humanSize,
  printJson,
  printTable,
  println,
  relativeTime,
  write,
} from './output';
import { nonNegativeInteger } from './parse';
import { jsonOption } from './options';
import { allPages, type Session } from './session';

/** `meta ...`: Docker's distribution metadata store, namespace/key -> bytes. */
export function registerMeta(program: Command, session: Session): void {
  const meta = program.command('meta').description('namespaced key/value metadata (bytes)');

  meta
    .command('namespaces')
    .description('metadata namespaces with their key counts')
    .addOption(jsonOption())
    .action(async (opts: { json?: boolean }) => {
      const namespaces = await (await session.api())['metadata.namespaces']({});
      if (opts.json) return printJson(namespaces);
      await printTable(
        ['NAMESPACE', 'KEYS'],
        namespaces.map((n) => [n.namespace, String(n.keys)]),
      );
    });

  meta
    .command('ls')
    .alias('list')
    .description('keys of a namespace in key order (all pages)')
    .argument('<namespace>', 'metadata namespace')
    .option('--prefix <p>', 'only keys starting with P')
    .option('-q, --quiet', 'print keys only')
    .addOption(jsonOption())
    .action(async (namespace: string, opts: { prefix?: string; quiet?: boolean; json?: boolean }) => {
      const api = await session.api();
      const pages = allPages((cursor, limit) =>
        api['metadata.list']({ namespace, prefix: opts.prefix ?? '', cursor, limit }),
      );
      if (opts.json) {
        const out = new JsonArrayWriter();
        for await (const items of pages) await out.push(items);
        return out.end();
      }
      if (opts.quiet) {
        for await (const items of pages) await println(items.map((i) => i.key).join('\n'));
        return;
      }
      const table = new TableWriter(['KEY', 'SIZE', 'VERSION', 'UPDATED']);
      const now = Date.now();
      for await (const items of pages)
        await table.push(
          items.map((i) => [i.key, humanSize(i.size), String(i.version), relativeTime(i.updatedAt, now)]),
        );
      await table.end();
    });

  meta
    .command('get')
    .description('the value of a key, as raw bytes on stdout (no newline added)')
    .argument('<namespace>', 'metadata namespace')
    .argument('<key>', 'key')
    .action(async (namespace: string, key: string) => {
      const value = await (await session.api())['metadata.get']({ namespace, key });
      await write(value.value);
    });

  meta
    .command('set')
    .description(
      "replace the whole value of a key: VALUE (as UTF-8), --file F, or '-' for the bytes on stdin",
    )
    .argument('<namespace>', 'metadata namespace')
    .argument('<key>', 'key')
    .argument('[value]', "the value, or '-' to read stdin")
    .option('--file <path>', 'read the value from a file (bytes as they are)')
    .option(
      '--expected-version <n>',
      'only if the key is at version N (0: only if it does not exist); else conflict',
      nonNegativeInteger,
    )
    .addOption(jsonOption())
    .action(
      async (
        namespace: string,
        key: string,
        value: string | undefined,
        opts: { file?: string; expectedVersion?: number; json?: boolean },
      ) => {
        if ((value === undefined) === (opts.file === undefined))
          throw new UsageError("meta set takes exactly one of VALUE, --file F or '-'");
        const bytes =
          opts.file !== undefined
            ? await readInput(opts.file)
            : value === '-'
              ? await readStdin()
              : new TextEncoder().encode(value);
        const info = await (
          await session.api()
        )['metadata.set']({ namespace, key, value: bytes, expectedVersion: opts.expectedVersion });
        if (opts.json) return printJson({ namespace, ...info });
        await println(`set ${key} in ${namespace}: ${info.size} bytes, version ${info.version}`);
      },
    );

  meta
    .command('rm')
    .alias('delete')
    .description('delete a key, or with --prefix every key under a prefix (one transaction)')
    .argument('<namespace>', 'metadata namespace')
    .argument('[key]', 'key')
    .option('--prefix <p>', 'delete every key starting with P instead of one key')
    .option('--dry-run', 'with --prefix: count what would be deleted; change nothing')
    .option('--expected-version <n>', 'only if the key is at version N; else conflict', nonNegativeInteger)
    .addOption(jsonOption())
    .action(
      async (
        namespace: string,
        key: string | undefined,
        opts: { prefix?: string; dryRun?: boolean; expectedVersion?: number; json?: boolean },
      ) => {
        if ((key === undefined) === (opts.prefix === undefined))
          throw new UsageError('meta rm takes a KEY or --prefix P, not both');
        if (opts.prefix === undefined && opts.dryRun) throw new UsageError('--dry-run goes with --prefix');
        if (opts.prefix !== undefined && opts.expectedVersion !== undefined)
          throw new UsageError('--expected-version goes with a KEY, not --prefix');
        const api = await session.api();
        const dryRun = opts.dryRun ?? false;
        const { deleted } =
          opts.prefix !== undefined
            ? await api['metadata.deletePrefix']({ namespace, prefix: opts.prefix, dryRun })
            : await api['metadata.delete']({ namespace, key: key!, expectedVersion: opts.expectedVersion });
        if (opts.json) return printJson({ deleted, dryRun });
        await println(`${dryRun ? 'would delete' : 'deleted'} ${deleted} key(s)`);
      },
    );

  meta
    .command('export')
    .description("write a namespace in the seed's file-per-key layout: <dir>/<namespace>/<key>")
    .argument('<namespace>', 'metadata namespace')
    .requiredOption('--to <dir>', 'destination directory')
    .addOption(jsonOption())
    .action(async (namespace: string, opts: { to: string; json?: boolean }) => {
      const result = await (await session.api())['sources.exportMetadata']({ namespace, to: opts.to });
      if (opts.json) return printJson(result);
      await println(`wrote ${result.written} key(s) to ${result.path}`);
    });
}
