import type { StoreInfo } from '../../../shared/types';
import { Command, PageHeader, shellWord } from '../components/common';
import { SourceKinds } from '../components/SourceKinds';

/** The first screen of a store with no images and no metadata: how to fill it from the command line. */
export function EmptyStore({ info }: { info: StoreInfo }) {
  const store = `imgmeta --store ${shellWord(info.path)}`;
  return (
    <div className="view view--narrow empty-store">
      <PageHeader title="This store is empty" subtitle="No images and no metadata yet." />
      <p>
        This window shows the store at <code className="path">{info.path}</code>. Fill it from the command
        line; this view updates as soon as the store changes.
      </p>
      {info.trash > 0 && (
        <p>
          The trash holds {info.trash.toLocaleString('en-US')} deleted {info.trash === 1 ? 'image' : 'images'}
          : see <a href="#/trash">Trash</a>.
        </p>
      )}
      {info.readOnly && (
        <p className="note">
          This store is served read-only: changes have to be made where it is stored, then appear here.
        </p>
      )}

      <section className="card" aria-labelledby="empty-add">
        <h2 id="empty-add">Add an image by hand</h2>
        <p>Works now: create an image name pointing at a descriptor.</p>
        <Command>{`${store} images add docker.io/library/alpine:3.20 \\
  --digest sha256:<64 hex digits> \\
  --media-type application/vnd.oci.image.index.v1+json \\
  --size 1234`}</Command>
        <p className="hint">
          <code>
            imgmeta images add NAME --digest D --media-type T --size N [--label K=V]… [-n NAMESPACE]
          </code>
        </p>
      </section>

      <section className="card" aria-labelledby="empty-import">
        <h2 id="empty-import">Import images</h2>
        <p>
          Bring in what is already on this machine: open <a href="#/import">Import</a>, or drop a file or
          folder on this window, or run the import from the command line. The kind of source is detected from
          the path:
        </p>
        <Command>{`${store} import <path>`}</Command>
        <SourceKinds />
      </section>
    </div>
  );
}
