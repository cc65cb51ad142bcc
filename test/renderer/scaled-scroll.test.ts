import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  blocksFor,
  isScaled,
  rowsPerPage,
  scrollHeight,
  positionAt,
  positionFor,
  revealing,
  scrollTopFor,
  scrolledBy,
  virtualOffset,
  visibleRows,
  type ScrollGeometry,
} from '../../src/renderer/src/scaled-scroll';

const geometry = (rowCount: number, viewportHeight = 600): ScrollGeometry => ({
  rowCount,
  rowHeight: 36,
  viewportHeight,
  maxScrollHeight: 8_000_000,
});

/** The real scroll range, as the browser clamps scrollTop. */
const maxTop = (g: ScrollGeometry) => Math.max(0, scrollHeight(g) - g.viewportHeight);

describe('a short list scrolls one to one', () => {
  it('keeps every row at its true offset', () => {
    const g = geometry(1000);
    expect(isScaled(g)).toBe(false);
    expect(scrollHeight(g)).toBe(36_000);
    expect(virtualOffset(g, 720)).toBe(720);
    const rows = visibleRows(g, positionAt(g, 720), 0);
    expect(rows.first).toBe(20);
    expect(rows.top(20)).toBe(720);
  });

  it('renders nothing for an empty list', () => {
    const rows = visibleRows(geometry(0), positionAt(geometry(0), 0));
    expect(rows.last).toBeLessThan(rows.first);
  });
});

describe('a million rows fit under the browsers’ element height cap', () => {
  const g = geometry(1_000_000);

  it('bounds the scroll height and maps its ends onto the first and the last row', () => {
    expect(isScaled(g)).toBe(true);
    expect(scrollHeight(g)).toBe(8_000_000);
    expect(visibleRows(g, positionAt(g, 0), 0).first).toBe(0);
    const bottom = visibleRows(g, positionAt(g, maxTop(g)), 0);
    expect(bottom.last).toBe(999_999);
    // The last row's bottom edge is the bottom of the scroll content: fully in view.
    expect(bottom.top(999_999) + g.rowHeight).toBeCloseTo(scrollHeight(g), 6);
  });

  it('reveals any row, the last one included, with the least movement', () => {
    const at = revealing(g, positionAt(g, 0), 999_999);
    expect(at.top).toBeCloseTo(maxTop(g), 6);
    const rows = visibleRows(g, at, 0);
    expect(rows.top(999_999)).toBeGreaterThanOrEqual(at.top - 1e-6);
    expect(rows.top(999_999) + g.rowHeight).toBeLessThanOrEqual(at.top + g.viewportHeight + 1e-6);
    // A row already in view does not move the list.
    expect(revealing(g, at, 999_995)).toBe(at);
  });

  it('scrolls by the wheel one to one, so a notch slides the rows on screen instead of replacing them', () => {
    const at = positionFor(g, 36 * 500_000);
    const next = scrolledBy(g, at, 240);
    expect(next.offset - at.offset).toBe(240);
    // The scrollbar moves by the scaled distance: 240 px of rows is 240 / 4.5 px of thumb travel.
    expect(next.top - at.top).toBeCloseTo((240 * maxTop(g)) / (36 * 1_000_000 - 600), 6);
    const before = visibleRows(g, at, 0);
    const after = visibleRows(g, next, 0);
    expect(after.first - before.first).toBe(Math.floor(240 / 36));
    // A row on screen before and after moved up by exactly the notch, on screen (its place minus the scroll top).
    const row = before.first + 10;
    expect(before.top(row) - at.top - (after.top(row) - next.top)).toBeCloseTo(240, 6);
  });

  it('stops the wheel at both ends of the list', () => {
    expect(scrolledBy(g, positionAt(g, 0), -500)).toEqual({ top: 0, offset: 0 });
    const end = scrolledBy(g, positionAt(g, maxTop(g)), 10_000);
    expect(end.offset).toBe(36 * 1_000_000 - 600);
    expect(end.top).toBeCloseTo(maxTop(g), 6);
    expect(visibleRows(g, end, 0).last).toBe(999_999);
  });

  it('keeps the rows contiguous and the viewport covered at any wheel position', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5_000_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: -5000, max: 5000 }),
        (rowCount, at, delta) => {
          const g = geometry(rowCount);
          const pos = scrolledBy(g, positionAt(g, at * maxTop(g)), delta);
          expect(pos.top).toBeGreaterThanOrEqual(0);
          expect(pos.top).toBeLessThanOrEqual(maxTop(g) + 1e-6);
          const rows = visibleRows(g, pos);
          expect(rows.top(rows.first)).toBeLessThanOrEqual(pos.top + 1e-6);
          if (rows.last < rowCount - 1)
            expect(rows.top(rows.last) + g.rowHeight).toBeGreaterThanOrEqual(pos.top + 600 - 1e-6);
        },
      ),
    );
  });

  it('places rows contiguously around the viewport at any position', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5_000_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 36, max: 2000 }),
        (rowCount, at, viewport) => {
          const g = geometry(rowCount, viewport);
          const scrollTop = at * maxTop(g);
          const rows = visibleRows(g, positionAt(g, scrollTop));
          expect(rows.first).toBeGreaterThanOrEqual(0);
          expect(rows.last).toBeLessThan(rowCount);
          for (let row = rows.first; row < rows.last; row++)
            expect(rows.top(row + 1) - rows.top(row)).toBeCloseTo(g.rowHeight, 6);
          // The viewport is covered: the first rendered row starts at or above its top, the last ends at or below
          // its bottom (or is the list's last row).
          expect(rows.top(rows.first)).toBeLessThanOrEqual(scrollTop + 1e-6);
          if (rows.last < rowCount - 1)
            expect(rows.top(rows.last) + g.rowHeight).toBeGreaterThanOrEqual(scrollTop + viewport - 1e-6);
        },
      ),
    );
  });

  it('round-trips virtual offsets and scroll positions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5_000_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (n, at) => {
          const g = geometry(n);
          const top = at * maxTop(g);
          expect(scrollTopFor(g, virtualOffset(g, top))).toBeCloseTo(top, 4);
        },
      ),
    );
  });
});

