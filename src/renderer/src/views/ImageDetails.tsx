import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import type { Descriptor, Labels, TreeNode } from '../../../shared/types';
import { useApi } from '../api';
import { Loading, PageHeader, Time } from '../components/common';
import {
  BlobJson,
  ConfigSummary,
  ContentTreeView,
  DigestWithCopy,
  findNode,
  Section,
} from '../components/Content';
import { CodeView } from '../components/CodeView';
import { DeleteDialog } from '../components/DeleteDialog';
import { ErrorPanel } from '../components/ErrorPanel';
import { Icon } from '../components/icons';
import { formatBytes, formatCount, formatPlatform, mediaTypeName } from '../format';
import { useApiQuery } from '../queries';
import { href, navigate } from '../router';

/** One image: its descriptor, labels (editable), content tree, raw JSON of any node and its config. */
export function ImageDetails({ namespace, name }: { namespace: string; name: string }) {
  const image = useApiQuery('images.get', { namespace, name });
  const info = useApiQuery('store.info', {});
  const readOnly = info.data?.readOnly ?? false;
  const [deleting, setDeleting] = useState(false);
  const back = (
    <a className="back-link" href={href({ view: 'images', namespace })}>
      <Icon name="back" />
      All images
    </a>
  );

  if (image.isPending)
    return (
      <div className="view">
        {back}
        <PageHeader title={name} />
        <Loading what="the image" />
      </div>
    );
  if (image.error)
    return (
      <div className="view">
        {back}
        <PageHeader title={name} subtitle={`Namespace ${namespace}`} />
        <ErrorPanel
          error={image.error}
          title="Could not load this image"
          onRetry={() => void image.refetch()}
        />
      </div>
    );

  const record = image.data;
  return (
    <div className="view">
      {back}
      <PageHeader
        title={<span className="image-title">{record.name}</span>}
        subtitle={
          <span className="meta-line">
            <span className="tag">{record.namespace}</span>
            <span title={`${formatCount(record.totalSize)} bytes: the target and every blob it reaches`}>
              {formatBytes(record.totalSize)} in all
            </span>
            <span>
              created <Time iso={record.createdAt} />
            </span>
            {record.updatedAt !== record.createdAt && (
              <span>
                updated <Time iso={record.updatedAt} />
              </span>
            )}
          </span>
        }
      >
        <button
          type="button"
          className="button button--danger"
          disabled={readOnly}
          onClick={() => setDeleting(true)}
        >
          <Icon name="trash" />
          Delete…
        </button>
      </PageHeader>
      {deleting && (
        <DeleteDialog
          target={{ images: [{ namespace, name }] }}
          description={`${name} in ${namespace}.`}
          onClose={() => setDeleting(false)}
          onDeleted={() => navigate({ view: 'images', namespace }, { replace: true })}
        />
      )}
      <ImageContent
        namespace={namespace}
        name={name}
        target={record.target}
        labels={record.labels}
        readOnly={readOnly}
        record={record}
      />
    </div>
  );
}

