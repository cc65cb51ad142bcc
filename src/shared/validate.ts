import { ZodError } from 'zod';
import { invalidArgument } from './errors';
import { operations, type OperationName, type ParsedInput } from './operations';

/**
 * A zod failure as one readable line: `field: problem; field: problem`. Field names and messages can carry what the
 * caller sent (a label key is a path segment, an unknown key is quoted), so each is cut short: a megabyte-long key
 * gets a one-line error, not a megabyte echoed to a terminal or a log.
 */
export function describeZodError(err: ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((issue) => {
      const message = shorten(issue.message, 300);
      return issue.path.length > 0
        ? `${issue.path.map((segment) => shorten(String(segment), 64)).join('.')}: ${message}`
        : message;
    })
    .join('; ');
}

const shorten = (text: string, max: number) =>
  text.length > max ? `${text.slice(0, max - 20)}... (${text.length} characters)` : text;

/** Validates an operation's input at a boundary; anything wrong is `invalid_argument` with what was expected. */
export function parseInput<N extends OperationName>(name: N, input: unknown): ParsedInput<N> {
  const result = operations[name].input.safeParse(input ?? {});
  if (!result.success) throw invalidArgument(`${name}: ${describeZodError(result.error)}`);
  return result.data as ParsedInput<N>;
}
