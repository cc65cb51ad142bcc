import { useId, type ReactNode } from 'react';
import type { TreeNode } from '../../../shared/types';
import { formatBytes, formatCount, formatPlatform, mediaTypeName, shortDigest } from '../format';
import { useApiQuery } from '../queries';
import { CodeView } from './CodeView';
import { CopyButton, Digest, DigestLink, Loading } from './common';
import { ErrorPanel } from './ErrorPanel';

/** A titled region: `getByRole('region', { name: title })`. */
export function Section({
  title,
  wide = false,
  actions,
  children,
}: {
  title: string;
  wide?: boolean;
  actions?: ReactNode;
  children: ReactNode;
}) {
  const id = useId();
  return (
    <section className={`panel${wide ? ' panel--wide' : ''}`} aria-labelledby={id}>
      <div className="panel__head">
        <h2 id={id} className="panel__title">
          {title}
        </h2>
        {actions}
      </div>
      <div className="panel__body">{children}</div>
    </section>
  );
}

/** A digest in full with a copy button, linked to its blob when the store holds it. */
/** Labels (a config's or a blob's) one `key=value` a line. */
export function LabelList({ labels }: { labels: Record<string, string> }) {
  return (
    <ul className="plain-list">
      {Object.entries(labels).map(([k, v]) => (
        <li key={k}>
          <code>
            {k}={v}
          </code>
        </li>
      ))}
    </ul>
  );
}

export function DigestWithCopy({ digest, stored }: { digest: string; stored: boolean }) {
  return (
    <span className="digest-full">
      {stored ? <DigestLink digest={digest} full /> : <Digest digest={digest} full />}
      <CopyButton value={digest} label={`Copy digest ${shortDigest(digest)}`} />
    </span>
  );
}

/**
 * An image's (or a blob's) content tree: index -> manifests with platform badges -> config and layers, referrers
 * through `subject`; nodes whose blob is not stored are marked so. Each stored node links to its blob and can show
 * its raw JSON (`onShow`).
 */
export function ContentTreeView({
  tree,
  shown,
  onShow,
}: {
  tree: TreeNode;
  shown?: string;
  onShow: (node: TreeNode) => void;
}) {
  return (
    <ul className="tree" aria-label="Content tree">
      <TreeItem node={tree} shown={shown} onShow={onShow} />
    </ul>
  );
}

function TreeItem({
  node,
  shown,
  onShow,
}: {
  node: TreeNode;
  shown?: string;
  onShow: (node: TreeNode) => void;
}) {
  const { descriptor } = node;
  return (
    <li className="tree__item">
      <div
        className={`tree__node${node.present ? '' : ' tree__node--missing'}${
          shown === descriptor.digest ? ' tree__node--shown' : ''
        }`}
      >
        <span className={`role role--${node.role}`}>{node.role}</span>
        <span className="tree__type" title={descriptor.mediaType}>
          {mediaTypeName(descriptor.mediaType)}
        </span>
        {descriptor.platform && (
          <span className="tag tag--platform">{formatPlatform(descriptor.platform)}</span>
        )}
        {node.present ? <DigestLink digest={descriptor.digest} /> : <Digest digest={descriptor.digest} />}
        <span className="tree__size" title={`${formatCount(descriptor.size)} bytes`}>
          {formatBytes(descriptor.size)}
        </span>
        {node.present ? (
          <button
            type="button"
            className="button button--small"
            aria-pressed={shown === descriptor.digest}
            aria-label={`Show JSON of ${node.role} ${shortDigest(descriptor.digest)}`}
            onClick={() => onShow(node)}
          >
            JSON
          </button>
        ) : (
          <span className="flag flag--missing">not stored</span>
        )}
        {node.truncated && (
          <span className="flag flag--warning">
            {node.truncated === 'cycle' ? 'cycle: not walked again' : 'too deep: not walked further'}
          </span>
        )}
      </div>
      {node.children.length > 0 && (
        <ul className="tree__children">
          {node.children.map((child, i) => (
            <TreeItem key={`${i}:${child.descriptor.digest}`} node={child} shown={shown} onShow={onShow} />
          ))}
        </ul>
      )}
    </li>
  );
}

