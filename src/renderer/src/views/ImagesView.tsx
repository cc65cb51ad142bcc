import { useEffect, useId, useState } from 'react';
import type { ImageRecord, ImageRef, SortField, SortOrder } from '../../../shared/types';
import { Digest, LoadMore, Loading, PageHeader, Time } from '../components/common';
import { ErrorPanel } from '../components/ErrorPanel';
import { ExportDialog } from '../components/ExportDialog';
import { Icon } from '../components/icons';
import { formatBytes, formatCount, mediaTypeName } from '../format';
import { useDebounced } from '../hooks';
import { useApiQuery, usePagedQuery } from '../queries';
import { href, navigate } from '../router';
import type { Route } from '../routes';
import { EmptyStore } from './EmptyStore';

type ImagesRoute = Extract<Route, { view: 'images' }>;

const pageSize = 100;

const refKey = (image: ImageRef) => `${image.namespace}\u0000${image.name}`;

/** The image list, or the first-run screen while the store holds nothing at all. */
export function ImagesView({ route }: { route: ImagesRoute }) {
  const info = useApiQuery('store.info', {});
  if (info.isPending) return <Loading what="the store" />;
  if (info.data && info.data.images === 0 && info.data.metadataKeys === 0)
    return <EmptyStore info={info.data} />;
  return <ImageList route={route} />;
}

