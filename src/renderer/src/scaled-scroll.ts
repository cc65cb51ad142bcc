/**
 * A virtual list of any length inside a scroll element of bounded height. Browsers cap an element's height near 33.5
 * million pixels (Chromium; Firefox near 17.9 million), so a million 36 px rows cannot each have their own place.
 * Up to `maxScrollHeight` rows sit at their true offsets; beyond it the scroll range is mapped linearly onto the
 * virtual range, so that the top of the scrollbar is the first row and the bottom is the last. Pure, no DOM.
 */
export interface ScrollGeometry {
  rowCount: number;
  rowHeight: number;
  /** Height of the area rows are visible in (the scroll element's client height minus a sticky header). */
  viewportHeight: number;
  /** The tallest scroll content allowed; well under the browsers' caps. */
  maxScrollHeight: number;
}

/** Safe in every engine, and still a fine-grained scrollbar (one pixel of thumb travel is a few rows at 1M). */
export const defaultMaxScrollHeight = 8_000_000;

/** The height of the element rows are laid out in. */
export const scrollHeight = (g: ScrollGeometry): number =>
  Math.min(g.rowCount * g.rowHeight, g.maxScrollHeight);

/** How far the real scroll position can move, and how far the virtual one. */
function ranges(g: ScrollGeometry): { real: number; virtual: number } {
  return {
    real: Math.max(0, scrollHeight(g) - g.viewportHeight),
    virtual: Math.max(0, g.rowCount * g.rowHeight - g.viewportHeight),
  };
}

/** Whether scroll positions are scaled (the rows do not fit under the cap). */
export const isScaled = (g: ScrollGeometry): boolean => g.rowCount * g.rowHeight > g.maxScrollHeight;

/** The virtual offset (px from the first row's top) at the top of the viewport for a real `scrollTop`. */
export function virtualOffset(g: ScrollGeometry, scrollTop: number): number {
  const { real, virtual } = ranges(g);
  const top = Math.min(Math.max(0, scrollTop), real);
  return real === 0 ? 0 : real === virtual ? top : (top * virtual) / real;
}

/** The real `scrollTop` that puts virtual offset `offset` at the top of the viewport. */
export function scrollTopFor(g: ScrollGeometry, offset: number): number {
  const { real, virtual } = ranges(g);
  const v = Math.min(Math.max(0, offset), virtual);
  return virtual === 0 ? 0 : real === virtual ? v : (v * real) / virtual;
}

/**
 * Where a list is scrolled to: the real `scrollTop` and the virtual offset (px from the first row's top) at the top of
 * the viewport. The scrollbar (dragged, or clicked in its track) sets both by the linear mapping (`positionAt`); the
 * wheel and the keyboard move the virtual offset by their own pixels (`scrolledBy`, `revealing`) and put the scrollbar
 * where that offset maps to. So a wheel notch moves a million-row list as far as a thousand-row one: the rows on screen
 * slide by its pixels instead of being replaced by rows several screens further (the scale factor at a million 36 px
 * rows is 4.5).
 */
export interface ScrollPosition {
  top: number;
  offset: number;
}

/** The position a real `scrollTop` stands for (the linear mapping: the scrollbar's thumb is the list's position). */
export function positionAt(g: ScrollGeometry, scrollTop: number): ScrollPosition {
  const top = Math.min(Math.max(0, scrollTop), ranges(g).real);
  return { top, offset: virtualOffset(g, top) };
}

/** The position at virtual offset `offset` (clamped to the list), with the scrollbar where that offset maps to. */
export function positionFor(g: ScrollGeometry, offset: number): ScrollPosition {
  const v = Math.min(Math.max(0, offset), ranges(g).virtual);
  return { top: scrollTopFor(g, v), offset: v };
}

/** The position after scrolling `delta` px (a wheel, a trackpad) from `at`: one to one at any length. */
export const scrolledBy = (g: ScrollGeometry, at: ScrollPosition, delta: number): ScrollPosition =>
  positionFor(g, at.offset + delta);

export interface VisibleRows {
  /** First and last row index to render (inclusive), overscan included; last < first when there are none. */
  first: number;
  last: number;
  /** Where row `i` goes inside the scroll content: `top(i)` px from its top. */
  top: (row: number) => number;
}

/** The rows to render at a position, each with its place. */
export function visibleRows(g: ScrollGeometry, at: ScrollPosition, overscan = 4): VisibleRows {
  const { top, offset } = at;
  if (g.rowCount === 0) return { first: 0, last: -1, top: () => 0 };
  const first = Math.max(0, Math.floor(offset / g.rowHeight) - overscan);
  const last = Math.min(g.rowCount - 1, Math.ceil((offset + g.viewportHeight) / g.rowHeight) + overscan);
  // A row sits where the viewport's top is, shifted by how far the row is from the virtual offset there.
  return { first, last, top: (row) => top + row * g.rowHeight - offset };
}

/**
 * The position that brings `row` fully into view with the least movement from `at`, or `at` itself when it already
 * is in view.
 */
export function revealing(g: ScrollGeometry, at: ScrollPosition, row: number): ScrollPosition {
  const rowTop = row * g.rowHeight;
  const rowBottom = rowTop + g.rowHeight;
  if (rowTop < at.offset) return positionFor(g, rowTop);
  if (rowBottom > at.offset + g.viewportHeight) return positionFor(g, rowBottom - g.viewportHeight);
  return at;
}

/** How many whole rows one page (PageUp/PageDown) moves. */
export const rowsPerPage = (g: ScrollGeometry): number =>
  Math.max(1, Math.floor(g.viewportHeight / g.rowHeight) - 1);

/** The fixed-size blocks (pages of `blockSize` rows fetched by offset) that rows `first..last` fall in. */
export function blocksFor(first: number, last: number, blockSize: number): number[] {
  if (last < first) return [];
  const blocks: number[] = [];
  for (let b = Math.floor(first / blockSize); b <= Math.floor(last / blockSize); b++) blocks.push(b);
  return blocks;
}
