import type { ImportProgressEvent } from '../../../shared/events';
import { formatBytes, formatCount } from '../format';
import type { RunState } from '../import-session';
import { ErrorPanel } from './ErrorPanel';

type Running = Extract<RunState, { status: 'running' }>;

const phaseNames: Record<string, string> = {
  reading: 'Reading and verifying the source',
  writing: 'Writing to the store',
  done: 'Finishing',
};

const phaseText = (phase: string) => phaseNames[phase] ?? phase.charAt(0).toUpperCase() + phase.slice(1);

/** How far along, as a fraction: items when their total is known, else bytes; undefined when neither is. */
function fraction(p: ImportProgressEvent | undefined): number | undefined {
  if (!p) return undefined;
  if (p.total !== undefined && p.total > 0) return Math.min(1, p.done / p.total);
  if (p.totalBytes !== undefined && p.totalBytes > 0 && p.bytes !== undefined)
    return Math.min(1, p.bytes / p.totalBytes);
  return undefined;
}

/** "12 of 40 items · 3.1 MiB of 10 MiB": what the events say, and nothing they do not. */
function counts(p: ImportProgressEvent | undefined): string {
  if (!p) return '';
  const parts: string[] = [];
  if (p.total !== undefined) parts.push(`${formatCount(p.done)} of ${formatCount(p.total)} items`);
  else if (p.done > 0) parts.push(`${formatCount(p.done)} items`);
  if (p.bytes !== undefined && p.bytes > 0)
    parts.push(
      p.totalBytes !== undefined
        ? `${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)}`
        : formatBytes(p.bytes),
    );
  return parts.join(' · ');
}

/** A running import: the phase, a progress bar (determinate once a total is known), and Cancel. */
export function ImportProgress({ run, onCancel }: { run: Running; onCancel: () => void }) {
  const { progress } = run;
  const done = fraction(progress);
  const percent = done === undefined ? undefined : Math.round(done * 100);
  const phase = progress ? phaseText(progress.phase) : 'Starting';
  const detail = counts(progress);
  return (
    <section className="card" aria-labelledby="import-progress-title" aria-busy="true">
      <h2 id="import-progress-title">{run.dryRun ? 'Dry run in progress' : 'Importing'}</h2>
      {progress?.source && <code className="path muted">{progress.source}</code>}
      <div
        className={`progress${percent === undefined ? ' progress--indeterminate' : ''}`}
        role="progressbar"
        aria-label={run.dryRun ? 'Dry run progress' : 'Import progress'}
        aria-valuemin={percent === undefined ? undefined : 0}
        aria-valuemax={percent === undefined ? undefined : 100}
        aria-valuenow={percent}
        aria-valuetext={[phase, detail].filter(Boolean).join(': ')}
      >
        {/* Keyed by mode: the bar starts afresh rather than shrinking from the indeterminate sweep. */}
        <div
          key={percent === undefined ? 'sweep' : 'value'}
          className="progress__bar"
          style={percent === undefined ? undefined : { width: `${percent}%` }}
        />
      </div>
      <div className="progress-line">
        <span>
          {phase}…{detail && <span className="muted"> {detail}</span>}
          {percent !== undefined && <span className="muted"> ({percent}%)</span>}
        </span>
        <button type="button" className="button" onClick={onCancel} disabled={run.cancelling}>
          {run.cancelling ? 'Cancelling…' : 'Cancel'}
        </button>
      </div>
      {progress?.message && <p className="hint">{progress.message}</p>}
      {run.cancelError !== undefined && <ErrorPanel error={run.cancelError} title="Could not cancel" />}
    </section>
  );
}