function ImageContent({
  namespace,
  name,
  target,
  labels,
  readOnly,
  record,
}: {
  namespace: string;
  name: string;
  target: Descriptor;
  labels: Labels;
  readOnly: boolean;
  record: unknown;
}) {
  const tree = useApiQuery('content.tree', { namespace, name });
  const [shown, setShown] = useState<TreeNode>();
  const root = tree.data;
  // The node whose JSON is shown: the one picked, else the target when it is stored.
  const current = shown ?? (root?.present ? root : undefined);
  // The config for the node shown: its own, the config under it, or the first one in the tree.
  const config =
    (current && findNode(current, (n) => n.role === 'config' && n.present)) ??
    (root && findNode(root, (n) => n.role === 'config' && n.present));
  return (
    <div className="details-grid">
      <Section title="Descriptor">
        <DescriptorList descriptor={target} stored={root?.present ?? false} />
      </Section>
      <Section title="Labels">
        <LabelEditor namespace={namespace} name={name} labels={labels} readOnly={readOnly} />
      </Section>
      <Section title="Content tree" wide>
        {tree.isPending ? (
          <Loading what="the content tree" />
        ) : tree.error ? (
          <ErrorPanel
            error={tree.error}
            title="Could not walk the content tree"
            onRetry={() => void tree.refetch()}
          />
        ) : (
          <ContentTreeView tree={tree.data} shown={current?.descriptor.digest} onShow={setShown} />
        )}
      </Section>
      <Section title="Raw JSON" wide>
        {current ? (
          <>
            <p className="muted">
              {current.role} <code>{current.descriptor.digest}</code>
            </p>
            <BlobJson key={current.descriptor.digest} digest={current.descriptor.digest} />
          </>
        ) : (
          <>
            <p className="muted">The target is not stored; this is the image record.</p>
            <CodeView value={JSON.stringify(record, null, 2)} label="Raw JSON of the image record" />
          </>
        )}
      </Section>
      <Section title="Config" wide>
        {config ? (
          <ConfigSummary key={config.descriptor.digest} digest={config.descriptor.digest} />
        ) : (
          <p className="muted">No config of this image is stored.</p>
        )}
      </Section>
    </div>
  );
}