function ImageList({ route }: { route: ImagesRoute }) {
  const sort = route.sort ?? 'name';
  const order = route.order ?? 'asc';
  // The address holds the filter (so a reload keeps it); the box holds what is being typed, which reaches the
  // address, replacing rather than stacking history, once typing pauses.
  const filter = route.filter ?? '';
  const [filterText, setFilterText] = useState(filter);
  const settled = useDebounced(filterText.trim(), 250);
  useEffect(() => {
    if (settled !== filter) navigate({ ...route, filter: settled || undefined }, { replace: true });
    // Only a newly settled text is pushed; a filter changed from outside (a link, Back) must not be pushed back.
  }, [settled]);
  useEffect(() => {
    setFilterText((text) => (text.trim() === filter ? text : filter));
  }, [filter]);

  const info = useApiQuery('store.info', {});
  const readOnly = info.data?.readOnly ?? false;
  // The images picked for Export..., by namespace and name; kept across filter and sort changes.
  const [selected, setSelected] = useState<ReadonlyMap<string, ImageRef>>(new Map());
  const [exporting, setExporting] = useState(false);
  const toggle = (image: ImageRef, on: boolean) =>
    setSelected((current) => {
      const next = new Map(current);
      if (on) next.set(refKey(image), { namespace: image.namespace, name: image.name });
      else next.delete(refKey(image));
      return next;
    });

  const namespaces = useApiQuery('images.namespaces', {});
  const list = usePagedQuery('images.list', {
    namespace: route.namespace,
    filter: filter ? { name: filter } : undefined,
    sort,
    order,
    limit: pageSize,
  });

  const setSort = (field: SortField) => {
    const next: SortOrder =
      field === sort ? (order === 'asc' ? 'desc' : 'asc') : field === 'name' ? 'asc' : 'desc';
    navigate({ ...route, sort: field, order: next }, { replace: true });
  };

  const namespaceOptions = namespaces.data?.filter((n) => n.images > 0).map((n) => n.namespace) ?? [];
  if (route.namespace && !namespaceOptions.includes(route.namespace)) namespaceOptions.push(route.namespace);
  const countOf = (ns: string) => namespaces.data?.find((n) => n.namespace === ns)?.images ?? 0;
  const filterId = useId();
  const namespaceId = useId();

  return (
    <div className="view view--fill">
      <PageHeader
        title="Images"
        subtitle={
          list.total === undefined
            ? ' '
            : `${formatCount(list.total)} ${list.total === 1 ? 'image' : 'images'}${
                route.namespace
                  ? ` in ${route.namespace}`
                  : namespaceOptions.length > 1
                    ? ' in all namespaces'
                    : ''
              }${filter ? ` matching “${filter}”` : ''}`
        }
      >
        {selected.size > 0 && (
          <>
            <span className="selection-count" role="status">
              {formatCount(selected.size)} selected
            </span>
            <button type="button" className="button" onClick={() => setSelected(new Map())}>
              Clear selection
            </button>
          </>
        )}
        <button
          type="button"
          className="button"
          disabled={selected.size === 0 || readOnly}
          title={readOnly ? 'This store is served read-only: export is off' : undefined}
          onClick={() => setExporting(true)}
        >
          Export…
        </button>
      </PageHeader>
      {exporting && <ExportDialog images={[...selected.values()]} onClose={() => setExporting(false)} />}

      <div className="toolbar" role="search" aria-label="Filter images">
        <div className="field">
          <label htmlFor={namespaceId}>Namespace</label>
          <select
            id={namespaceId}
            className="select"
            value={route.namespace ?? ''}
            onChange={(e) => navigate({ ...route, namespace: e.target.value || undefined })}
          >
            <option value="">All namespaces</option>
            {namespaceOptions.map((ns) => (
              <option key={ns} value={ns}>
                {ns} ({formatCount(countOf(ns))})
              </option>
            ))}
          </select>
        </div>
        <div className="field field--grow">
          <label htmlFor={filterId}>Filter by name</label>
          <div className="search-box">
            <Icon name="search" />
            <input
              id={filterId}
              type="search"
              className="input"
              placeholder="e.g. alpine, docker.io/library"
              maxLength={255}
              autoComplete="off"
              spellCheck={false}
              value={filterText}
              onChange={(e) => setFilterText(e.target.value)}
            />
          </div>
        </div>
      </div>

      {namespaces.error && <ErrorPanel error={namespaces.error} title="Could not list namespaces" />}
      {list.error ? (
        <ErrorPanel error={list.error} title="Could not list images" onRetry={() => void list.refetch()} />
      ) : list.isPending ? (
        <Loading what="images" />
      ) : (
        <>
          <div className="table-wrap">
            <table className="table" aria-label="Images" aria-busy={list.isPlaceholderData}>
              <thead>
                <tr>
                  <th scope="col" className="cell-check">
                    <SelectAll items={list.items} selected={selected} onToggle={toggle} />
                  </th>
                  <SortHeader field="name" label="Name" sort={sort} order={order} onSort={setSort} />
                  <th scope="col">Namespace</th>
                  <th scope="col">Digest</th>
                  <th scope="col">Media type</th>
                  <SortHeader field="size" label="Size" sort={sort} order={order} onSort={setSort} numeric />
                  <SortHeader field="created" label="Created" sort={sort} order={order} onSort={setSort} />
                </tr>
              </thead>
              <tbody>
                {list.items.map((image) => (
                  <ImageRow
                    key={refKey(image)}
                    image={image}
                    selected={selected.has(refKey(image))}
                    onSelect={(on) => toggle(image, on)}
                  />
                ))}
                {list.items.length === 0 && (
                  <tr>
                    <td colSpan={7} className="table__empty">
                      {filter
                        ? `No image name contains “${filter}”.`
                        : route.namespace
                          ? `No images in namespace ${route.namespace}.`
                          : 'No images yet.'}
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
          <LoadMore list={list} noun="images" />
        </>
      )}
    </div>
  );
}

/** The header checkbox: every loaded row on or off; mixed when some are. */
function SelectAll({
  items,
  selected,
  onToggle,
}: {
  items: ImageRecord[];
  selected: ReadonlyMap<string, ImageRef>;
  onToggle: (image: ImageRef, on: boolean) => void;
}) {
  const on = items.filter((image) => selected.has(refKey(image))).length;
  const all = items.length > 0 && on === items.length;
  return (
    <input
      type="checkbox"
      aria-label="Select all shown images"
      checked={all}
      ref={(box) => {
        if (box) box.indeterminate = on > 0 && !all;
      }}
      disabled={items.length === 0}
      onChange={() => items.forEach((image) => onToggle(image, !all))}
    />
  );
}

function ImageRow({
  image,
  selected,
  onSelect,
}: {
  image: ImageRecord;
  selected: boolean;
  onSelect: (on: boolean) => void;
}) {
  const { target } = image;
  return (
    <tr className={selected ? 'row--selected' : undefined}>
      <td className="cell-check">
        <input
          type="checkbox"
          aria-label={`Select ${image.name}`}
          checked={selected}
          onChange={(e) => onSelect(e.target.checked)}
        />
      </td>
      <td className="cell-name">
        <a href={href({ view: 'image', namespace: image.namespace, name: image.name })}>{image.name}</a>
      </td>
      <td>
        <span className="tag">{image.namespace}</span>
      </td>
      <td>
        <Digest digest={target.digest} />
      </td>
      <td className="cell-muted">
        <span title={target.mediaType}>{mediaTypeName(target.mediaType)}</span>
      </td>
      <td className="cell-number" title={`${formatCount(image.totalSize)} bytes`}>
        {formatBytes(image.totalSize)}
      </td>
      <td className="cell-muted">
        <Time iso={image.createdAt} />
      </td>
    </tr>
  );
}

function SortHeader({
  field,
  label,
  sort,
  order,
  onSort,
  numeric = false,
}: {
  field: SortField;
  label: string;
  sort: SortField;
  order: SortOrder;
  onSort: (field: SortField) => void;
  numeric?: boolean;
}) {
  const active = field === sort;
  return (
    <th
      scope="col"
      aria-sort={active ? (order === 'asc' ? 'ascending' : 'descending') : undefined}
      className={numeric ? 'cell-number' : undefined}
    >
      <button type="button" className="sort-button" onClick={() => onSort(field)}>
        {label}
        <span className={`sort-indicator${active ? ' sort-indicator--active' : ''}`} aria-hidden="true">
          {active && order === 'desc' ? '▼' : '▲'}
        </span>
      </button>
    </th>
  );
}
