import { useEffect, useRef, useState } from 'react';
import { Command, Loading, PageHeader } from '../components/common';
import { ErrorPanel } from '../components/ErrorPanel';
import { DeletePrefixDialog } from '../components/metadata/DeletePrefixDialog';
import { FolderTree } from '../components/metadata/FolderTree';
import { KeyGrid } from '../components/metadata/KeyGrid';
import { NewKeyDialog } from '../components/metadata/NewKeyDialog';
import { ValuePanel } from '../components/metadata/ValuePanel';
import { formatCount } from '../format';
import { useDebounced } from '../hooks';
import { useApiQuery } from '../queries';
import { href, navigate } from '../router';
import type { Route } from '../routes';

type MetadataRoute = Extract<Route, { view: 'metadata' }>;

/**
 * Docker's distribution metadata: namespaces with their key counts; the keys of one, by prefix and by folder, in a
 * virtual grid; the open key's value to read, edit, and delete. Namespace, prefix and open key live in the address.
 */
export function MetadataView({ route }: { route: MetadataRoute }) {
  const namespaces = useApiQuery('metadata.namespaces', {});
  const list = namespaces.data ?? [];
  // Without a namespace in the address, show the first one rather than an empty pane.
  const selected = route.namespace ?? list[0]?.namespace;
  const total = list.reduce((sum, n) => sum + n.keys, 0);
  const [creating, setCreating] = useState(false);

  return (
    <div className="view view--fill metadata-view">
      <PageHeader
        title="Metadata"
        subtitle={
          namespaces.data
            ? `${formatCount(total)} ${total === 1 ? 'key' : 'keys'} in ${formatCount(list.length)} ${
                list.length === 1 ? 'namespace' : 'namespaces'
              }`
            : ' '
        }
      >
        {selected && (
          <button type="button" className="button button--primary" onClick={() => setCreating(true)}>
            New key…
          </button>
        )}
      </PageHeader>
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
        <>
          <nav className="namespace-tabs" aria-label="Metadata namespaces">
            <ul>
              {list.map((n) => (
                <li key={n.namespace}>
                  <a
                    href={href({ view: 'metadata', namespace: n.namespace })}
                    aria-current={n.namespace === selected ? 'page' : undefined}
                    className="namespace-tab"
                  >
                    {n.namespace} <span className="namespace-tab__count">{formatCount(n.keys)}</span>
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          {selected && (
            <NamespaceKeys
              key={selected}
              namespace={selected}
              prefix={route.prefix ?? ''}
              openKey={route.key}
            />
          )}
        </>
      )}
      {creating && selected && (
        <NewKeyDialog
          namespace={selected}
          prefix={route.prefix ?? ''}
          onClose={() => setCreating(false)}
          onCreated={(key) => {
            setCreating(false);
            navigate({ view: 'metadata', namespace: selected, prefix: route.prefix, key });
          }}
        />
      )}
    </div>
  );
}

function NamespaceKeys({
  namespace,
  prefix,
  openKey,
}: {
  namespace: string;
  prefix: string;
  openKey?: string;
}) {
  // The box follows the address (folder clicks, back/forward); typing updates the address once it pauses.
  const [typed, setTyped] = useState(prefix);
  const settled = useDebounced(typed, 150);
  const [deleting, setDeleting] = useState(false);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  // The last prefix the box itself put in the address: its echo must not overwrite what was typed since (a slow
  // machine can settle "sha2" while "sha25" is already in the box); any other change of address replaces the box.
  const sent = useRef(prefix);
  useEffect(() => {
    if (prefix !== sent.current) setTyped(prefix);
    sent.current = prefix;
  }, [prefix]);
  useEffect(() => {
    if (settled === sent.current) return;
    sent.current = settled;
    navigate({ view: 'metadata', namespace, prefix: settled || undefined, key: openKey }, { replace: true });
    // Only a settled edit of the box moves the address.
  }, [settled]);

  const go = (next: { prefix?: string; key?: string }) =>
    navigate({ view: 'metadata', namespace, prefix: next.prefix || undefined, key: next.key });

  return (
    <div className="metadata-body">
      <section className="metadata-keys" aria-label={`Keys in ${namespace}`}>
        <FolderTree namespace={namespace} prefix={prefix} onPrefix={(p) => go({ prefix: p, key: openKey })} />
        <div className="toolbar metadata-keys__toolbar">
          <div className="field field--grow">
            <label htmlFor="metadata-prefix">Prefix</label>
            <input
              id="metadata-prefix"
              className="input input--mono"
              type="text"
              aria-label="Filter keys by prefix"
              placeholder="e.g. sha256/ab"
              spellCheck={false}
              value={typed}
              onChange={(event) => setTyped(event.target.value)}
            />
          </div>
          {prefix && (
            <button type="button" className="button button--danger-outline" onClick={() => setDeleting(true)}>
              {prefix.endsWith('/') ? 'Delete folder…' : 'Delete keys under prefix…'}
            </button>
          )}
        </div>
        {notice && (
          <p className="note note--info" role="status">
            {notice}
          </p>
        )}
        <KeyGrid
          namespace={namespace}
          prefix={prefix}
          selected={openKey}
          onOpen={(key) => go({ prefix, key })}
        />
      </section>
      <div className="metadata-value">
        {openKey ? (
          <ValuePanel
            namespace={namespace}
            keyName={openKey}
            onDeleted={() => {
              setNotice(`Deleted ${openKey}.`);
              go({ prefix });
            }}
          />
        ) : (
          <p className="empty">Choose a key to see its value.</p>
        )}
      </div>
      {deleting && (
        <DeletePrefixDialog
          namespace={namespace}
          prefix={prefix}
          onClose={() => setDeleting(false)}
          onDeleted={(count) => {
            setDeleting(false);
            setNotice(`Deleted ${formatCount(count)} ${count === 1 ? 'key' : 'keys'} under ${prefix}.`);
            const parent = prefix.slice(0, prefix.replace(/\/$/, '').lastIndexOf('/') + 1);
            go({ prefix: parent });
          }}
        />
      )}
    </div>
  );
}