describe('pages are fetched by position for the rows on screen only', () => {
  it('names the blocks a row range falls in', () => {
    expect(blocksFor(0, 20, 100)).toEqual([0]);
    expect(blocksFor(95, 130, 100)).toEqual([0, 1]);
    expect(blocksFor(999_980, 999_999, 100)).toEqual([9_999]);
    expect(blocksFor(5, 4, 100)).toEqual([]);
  });

  it('moves a page by the rows that fit, less one', () => {
    expect(rowsPerPage(geometry(100, 600))).toBe(15);
    expect(rowsPerPage(geometry(100, 20))).toBe(1);
  });
});

// The Keys grid of the Metadata view scrolls by the same mapping, with 30 px rows.
describe('a million keys scroll within the browser height cap', () => {
  const keys = (rowCount: number): ScrollGeometry => ({
    rowCount,
    rowHeight: 30,
    viewportHeight: 600,
    maxScrollHeight: 8_000_000,
  });
  const million = keys(1_000_000);

  it('caps the scrolled height and maps its ends to the first and last rows', () => {
    expect(scrollHeight(million)).toBe(8_000_000);
    const top = visibleRows(million, positionAt(million, 0), 0);
    expect(top.first).toBe(0);
    expect(top.top(0)).toBe(0);
    expect(visibleRows(million, positionAt(million, 8_000_000 - 600), 0).last).toBe(999_999);
    const middle = visibleRows(million, positionAt(million, (8_000_000 - 600) / 2), 0);
    expect(Math.abs(middle.first - 500_000)).toBeLessThan(20);
  });

  it('scrolls 1:1 when the list fits', () => {
    const small = keys(100);
    expect(scrollHeight(small)).toBe(3000);
    const rows = visibleRows(small, positionAt(small, 45), 0);
    // Row 1 first, pulled up 15 px; the rows rendered reach the viewport's bottom (645 px) and end there.
    expect(rows.first).toBe(1);
    expect(45 - rows.top(1)).toBe(15);
    expect(rows.top(rows.last) + 30).toBeGreaterThanOrEqual(645);
    expect(rows.last).toBeLessThanOrEqual(22);
  });

  it('brings a row into view with the least movement, in either mapping', () => {
    for (const g of [million, keys(100)]) {
      const row = g.rowCount - 1;
      const at = revealing(g, positionAt(g, 0), row);
      const win = visibleRows(g, at, 0);
      expect(win.first <= row && row <= win.last).toBe(true);
      expect(revealing(g, at, row)).toBe(at);
      expect(visibleRows(g, revealing(g, at, 0), 0).first).toBe(0);
    }
  });
});
