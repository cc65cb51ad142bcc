import { useApi } from '../../api';
import { formatCount } from '../../format';
import { useApiQuery } from '../../queries';
import { ConfirmDialog, useConfirmedAction } from '../ConfirmDialog';

/** Deleting every key under a prefix, with the count (a dry run of the same operation) before anything goes. */
export function DeletePrefixDialog({
  namespace,
  prefix,
  onClose,
  onDeleted,
}: {
  namespace: string;
  prefix: string;
  onClose: () => void;
  onDeleted: (count: number) => void;
}) {
  const api = useApi();
  const preview = useApiQuery('metadata.deletePrefix', { namespace, prefix, dryRun: true });
  const { busy, error, run } = useConfirmedAction();
  const count = preview.data?.deleted;

  const confirm = () =>
    run(async () => {
      const { deleted } = await api['metadata.deletePrefix']({ namespace, prefix });
      onDeleted(deleted);
    });

  const noun = count === 1 ? 'key' : 'keys';
  return (
    <ConfirmDialog
      title={count === undefined ? `Delete keys under ${prefix}?` : `Delete ${formatCount(count)} ${noun}?`}
      onClose={onClose}
      label={count === undefined ? 'Delete' : `Delete ${formatCount(count)} ${noun}`}
      disabled={!count}
      busy={busy}
      onConfirm={() => void confirm()}
    >
      <p>
        {count === undefined ? (
          'Counting…'
        ) : (
          <>
            Every key starting with <code>{prefix}</code> in namespace <code>{namespace}</code>:{' '}
            <strong>
              {formatCount(count)} {noun}
            </strong>
            , deleted for good in one transaction.
          </>
        )}
      </p>
      {error !== undefined && (
        <p className="field__error" role="alert">
          {(error as Error).message}
        </p>
      )}
    </ConfirmDialog>
  );
}
