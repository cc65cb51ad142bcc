import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';

/** A short message at the bottom of the window, with at most one action (Undo). */
export interface Toast {
  message: string;
  action?: { label: string; run: () => Promise<unknown> | void };
  tone?: 'info' | 'error';
}

interface Shown extends Toast {
  id: number;
}

const ToastContext = createContext<(toast: Toast) => void>(() => undefined);

/** How long a toast stays: long enough to reach Undo with the keyboard. */
const lifetimeMs = 15_000;

/**
 * Toasts live in one polite live region (not `role="status"`: the image count owns that role in the Images view),
 * so that screen readers announce them without taking focus away.
 */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Shown[]>([]);
  const next = useRef(0);
  const show = useCallback((toast: Toast) => {
    const id = ++next.current;
    setToasts((current) => [...current.slice(-2), { ...toast, id }]);
  }, []);
  const dismiss = (id: number) => setToasts((current) => current.filter((t) => t.id !== id));
  return (
    <ToastContext.Provider value={show}>
      {children}
      <div className="toasts" role="region" aria-label="Notifications" aria-live="polite">
        {toasts.map((toast) => (
          <ToastItem key={toast.id} toast={toast} onDismiss={() => dismiss(toast.id)} />
        ))}
      </div>
    </ToastContext.Provider>
  );
}

function ToastItem({ toast, onDismiss }: { toast: Shown; onDismiss: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (busy) return;
    const timer = setTimeout(onDismiss, lifetimeMs);
    return () => clearTimeout(timer);
  }, [busy]);
  const run = async () => {
    setBusy(true);
    try {
      await toast.action!.run();
      onDismiss();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };
  return (
    <div className={`toast${toast.tone === 'error' || error ? ' toast--error' : ''}`}>
      <span className="toast__message">{error ?? toast.message}</span>
      {toast.action && !error && (
        <button type="button" className="button button--small" onClick={() => void run()} disabled={busy}>
          {toast.action.label}
        </button>
      )}
      <button type="button" className="toast__close" aria-label="Dismiss notification" onClick={onDismiss}>
        ×
      </button>
    </div>
  );
}

export const useToast = () => useContext(ToastContext);
