import type { DiscoveredSource } from '../../../shared/types';
import { formatCount, sourceKindName } from '../format';
import { useApiQuery } from '../queries';
import { Loading } from './common';
import { ErrorPanel } from './ErrorPanel';

const plural = (n: number, one: string, many: string) => `${formatCount(n)} ${n === 1 ? one : many}`;

/** discover() reports both a root it may not read and one that holds nothing importable as not readable. */
const permissionProblem = /EACCES|EPERM|permission denied/i;

/** A path that wraps after its slashes, not in the middle of a name. */
function PathText({ path }: { path: string }) {
  const parts = path.split('/');
  return (
    <code className="path path--wrap">
      {parts.map((part, i) => (
        <span key={i}>
          {part}
          {i < parts.length - 1 && (
            <>
              /<wbr />
            </>
          )}
        </span>
      ))}
    </code>
  );
}

/**
 * The sources at their standard places on the machine that runs the service (Docker's and containerd's data roots,
 * Podman's rootful and rootless storage), each with what it holds, or why it cannot be read, and Import... for
 * those that can.
 */
export function DiscoveredSources({
  onImport,
  disabled,
}: {
  onImport: (path: string) => void;
  disabled: boolean;
}) {
  const sources = useApiQuery('sources.discover', {});
  return (
    <section className="card" aria-labelledby="import-discovered-title">
      <h2 id="import-discovered-title">Sources on this machine</h2>
      <p className="hint">
        Docker’s and containerd’s data roots and Podman’s storage, rootful and rootless, where they exist.
      </p>
      {sources.error ? (
        <ErrorPanel
          error={sources.error}
          title="Could not look for sources"
          onRetry={() => void sources.refetch()}
        />
      ) : sources.isPending ? (
        <Loading what="sources" />
      ) : sources.data.length === 0 ? (
        <p className="muted">
          None found at the standard places (<code>/var/lib/docker</code>, <code>/var/lib/containerd</code>,{' '}
          <code>/var/lib/containers/storage</code> and their rootless counterparts under{' '}
          <code>~/.local/share</code>).
        </p>
      ) : (
        <div className="table-wrap">
          <table className="table table--compact sources-table" aria-label="Sources on this machine">
            <thead>
              <tr>
                <th scope="col">Source</th>
                <th scope="col">Holds</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sources.data.map((source) => (
                <SourceRow key={source.path} source={source} onImport={onImport} disabled={disabled} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function SourceRow({
  source,
  onImport,
  disabled,
}: {
  source: DiscoveredSource;
  onImport: (path: string) => void;
  disabled: boolean;
}) {
  const { detection } = source;
  return (
    <tr>
      <td className="cell-wrap sources-table__source">
        <PathText path={source.path} />
        <div className="muted">{sourceKindName(source.kind)}</div>
      </td>
      <td className="cell-wrap">
        {!source.readable ? (
          <span className="muted source-reason">{source.reason ?? 'No reason given.'}</span>
        ) : detection ? (
          <>
            {plural(detection.images, 'image', 'images')}
            {detection.metadataKeys > 0 &&
              ` · ${plural(detection.metadataKeys, 'metadata key', 'metadata keys')}`}
            {detection.namespaces.length > 0 && (
              <div className="muted">
                {detection.namespaces.length === 1 ? 'namespace ' : 'namespaces '}
                {detection.namespaces.join(', ')}
              </div>
            )}
          </>
        ) : (
          <span className="muted">–</span>
        )}
      </td>
      <td className="cell-wrap">
        {source.readable ? (
          <span className="flag flag--present">Readable</span>
        ) : (
          <span className="flag flag--warning">
            {permissionProblem.test(source.reason ?? '') ? 'Not readable' : 'Not importable'}
          </span>
        )}
      </td>
      <td className="cell-action">
        {source.readable && (
          <button
            type="button"
            className="button"
            aria-label={`Import… ${source.path}`}
            onClick={() => onImport(source.path)}
            disabled={disabled}
          >
            Import…
          </button>
        )}
      </td>
    </tr>
  );
}
