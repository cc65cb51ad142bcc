import { useState } from 'react';
import { useApi } from '../../api';
import { formatCount } from '../../format';
import { useApiQuery } from '../../queries';
import { Dialog } from '../Dialog';

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
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const count = preview.data?.deleted;

  const confirm = async () => {
    setBusy(true);
    try {
      const { deleted } = await api['metadata.deletePrefix']({ namespace, prefix });
      onDeleted(deleted);
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };

  const noun = count === 1 ? 'key' : 'keys';
  return (
    <Dialog
      title={count === undefined ? `Delete keys under ${prefix}?` : `Delete ${formatCount(count)} ${noun}?`}
      role="alertdialog"
      onClose={onClose}
      actions={
        <>
          <button type="button" className="button" onClick={onClose} autoFocus>
            Cancel
          </button>
          <button
            type="button"
            className="button button--danger"
            disabled={busy || !count}
            aria-busy={busy}
            onClick={() => void confirm()}
          >
            {count === undefined ? 'Delete' : `Delete ${formatCount(count)} ${noun}`}
          </button>
        </>
      }
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
      {error && (
        <p className="field__error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  );
}
