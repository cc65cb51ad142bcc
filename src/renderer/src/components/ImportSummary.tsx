import type { DamagedEntry, ImageRef, ImportResult } from '../../../shared/types';
import { formatCount, shortDigest, sourceKindName } from '../format';
import { href } from '../router';

/** Long lists (a containerd root can hold thousands of names) show this many, then a count of the rest. */
const shown = 100;

const count = (n: number, one: string, many: string) => `${formatCount(n)} ${n === 1 ? one : many}`;

/**
 * What an import did, or with a dry run would do: counts, notes, damaged entries with their reasons, and links to
 * the images that came in.
 */
export function ImportSummary({ result }: { result: ImportResult }) {
  const { images, content, metadata, dryRun } = result;
  const changed = images.created.length + images.updated.length;
  const would = (word: string) => (dryRun ? `would be ${word}` : word);
  const title = dryRun ? 'Dry run: nothing was written' : 'Import finished';
  const headline =
    changed === 0 && metadata.set === 0
      ? dryRun
        ? 'Nothing new: importing would change nothing, the store already has everything this source holds.'
        : 'Nothing new: the store already had everything this source holds.'
      : dryRun
        ? `Importing would create ${count(images.created.length, 'image', 'images')} and update ${formatCount(images.updated.length)}.`
        : `Created ${count(images.created.length, 'image', 'images')}, updated ${formatCount(images.updated.length)}.`;
  const namespace = result.namespaces.length === 1 ? result.namespaces[0] : undefined;

  return (
    <section className="card card--result" aria-labelledby="import-result-title">
      <h2 id="import-result-title">
        {title}
        {dryRun && <span className="badge">Dry run</span>}
      </h2>
      <p>
        {headline}{' '}
        <span className="muted">
          From the {sourceKindName(result.kind)} at <code className="path">{result.path}</code>.
        </span>
      </p>
      <dl className="props">
        <div className="props__row">
          <dt>Images</dt>
          <dd>
            {formatCount(images.created.length)} {would('created')} · {formatCount(images.updated.length)}{' '}
            {would('updated')} · {formatCount(images.unchanged)} unchanged
          </dd>
        </div>
        <div className="props__row">
          <dt>Content</dt>
          <dd>
            {count(content.added, 'blob', 'blobs')} {would('added')} · {formatCount(content.present)} already
            in the store
          </dd>
        </div>
        <div className="props__row">
          <dt>Metadata keys</dt>
          <dd>
            {formatCount(metadata.set)} {would('set')} · {formatCount(metadata.unchanged)} unchanged
          </dd>
        </div>
        {result.layers.kept > 0 && (
          <div className="props__row">
            <dt>Layers</dt>
            <dd>{count(result.layers.kept, 'layer blob', 'layer blobs')} kept beside the store</dd>
          </div>
        )}
        <div className="props__row">
          <dt>Namespaces</dt>
          <dd>
            {result.namespaces.length ? result.namespaces.join(', ') : <span className="muted">none</span>}
          </dd>
        </div>
      </dl>

      {result.notes.length > 0 && (
        <ul className="notes" aria-label="Import notes">
          {result.notes.map((note, i) => (
            <li key={i}>{note}</li>
          ))}
        </ul>
      )}

      {result.damaged.length > 0 && <Damaged entries={result.damaged} />}

      {images.created.length > 0 && (
        <ImageLinks
          title={dryRun ? 'Would be created' : 'Created'}
          images={images.created}
          // A dry run's new names do not exist yet: nothing to link to.
          linked={!dryRun}
        />
      )}
      {images.updated.length > 0 && (
        <ImageLinks title={dryRun ? 'Would be updated' : 'Updated'} images={images.updated} linked />
      )}
      {!dryRun && changed > 0 && (
        <p>
          <a href={href({ view: 'images', namespace })}>
            Show {namespace ? `namespace ${namespace}` : 'all images'} in Images
          </a>
        </p>
      )}
    </section>
  );
}

function ImageLinks({ title, images, linked }: { title: string; images: ImageRef[]; linked: boolean }) {
  const rest = images.length - shown;
  return (
    <div className="image-links">
      <h3 className="image-links__title">
        {title} <span className="muted">({formatCount(images.length)})</span>
      </h3>
      <ul className="plain-list image-links__list" aria-label={`${title} images`}>
        {images.slice(0, shown).map((image) => (
          <li key={`${image.namespace}\u0000${image.name}`}>
            {linked ? (
              <a href={href({ view: 'image', namespace: image.namespace, name: image.name })}>{image.name}</a>
            ) : (
              <span>{image.name}</span>
            )}{' '}
            <span className="tag">{image.namespace}</span>
          </li>
        ))}
      </ul>
      {rest > 0 && <p className="hint">and {count(rest, 'more', 'more')}: see the Images view.</p>}
    </div>
  );
}

function Damaged({ entries }: { entries: DamagedEntry[] }) {
  return (
    <div className="damaged">
      <h3 className="image-links__title">
        Damaged entries <span className="muted">({formatCount(entries.length)})</span>
      </h3>
      <p className="hint">Left out or imported incomplete, each with the reason; everything else came in.</p>
      <div className="table-wrap">
        <table className="table table--compact" aria-label="Damaged entries">
          <thead>
            <tr>
              <th scope="col">Entry</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {entries.slice(0, shown).map((entry, i) => (
              <tr key={i}>
                <td className="cell-wrap">
                  {entry.name ??
                    (entry.digest ? <code title={entry.digest}>{shortDigest(entry.digest)}</code> : '–')}
                  {entry.namespace && (
                    <>
                      {' '}
                      <span className="tag">{entry.namespace}</span>
                    </>
                  )}
                </td>
                <td className="cell-wrap">{entry.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {entries.length > shown && <p className="hint">and {formatCount(entries.length - shown)} more.</p>}
    </div>
  );
}
