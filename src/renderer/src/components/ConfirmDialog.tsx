import { useEffect, useState, type ReactNode } from 'react';
import { Dialog } from './Dialog';

/**
 * A dry run asked once when a confirm dialog opens (deleting images, purging the trash, GC): the same request as the
 * action, answering what it would do. An answer that arrives after the dialog closed is dropped.
 */
export function useDryRun<T>(dryRun: () => Promise<T>): { preview: T | undefined; previewError: unknown } {
  const [preview, setPreview] = useState<T>();
  const [previewError, setPreviewError] = useState<unknown>();
  useEffect(() => {
    let live = true;
    dryRun().then(
      (result) => live && setPreview(result),
      (err: unknown) => live && setPreviewError(err),
    );
    return () => {
      live = false;
    };
  }, []);
  return { preview, previewError };
}

/** The confirmed action: busy while it runs; a failure is kept for the dialog to show, and the dialog stays open. */
export function useConfirmedAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return { busy, error, run };
}

/**
 * A dialog that asks before acting: Cancel (focused first, so Enter does not destroy) and the action's button, which
 * shows it is busy while the action runs.
 */
export function ConfirmDialog({
  title,
  role = 'alertdialog',
  className,
  onClose,
  label,
  kind = 'danger',
  disabled,
  busy,
  onConfirm,
  children,
}: {
  title: ReactNode;
  role?: 'dialog' | 'alertdialog';
  className?: string;
  onClose: () => void;
  /** The action button's text. */
  label: ReactNode;
  kind?: 'danger' | 'primary';
  disabled: boolean;
  busy: boolean;
  onConfirm: () => void;
  children: ReactNode;
}) {
  return (
    <Dialog
      title={title}
      role={role}
      className={className}
      onClose={onClose}
      actions={
        <>
          <button type="button" className="button" onClick={onClose} autoFocus>
            Cancel
          </button>
          <button
            type="button"
            className={`button button--${kind}`}
            disabled={disabled || busy}
            aria-busy={busy}
            onClick={onConfirm}
          >
            {busy && <span className="spinner" aria-hidden="true" />}
            {label}
          </button>
        </>
      }
    >
      {children}
    </Dialog>
  );
}
