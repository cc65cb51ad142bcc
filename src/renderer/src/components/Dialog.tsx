import { useEffect, useId, useRef, type ReactNode } from 'react';

/**
 * A modal `<dialog>`: shown with `showModal()` once mounted, so the browser keeps focus inside, makes the rest of
 * the page inert and closes it on Escape (reported through `onClose`); unmounting takes it off the top layer, and focus
 * returns to what opened it. Its title names it for screen readers.
 */
export function Dialog({
  title,
  onClose,
  children,
  actions,
  className,
  role = 'dialog',
}: {
  title: ReactNode;
  onClose: () => void;
  children: ReactNode;
  /** Buttons along the bottom edge; the first one that should take focus carries `autoFocus`. */
  actions?: ReactNode;
  className?: string;
  /** `alertdialog` for confirmations of destructive actions. */
  role?: 'dialog' | 'alertdialog';
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      role={role}
      className={className ? `dialog ${className}` : 'dialog'}
      aria-labelledby={titleId}
      onClose={onClose}
      // Escape fires `cancel` then `close`; onClose alone is enough, but a cancelled `cancel` must not leave it open.
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <h2 id={titleId} className="dialog__title">
        {title}
      </h2>
      {children}
      {actions && <div className="dialog__actions">{actions}</div>}
    </dialog>
  );
}