function DescriptorList({ descriptor, stored }: { descriptor: Descriptor; stored: boolean }) {
  const rows: [string, ReactNode][] = [
    [
      'Media type',
      <>
        <code>{descriptor.mediaType}</code>
        {mediaTypeName(descriptor.mediaType) !== descriptor.mediaType && (
          <span className="muted"> ({mediaTypeName(descriptor.mediaType)})</span>
        )}
      </>,
    ],
    ['Digest', <DigestWithCopy key="digest" digest={descriptor.digest} stored={stored} />],
    ['Size', `${formatBytes(descriptor.size)} (${formatCount(descriptor.size)} bytes)`],
  ];
  if (descriptor.platform) rows.push(['Platform', formatPlatform(descriptor.platform)]);
  if (descriptor.artifactType) rows.push(['Artifact type', <code key="at">{descriptor.artifactType}</code>]);
  if (descriptor.urls?.length)
    rows.push([
      'URLs',
      <ul key="urls" className="plain-list">
        {descriptor.urls.map((url, i) => (
          <li key={i}>
            <code>{url}</code>
          </li>
        ))}
      </ul>,
    ]);
  rows.push([
    'Annotations',
    <LabelTable
      key="annotations"
      labels={descriptor.annotations ?? {}}
      caption="Annotations"
      empty="None."
    />,
  ]);
  return (
    <dl className="props">
      {rows.map(([term, value]) => (
        <div key={term} className="props__row">
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function LabelTable({ labels, caption, empty }: { labels: Labels; caption: string; empty: string }) {
  const entries = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return <p className="muted">{empty}</p>;
  return (
    <table className="table table--compact" aria-label={caption}>
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {entries.map(([key, value]) => (
          <tr key={key}>
            <td>
              <code>{key}</code>
            </td>
            <td className="cell-wrap">{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

interface Draft {
  key: string;
  value: string;
}

/**
 * The image's labels as a small form: change a value, remove a label, add one; Save applies every change in one
 * `images.labels` call (one transaction). A label changed by someone else meanwhile shows up once saved or reset.
 */
function LabelEditor({
  namespace,
  name,
  labels,
  readOnly,
}: {
  namespace: string;
  name: string;
  labels: Labels;
  readOnly: boolean;
}) {
  const api = useApi();
  const queryClient = useQueryClient();
  const sorted = () =>
    Object.entries(labels)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => ({ key, value }));
  const [rows, setRows] = useState<Draft[]>(sorted);
  const [newKey, setNewKey] = useState('');
  const [newValue, setNewValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  const newKeyId = useId();
  const newValueId = useId();
  const labelsJson = JSON.stringify(labels);
  // A store change (this save, the CLI) brings new labels: start over from them unless there are unsaved edits.
  const [base, setBase] = useState(labelsJson);
  const dirty =
    JSON.stringify(Object.fromEntries(rows.map((r) => [r.key, r.value]))) !==
      JSON.stringify(Object.fromEntries(sorted().map((r) => [r.key, r.value]))) || newKey.trim() !== '';
  useEffect(() => {
    if (labelsJson !== base && !dirty) {
      setRows(sorted());
      setBase(labelsJson);
    }
  }, [labelsJson]);

  const add = (event: FormEvent) => {
    event.preventDefault();
    const key = newKey.trim();
    if (!key) return;
    setRows((current) => [...current.filter((r) => r.key !== key), { key, value: newValue }]);
    setNewKey('');
    setNewValue('');
  };

  const save = async () => {
    setBusy(true);
    setError(undefined);
    setSaved(false);
    const next = Object.fromEntries(rows.map((r) => [r.key, r.value]));
    if (newKey.trim()) next[newKey.trim()] = newValue;
    const set: Labels = {};
    for (const [key, value] of Object.entries(next)) if (labels[key] !== value) set[key] = value;
    const remove = Object.keys(labels).filter((key) => !(key in next));
    try {
      const record = await api['images.labels']({ namespace, name, set, remove });
      setNewKey('');
      setNewValue('');
      setRows(
        Object.entries(record.labels)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([key, value]) => ({ key, value })),
      );
      setBase(JSON.stringify(record.labels));
      setSaved(true);
      void queryClient.invalidateQueries();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="label-editor">
      {rows.length === 0 ? (
        <p className="muted">No labels.</p>
      ) : (
        <table className="table table--compact" aria-label="Labels">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Value</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row, i) => (
              <tr key={row.key}>
                <td className="cell-wrap">
                  <code>{row.key}</code>
                </td>
                <td>
                  <input
                    className="input input--cell"
                    aria-label={`Value of ${row.key}`}
                    value={row.value}
                    readOnly={readOnly}
                    onChange={(e) =>
                      setRows((current) =>
                        current.map((r, j) => (j === i ? { key: r.key, value: e.target.value } : r)),
                      )
                    }
                  />
                </td>
                <td className="cell-action">
                  <button
                    type="button"
                    className="button button--small"
                    aria-label={`Remove label ${row.key}`}
                    disabled={readOnly}
                    onClick={() => setRows((current) => current.filter((_, j) => j !== i))}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {!readOnly && (
        <form className="label-add" onSubmit={add} aria-label="Add a label">
          <label htmlFor={newKeyId} className="visually-hidden">
            New label key
          </label>
          <input
            id={newKeyId}
            className="input"
            placeholder="key"
            value={newKey}
            maxLength={4096}
            onChange={(e) => setNewKey(e.target.value)}
          />
          <label htmlFor={newValueId} className="visually-hidden">
            New label value
          </label>
          <input
            id={newValueId}
            className="input"
            placeholder="value"
            value={newValue}
            maxLength={4096}
            onChange={(e) => setNewValue(e.target.value)}
          />
          <button type="submit" className="button button--small" disabled={newKey.trim() === ''}>
            Add label
          </button>
        </form>
      )}
      {!readOnly && (
        <div className="label-editor__actions">
          <button
            type="button"
            className="button button--primary"
            disabled={!dirty || busy}
            aria-busy={busy}
            onClick={() => void save()}
          >
            Save labels
          </button>
          <button
            type="button"
            className="button"
            disabled={!dirty || busy}
            onClick={() => {
              setRows(sorted());
              setNewKey('');
              setNewValue('');
            }}
          >
            Reset
          </button>
          {saved && !dirty && <span className="muted">Saved.</span>}
        </div>
      )}
      {error !== undefined && <ErrorPanel error={error} title="The labels were not saved" />}
    </div>
  );
}
