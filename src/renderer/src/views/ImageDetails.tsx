import { useId, type ReactNode } from 'react';
import type { Descriptor, Labels, TreeNode } from '../../../shared/types';
import { Digest, Loading, PageHeader, Time } from '../components/common';
import { ErrorPanel } from '../components/ErrorPanel';
import { Icon } from '../components/icons';
import { formatBytes, formatCount, formatPlatform, mediaTypeName } from '../format';
import { useApiQuery } from '../queries';
import { href } from '../router';

/** One image: its descriptor, labels, content tree and the raw record. */
export function ImageDetails({ namespace, name }: { namespace: string; name: string }) {
  const image = useApiQuery('images.get', { namespace, name });
  const back = (
    <a className="back-link" href={href({ view: 'images', namespace })}>
      <Icon name="back" />
      All images
    </a>
  );

  if (image.isPending)
    return (
      <div className="view">
        {back}
        <PageHeader title={name} />
        <Loading what="the image" />
      </div>
    );
  if (image.error)
    return (
      <div className="view">
        {back}
        <PageHeader title={name} subtitle={`Namespace ${namespace}`} />
        <ErrorPanel
          error={image.error}
          title="Could not load this image"
          onRetry={() => void image.refetch()}
        />
      </div>
    );

  const record = image.data;
  return (
    <div className="view">
      {back}
      <PageHeader
        title={<span className="image-title">{record.name}</span>}
        subtitle={
          <span className="meta-line">
            <span className="tag">{record.namespace}</span>
            <span title={`${formatCount(record.totalSize)} bytes: the target and every blob it reaches`}>
              {formatBytes(record.totalSize)} in all
            </span>
            <span>
              created <Time iso={record.createdAt} />
            </span>
            {record.updatedAt !== record.createdAt && (
              <span>
                updated <Time iso={record.updatedAt} />
              </span>
            )}
          </span>
        }
      />
      <div className="details-grid">
        <Section title="Descriptor">
          <DescriptorList descriptor={record.target} />
        </Section>
        <Section title="Labels">
          <LabelTable labels={record.labels} caption="Labels" empty="No labels." />
        </Section>
        <Section title="Content tree" wide>
          <ContentTree namespace={namespace} name={name} />
        </Section>
        <Section title="Raw JSON" wide>
          <pre className="json">{JSON.stringify(record, null, 2)}</pre>
        </Section>
      </div>
    </div>
  );
}

/** A titled region: `getByRole('region', { name: title })`. */
function Section({ title, wide = false, children }: { title: string; wide?: boolean; children: ReactNode }) {
  const id = useId();
  return (
    <section className={`panel${wide ? ' panel--wide' : ''}`} aria-labelledby={id}>
      <h2 id={id} className="panel__title">
        {title}
      </h2>
      <div className="panel__body">{children}</div>
    </section>
  );
}

function DescriptorList({ descriptor }: { descriptor: Descriptor }) {
  const rows: [string, ReactNode][] = [
    [
      'Media type',
      <>
        <code>{descriptor.mediaType}</code>
        {mediaTypeName(descriptor.mediaType) !== descriptor.mediaType && (
          <span className="muted"> ({mediaTypeName(descriptor.mediaType)})</span>
        )}
      </>,
    ],
    ['Digest', <Digest key="digest" digest={descriptor.digest} full />],
    ['Size', `${formatBytes(descriptor.size)} (${formatCount(descriptor.size)} bytes)`],
  ];
  if (descriptor.platform) rows.push(['Platform', formatPlatform(descriptor.platform)]);
  if (descriptor.artifactType) rows.push(['Artifact type', <code key="at">{descriptor.artifactType}</code>]);
  if (descriptor.urls?.length)
    rows.push([
      'URLs',
      <ul key="urls" className="plain-list">
        {descriptor.urls.map((url, i) => (
          <li key={i}>
            <code>{url}</code>
          </li>
        ))}
      </ul>,
    ]);
  rows.push([
    'Annotations',
    <LabelTable
      key="annotations"
      labels={descriptor.annotations ?? {}}
      caption="Annotations"
      empty="None."
    />,
  ]);
  return (
    <dl className="props">
      {rows.map(([term, value]) => (
        <div key={term} className="props__row">
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function LabelTable({ labels, caption, empty }: { labels: Labels; caption: string; empty: string }) {
  const entries = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return <p className="muted">{empty}</p>;
  return (
    <table className="table table--compact" aria-label={caption}>
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {entries.map(([key, value]) => (
          <tr key={key}>
            <td>
              <code>{key}</code>
            </td>
            <td className="cell-wrap">{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ContentTree({ namespace, name }: { namespace: string; name: string }) {
  const tree = useApiQuery('content.tree', { namespace, name });
  if (tree.isPending) return <Loading what="the content tree" />;
  if (tree.error)
    return (
      <ErrorPanel
        error={tree.error}
        title="Could not walk the content tree"
        onRetry={() => void tree.refetch()}
      />
    );
  return (
    <ul className="tree" aria-label="Content tree">
      <TreeItem node={tree.data} />
    </ul>
  );
}

function TreeItem({ node }: { node: TreeNode }) {
  const { descriptor } = node;
  return (
    <li className="tree__item">
      <div className={`tree__node${node.present ? '' : ' tree__node--missing'}`}>
        <span className={`role role--${node.role}`}>{node.role}</span>
        <span className="tree__type" title={descriptor.mediaType}>
          {mediaTypeName(descriptor.mediaType)}
        </span>
        {descriptor.platform && <span className="tag">{formatPlatform(descriptor.platform)}</span>}
        <Digest digest={descriptor.digest} />
        <span className="tree__size">{formatBytes(descriptor.size)}</span>
        {node.present ? (
          <span className="flag flag--present">present</span>
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
            <TreeItem key={`${i}:${child.descriptor.digest}`} node={child} />
          ))}
        </ul>
      )}
    </li>
  );
}
