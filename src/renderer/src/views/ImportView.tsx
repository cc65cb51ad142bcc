import { Command, PageHeader, shellWord } from '../components/common';
import { SourceKinds } from '../components/SourceKinds';
import { useApiQuery } from '../queries';

/** A placeholder until the importers land: what import will do, and what works from the command line today. */
export function ImportView() {
  const info = useApiQuery('store.info', {});
  const store = info.data ? `imgmeta --store ${shellWord(info.data.path)}` : 'imgmeta';
  return (
    <div className="view view--narrow">
      <PageHeader title="Import" subtitle="Bring images and metadata in from a source on this machine." />
      <section className="card" aria-labelledby="import-later">
        <h2 id="import-later">
          Importing arrives with the importers <span className="badge">Coming later</span>
        </h2>
        <p>
          A later release adds the importers and this screen: choose or drop a source, watch its progress,
          cancel it. The same import will run from the command line, the kind of source detected from the
          path:
        </p>
        <Command>{`${store} import <path> [-n NAMESPACE]`}</Command>
        <SourceKinds />
        <p className="hint">Today that command answers “not yet available”.</p>
      </section>
      <section className="card" aria-labelledby="import-now">
        <h2 id="import-now">What works today</h2>
        <p>Add an image name by hand; the Images view shows it as soon as the store changes.</p>
        <Command>{`${store} images add NAME \\
  --digest D --media-type T --size N [--label K=V]… [-n NAMESPACE]`}</Command>
      </section>
    </div>
  );
}
