import { useCallback, useLayoutEffect, useRef, useState, type CSSProperties, type ReactNode } from 'react';
import {
  defaultMaxScrollHeight,
  rowsPerPage,
  scrollHeight,
  scrollTopToReveal,
  visibleRows,
  type ScrollGeometry,
  type VisibleRows,
} from './scaled-scroll';

/**
 * The scrolling half of a virtual grid (the Images grid and the metadata Keys grid): the scroll element, its measured
 * height, the rows to render for its scroll position (scaled-scroll.ts), and moving it to bring a row into view.
 */
export function useVirtualRows({
  rowCount,
  rowHeight,
  chrome = 0,
}: {
  rowCount: number;
  rowHeight: number;
  /** Pixels of the scroll element's height that rows never show in (a sticky header). */
  chrome?: number;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const measure = () => setViewport(Math.max(rowHeight, el.clientHeight - chrome));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [rowHeight, chrome]);

  const geometry: ScrollGeometry = {
    rowCount,
    rowHeight,
    viewportHeight: viewport,
    maxScrollHeight: defaultMaxScrollHeight,
  };
  const onScroll = useCallback(() => {
    const el = scroller.current;
    if (el) setScrollTop(el.scrollTop);
  }, []);
  const reveal = (row: number) => {
    const el = scroller.current;
    if (!el) return;
    const next = scrollTopToReveal(geometry, el.scrollTop, row);
    if (next !== el.scrollTop) {
      el.scrollTop = next;
      setScrollTop(el.scrollTop);
    }
  };
  const toTop = () => {
    if (scroller.current) scroller.current.scrollTop = 0;
    setScrollTop(0);
  };
  return {
    scroller,
    geometry,
    rows: visibleRows(geometry, scrollTop),
    height: scrollHeight(geometry),
    perPage: rowsPerPage(geometry),
    onScroll,
    reveal,
    toTop,
  };
}

/** Rows are placed relative to the start of the block of this many rows the window begins in. */
const anchorRows = 256;

/**
 * The scroll content of a virtual grid: as tall as scaled-scroll.ts says, holding a window with the rendered rows.
 * The window, not each row, follows the scroll position: rows sit at fixed offsets from an anchor row that changes
 * once every few hundred rows, so scrolling moves one element and leaves memoized rows untouched (and the offsets
 * stay small numbers at row 999,999).
 */
export function VirtualWindow({
  rows,
  rowHeight,
  height,
  className,
  windowClassName,
  before,
  children,
}: {
  rows: VisibleRows;
  rowHeight: number;
  height: number;
  className: string;
  windowClassName?: string;
  /** Rendered first inside the window (an empty-list message). */
  before?: ReactNode;
  /** One row: `top` is its offset in the window. */
  children: (row: number, top: number) => ReactNode;
}) {
  const anchor = Math.floor(Math.max(0, rows.first) / anchorRows) * anchorRows;
  const rendered: ReactNode[] = [];
  for (let row = rows.first; row <= rows.last; row++)
    rendered.push(children(row, (row - anchor) * rowHeight));
  return (
    <div className={className} role="presentation" style={{ height, position: 'relative' }}>
      <VirtualWindowFrame className={windowClassName} top={rows.top(anchor)}>
        {before}
        {rendered}
      </VirtualWindowFrame>
    </div>
  );
}

function VirtualWindowFrame({
  className,
  top,
  children,
}: {
  className?: string;
  top: number;
  children: ReactNode;
}) {
  const style: CSSProperties = {
    position: 'absolute',
    top: 0,
    left: 0,
    right: 0,
    transform: `translateY(${top}px)`,
  };
  return (
    <div className={className} role="rowgroup" style={style}>
      {children}
    </div>
  );
}
