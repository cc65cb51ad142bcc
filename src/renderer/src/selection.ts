import type { ImageRef } from '../../shared/types';

/**
 * Which images are selected, by namespace and name (never by row index, so a refresh that moves rows keeps it).
 * Either a set of images, or every image of the current scope (Ctrl/Cmd-A) except some: a million rows can be
 * selected without a million names in memory, and deleting them is one `matching` request. Pure and immutable.
 */
export interface Selection {
  all: boolean;
  /** Selected images, or with `all` the ones taken out. */
  refs: ReadonlyMap<string, ImageRef>;
}

export const emptySelection: Selection = { all: false, refs: new Map() };
export const allSelected: Selection = { all: true, refs: new Map() };

export const refKey = (image: ImageRef): string => `${image.namespace}\u0000${image.name}`;

const pick = (image: ImageRef): ImageRef => ({ namespace: image.namespace, name: image.name });

export const isSelected = (s: Selection, image: ImageRef): boolean => s.all !== s.refs.has(refKey(image));

/** How many are selected, given the scope's true total (needed for "all except"). */
export const selectedCount = (s: Selection, total: number): number =>
  s.all ? Math.max(0, total - s.refs.size) : s.refs.size;

/** Only this image (a plain click). */
export const only = (image: ImageRef): Selection => ({
  all: false,
  refs: new Map([[refKey(image), pick(image)]]),
});

/** This image flipped (Ctrl/Cmd-click, Space). */
export function toggle(s: Selection, image: ImageRef): Selection {
  const refs = new Map(s.refs);
  if (refs.has(refKey(image))) refs.delete(refKey(image));
  else refs.set(refKey(image), pick(image));
  return { all: s.all, refs };
}

/** These images selected in addition to what is (Shift-click extends from the anchor). */
export function add(s: Selection, images: Iterable<ImageRef>): Selection {
  const refs = new Map(s.refs);
  for (const image of images)
    if (s.all) refs.delete(refKey(image));
    else refs.set(refKey(image), pick(image));
  return { all: s.all, refs };
}

/** The row indexes from the anchor to the target, inclusive, in either direction. */
export function rangeBetween(anchor: number, target: number): { from: number; to: number } {
  return anchor <= target ? { from: anchor, to: target } : { from: target, to: anchor };
}

/** A keyboard move: the new active row for a key, clamped to the list; undefined for keys that do not move. */
export function moveFor(key: string, active: number, rowCount: number, pageRows: number): number | undefined {
  if (rowCount === 0) return undefined;
  const last = rowCount - 1;
  const clamp = (n: number) => Math.min(last, Math.max(0, n));
  switch (key) {
    case 'ArrowDown':
      return clamp(active + 1);
    case 'ArrowUp':
      return clamp(active - 1);
    case 'PageDown':
      return clamp(active + pageRows);
    case 'PageUp':
      return clamp(active - pageRows);
    // Rows are the unit here (no cell focus), so Home/End and Ctrl+Home/End both go to the first/last row.
    case 'Home':
      return 0;
    case 'End':
      return last;
    default:
      return undefined;
  }
}
