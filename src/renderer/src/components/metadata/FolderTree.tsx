import { useApiQuery } from '../../queries';
import { ancestors } from './folder-path';

/**
 * Keys read as `/`-separated paths: where the prefix is (a breadcrumb to each folder above it) and the folders right
 * under it (`metadata.folders` seeks past each folder, so a folder of a million keys costs one step).
 */
export function FolderTree({
  namespace,
  prefix,
  onPrefix,
}: {
  namespace: string;
  prefix: string;
  onPrefix: (prefix: string) => void;
}) {
  const folders = useApiQuery('metadata.folders', { namespace, prefix });
  const trail = ancestors(prefix);
  const name = (folder: string, parent: string) => folder.slice(parent.length);
  return (
    <div className="folders">
      <nav aria-label="Folder path" className="folders__path">
        <ol>
          <li>
            <button
              type="button"
              className="link-button"
              aria-current={prefix === '' ? 'location' : undefined}
              onClick={() => onPrefix('')}
            >
              {namespace}
            </button>
          </li>
          {trail.map((folder, i) => (
            <li key={folder}>
              <button
                type="button"
                className="link-button"
                aria-current={folder === prefix ? 'location' : undefined}
                onClick={() => onPrefix(folder)}
              >
                {name(folder, trail[i - 1] ?? '')}
              </button>
            </li>
          ))}
        </ol>
      </nav>
      {folders.data && folders.data.folders.length > 0 && (
        <ul className="folders__list" aria-label={`Folders under ${prefix || namespace}`}>
          {folders.data.folders.map((folder) => (
            <li key={folder}>
              <button
                type="button"
                className="folder-button"
                aria-label={`Open folder ${folder}`}
                onClick={() => onPrefix(folder)}
              >
                <span aria-hidden="true">▸ </span>
                {name(folder, prefix.slice(0, prefix.lastIndexOf('/') + 1))}
              </button>
            </li>
          ))}
          {!folders.data.complete && (
            <li className="hint">More folders may follow; narrow the prefix to see them.</li>
          )}
        </ul>
      )}
    </div>
  );
}
