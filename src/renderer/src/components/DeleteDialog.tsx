import { useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { OperationInput } from '../../../shared/operations';
import type { DeleteResult, ImageRef } from '../../../shared/types';
import { useApi } from '../api';
import { formatBytes, formatCount } from '../format';
import { ConfirmDialog, useConfirmedAction, useDryRun } from './ConfirmDialog';
import { ErrorPanel } from './ErrorPanel';
import { useToast } from './Toasts';

/** What to delete: named images, or every image a scope matches (resolved by the service in its transaction). */
export type DeleteTarget = Pick<OperationInput<'images.delete'>, 'images' | 'matching' | 'except'>;

const namesShown = 8;
const refKey = (r: ImageRef) => `${r.namespace}\u0000${r.name}`;

/**
 * The only way the app deletes images. It first runs the same request as a dry run (with force, so that pinned
 * images are reported rather than refused) and shows what goes, which of it is pinned and the exact bytes GC frees,
 * counting content that other images share as kept. Deleting is then one request, one transaction; afterwards a
 * toast offers Undo (restore from the trash) unless the images were purged.
 */
export function DeleteDialog({
  target,
  description,
  onClose,
  onDeleted,
}: {
  target: DeleteTarget;
  /** "3 selected images", "all 1,204 images matching “nginx”". */
  description: string;
  onClose: () => void;
  onDeleted?: (result: DeleteResult) => void;
}) {
  const api = useApi();
  const queryClient = useQueryClient();
  const toast = useToast();
  // The preview names only what the dialog shows: deleting a million images must not send a million names.
  const { preview, previewError } = useDryRun(() =>
    api['images.delete']({ ...target, dryRun: true, force: true, names: namesShown }),
  );
  const [force, setForce] = useState(false);
  const [purge, setPurge] = useState(false);
  const { busy, error, run } = useConfirmedAction();
  const forceId = useId();
  const purgeId = useId();

  const pinned = new Set((preview?.pinned ?? []).map(refKey));
  const pinnedCount = preview?.pinnedCount ?? 0;
  const refused = pinnedCount > 0 && !force;
  const count = preview?.count ?? 0;
  // Pinned images first, so that the names shown include those that need Force.
  const shown = preview
    ? [...preview.pinned, ...preview.deleted.filter((image) => !pinned.has(refKey(image)))].slice(
        0,
        namesShown,
      )
    : [];

  const remove = () =>
    run(async () => {
      const result = await api['images.delete']({ ...target, force, purge, names: 0 });
      void queryClient.invalidateQueries();
      onDeleted?.(result);
      onClose();
      const what = `${formatCount(result.count)} ${result.count === 1 ? 'image' : 'images'}`;
      const deletion = result.deletion;
      toast(
        result.purged || deletion === undefined
          ? { message: `Deleted ${what} for good.` }
          : {
              message: `Moved ${what} to the trash.`,
              action: {
                label: 'Undo',
                run: async () => {
                  await api['images.restore']({ deletion });
                  void queryClient.invalidateQueries();
                },
              },
            },
      );
    });

  return (
    <ConfirmDialog
      title={preview ? `Delete ${formatCount(count)} ${count === 1 ? 'image' : 'images'}?` : 'Delete images?'}
      className="dialog--delete"
      onClose={onClose}
      label={purge ? 'Delete for good' : 'Delete'}
      disabled={!preview || count === 0 || refused}
      busy={busy}
      onConfirm={() => void remove()}
    >
      <p className="muted">{description}</p>
      {previewError ? (
        <ErrorPanel error={previewError} title="Could not work out what would be deleted" />
      ) : !preview ? (
        <p className="loading">
          <span className="spinner" aria-hidden="true" /> Working out what would be deleted…
        </p>
      ) : count === 0 ? (
        <p>Nothing matches: no image would be deleted.</p>
      ) : (
        <>
          <ul className="delete-list" aria-label="Images to delete">
            {shown.map((image) => (
              <li key={refKey(image)}>
                <span className="tag">{image.namespace}</span>{' '}
                <span className="delete-list__name">{image.name}</span>
                {pinned.has(refKey(image)) && <span className="badge badge--warning">pinned</span>}
              </li>
            ))}
            {count > namesShown && <li className="muted">and {formatCount(count - namesShown)} more</li>}
          </ul>
          <p className="delete-bytes">
            Garbage collection will free{' '}
            <strong title={`${formatCount(preview.reclaimedBytes)} bytes`}>
              {formatBytes(preview.reclaimedBytes)} ({formatCount(preview.reclaimedBytes)} bytes)
            </strong>
            {purge ? '' : ' once these leave the trash'}; content other images share is kept.
          </p>
          {pinnedCount > 0 && (
            <p className="note note--warning" role="alert">
              {formatCount(pinnedCount)} of these {pinnedCount === 1 ? 'is' : 'are'} pinned (
              <code>imgmeta.pinned=true</code>): deletion is refused unless you tick Force.
            </p>
          )}
          {pinnedCount > 0 && (
            <div className="checkbox-field">
              <input
                id={forceId}
                type="checkbox"
                checked={force}
                disabled={busy}
                onChange={(e) => setForce(e.target.checked)}
              />
              <label htmlFor={forceId}>Force: delete pinned images too</label>
            </div>
          )}
          <div className="checkbox-field">
            <input
              id={purgeId}
              type="checkbox"
              checked={purge}
              disabled={busy}
              onChange={(e) => setPurge(e.target.checked)}
            />
            <label htmlFor={purgeId}>Skip the trash (cannot be undone)</label>
          </div>
        </>
      )}
      {error !== undefined && <ErrorPanel error={error} title="Nothing was deleted" />}
    </ConfirmDialog>
  );
}
