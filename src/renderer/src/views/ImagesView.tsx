import { useQueries, useQueryClient } from '@tanstack/react-query';
import {
  memo,
  useCallback,
  useEffect,
  useId,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
  type MouseEvent,
} from 'react';
import type { OperationInput } from '../../../shared/operations';
import type {
  ImageFilter,
  ImageRecord,
  ImageRef,
  Page,
  Platform,
  SortField,
  SortOrder,
} from '../../../shared/types';
import { useApi } from '../api';
import { GridCopyButton, PageHeader } from '../components/common';
import { DeleteDialog, type DeleteTarget } from '../components/DeleteDialog';
import { ErrorPanel } from '../components/ErrorPanel';
import { ExportDialog } from '../components/ExportDialog';
import { Icon } from '../components/icons';
import {
  formatBytes,
  formatCount,
  formatDateTime,
  formatPlatform,
  formatRelative,
  mediaTypeShort,
  shortDigest,
  splitName,
} from '../format';
import { useDebounced } from '../hooks';
import { useApiQuery } from '../queries';
import { href, navigate } from '../router';
import type { Route } from '../routes';
import { blocksFor } from '../scaled-scroll';
import {
  add,
  allSelected,
  emptySelection,
  isSelected,
  moveFor,
  only,
  rangeBetween,
  selectedCount,
  toggle,
  type Selection,
} from '../selection';
import { useVirtualRows, VirtualWindow } from '../virtual-rows';
import { EmptyStore } from './EmptyStore';

type ImagesRoute = Extract<Route, { view: 'images' }>;

/** Rows per request: a page by offset is one index seek plus a short skip at any depth. */
const blockSize = 100;
const rowHeight = 36;
const headerHeight = 36;
/** A shift-click or Shift+End range is resolved to names; past this many, Ctrl/Cmd-A ("all matching") is the way. */
const maxRange = 50_000;

const mediaTypes: [string, string][] = [
  ['application/vnd.oci.image.index.v1+json', 'OCI index'],
  ['application/vnd.oci.image.manifest.v1+json', 'OCI manifest'],
  ['application/vnd.docker.distribution.manifest.list.v2+json', 'Docker manifest list'],
  ['application/vnd.docker.distribution.manifest.v2+json', 'Docker manifest v2'],
  ['application/vnd.oci.image.config.v1+json', 'OCI config'],
  ['application/vnd.docker.container.image.v1+json', 'Docker config'],
];

/** The image list, or the first-run screen while the store holds nothing at all. */
export function ImagesView({ route }: { route: ImagesRoute }) {
  const info = useApiQuery('store.info', {});
  // The list does not wait for the store's info: both are asked at once, and an empty store swaps the list out.
  if (info.data && info.data.images === 0 && info.data.metadataKeys === 0 && info.data.trash === 0)
    return <EmptyStore info={info.data} />;
  return <ImageList route={route} />;
}

type ListInput = OperationInput<'images.list'>;

const validLabel = (text: string) => /^[^=]+=.*$/s.test(text);

