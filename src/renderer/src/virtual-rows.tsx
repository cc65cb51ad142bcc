import {
  useCallback,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  type CSSProperties,
  type ReactNode,
} from 'react';
import {
  defaultMaxScrollHeight,
  isScaled,
  positionAt,
  positionFor,
  revealing,
  rowsPerPage,
  scrollHeight,
  scrolledBy,
  visibleRows,
  type ScrollGeometry,
  type ScrollPosition,
  type VisibleRows,
} from './scaled-scroll';

/** Pixels per wheel "line" and "page" when a wheel reports in those units (Firefox on some systems does). */
const wheelPixels = (event: WheelEvent, rowHeight: number, viewport: number): number =>
  event.deltaY *
  (event.deltaMode === WheelEvent.DOM_DELTA_LINE
    ? rowHeight
    : event.deltaMode === WheelEvent.DOM_DELTA_PAGE
      ? viewport
      : 1);

/**
 * The scrolling half of a virtual grid (the Images grid and the metadata Keys grid): the scroll element, its measured
 * height, the rows to render for its scroll position (scaled-scroll.ts), and moving it to bring a row into view.
 * When the list is taller than the browser allows, the wheel is taken over so that it scrolls one to one (see
 * `ScrollPosition`); the scrollbar keeps its native behaviour.
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
  const [position, setPosition] = useState<ScrollPosition>({ top: 0, offset: 0 });
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
  const current = useRef({ geometry, position });
  current.current = { geometry, position };
  /** The scrollTop this hook last set: its scroll event is ours, not the user's on the scrollbar. */
  const ours = useRef<number>(undefined);

  /** Moves to `next`: the scroll element to its real top, the rows to its virtual offset. */
  const moveTo = useCallback((next: ScrollPosition) => {
    const el = scroller.current;
    if (!el) return;
    el.scrollTop = next.top;
    // The browser rounds scrollTop to its pixel grid; rows are placed from the value it kept.
    ours.current = el.scrollTop;
    setPosition({ top: el.scrollTop, offset: next.offset });
  }, []);

  const onScroll = useCallback(() => {
    const el = scroller.current;
    if (!el || el.scrollTop === ours.current) return;
    ours.current = undefined;
    setPosition(positionAt(current.current.geometry, el.scrollTop));
  }, []);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const onWheel = (event: WheelEvent) => {
      const { geometry: g, position: at } = current.current;
      // Zooming, a sideways scroll (Shift+wheel included) and a list the browser can hold keep the browser's own.
      if (!isScaled(g) || event.ctrlKey || event.shiftKey || Math.abs(event.deltaX) > Math.abs(event.deltaY))
        return;
      event.preventDefault();
      const next = scrolledBy(g, at, wheelPixels(event, g.rowHeight, g.viewportHeight));
      current.current = { geometry: g, position: next };
      moveTo(next);
    };
    // Not React's onWheel: React listens passively, and a passive listener cannot take the wheel over.
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [moveTo]);

  // The list grew or shrank (a live refresh) or the viewport was resized: the same rows stay in view, and the
  // scrollbar goes where they now map to.
  useLayoutEffect(() => {
    const next = positionFor(geometry, position.offset);
    if (next.offset !== position.offset || Math.abs(next.top - position.top) >= 1) moveTo(next);
  }, [rowCount, viewport]);

  const reveal = (row: number) => {
    const next = revealing(geometry, position, row);
    if (next !== position) moveTo(next);
  };
  const toTop = () => moveTo({ top: 0, offset: 0 });
  return {
    scroller,
    geometry,
    rows: visibleRows(geometry, position),
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
    // Its own layer: when the window moves, the compositor moves the rows already painted.
    willChange: 'transform',
  };
  return (
    <div className={className} role="rowgroup" style={style}>
      {children}
    </div>
  );
}
