import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { ExportResult, ImageRef } from '../../../shared/types';
import { useApi } from '../api';
import { formatBytes, formatCount, mediaTypeName } from '../format';
import { Digest } from './common';
import { ErrorPanel } from './ErrorPanel';

const namesShown = 5;

/**
 * Export the selected images as an OCI image layout into a directory on the machine that runs the service: a modal
 * `<dialog>` (focus stays inside, Escape closes it, focus returns to the button that opened it), then the result
 * with the blobs the store does not hold, listed rather than silently left out.
 */
export function ExportDialog({ images, onClose }: { images: ImageRef[]; onClose: () => void }) {
  const api = useApi();
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const pathId = useId();
  const hintId = useId();
  const [to, setTo] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [result, setResult] = useState<ExportResult>();

  // Shown modal once mounted; removing the element (the parent stops rendering it) takes it off the top layer.
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (to.trim() === '' || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      setResult(await api['sources.export']({ images, to: to.trim() }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const names = images.slice(0, namesShown).map((image) => image.name);
  return (
    <dialog ref={ref} className="dialog" aria-labelledby={titleId} onClose={onClose}>
      <h2 id={titleId} className="dialog__title">
        Export images
      </h2>
      <p className="muted">
        {images.length === 1 ? '1 image: ' : `${formatCount(images.length)} images: `}
        {names.join(', ')}
        {images.length > namesShown && `, and ${formatCount(images.length - namesShown)} more`}
      </p>
      {result ? (
        <ExportDone result={result} />
      ) : (
        <form id={`${titleId}-form`} className="dialog__form" onSubmit={(e) => void submit(e)}>
          <div className="field">
            <label htmlFor={pathId}>Destination directory</label>
            <input
              id={pathId}
              className="input input--mono"
              type="text"
              value={to}
              onChange={(e) => setTo(e.target.value)}
              placeholder="/path/to/new-layout"
              autoComplete="off"
              spellCheck={false}
              maxLength={4096}
              required
              autoFocus
              aria-describedby={hintId}
              disabled={busy}
            />
            <p id={hintId} className="hint">
              A new or empty directory on the machine running imgmeta. It receives an OCI image layout:{' '}
              <code>oci-layout</code>, <code>index.json</code> and <code>blobs/</code>.
            </p>
          </div>
          {error !== undefined && <ErrorPanel error={error} title="Could not export" />}
        </form>
      )}
      <div className="dialog__actions">
        {result ? (
          <button
            type="button"
            className="button button--primary"
            onClick={() => ref.current?.close()}
            autoFocus
          >
            Close
          </button>
        ) : (
          <>
            <button type="button" className="button" onClick={() => ref.current?.close()}>
              Cancel
            </button>
            <button
              type="submit"
              form={`${titleId}-form`}
              className="button button--primary"
              disabled={busy || to.trim() === ''}
              aria-busy={busy}
            >
              {busy && <span className="spinner" aria-hidden="true" />}
              Export
            </button>
          </>
        )}
      </div>
    </dialog>
  );
}

function ExportDone({ result }: { result: ExportResult }) {
  return (
    <div className="dialog__result" role="status">
      <p>
        Exported {formatCount(result.images)} {result.images === 1 ? 'image' : 'images'} to{' '}
        <code className="path">{result.path}</code>: {formatCount(result.blobs)}{' '}
        {result.blobs === 1 ? 'blob' : 'blobs'}, {formatBytes(result.bytes)}.
      </p>
      {result.missing.length === 0 ? (
        <p className="muted">Every blob the images reach is in the layout.</p>
      ) : (
        <>
          <p className="note">
            {formatCount(result.missing.length)} {result.missing.length === 1 ? 'blob is' : 'blobs are'} not
            in the store (usually layers, which it records as descriptors only): the layout names{' '}
            {result.missing.length === 1 ? 'it' : 'them'} without the bytes.
          </p>
          <div className="table-wrap dialog__table">
            <table className="table table--compact" aria-label="Missing blobs">
              <thead>
                <tr>
                  <th scope="col">Digest</th>
                  <th scope="col">Media type</th>
                  <th scope="col" className="cell-number">
                    Size
                  </th>
                </tr>
              </thead>
              <tbody>
                {result.missing.map((blob) => (
                  <tr key={blob.digest}>
                    <td>
                      <Digest digest={blob.digest} />
                    </td>
                    <td className="cell-muted">
                      <span title={blob.mediaType}>{mediaTypeName(blob.mediaType)}</span>
                    </td>
                    <td className="cell-number">{formatBytes(blob.size)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </div>
  );
}
