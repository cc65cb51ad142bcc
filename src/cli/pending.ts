import type { Command } from 'commander';
import { notYetAvailable } from './errors';
import { jsonOption, namespaceOption } from './options';

/**
 * Commands of the design whose implementation has not landed yet. They are declared with their real arguments so that
 * `--help` documents them and bad usage is still exit 2; running them fails with failed_precondition (exit 1).
 */
export function registerPending(program: Command): void {
  program
    .command('import')
    .description(
      'import images and metadata from a source (OCI layout, archive, containerd meta.db, Docker data root) (not yet available)',
    )
    .argument('<source>', 'path of the source; its kind is detected')
    .addOption(namespaceOption('namespace to import into'))
    .addOption(jsonOption())
    .action(() => {
      throw notYetAvailable('import');
    });

  program
    .command('export')
    .description('write images as an OCI image layout (not yet available)')
    .argument('<names...>', 'image names')
    .requiredOption('--to <dir>', 'destination directory')
    .addOption(namespaceOption('namespace of the images'))
    .action(() => {
      throw notYetAvailable('export');
    });
}
