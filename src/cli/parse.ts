import { InvalidArgumentError } from 'commander';
import type { ImageFilter, Labels } from '../shared/types';
import { UsageError } from './errors';

/**
 * Parsers for option and argument values. They only decide whether a value is well-formed on a command line
 * (a number is all digits, a label is K=V); whether it is acceptable (a size >= 0, a valid label key) is the
 * service's call, so that the CLI and the API accept exactly the same things.
 * They throw commander's InvalidArgumentError, which commander reports as a usage error (exit 2).
 */

/** An integer written in decimal digits, nothing else: `12abc`, `1e3`, `0x10`, ` 12` and `` are usage errors. */
export function integer(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError('expected an integer');
  return Number(value);
}

export function positiveInteger(value: string): number {
  const n = integer(value);
  if (n < 1 || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected an integer >= 1');
  return n;
}

export function nonNegativeInteger(value: string): number {
  const n = integer(value);
  if (n < 0 || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected an integer >= 0');
  return n;
}

/** `K=V` split at the first `=`; the value may be empty and may contain `=`. */
export function splitKeyValue(value: string): [string, string] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected KEY=VALUE, got ${JSON.stringify(value)}`);
  return [value.slice(0, eq), value.slice(eq + 1)];
}

/** Repeatable `--label K=V`: later values of a key replace earlier ones, like `docker run --label`. */
export function collectLabel(value: string, previous: Labels = {}): Labels {
  const [k, v] = splitKeyValue(value);
  return { ...previous, [k]: v };
}

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `images label NAME K=V...`: `K=V` sets, `K=` removes. */
export function labelEdits(args: string[]): { set: Labels; remove: string[] } {
  const set: Labels = {};
  const remove: string[] = [];
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0)
      throw new UsageError(`expected KEY=VALUE or KEY= (to remove KEY), got ${JSON.stringify(arg)}`);
    const [k, v] = [arg.slice(0, eq), arg.slice(eq + 1)];
    if (v === '') remove.push(k);
    else set[k] = v;
  }
  return { set, remove };
}

/**
 * `--filter` values, the keys `ctr`/`docker` users expect: `name=SUBSTR`, `label=K=V`, `media-type=T`,
 * `dangling=true|false`; any other `K=V` is the label selector K=V. Several filters must all match.
 */
export function imageFilter(values: string[]): ImageFilter | undefined {
  const filter: ImageFilter = {};
  const once = <K extends keyof ImageFilter>(key: K, flag: string, value: ImageFilter[K]) => {
    if (filter[key] !== undefined) throw new UsageError(`--filter ${flag}=... is given more than once`);
    filter[key] = value;
  };
  for (const value of values) {
    const [key, rest] = splitFilter(value);
    switch (key) {
      case 'name':
        once('name', key, rest);
        break;
      case 'label':
      case 'labels':
        if (rest.indexOf('=') <= 0)
          throw new UsageError(`--filter label= needs KEY=VALUE, got ${JSON.stringify(value)}`);
        filter.labels = [...(filter.labels ?? []), rest];
        break;
      case 'media-type':
      case 'mediatype':
        once('mediaType', key, rest);
        break;
      case 'dangling':
        if (rest !== 'true' && rest !== 'false')
          throw new UsageError(`--filter dangling= takes true or false, got ${JSON.stringify(rest)}`);
        once('dangling', key, rest === 'true');
        break;
      default:
        filter.labels = [...(filter.labels ?? []), value];
    }
  }
  return Object.keys(filter).length > 0 ? filter : undefined;
}

function splitFilter(value: string): [string, string] {
  const eq = value.indexOf('=');
  if (eq <= 0)
    throw new UsageError(
      `--filter takes KEY=VALUE (name=, label=K=V, media-type=, dangling=, or a label K=V), got ${JSON.stringify(value)}`,
    );
  return [value.slice(0, eq), value.slice(eq + 1)];
}