const decoder = new TextDecoder();

/** Pretty JSON when the bytes are JSON, else the text as it is. */
export function prettyJson(bytes: Uint8Array): string {
  const text = decoder.decode(bytes);
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** A stored blob's raw JSON in the read-only viewer, with folding. */
export function BlobJson({ digest }: { digest: string }) {
  const blob = useApiQuery('content.get', { digest });
  if (blob.isPending) return <Loading what="the blob" />;
  if (blob.error) return <ErrorPanel error={blob.error} title="Could not read this blob" />;
  return <CodeView value={prettyJson(blob.data.bytes)} label={`Raw JSON of ${digest}`} />;
}

/** The first node of a role in a tree, depth first. */
export function findNode(node: TreeNode, test: (n: TreeNode) => boolean): TreeNode | undefined {
  if (test(node)) return node;
  for (const child of node.children) {
    const found = findNode(child, test);
    if (found) return found;
  }
  return undefined;
}

interface ImageConfig {
  created?: string;
  architecture?: string;
  os?: string;
  config?: {
    Env?: string[];
    Cmd?: string[];
    Entrypoint?: string[];
    WorkingDir?: string;
    User?: string;
    ExposedPorts?: Record<string, unknown>;
    Volumes?: Record<string, unknown>;
    Labels?: Record<string, string>;
  };
  history?: { created?: string; created_by?: string; empty_layer?: boolean; comment?: string }[];
}

const words = (list: string[] | undefined) => (list && list.length > 0 ? JSON.stringify(list) : undefined);

/** What a runtime does with an image, from its config blob: Env, Cmd, Entrypoint ... and the build history. */
export function ConfigSummary({ digest }: { digest: string }) {
  const blob = useApiQuery('content.get', { digest });
  if (blob.isPending) return <Loading what="the config" />;
  if (blob.error) return <ErrorPanel error={blob.error} title="Could not read the config" />;
  let config: ImageConfig;
  try {
    config = JSON.parse(decoder.decode(blob.data.bytes)) as ImageConfig;
  } catch {
    return <p className="muted">The config is not JSON.</p>;
  }
  const c = config.config ?? {};
  const rows: [string, ReactNode][] = [
    ['Platform', [config.os, config.architecture].filter(Boolean).join('/') || undefined],
    ['Entrypoint', words(c.Entrypoint)],
    ['Cmd', words(c.Cmd)],
    ['WorkingDir', c.WorkingDir || undefined],
    ['User', c.User || undefined],
    ['ExposedPorts', c.ExposedPorts ? Object.keys(c.ExposedPorts).join(', ') : undefined],
    ['Volumes', c.Volumes ? Object.keys(c.Volumes).join(', ') : undefined],
    [
      'Env',
      c.Env?.length ? (
        <ul className="plain-list">
          {c.Env.map((env, i) => (
            <li key={i}>
              <code>{env}</code>
            </li>
          ))}
        </ul>
      ) : undefined,
    ],
    ['Labels', c.Labels && Object.keys(c.Labels).length > 0 ? <LabelList labels={c.Labels} /> : undefined],
  ];
  return (
    <div className="config-summary">
      <dl className="props" aria-label="Config summary">
        {rows.map(([term, value]) => (
          <div key={term} className="props__row">
            <dt>{term}</dt>
            <dd>{value ?? <span className="muted">not set</span>}</dd>
          </div>
        ))}
      </dl>
      {config.history && config.history.length > 0 && (
        <table className="table table--compact" aria-label="History">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Created by</th>
              <th scope="col">Layer</th>
            </tr>
          </thead>
          <tbody>
            {config.history.map((step, i) => (
              <tr key={i}>
                <td className="cell-muted">{i + 1}</td>
                <td className="cell-wrap">
                  <code>{step.created_by ?? step.comment ?? ''}</code>
                </td>
                <td className="cell-muted">{step.empty_layer ? 'empty' : 'layer'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
