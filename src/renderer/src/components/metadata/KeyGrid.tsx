import { memo, useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import type { MetadataKeyInfo } from '../../../../shared/types';
import { formatBytes, formatCount } from '../../format';
import { moveFor } from '../../selection';
import { useVirtualRows, VirtualWindow } from '../../virtual-rows';
import { Time } from '../common';
import { ErrorPanel } from '../ErrorPanel';
import { useKeyPages } from './use-key-pages';

const rowHeight = 30;

/**
 * The keys under a prefix as an ARIA grid, virtual and paged by offset: only the rows on screen exist in the DOM and
 * only their pages are fetched, so a namespace of a million keys opens, scrolls to its end and filters like one of a
 * hundred. Keyboard: arrows, Page Up/Down, Home/End (Control+Home/End: first/last key), Enter opens the key.
 * The row count is the true total (`aria-rowcount` = keys + the header row).
 */
export function KeyGrid({
  namespace,
  prefix,
  selected,
  onOpen,
}: {
  namespace: string;
  prefix: string;
  selected?: string;
  onOpen: (key: string) => void;
}) {
  const [active, setActive] = useState(0);
  const [total, setTotal] = useState<number | undefined>(undefined);
  const rows = total ?? 0;
  const virtual = useVirtualRows({ rowCount: rows, rowHeight });
  const win = virtual.rows;
  const pages = useKeyPages(namespace, prefix, win.first, Math.max(win.last - win.first + 1, 1));
  const idBase = useId();

  useEffect(() => {
    if (pages.total !== undefined) setTotal(pages.total);
  }, [pages.total]);

  // A new prefix starts at the top.
  useEffect(() => {
    setActive(0);
    virtual.toTop();
  }, [namespace, prefix]);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      const item = pages.rows.get(active);
      if (item) onOpen(item.key);
      return;
    }
    const moved = moveFor(event.key, active, rows, virtual.perPage);
    if (moved === undefined) return;
    event.preventDefault();
    setActive(moved);
    virtual.reveal(moved);
  };

  // Rows are memoized: they get one callback for the grid's lifetime, which calls the current `onOpen`.
  const openRef = useRef(onOpen);
  openRef.current = onOpen;
  const [openRow] = useState(() => (row: number, key: string) => {
    setActive(row);
    openRef.current(key);
  });

  const rowId = (i: number) => `${idBase}-row-${i}`;

  return (
    <div className="keygrid-wrap">
      {pages.error && (
        <ErrorPanel error={pages.error} title="Could not list keys" onRetry={() => pages.refetch()} />
      )}
      <div
        className="keygrid"
        role="grid"
        aria-label="Keys"
        aria-rowcount={rows + 1}
        aria-colcount={4}
        aria-busy={pages.loading || undefined}
        tabIndex={0}
        aria-activedescendant={rows > 0 ? rowId(active) : undefined}
        onKeyDown={onKeyDown}
      >
        <div className="keygrid__row keygrid__head" role="row" aria-rowindex={1}>
          <span role="columnheader" aria-sort="ascending" className="keygrid__key">
            Key
          </span>
          <span role="columnheader" className="keygrid__num">
            Size
          </span>
          <span role="columnheader" className="keygrid__num">
            Version
          </span>
          <span role="columnheader" className="keygrid__time">
            Updated
          </span>
        </div>
        <div
          className="keygrid__scroll"
          data-scroll="keys"
          ref={virtual.scroller}
          onScroll={virtual.onScroll}
        >
          <VirtualWindow
            rows={win}
            rowHeight={rowHeight}
            height={virtual.height}
            className="keygrid__body"
            windowClassName="keygrid__window"
          >
            {(i, top) => (
              <KeyRow
                key={i}
                id={rowId(i)}
                index={i}
                item={pages.rows.get(i)}
                prefix={prefix}
                top={top}
                active={i === active}
                selected={pages.rows.get(i)?.key === selected}
                onOpen={openRow}
              />
            )}
          </VirtualWindow>
        </div>
        {total === 0 && (
          <p className="keygrid__empty">
            {prefix ? (
              <>
                No keys start with <code>{prefix}</code>.
              </>
            ) : (
              'No keys in this namespace.'
            )}
          </p>
        )}
      </div>
      <p className="keygrid__status" role="status">
        {total === undefined
          ? 'Loading keys…'
          : `${formatCount(total)} ${total === 1 ? 'key' : 'keys'}${prefix ? ` under ${prefix}` : ''}`}
      </p>
    </div>
  );
}

/** One row; memoized, so that scrolling renders only the rows that come into view. */
const KeyRow = memo(function KeyRow({
  id,
  index,
  item,
  prefix,
  top,
  active,
  selected,
  onOpen,
}: {
  id: string;
  index: number;
  item: MetadataKeyInfo | undefined;
  prefix: string;
  top: number;
  active: boolean;
  selected: boolean;
  onOpen: (row: number, key: string) => void;
}) {
  const className = `keygrid__row${active ? ' keygrid__row--active' : ''}${selected ? ' row--selected' : ''}`;
  // Not loaded yet: an empty row of the right height (screen readers hear it as busy).
  if (!item)
    return (
      <div
        id={id}
        role="row"
        aria-rowindex={index + 2}
        aria-busy="true"
        className={className}
        style={{ top }}
      >
        <span role="gridcell" className="keygrid__key keygrid__placeholder" />
      </div>
    );
  const shown = prefix && item.key.startsWith(prefix) ? prefix.lastIndexOf('/') + 1 : 0;
  return (
    <div
      id={id}
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      className={className}
      style={{ top }}
      onClick={() => onOpen(index, item.key)}
    >
      <span role="gridcell" className="keygrid__key" title={item.key}>
        {shown > 0 && <span className="keygrid__dim">{item.key.slice(0, shown)}</span>}
        {item.key.slice(shown)}
      </span>
      <span role="gridcell" className="keygrid__num" title={`${formatCount(item.size)} bytes`}>
        {formatBytes(item.size)}
      </span>
      <span role="gridcell" className="keygrid__num">
        {item.version}
      </span>
      <span role="gridcell" className="keygrid__time">
        <Time iso={item.updatedAt} />
      </span>
    </div>
  );
});
