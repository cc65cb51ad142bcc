import { toErrorBody } from '../../../shared/errors';

/**
 * An error as the service reports it: the stable code and the human message. `role="alert"` so that a screen reader
 * announces it and tests find it; used inline for a failed query and by the error boundary for a crashed view.
 */
export function ErrorPanel({
  error,
  title = 'Something went wrong',
  onRetry,
}: {
  error: unknown;
  title?: string;
  onRetry?: () => void;
}) {
  const { code, message } = toErrorBody(error);
  return (
    <div className="error-panel" role="alert">
      <div className="error-panel__text">
        <p className="error-panel__title">
          {title} <code className="error-code">{code}</code>
        </p>
        <p className="error-panel__message">{message}</p>
      </div>
      {onRetry && (
        <button type="button" className="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
