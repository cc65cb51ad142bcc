import { formatBytes, formatCount } from '../format';
import { useApiQuery } from '../queries';
import { toErrorBody } from '../../../shared/errors';

const plural = (n: number, one: string, many: string) => `${formatCount(n)} ${n === 1 ? one : many}`;

/** The store this window shows, its counts and change counter, and whether it refuses writes. */
export function StatusBar() {
  const info = useApiQuery('store.info', {});
  return (
    <footer className="statusbar" aria-label="Store status">
      {info.data ? (
        <>
          <span className="statusbar__item statusbar__path" title={info.data.path}>
            <span className="visually-hidden">Store: </span>
            {info.data.path}
          </span>
          {info.data.readOnly && <span className="badge badge--warning">Read-only</span>}
          <span className="statusbar__spacer" />
          <span className="statusbar__item">{plural(info.data.images, 'image', 'images')}</span>
          <span className="statusbar__item">
            {plural(info.data.metadataKeys, 'metadata key', 'metadata keys')}
          </span>
          <span className="statusbar__item">{formatCount(info.data.trash)} in trash</span>
          <span className="statusbar__item" title={`${formatCount(info.data.bytesOnDisk)} bytes on disk`}>
            {formatBytes(info.data.bytesOnDisk)} on disk
          </span>
          <span className="statusbar__item" title="The store's change counter">
            Change #{formatCount(info.data.changeSeq)}
          </span>
        </>
      ) : info.error ? (
        <span className="statusbar__item statusbar__error" role="alert">
          Store unavailable: <code className="error-code">{toErrorBody(info.error).code}</code>{' '}
          {toErrorBody(info.error).message}
        </span>
      ) : (
        <span className="statusbar__item">Connecting to the store…</span>
      )}
    </footer>
  );
}
