/**
 * A virtual list's scroll mapping when the list is taller than a browser lets an element be (Chromium caps heights
 * near 33.5 million pixels; a million 28-pixel rows is 28 million). The scrolling element is given at most
 * `maxHeight` pixels, and its scroll position maps linearly onto the whole list: the top of the scroll range is the
 * first row, the bottom the last, and a list that fits is scrolled 1:1. Pure arithmetic, unit-tested.
 */
export const maxScrollHeight = 8_000_000;

export interface ScrollGeometry {
  rows: number;
  rowHeight: number;
  viewport: number;
  maxHeight?: number;
}

/** The height of the scrolled content: the whole list, or the cap. */
export const scrollHeight = (g: ScrollGeometry) =>
  Math.max(g.viewport, Math.min(g.rows * g.rowHeight, g.maxHeight ?? maxScrollHeight));

/** Virtual pixels of the whole list per scrolled pixel (1 when the list fits). */
function ratio(g: ScrollGeometry): number {
  const scrollRange = scrollHeight(g) - g.viewport;
  const virtualRange = g.rows * g.rowHeight - g.viewport;
  return scrollRange > 0 && virtualRange > 0 ? virtualRange / scrollRange : 1;
}

/** The rows on screen at a scroll position: the first one, and how far it is pulled up. */
export function visibleWindow(
  g: ScrollGeometry,
  scrollTop: number,
): { first: number; count: number; shift: number } {
  const virtualTop = Math.max(0, Math.min(scrollTop * ratio(g), g.rows * g.rowHeight - g.viewport));
  const first = Math.min(Math.floor(virtualTop / g.rowHeight), Math.max(0, g.rows - 1));
  const count = Math.min(g.rows - first, Math.ceil(g.viewport / g.rowHeight) + 1);
  return { first, count: Math.max(0, count), shift: virtualTop - first * g.rowHeight };
}

/** The scroll position that brings a row fully into view, moving as little as possible (undefined: it is in view). */
export function scrollTopFor(g: ScrollGeometry, scrollTop: number, row: number): number | undefined {
  const r = ratio(g);
  const virtualTop = scrollTop * r;
  const top = row * g.rowHeight;
  const bottom = top + g.rowHeight;
  if (top < virtualTop) return top / r;
  if (bottom > virtualTop + g.viewport) return (bottom - g.viewport) / r;
  return undefined;
}
