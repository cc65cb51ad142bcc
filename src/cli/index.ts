import { Command } from 'commander';
import { version } from '../../package.json';
import { registerContent } from './content';
import { configureUsageErrors, reportError } from './errors';
import { registerImages } from './images';
import { registerMeta } from './meta';
import { registerServe } from './serve';
import { registerSources } from './sources';
import { Session } from './session';
import { registerStore } from './store';
import { registerTrash } from './trash';

/**
 * The imgmeta command line: every command calls the service (the same API the app and the server expose), so what
 * the CLI accepts and refuses is exactly what the API accepts and refuses. Bundled to CommonJS (no top-level await):
 * the work runs from main() and the outcome is process.exitCode, never process.exit(), so stdout drains.
 */
export function buildProgram(session: Session): Command {
  const program = configureUsageErrors(new Command('imgmeta'));
  program
    .description('inspect and edit local container image metadata: images, content, key/value metadata')
    .version(version, '-V, --version')
    .option(
      '--store <dir>',
      'store directory (default: $IMGMETA_STORE, else the directory the desktop app opens)',
    )
    .addHelpText(
      'after',
      [
        '',
        'Output: tables for people; --json prints one JSON document on stdout.',
        'Exit codes: 0 success; 1 a failed operation (`imgmeta: <code>: <message>` on stderr, nothing changed); 2 bad usage.',
        'Images commands act on namespace "default" unless -n is given; `images ls` and `trash ls` list every namespace unless -n is given.',
      ].join('\n'),
    );
  registerImages(program, session);
  registerMeta(program, session);
  registerContent(program, session);
  registerTrash(program, session);
  registerStore(program, session);
  registerSources(program, session);
  registerServe(program, session);
  return program;
}

async function main(argv: string[]): Promise<number> {
  // The session reads --store lazily: commander has parsed it by the time a command opens the store.
  const session = new Session(() => program.opts<{ store?: string }>().store);
  const program = buildProgram(session);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    return reportError(err);
  } finally {
    try {
      session.close();
    } catch (err) {
      // A store that fails to close after the command succeeded still fails the run.
      process.exitCode = reportError(err);
    }
  }
}

void main(process.argv).then((code) => {
  if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
});
