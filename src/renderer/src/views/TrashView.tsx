import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { GcResult, TrashEntry } from '../../../shared/types';
import { useApi } from '../api';
import { Digest, LoadMore, Loading, PageHeader, Time } from '../components/common';
import { ConfirmDialog, useConfirmedAction, useDryRun } from '../components/ConfirmDialog';
import { ErrorPanel } from '../components/ErrorPanel';
import { useToast } from '../components/Toasts';
import { formatBytes, formatCount } from '../format';
import { useApiQuery, usePagedQuery } from '../queries';

/** What a purge would take: some entries, or the whole trash. */
type PurgeTarget = { entries: TrashEntry[] } | { all: number };

/**
 * Deleted images, newest first: restore one, purge one or all (through a dialog with a dry run), and collect the
 * garbage, previewed first.
 */
export function TrashView() {
  const api = useApi();
  const queryClient = useQueryClient();
  const toast = useToast();
  const info = useApiQuery('store.info', {});
  const readOnly = info.data?.readOnly ?? false;
  const trash = usePagedQuery('trash.list', { limit: 100 });
  const [purging, setPurging] = useState<PurgeTarget>();
  const [collecting, setCollecting] = useState(false);
  const [error, setError] = useState<unknown>();

  const restore = async (entry: TrashEntry) => {
    setError(undefined);
    try {
      await api['images.restore']({ ids: [entry.id] });
      void queryClient.invalidateQueries();
      toast({ message: `Restored ${entry.image.name}.` });
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div className="view view--fill">
      <PageHeader
        title="Trash"
        subtitle={
          trash.total === undefined
            ? ' '
            : `${formatCount(trash.total)} deleted ${trash.total === 1 ? 'image' : 'images'}, restorable`
        }
      >
        <button
          type="button"
          className="button button--danger-outline"
          disabled={readOnly || !trash.total}
          onClick={() => setPurging({ all: trash.total ?? 0 })}
        >
          Empty trash…
        </button>
        <button type="button" className="button" disabled={readOnly} onClick={() => setCollecting(true)}>
          Collect garbage…
        </button>
      </PageHeader>
      {purging && <PurgeDialog target={purging} onClose={() => setPurging(undefined)} />}
      {collecting && <GcDialog onClose={() => setCollecting(false)} />}
      {error !== undefined && <ErrorPanel error={error} title="Not restored" />}
      {trash.error ? (
        <ErrorPanel
          error={trash.error}
          title="Could not list the trash"
          onRetry={() => void trash.refetch()}
        />
      ) : trash.isPending ? (
        <Loading what="the trash" />
      ) : trash.items.length === 0 ? (
        <div className="empty">
          <p>The trash is empty. Deleted images land here and can be restored until the trash is purged.</p>
        </div>
      ) : (
        <>
          <div className="table-wrap">
            <table className="table" aria-label="Trash">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Namespace</th>
                  <th scope="col" className="col-digest">
                    Digest
                  </th>
                  <th scope="col" className="cell-number">
                    Size
                  </th>
                  <th scope="col">Deleted</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {trash.items.map((entry) => (
                  <tr key={entry.id}>
                    <td className="cell-name">{entry.image.name}</td>
                    <td>
                      <span className="tag">{entry.image.namespace}</span>
                    </td>
                    <td className="col-digest">
                      <Digest digest={entry.image.target.digest} />
                    </td>
                    <td className="cell-number" title={`${formatCount(entry.image.totalSize)} bytes`}>
                      {formatBytes(entry.image.totalSize)}
                    </td>
                    <td className="cell-muted">
                      <Time iso={entry.deletedAt} />
                    </td>
                    <td className="cell-action">
                      <span className="row-actions">
                        <button
                          type="button"
                          className="button button--small"
                          aria-label={`Restore ${entry.image.name}`}
                          disabled={readOnly}
                          onClick={() => void restore(entry)}
                        >
                          Restore
                        </button>
                        <button
                          type="button"
                          className="button button--small"
                          aria-label={`Purge ${entry.image.name}`}
                          disabled={readOnly}
                          onClick={() => setPurging({ entries: [entry] })}
                        >
                          Purge…
                        </button>
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <LoadMore list={trash} noun="deleted images" />
        </>
      )}
    </div>
  );
}

/** Purge for good, after a dry run that says how many entries go and what GC can then free. */
function PurgeDialog({ target, onClose }: { target: PurgeTarget; onClose: () => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const toast = useToast();
  const ids = 'entries' in target ? target.entries.map((e) => e.id) : undefined;
  const { preview, previewError } = useDryRun(() => api['trash.purge']({ ids, dryRun: true }));
  const { busy, error, run } = useConfirmedAction();
  const purge = () =>
    run(async () => {
      const result = await api['trash.purge']({ ids });
      void queryClient.invalidateQueries();
      toast({ message: `Purged ${formatCount(result.purged)} from the trash.` });
      onClose();
    });
  const what =
    'entries' in target
      ? target.entries.length === 1
        ? target.entries[0]!.image.name
        : `${formatCount(target.entries.length)} deleted images`
      : `all ${formatCount(target.all)} deleted images`;
  return (
    <ConfirmDialog
      title="Purge from the trash?"
      onClose={onClose}
      label="Purge"
      disabled={!preview}
      busy={busy}
      onConfirm={() => void purge()}
    >
      <p>
        Purging {what} cannot be undone: {'entries' in target && target.entries.length === 1 ? 'it' : 'they'}{' '}
        can no longer be restored.
      </p>
      {preview && (
        <p>
          {formatCount(preview.purged)} {preview.purged === 1 ? 'entry goes' : 'entries go'}; garbage
          collection can then free{' '}
          <strong>
            {formatBytes(preview.reclaimedBytes)} ({formatCount(preview.reclaimedBytes)} bytes)
          </strong>
          .
        </p>
      )}
      {(error ?? previewError) !== undefined && (
        <ErrorPanel error={error ?? previewError} title="Nothing was purged" />
      )}
    </ConfirmDialog>
  );
}

/** Garbage collection: the preview lists what no image and no trash entry reaches, then Collect removes it. */
function GcDialog({ onClose }: { onClose: () => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { preview, previewError } = useDryRun<GcResult>(() => api['gc.preview']({}));
  const { busy, error, run } = useConfirmedAction();
  const collect = () =>
    run(async () => {
      const result = await api['gc.run']({});
      void queryClient.invalidateQueries();
      toast({
        message: `Garbage collection removed ${formatCount(result.digests.length)} blobs, ${formatBytes(result.bytes)}.`,
      });
      onClose();
    });
  const shown = 8;
  return (
    <ConfirmDialog
      title="Collect garbage?"
      role="dialog"
      onClose={onClose}
      label="Collect"
      kind="primary"
      disabled={!preview || preview.digests.length === 0}
      busy={busy}
      onConfirm={() => void collect()}
    >
      {!preview && previewError === undefined && <Loading what="what garbage collection would remove" />}
      {preview &&
        (preview.digests.length === 0 ? (
          <p>Nothing to collect: every stored blob is reached by an image or a trash entry.</p>
        ) : (
          <>
            <p>
              {formatCount(preview.digests.length)} {preview.digests.length === 1 ? 'blob' : 'blobs'} that no
              image and no trash entry reaches:{' '}
              <strong>
                {formatBytes(preview.bytes)} ({formatCount(preview.bytes)} bytes)
              </strong>
              .
            </p>
            <ul className="delete-list" aria-label="Blobs to remove">
              {preview.digests.slice(0, shown).map((digest) => (
                <li key={digest}>
                  <code className="delete-list__name">{digest}</code>
                </li>
              ))}
              {preview.digests.length > shown && (
                <li className="muted">and {formatCount(preview.digests.length - shown)} more</li>
              )}
            </ul>
          </>
        ))}
      {(error ?? previewError) !== undefined && (
        <ErrorPanel error={error ?? previewError} title="Garbage collection failed" />
      )}
    </ConfirmDialog>
  );
}
