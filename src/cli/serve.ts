import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { validToken } from '../main/server/auth';
import { OutputClosed, println } from './output';
import { integer } from './parse';
import type { Session } from './session';

interface ServeOptions {
  host: string;
  port?: number;
  token?: string;
  readOnly?: boolean;
}

/**
 * `imgmeta serve`: the API, its events and the app over HTTP, until SIGINT or SIGTERM. The first line on stdout is
 * the URL with the token (scripts read just that line); the server itself lives in src/main/server.
 */
export function registerServe(program: Command, session: Session): void {
  program
    .command('serve')
    .description(
      'serve the API and the app over HTTP until interrupted; prints the URL with its access token as the first line',
    )
    .option(
      '--host <host>',
      'address to listen on (beyond loopback: a warning; see SECURITY.md)',
      '127.0.0.1',
    )
    .option('--port <port>', 'port to listen on (default: a free one; 0 also picks one)', port)
    .option('--token <token>', 'access token (default: 32 random bytes)', token)
    .option('--read-only', 'refuse every operation that writes')
    .action(async (opts: ServeOptions) => {
      const asked = opts.readOnly ?? false;
      const [{ startServer, isLoopback }, { EventHub }, { watchChanges }] = await Promise.all([
        import('../main/server/server'),
        import('../main/event-hub'),
        import('../main/change-feed'),
      ]);
      const hub = new EventHub();
      const { store, api } = await session.open({
        readOnly: asked,
        onImportProgress: (event) => hub.emit('import.progress', event),
      });
      // A store this user cannot write is open read-only (Store.openAsAllowed): served so, as with --read-only.
      const readOnly = asked || store.readOnly;
      // Writes by anyone (this server, the app, another CLI) reach every browser as store.changed.
      const stopFeed = watchChanges(store, (event) => hub.emit('store.changed', event));
      try {
        const server = await startServer({
          api,
          events: hub,
          host: opts.host,
          port: opts.port,
          token: opts.token,
          readOnly,
          // out/cli/index.cjs -> out/renderer, where `electron-vite build` puts the app.
          rendererDir: join(import.meta.dirname, '..', 'renderer'),
        });
        if (!isLoopback(server.host))
          // stderr, so that it is seen even by someone who pipes the URL line into a script.
          process.stderr.write(
            `imgmeta: warning: serving on ${server.host} port ${server.port}, beyond this machine: anyone who can ` +
              `reach it and has the token can ${readOnly ? 'read' : 'read and change'} the store, over plain HTTP. ` +
              `Prefer loopback and an SSH tunnel (see SECURITY.md)${readOnly ? '' : ', and --read-only'}.\n`,
          );
        const stopped = untilSignal();
        await announce([
          server.url,
          `store: ${store.path}`,
          ...(readOnly
            ? [
                `read-only: ${asked ? '' : 'this user cannot write the store; '}every operation that writes is refused`,
              ]
            : []),
          ...(server.host !== '127.0.0.1' ? [`listening on ${server.host} port ${server.port}`] : []),
          'stop with Ctrl-C',
        ]);
        await stopped;
        await server.close();
      } finally {
        // The entry point closes the store once this returns.
        stopFeed();
      }
    });
}

/**
 * Printed for the user or a script; a reader that goes away after the first line (`imgmeta serve | head -1`) does
 * not stop the server.
 */
async function announce(lines: string[]): Promise<void> {
  try {
    for (const line of lines) await println(line);
  } catch (err) {
    if (!(err instanceof OutputClosed)) throw err;
  }
}

/** Resolves on the first SIGINT or SIGTERM; a second one, while shutting down, terminates as usual. */
function untilSignal(): Promise<void> {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  return new Promise((resolve) => {
    const stop = () => {
      for (const signal of signals) process.off(signal, stop);
      resolve();
    };
    for (const signal of signals) process.on(signal, stop);
  });
}

function port(value: string): number {
  const n = integer(value);
  if (n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return n;
}

function token(value: string): string {
  if (!validToken(value))
    throw new InvalidArgumentError('expected 1 to 512 characters among A-Z a-z 0-9 . _ ~ -');
  return value;
}
