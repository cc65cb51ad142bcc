import { useState } from 'react';
import type { TreeNode } from '../../../shared/types';
import { Loading, PageHeader, Time } from '../components/common';
import {
  BlobJson,
  ConfigSummary,
  ContentTreeView,
  DigestWithCopy,
  LabelList,
  Section,
} from '../components/Content';
import { ErrorPanel } from '../components/ErrorPanel';
import { formatBytes, formatCount, mediaTypeName } from '../format';
import { useApiQuery } from '../queries';

const configTypes = new Set([
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
]);

/** One stored blob (`#/content/<digest>`): what the store knows of it, its JSON, and what it points at. */
export function ContentView({ digest }: { digest: string }) {
  const info = useApiQuery('content.info', { digest });
  const tree = useApiQuery('content.tree', { digest }, { enabled: info.isSuccess });
  const [shown, setShown] = useState<TreeNode>();
  if (info.isPending)
    return (
      <div className="view">
        <PageHeader title="Content" subtitle={digest} />
        <Loading what="the blob" />
      </div>
    );
  if (info.error)
    return (
      <div className="view">
        <PageHeader title="Content" subtitle={<code>{digest}</code>} />
        <ErrorPanel error={info.error} title="This blob is not in the store" />
      </div>
    );
  const blob = info.data;
  const current = shown?.descriptor.digest ?? digest;
  return (
    <div className="view">
      <PageHeader
        title={mediaTypeName(blob.mediaType)}
        subtitle={
          <span className="meta-line">
            <code className="digest">{digest}</code>
            <span title={`${formatCount(blob.size)} bytes`}>{formatBytes(blob.size)}</span>
            <span>
              stored <Time iso={blob.createdAt} />
            </span>
          </span>
        }
      />
      <div className="details-grid">
        <Section title="Descriptor">
          <dl className="props">
            <div className="props__row">
              <dt>Media type</dt>
              <dd>
                <code>{blob.mediaType}</code>
              </dd>
            </div>
            <div className="props__row">
              <dt>Digest</dt>
              <dd>
                <DigestWithCopy digest={digest} stored />
              </dd>
            </div>
            <div className="props__row">
              <dt>Size</dt>
              <dd>
                {formatBytes(blob.size)} ({formatCount(blob.size)} bytes)
              </dd>
            </div>
            <div className="props__row">
              <dt>Labels</dt>
              <dd>
                {Object.keys(blob.labels).length === 0 ? (
                  <span className="muted">None.</span>
                ) : (
                  <LabelList labels={blob.labels} />
                )}
              </dd>
            </div>
          </dl>
        </Section>
        <Section title="Children">
          {blob.children.length === 0 ? (
            <p className="muted">This blob points at nothing.</p>
          ) : tree.data ? (
            <ContentTreeView tree={tree.data} shown={current} onShow={setShown} />
          ) : (
            <Loading what="the tree" />
          )}
        </Section>
        <Section title="Raw JSON" wide>
          <p className="muted">
            <code>{current}</code>
          </p>
          <BlobJson key={current} digest={current} />
        </Section>
        {configTypes.has(blob.mediaType) && (
          <Section title="Config" wide>
            <ConfigSummary digest={digest} />
          </Section>
        )}
      </div>
    </div>
  );
}
