import { useId } from 'react';
import { formatBytes, formatCount } from '../format';
import { Command, LoadMore, Loading, PageHeader, Time } from '../components/common';
import { ErrorPanel } from '../components/ErrorPanel';
import { useApiQuery, usePagedQuery } from '../queries';
import { href } from '../router';

/** Metadata namespaces with their key counts, and the keys of one of them (read-only for now). */
export function MetadataView({ namespace }: { namespace?: string }) {
  const namespaces = useApiQuery('metadata.namespaces', {});
  const list = namespaces.data ?? [];
  // Without a namespace in the address, show the first one rather than an empty pane.
  const selected = namespace ?? list[0]?.namespace;
  const total = list.reduce((sum, n) => sum + n.keys, 0);
  const namespacesId = useId();

  return (
    <div className="view view--fill">
      <PageHeader
        title="Metadata"
        subtitle={
          namespaces.data
            ? `${formatCount(total)} ${total === 1 ? 'key' : 'keys'} in ${formatCount(list.length)} ${
                list.length === 1 ? 'namespace' : 'namespaces'
              }`
            : ' '
        }
      />
      {namespaces.error ? (
        <ErrorPanel
          error={namespaces.error}
          title="Could not list metadata namespaces"
          onRetry={() => void namespaces.refetch()}
        />
      ) : namespaces.isPending ? (
        <Loading what="metadata namespaces" />
      ) : list.length === 0 ? (
        <div className="empty">
          <p>No metadata yet. Keys are imported with Docker’s distribution metadata, or set by hand:</p>
          <Command>imgmeta meta set NAMESPACE KEY VALUE</Command>
        </div>
      ) : (
        <div className="split">
          <section className="split__pane" aria-labelledby={namespacesId}>
            <h2 id={namespacesId} className="section-title">
              Namespaces
            </h2>
            <div className="table-wrap">
              <table className="table table--compact" aria-label="Metadata namespaces">
                <thead>
                  <tr>
                    <th scope="col">Namespace</th>
                    <th scope="col" className="cell-number">
                      Keys
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((n) => (
                    <tr key={n.namespace} className={n.namespace === selected ? 'row--selected' : undefined}>
                      <td className="cell-name">
                        <a
                          href={href({ view: 'metadata', namespace: n.namespace })}
                          aria-current={n.namespace === selected ? 'true' : undefined}
                        >
                          {n.namespace}
                        </a>
                      </td>
                      <td className="cell-number">{formatCount(n.keys)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
          {selected && <KeyList key={selected} namespace={selected} />}
        </div>
      )}
    </div>
  );
}

function KeyList({ namespace }: { namespace: string }) {
  const keys = usePagedQuery('metadata.list', { namespace, limit: 100 });
  const title = `Keys in ${namespace}`;
  return (
    <section className="split__pane" aria-label={title}>
      <h2 className="section-title">
        Keys in <code>{namespace}</code>
      </h2>
      {keys.error ? (
        <ErrorPanel error={keys.error} title="Could not list keys" onRetry={() => void keys.refetch()} />
      ) : keys.isPending ? (
        <Loading what="keys" />
      ) : (
        <>
          <div className="table-wrap">
            <table className="table" aria-label={title}>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col" className="cell-number">
                    Size
                  </th>
                  <th scope="col" className="cell-number">
                    Version
                  </th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {keys.items.map((k) => (
                  <tr key={k.key}>
                    <td className="cell-key">
                      <code title={k.key}>{k.key}</code>
                    </td>
                    <td className="cell-number" title={`${formatCount(k.size)} bytes`}>
                      {formatBytes(k.size)}
                    </td>
                    <td className="cell-number">{k.version}</td>
                    <td className="cell-muted">
                      <Time iso={k.updatedAt} />
                    </td>
                  </tr>
                ))}
                {keys.items.length === 0 && (
                  <tr>
                    <td colSpan={4} className="table__empty">
                      No keys in this namespace.
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
          <LoadMore list={keys} noun="keys" />
        </>
      )}
    </section>
  );
}
