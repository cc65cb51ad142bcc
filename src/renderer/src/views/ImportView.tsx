import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent, type RefObject } from 'react';
import { namespaceSchema } from '../../../shared/schemas';
import type { Detection } from '../../../shared/types';
import { useApi } from '../api';
import { PageHeader } from '../components/common';
import { DiscoveredSources } from '../components/DiscoveredSources';
import { ErrorPanel } from '../components/ErrorPanel';
import { ImportProgress } from '../components/ImportProgress';
import { ImportSummary } from '../components/ImportSummary';
import { canChooseSource, chooseSource } from '../desktop';
import { formatCount, sourceKindName } from '../format';
import {
  cancelImport,
  checkSource,
  requestImport,
  revealed,
  setKeepLayers,
  setNamespaceOverride,
  setSourcePath,
  startImport,
  useImportSession,
  type ImportSession,
} from '../import-session';
import { useApiQuery } from '../queries';

/**
 * Import: pick a source (a path typed in, the system dialog in the desktop app, a drop on the window, or one of the
 * sources found at their standard places), see what it holds before anything is written, then import it (or rehearse
 * with a dry run) with progress and Cancel, and end on a summary linking to what came in.
 */
export function ImportView() {
  const api = useApi();
  const session = useImportSession();
  const info = useApiQuery('store.info', {});
  const readOnly = info.data?.readOnly ?? false;
  const { check, run } = session;

  // A check that came from elsewhere (a drop, the menu, a discovered source): focus its outcome when it arrives.
  const summaryRef = useRef<HTMLHeadingElement>(null);
  const failureRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!session.reveal || (check.status !== 'detected' && check.status !== 'failed')) return;
    const outcome = summaryRef.current ?? failureRef.current;
    outcome?.focus({ preventScroll: true });
    outcome?.scrollIntoView({ block: 'nearest' });
    revealed();
  }, [session.reveal, check.status]);

  // What came in shows everywhere at once (status bar counts, Images), without waiting for the change feed.
  const queryClient = useQueryClient();
  const imported = run?.status === 'done' && !run.result.dryRun ? run.result : undefined;
  useEffect(() => {
    if (imported) void queryClient.invalidateQueries();
  }, [imported, queryClient]);

  const running = run?.status === 'running';
  return (
    <div className="view view--medium">
      <PageHeader
        title="Import"
        subtitle={
          canChooseSource()
            ? 'Bring images and metadata in from a source on this machine.'
            : 'Bring images and metadata in from a source on the machine running imgmeta serve.'
        }
      />
      {readOnly && (
        <p className="note">This store is served read-only: sources can be checked here, not imported.</p>
      )}

      <SourceForm session={session} busy={running} />

      {check.status === 'failed' && (
        <div ref={failureRef} tabIndex={-1} className="focus-target">
          <ErrorPanel error={check.error} title="Could not check this source" />
        </div>
      )}
      {check.status === 'detected' && (
        <SourceSummary
          detection={check.detection}
          session={session}
          readOnly={readOnly}
          headingRef={summaryRef}
        />
      )}

      {run?.status === 'running' && <ImportProgress run={run} onCancel={() => void cancelImport(api)} />}
      {run?.status === 'done' && <ImportSummary result={run.result} />}
      {run?.status === 'cancelled' && (
        <p className="note note--info" role="status">
          Cancelled; nothing was written.
        </p>
      )}
      {run?.status === 'failed' && (
        <ErrorPanel error={run.error} title={run.dryRun ? 'The dry run failed' : 'The import failed'} />
      )}

      <DiscoveredSources disabled={running} onImport={(path) => requestImport(api, path)} />
    </div>
  );
}

function SourceForm({ session, busy }: { session: ImportSession; busy: boolean }) {
  const api = useApi();
  const pathId = useId();
  const hintId = useId();
  const [choosing, setChoosing] = useState(false);
  const [chooseError, setChooseError] = useState<unknown>();
  const checking = session.check.status === 'checking';
  const desktop = canChooseSource();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void checkSource(api, session.path);
  };
  const choose = async () => {
    setChoosing(true);
    setChooseError(undefined);
    try {
      const path = await chooseSource();
      if (path) await checkSource(api, path, { reveal: true });
    } catch (err) {
      setChooseError(err);
    } finally {
      setChoosing(false);
    }
  };

  return (
    <section className="card" aria-labelledby="import-source-title">
      <h2 id="import-source-title">Source</h2>
      <form className="source-form" onSubmit={submit}>
        <div className="field field--grow">
          <label htmlFor={pathId}>Source path</label>
          <input
            id={pathId}
            className="input input--mono"
            type="text"
            value={session.path}
            onChange={(e) => setSourcePath(e.target.value)}
            placeholder="/path/to/oci-layout, image.tar, /var/lib/containerd"
            autoComplete="off"
            spellCheck={false}
            maxLength={4096}
            aria-describedby={hintId}
          />
        </div>
        <div className="source-form__buttons">
          <button
            type="submit"
            className="button"
            disabled={checking || busy || session.path.trim() === ''}
            aria-busy={checking}
          >
            {checking && <span className="spinner" aria-hidden="true" />}
            Check
          </button>
          {desktop && (
            <button
              type="button"
              className="button"
              onClick={() => void choose()}
              disabled={choosing || busy}
            >
              Choose…
            </button>
          )}
        </div>
      </form>
      <p id={hintId} className="hint">
        {desktop
          ? 'A folder or a file on this machine. Or drop one anywhere on this window, or use File › Import….'
          : 'A folder or a file on the machine running imgmeta serve, which reads it from there; nothing is uploaded.'}
      </p>
      {session.notice && (
        <p className="note" role="alert">
          {session.notice}
        </p>
      )}
      {chooseError !== undefined && <ErrorPanel error={chooseError} title="Could not open the dialog" />}
    </section>
  );
}