function ImageList({ route }: { route: ImagesRoute }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const sort = route.sort ?? 'name';
  const order = route.order ?? 'asc';

  // The address holds the filters (so a reload keeps them); the boxes hold what is being typed, which reaches the
  // address, replacing rather than stacking history, once typing pauses.
  const filter = route.filter ?? '';
  const [filterText, setFilterText] = useState(filter);
  const settled = useDebounced(filterText.trim(), 120);
  // What this box last pushed: when the address reaches that, the user may have typed on, and must keep it.
  const pushed = useRef(filter);
  useEffect(() => {
    if (settled !== filter) {
      pushed.current = settled;
      navigate({ ...route, filter: settled || undefined }, { replace: true });
    }
    // Only a newly settled text is pushed; a filter changed from outside (a link, Back) must not be pushed back.
  }, [settled]);
  useEffect(() => {
    if (filter !== pushed.current) {
      pushed.current = filter;
      setFilterText(filter);
    }
  }, [filter]);
  const [labelText, setLabelText] = useState(route.label ?? '');
  const settledLabel = useDebounced(labelText.trim(), 300);
  useEffect(() => {
    const next = validLabel(settledLabel) ? settledLabel : undefined;
    if (next !== route.label) navigate({ ...route, label: next }, { replace: true });
  }, [settledLabel]);

  const scopeFilter = useMemo((): ImageFilter | undefined => {
    const f: ImageFilter = {};
    if (filter) f.name = filter;
    if (route.label) f.labels = [route.label];
    if (route.mediaType) f.mediaType = route.mediaType;
    if (route.dangling !== undefined) f.dangling = route.dangling;
    return Object.keys(f).length > 0 ? f : undefined;
  }, [filter, route.label, route.mediaType, route.dangling]);
  const scope = useMemo(
    () => ({
      ...(route.namespace ? { namespace: route.namespace } : {}),
      ...(scopeFilter ? { filter: scopeFilter } : {}),
    }),
    [route.namespace, scopeFilter],
  );
  const scopeKey = JSON.stringify([scope, sort, order]);

  const info = useApiQuery('store.info', {});
  const readOnly = info.data?.readOnly ?? false;
  const namespaces = useApiQuery('images.namespaces', {});

  // ---- geometry and the rows on screen ----
  // The true total, from the freshest page on screen (pages report the scope's count, kept by the store); while
  // the rows on screen are still loading, the last one known for this scope.
  const known = useRef<{ key: string; total: number }>(undefined);
  const total = known.current?.key === scopeKey ? known.current.total : undefined;
  const virtual = useVirtualRows({ rowCount: total ?? 0, rowHeight, chrome: headerHeight });
  const { rows, scroller: gridRef } = virtual;
  // With no rows known (none yet, or none in this scope) the first block still answers how many there are now.
  const blocks = total ? blocksFor(rows.first, rows.last, blockSize) : [0];

  const blockInput = (block: number): ListInput => ({
    ...scope,
    sort,
    order,
    offset: block * blockSize,
    limit: blockSize,
  });
  const results = useQueries({
    queries: blocks.map((block) => ({
      queryKey: ['images.list', blockInput(block)],
      queryFn: () => api['images.list'](blockInput(block)),
      // Blocks scrolled past are dropped soon: a fast scroll through a million rows must not pile them up.
      gcTime: 20_000,
    })),
  });
  const pages = new Map<number, Page<ImageRecord>>();
  blocks.forEach((block, i) => {
    const data = results[i]?.data;
    if (data) pages.set(block, data);
  });
  const listError = results.find((r) => r.error)?.error;
  const freshest = results.filter((r) => r.data).sort((a, b) => b.dataUpdatedAt - a.dataUpdatedAt)[0]
    ?.data?.total;
  const [, rerender] = useState(0);
  useEffect(() => {
    if (freshest !== undefined && (known.current?.key !== scopeKey || known.current.total !== freshest)) {
      known.current = { key: scopeKey, total: freshest };
      rerender((n) => n + 1);
    }
  }, [freshest, scopeKey]);

  // Platforms are not part of an image record: they come from the stored index or config, asked once per block and
  // cached with it, so rows on screen keep theirs while another block's load, and scrolling back asks nothing.
  const blockPlatforms = useQueries({
    queries: blocks.map((block) => {
      const digests = [...new Set(pages.get(block)?.items.map((i) => i.target.digest))].sort();
      return {
        queryKey: ['content.platforms', { digests }],
        queryFn: () => api['content.platforms']({ digests }),
        enabled: digests.length > 0,
        gcTime: 20_000,
      };
    }),
  });
  const platforms: Record<string, Platform[]> = Object.assign(
    {},
    ...blockPlatforms.map((result) => result.data ?? {}),
  );

  const rowAt = (row: number): ImageRecord | undefined => {
    const page = pages.get(Math.floor(row / blockSize));
    return page?.items[row - page.offset];
  };

  // A new scope or order starts at the top with nothing selected... except what the user picked by name.
  const [active, setActive] = useState(0);
  const [anchor, setAnchor] = useState(0);
  const [selection, setSelection] = useState<Selection>(emptySelection);
  const firstScope = useRef(true);
  useEffect(() => {
    if (firstScope.current) {
      firstScope.current = false;
      return;
    }
    setActive(0);
    setAnchor(0);
    // "All" meant all of the previous scope; names picked one by one stay picked.
    setSelection((s) => (s.all ? emptySelection : s));
    virtual.toTop();
  }, [scopeKey]);

  const count = total === undefined ? 0 : selectedCount(selection, total);

  // ---- selection ----
  /** The names of rows `from..to`, from the pages on hand and, for the rest, fetched a thousand at a time. */
  const refsBetween = async (from: number, to: number): Promise<ImageRef[]> => {
    const refs: ImageRef[] = [];
    for (let row = from; row <= to;) {
      const known = rowAt(row);
      if (known) {
        refs.push(known);
        row++;
        continue;
      }
      const page = await api['images.list']({ ...scope, sort, order, offset: row, limit: 1000 });
      if (page.items.length === 0) break;
      for (const item of page.items.slice(0, to - row + 1)) refs.push(item);
      row += page.items.length;
    }
    return refs;
  };
  const [rangeError, setRangeError] = useState<string>();
  const selectRange = async (from: number, to: number, keep: boolean) => {
    const range = rangeBetween(from, to);
    if (range.to - range.from + 1 > maxRange) {
      setRangeError(
        `A range of more than ${formatCount(maxRange)} rows: use Ctrl+A to select all ${formatCount(total ?? 0)}.`,
      );
      return;
    }
    setRangeError(undefined);
    const refs = await refsBetween(range.from, range.to);
    setSelection((s) => add(keep ? s : emptySelection, refs));
  };

  const rowClick = (event: MouseEvent, row: number, image: ImageRecord | undefined) => {
    gridRef.current?.focus({ preventScroll: true });
    setActive(row);
    if (event.shiftKey) {
      event.preventDefault();
      void selectRange(anchor, row, event.ctrlKey || event.metaKey);
      return;
    }
    setAnchor(row);
    if (!image) return;
    if (event.ctrlKey || event.metaKey) {
      event.preventDefault();
      setSelection((s) => toggle(s, image));
    } else setSelection(only(image));
  };

  // Rows are memoized: they get one callback for the grid's lifetime, which calls the current handler.
  const rowClickRef = useRef(rowClick);
  rowClickRef.current = rowClick;
  const onRowClick = useCallback(
    (event: MouseEvent, row: number, image: ImageRecord | undefined) =>
      rowClickRef.current(event, row, image),
    [],
  );

  const [deleting, setDeleting] = useState<{ target: DeleteTarget; description: string }>();
  const [exporting, setExporting] = useState(false);

  const deleteSelection = async () => {
    if (readOnly || total === undefined) return;
    if (selection.all) {
      // All of the scope, less any taken out: the service resolves them in the transaction that deletes.
      const except = [...selection.refs.values()];
      setDeleting({
        target: except.length > 0 ? { matching: scope, except } : { matching: scope },
        description:
          except.length > 0
            ? `All ${formatCount(total - except.length)} images ${scopeText} (${formatCount(except.length)} left out).`
            : `All ${formatCount(total)} images ${scopeText}.`,
      });
      return;
    }
    let images = [...selection.refs.values()];
    if (images.length === 0) {
      const current = rowAt(active);
      if (!current) return;
      images = [current];
    }
    setDeleting({
      target: { images },
      description:
        images.length === 1
          ? `${images[0]!.name} in ${images[0]!.namespace}.`
          : `${formatCount(images.length)} selected images.`,
    });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (total === undefined) return;
    const ctrl = event.ctrlKey || event.metaKey;
    const moved = moveFor(event.key, active, total, virtual.perPage);
    if (moved !== undefined) {
      event.preventDefault();
      setActive(moved);
      virtual.reveal(moved);
      if (event.shiftKey) void selectRange(anchor, moved, false);
      else setAnchor(moved);
      return;
    }
    const current = rowAt(active);
    if (event.key.toLowerCase() === 'a' && ctrl) {
      event.preventDefault();
      setSelection(allSelected);
    } else if (event.key === ' ' && current) {
      event.preventDefault();
      setAnchor(active);
      setSelection((s) => toggle(s, current));
    } else if (event.key === 'Enter' && current) {
      event.preventDefault();
      navigate({ view: 'image', namespace: current.namespace, name: current.name });
    } else if (event.key === 'Escape' && count > 0) {
      event.preventDefault();
      setSelection(emptySelection);
    } else if (event.key === 'Delete' || (event.key === 'Backspace' && event.metaKey)) {
      event.preventDefault();
      void deleteSelection();
    }
  };

  const setSort = (field: SortField) => {
    const next: SortOrder =
      field === sort ? (order === 'asc' ? 'desc' : 'asc') : field === 'name' ? 'asc' : 'desc';
    navigate({ ...route, sort: field, order: next }, { replace: true });
  };

  const namespaceOptions = namespaces.data?.filter((n) => n.images > 0).map((n) => n.namespace) ?? [];
  if (route.namespace && !namespaceOptions.includes(route.namespace)) namespaceOptions.push(route.namespace);
  const countOf = (ns: string) => namespaces.data?.find((n) => n.namespace === ns)?.images ?? 0;
  const allCount = namespaces.data?.reduce((sum, n) => sum + n.images, 0);
  const filterId = useId();
  const namespaceId = useId();
  const labelId = useId();
  const typeId = useId();
  const danglingId = useId();
  const rowId = (row: number) => `${gridId}-row-${row}`;
  const gridId = useId().replace(/:/g, '');

  const filtered = scopeFilter !== undefined;
  const scopeText = [
    route.namespace ? `in ${route.namespace}` : namespaceOptions.length > 1 ? 'in all namespaces' : '',
    filtered ? 'matching the filter' : '',
  ]
    .filter(Boolean)
    .join(' ');

  const explicit = selection.all ? [] : [...selection.refs.values()];
  const activeRendered = active >= rows.first && active <= rows.last;
  const sortState = (field: SortField) =>
    field === sort ? (order === 'asc' ? 'ascending' : 'descending') : 'none';

  return (
    <div className="view view--fill view--grid">
      <PageHeader
        title="Images"
        subtitle={
          <span role="status" className="images-count">
            {total === undefined
              ? 'Counting images…'
              : `${formatCount(total)} ${total === 1 ? 'image' : 'images'}${scopeText ? ` ${scopeText}` : ''}`}
            {count > 0 && ` · ${formatCount(count)} selected`}
          </span>
        }
      >
        {count > 0 && (
          <button type="button" className="button" onClick={() => setSelection(emptySelection)}>
            Clear selection
          </button>
        )}
        <button
          type="button"
          className="button"
          disabled={explicit.length === 0 || readOnly}
          title={readOnly ? 'This store is served read-only: export is off' : undefined}
          onClick={() => setExporting(true)}
        >
          Export…
        </button>
        {filtered && total !== undefined && total > 0 && (
          <button
            type="button"
            className="button button--danger-outline"
            disabled={readOnly}
            onClick={() =>
              setDeleting({
                target: { matching: scope },
                description: `All ${formatCount(total)} images ${scopeText}.`,
              })
            }
          >
            Delete all {formatCount(total)} matching…
          </button>
        )}
        <button
          type="button"
          className="button button--danger"
          disabled={readOnly || (count === 0 && rowAt(active) === undefined)}
          title={readOnly ? 'This store is served read-only' : 'Delete the selected images (Delete key)'}
          onClick={() => void deleteSelection()}
        >
          <Icon name="trash" />
          {count > 0 ? `Delete ${formatCount(count)}…` : 'Delete…'}
        </button>
      </PageHeader>
      {exporting && <ExportDialog images={explicit} onClose={() => setExporting(false)} />}
      {deleting && (
        <DeleteDialog
          target={deleting.target}
          description={deleting.description}
          onClose={() => {
            setDeleting(undefined);
            gridRef.current?.focus({ preventScroll: true });
          }}
          onDeleted={() => {
            setSelection(emptySelection);
            void queryClient.invalidateQueries();
          }}
        />
      )}

      <div className="toolbar toolbar--images" role="search" aria-label="Filter images">
        <div className="field">
          <label htmlFor={namespaceId}>Namespace</label>
          <select
            id={namespaceId}
            className="select"
            value={route.namespace ?? ''}
            onChange={(e) => navigate({ ...route, namespace: e.target.value || undefined })}
          >
            <option value="">
              All namespaces{allCount !== undefined ? ` (${formatCount(allCount)})` : ''}
            </option>
            {namespaceOptions.map((ns) => (
              <option key={ns} value={ns}>
                {ns} ({formatCount(countOf(ns))})
              </option>
            ))}
          </select>
        </div>
        <div className="field field--grow">
          <label htmlFor={filterId}>Name</label>
          <div className="search-box">
            <Icon name="search" />
            <input
              id={filterId}
              type="search"
              className="input"
              aria-label="Filter images by name"
              placeholder="e.g. alpine, docker.io/library"
              maxLength={255}
              autoComplete="off"
              spellCheck={false}
              value={filterText}
              onChange={(e) => setFilterText(e.target.value)}
            />
          </div>
        </div>
        <div className="field">
          <label htmlFor={labelId}>Label</label>
          <input
            id={labelId}
            type="search"
            className="input input--label"
            aria-label="Filter by label (key=value)"
            placeholder="key=value"
            autoComplete="off"
            spellCheck={false}
            maxLength={4096}
            value={labelText}
            aria-invalid={labelText.trim() !== '' && !validLabel(labelText.trim())}
            onChange={(e) => setLabelText(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={typeId}>Media type</label>
          <select
            id={typeId}
            className="select"
            value={route.mediaType ?? ''}
            onChange={(e) =>
              navigate({ ...route, mediaType: e.target.value || undefined }, { replace: true })
            }
          >
            <option value="">Any</option>
            {mediaTypes.map(([type, name]) => (
              <option key={type} value={type}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={danglingId}>Dangling</label>
          <select
            id={danglingId}
            className="select"
            value={route.dangling === undefined ? '' : String(route.dangling)}
            onChange={(e) =>
              navigate(
                { ...route, dangling: e.target.value === '' ? undefined : e.target.value === 'true' },
                { replace: true },
              )
            }
          >
            <option value="">Any</option>
            <option value="true">Only dangling</option>
            <option value="false">Not dangling</option>
          </select>
        </div>
      </div>

      {namespaces.error && <ErrorPanel error={namespaces.error} title="Could not list namespaces" />}
      {rangeError && (
        <p className="note note--warning" role="alert">
          {rangeError}
        </p>
      )}
      {listError && (
        <ErrorPanel
          error={listError}
          title="Could not list images"
          onRetry={() => void queryClient.invalidateQueries({ queryKey: ['images.list'] })}
        />
      )}
      <div
        ref={gridRef}
        id={gridId}
        className="grid"
        role="grid"
        aria-label="Images"
        aria-rowcount={(total ?? 0) + 1}
        aria-colcount={9}
        aria-multiselectable="true"
        aria-busy={total === undefined || results.some((r) => r.isFetching && !r.data)}
        aria-activedescendant={total && activeRendered ? rowId(active) : undefined}
        data-scroll="images"
        tabIndex={0}
        onScroll={virtual.onScroll}
        onKeyDown={onKeyDown}
      >
        <div className="grid__header" role="rowgroup">
          <div className="grid__row grid__row--header" role="row" aria-rowindex={1}>
            <SortHeader field="name" label="Name" state={sortState('name')} onSort={setSort} />
            <div role="columnheader" className="grid__cell">
              Tag
            </div>
            <div role="columnheader" className="grid__cell">
              Namespace
            </div>
            <div role="columnheader" className="grid__cell">
              Type
            </div>
            <div role="columnheader" className="grid__cell">
              Digest
            </div>
            <SortHeader field="size" label="Size" state={sortState('size')} onSort={setSort} numeric />
            <div role="columnheader" className="grid__cell">
              Platforms
            </div>
            <SortHeader field="created" label="Created" state={sortState('created')} onSort={setSort} />
            <div role="columnheader" className="grid__cell">
              Labels
            </div>
          </div>
        </div>
        <VirtualWindow
          rows={total === undefined ? { ...rows, last: rows.first - 1 } : rows}
          rowHeight={rowHeight}
          height={virtual.height}
          className="grid__body"
          windowClassName="grid__window"
          before={
            total === 0 && (
              <div className="grid__empty" role="row">
                <div role="gridcell">
                  {filtered
                    ? 'No image matches the filter.'
                    : route.namespace
                      ? `No images in namespace ${route.namespace}.`
                      : 'No images yet.'}
                </div>
              </div>
            )
          }
        >
          {(row, top) => {
            const image = rowAt(row);
            return (
              <ImageRow
                key={row}
                id={rowId(row)}
                row={row}
                top={top}
                image={image}
                platforms={image && platformsOf(image, platforms)}
                active={row === active}
                selected={image ? isSelected(selection, image) : selection.all}
                onClick={onRowClick}
              />
            );
          }}
        </VirtualWindow>
      </div>
    </div>
  );
}

function SortHeader({
  field,
  label,
  state,
  onSort,
  numeric = false,
}: {
  field: SortField;
  label: string;
  state: 'ascending' | 'descending' | 'none';
  onSort: (field: SortField) => void;
  numeric?: boolean;
}) {
  return (
    <div
      role="columnheader"
      aria-sort={state}
      className={`grid__cell${numeric ? ' grid__cell--number' : ''}`}
    >
      <button type="button" className="sort-button" onClick={() => onSort(field)}>
        {label}
        <span
          className={`sort-indicator${state !== 'none' ? ' sort-indicator--active' : ''}`}
          aria-hidden="true"
        >
          {state === 'descending' ? '▼' : '▲'}
        </span>
      </button>
    </div>
  );
}

function platformsOf(image: ImageRecord, known: Record<string, Platform[]> | undefined): string {
  const list = known?.[image.target.digest] ?? (image.target.platform ? [image.target.platform] : []);
  return list.map(formatPlatform).join(', ');
}

/** One row; memoized, so that scrolling renders only the rows that come into view. */
const ImageRow = memo(function ImageRow({
  id,
  row,
  top,
  image,
  platforms,
  active,
  selected,
  onClick,
}: {
  id: string;
  row: number;
  top: number;
  image: ImageRecord | undefined;
  /** The platforms shown (from the stored index or config when known). */
  platforms: string | undefined;
  active: boolean;
  selected: boolean;
  onClick: (event: MouseEvent, row: number, image: ImageRecord | undefined) => void;
}) {
  const className = `grid__row${selected ? ' grid__row--selected' : ''}${active ? ' grid__row--active' : ''}`;
  const style = { top };
  if (!image)
    return (
      <div
        id={id}
        className={`${className} grid__row--loading`}
        role="row"
        aria-rowindex={row + 2}
        style={style}
      >
        <div role="gridcell" className="grid__cell grid__cell--loading">
          Loading…
        </div>
      </div>
    );
  const { repository, tag } = splitName(image.name);
  const labels = Object.entries(image.labels);
  return (
    <div
      id={id}
      className={className}
      role="row"
      aria-rowindex={row + 2}
      aria-selected={selected}
      style={style}
      onClick={(e) => onClick(e, row, image)}
      onDoubleClick={() => navigate({ view: 'image', namespace: image.namespace, name: image.name })}
    >
      <div role="gridcell" className="grid__cell grid__cell--name" title={image.name}>
        <a
          href={href({ view: 'image', namespace: image.namespace, name: image.name })}
          // The whole name (the tag has a column of its own on screen).
          aria-label={image.name}
          tabIndex={-1}
          onClick={(e) => {
            // A modified click selects; a plain one opens the image.
            if (e.shiftKey || e.ctrlKey || e.metaKey) e.preventDefault();
            else e.stopPropagation();
          }}
        >
          {repository}
        </a>
      </div>
      <div role="gridcell" className="grid__cell" title={tag}>
        {tag.startsWith('@') ? shortDigest(tag.slice(1)) : tag || <span className="muted">none</span>}
      </div>
      <div role="gridcell" className="grid__cell" title={image.namespace}>
        <span>{image.namespace}</span>
      </div>
      <div role="gridcell" className="grid__cell cell-muted" title={image.target.mediaType}>
        {mediaTypeShort(image.target.mediaType)}
      </div>
      <div role="gridcell" className="grid__cell grid__cell--digest">
        <code className="digest" title={image.target.digest}>
          {image.target.digest.slice(
            image.target.digest.indexOf(':') + 1,
            image.target.digest.indexOf(':') + 13,
          )}
        </code>
        <GridCopyButton value={image.target.digest} label={`Copy digest of ${image.name}`} />
      </div>
      <div
        role="gridcell"
        className="grid__cell grid__cell--number"
        title={`${formatCount(image.totalSize)} bytes`}
      >
        {formatBytes(image.totalSize)}
      </div>
      <div role="gridcell" className="grid__cell cell-muted" title={platforms}>
        {platforms}
      </div>
      <div role="gridcell" className="grid__cell cell-muted">
        <time
          dateTime={image.createdAt}
          title={`${formatDateTime(image.createdAt)} (${formatRelative(image.createdAt)})`}
        >
          {image.createdAt.slice(0, 10)}
        </time>
      </div>
      <div
        role="gridcell"
        className="grid__cell grid__cell--labels"
        title={labels.map(([k, v]) => `${k}=${v}`).join('\n')}
      >
        {labels.map(([k, v]) => (
          <span key={k} className="label-chip">
            {k}={v}
          </span>
        ))}
      </div>
    </div>
  );
});
