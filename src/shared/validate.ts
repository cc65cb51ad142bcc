import { ZodError } from 'zod';
import { invalidArgument } from './errors';
import { operations, type OperationName, type ParsedInput } from './operations';

/** A zod failure as one readable line: `field: problem; field: problem`. */
export function describeZodError(err: ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

/** Validates an operation's input at a boundary; anything wrong is `invalid_argument` with what was expected. */
export function parseInput<N extends OperationName>(name: N, input: unknown): ParsedInput<N> {
  const result = operations[name].input.safeParse(input ?? {});
  if (!result.success) throw invalidArgument(`${name}: ${describeZodError(result.error)}`);
  return result.data as ParsedInput<N>;
}