function SourceSummary({
  detection,
  session,
  readOnly,
  headingRef,
}: {
  detection: Detection;
  session: ImportSession;
  readOnly: boolean;
  headingRef: RefObject<HTMLHeadingElement | null>;
}) {
  const api = useApi();
  const namespaceId = useId();
  const namespaceErrorId = useId();
  const layersId = useId();
  const layersHintId = useId();
  const running = session.run?.status === 'running';
  const override = session.namespace.trim();
  const overrideError = override ? namespaceSchema.safeParse(override).error?.issues[0]?.message : undefined;
  const blocked = running || readOnly || overrideError !== undefined;
  const dryRunning = running && session.run?.status === 'running' && session.run.dryRun;

  return (
    <section className="card" aria-label="Source summary">
      <h2 ref={headingRef} tabIndex={-1}>
        {detection.description}
      </h2>
      <dl className="props">
        <div className="props__row">
          <dt>Kind</dt>
          <dd>
            <code className="tag tag--code">{detection.kind}</code>
            {sourceKindName(detection.kind) !== detection.description && (
              <span className="muted"> {sourceKindName(detection.kind)}</span>
            )}
          </dd>
        </div>
        <div className="props__row">
          <dt>Path</dt>
          <dd>
            <code className="path">{detection.path}</code>
          </dd>
        </div>
        <div className="props__row">
          <dt>Namespaces</dt>
          <dd>
            {detection.namespaces.length === 0 ? (
              <span className="muted">none</span>
            ) : (
              <span className="tag-list">
                {detection.namespaces.map((ns) => (
                  <span key={ns} className="tag">
                    {ns}
                  </span>
                ))}
              </span>
            )}
          </dd>
        </div>
        <div className="props__row">
          <dt>Images</dt>
          <dd>{formatCount(detection.images)}</dd>
        </div>
        <div className="props__row">
          <dt>Metadata keys</dt>
          <dd>{formatCount(detection.metadataKeys)}</dd>
        </div>
      </dl>
      {detection.notes.length > 0 && (
        <ul className="notes" aria-label="Notes">
          {detection.notes.map((note, i) => (
            <li key={i}>{note}</li>
          ))}
        </ul>
      )}

      <div className="import-options">
        <div className="field">
          <label htmlFor={namespaceId}>Namespace override (optional)</label>
          <input
            id={namespaceId}
            className="input"
            type="text"
            value={session.namespace}
            onChange={(e) => setNamespaceOverride(e.target.value)}
            placeholder="the source’s own"
            autoComplete="off"
            spellCheck={false}
            maxLength={128}
            aria-invalid={overrideError !== undefined}
            aria-describedby={overrideError ? namespaceErrorId : undefined}
            disabled={running}
          />
          {overrideError && (
            <span id={namespaceErrorId} className="field__error">
              {overrideError}
            </span>
          )}
        </div>
        <div className="checkbox-field">
          <input
            id={layersId}
            type="checkbox"
            checked={session.keepLayers}
            onChange={(e) => setKeepLayers(e.target.checked)}
            aria-describedby={layersHintId}
            disabled={running}
          />
          <div>
            <label htmlFor={layersId}>Keep layers</label>
            <p id={layersHintId} className="hint">
              Copy the verified layer blobs beside the store; otherwise layers are recorded as descriptors
              only.
            </p>
          </div>
        </div>
      </div>

      <div className="actions">
        <button
          type="button"
          className="button button--primary"
          disabled={blocked}
          aria-busy={running && !dryRunning}
          onClick={() => void startImport(api, false)}
        >
          Import
        </button>
        <button
          type="button"
          className="button"
          disabled={blocked}
          aria-busy={dryRunning}
          onClick={() => void startImport(api, true)}
        >
          Dry run
        </button>
        <span className="hint">A dry run reads and verifies everything and reports what would change.</span>
      </div>
    </section>
  );
}
