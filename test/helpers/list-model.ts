import type { ImageFilter, SortField, SortOrder } from '../../src/shared/types';

/** An image as the list model sees it. */
export interface ModelRow {
  ns: string;
  name: string;
  created: number;
  size: number;
  mediaType: string;
  labels: Record<string, string>;
  dangling: boolean;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * What a list query should answer, worked out from the rows alone: the documented order, by name (name, namespace),
 * by created or size (value, namespace, name), desc reversing it; as `namespace/name`.
 */
export function expectedList(
  rows: ModelRow[],
  q: { namespace?: string; sort: SortField; order: SortOrder; filter?: ImageFilter },
): string[] {
  const f = q.filter ?? {};
  const matching = rows.filter(
    (r) =>
      (q.namespace === undefined || r.ns === q.namespace) &&
      (f.name === undefined || r.name.includes(f.name)) &&
      (f.mediaType === undefined || r.mediaType === f.mediaType) &&
      (f.dangling === undefined || r.dangling === f.dangling) &&
      (f.labels ?? []).every((pair) => {
        const at = pair.indexOf('=');
        return r.labels[pair.slice(0, at)] === pair.slice(at + 1);
      }),
  );
  const value = (r: ModelRow) => (q.sort === 'created' ? r.created : r.size);
  matching.sort((a, b) =>
    q.sort === 'name'
      ? cmp(a.name, b.name) || cmp(a.ns, b.ns)
      : value(a) - value(b) || cmp(a.ns, b.ns) || cmp(a.name, b.name),
  );
  if (q.order === 'desc') matching.reverse();
  return matching.map((r) => `${r.ns}/${r.name}`);
}
