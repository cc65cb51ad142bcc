import { Command, Digest, LoadMore, Loading, PageHeader, Time } from '../components/common';
import { ErrorPanel } from '../components/ErrorPanel';
import { formatBytes, formatCount } from '../format';
import { usePagedQuery } from '../queries';

/** Deleted images, newest first (restoring from here arrives with deletion in the app). */
export function TrashView() {
  const trash = usePagedQuery('trash.list', { limit: 100 });
  return (
    <div className="view view--fill">
      <PageHeader
        title="Trash"
        subtitle={
          trash.total === undefined
            ? ' '
            : `${formatCount(trash.total)} deleted ${trash.total === 1 ? 'image' : 'images'}, restorable`
        }
      />
      {trash.error ? (
        <ErrorPanel
          error={trash.error}
          title="Could not list the trash"
          onRetry={() => void trash.refetch()}
        />
      ) : trash.isPending ? (
        <Loading what="the trash" />
      ) : trash.items.length === 0 ? (
        <div className="empty">
          <p>The trash is empty. Deleted images land here and can be restored until the trash is purged.</p>
        </div>
      ) : (
        <>
          <div className="table-wrap">
            <table className="table" aria-label="Trash">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Namespace</th>
                  <th scope="col">Digest</th>
                  <th scope="col" className="cell-number">
                    Size
                  </th>
                  <th scope="col">Deleted</th>
                </tr>
              </thead>
              <tbody>
                {trash.items.map((entry) => (
                  <tr key={entry.id}>
                    <td className="cell-name">{entry.image.name}</td>
                    <td>
                      <span className="tag">{entry.image.namespace}</span>
                    </td>
                    <td>
                      <Digest digest={entry.image.target.digest} />
                    </td>
                    <td className="cell-number" title={`${formatCount(entry.image.totalSize)} bytes`}>
                      {formatBytes(entry.image.totalSize)}
                    </td>
                    <td className="cell-muted">
                      <Time iso={entry.deletedAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <LoadMore list={trash} noun="deleted images" />
          <div className="hint">
            <p>Restoring from here arrives with deletion in the app; for now, from the command line:</p>
            <Command>imgmeta images restore NAME [-n NAMESPACE]</Command>
          </div>
        </>
      )}
    </div>
  );
}
