import { CommanderError, type Command } from 'commander';
import { takeOpenNativeLine } from '../main/store/native-stderr';
import { toErrorBody } from '../shared/errors';
import { OutputClosed } from './output';

/** The contract's exit codes: 0 success; 1 a failed operation; 2 bad usage. */
export const exitCodes = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * Bad usage found after commander parsed the line (VALUE and --file together, a malformed K=V in a variadic
 * argument): reported like commander's own usage errors, exit 2, before the store is touched.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Commands the design names whose implementation has not landed in this build yet. */
const usageHint = "(run 'imgmeta help [command]' or add --help for usage)";

/**
 * Commander reports usage errors through this configuration and then calls the exit callback, which throws instead
 * of exiting: the entry point maps the thrown CommanderError to exit 2 (help exits 0) after closing the store.
 * Subcommands copy these settings when they are created, so configure the program before adding any command.
 */
export function configureUsageErrors(program: Command): Command {
  return program
    .exitOverride()
    .showHelpAfterError(usageHint)
    .configureOutput({
      outputError: (message, writeErr) => writeErr(`imgmeta: usage: ${message.replace(/^error: /, '')}`),
    });
}

/** Prints what went wrong on stderr, once, and returns the exit code. */
export function reportError(err: unknown): number {
  if (err instanceof OutputClosed) return exitCodes.ok;
  if (err instanceof CommanderError) {
    // Already printed by commander (help text, version or the usage error).
    return err.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
  }
  if (err instanceof UsageError) {
    process.stderr.write(`imgmeta: usage: ${err.message}\n${usageHint}\n`);
    return exitCodes.usage;
  }
  const body = toErrorBody(err);
  if (takeOpenNativeLine()) process.stderr.write('\n');
  process.stderr.write(`imgmeta: ${body.code}: ${oneLine(body.message)}\n`);
  if (body.code === 'internal' && process.env.IMGMETA_DEBUG && err instanceof Error && err.stack) {
    process.stderr.write(`${err.stack}\n`);
  }
  return exitCodes.failed;
}

/** The contract's error line is one line: a message with newlines in it (from a library) is folded. */
const oneLine = (message: string) => message.replace(/\s*\n\s*/g, ' ').trim();
