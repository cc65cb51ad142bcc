import { shortDigest } from '../../format';
import { href } from '../../router';
import { digestsIn } from './value-format';

/** Every digest a key or value names, each a link to its content (descriptor, tree, raw JSON) and to images by it. */
export function DigestLinks({ keyName, text }: { keyName: string; text: string | undefined }) {
  const digests = digestsIn(keyName, text);
  if (digests.length === 0) return null;
  const shown = digests.slice(0, 20);
  return (
    <nav className="digest-links" aria-label="Digests in this key and value">
      <h3 className="section-title">Digests</h3>
      <ul>
        {shown.map((digest) => (
          <li key={digest}>
            <a href={href({ view: 'content', digest })} title={digest} className="digest">
              {shortDigest(digest)}
            </a>{' '}
            <a
              href={href({ view: 'images', filter: digest })}
              className="digest-links__images"
              aria-label={`Images with ${shortDigest(digest)}`}
            >
              images
            </a>
          </li>
        ))}
        {digests.length > shown.length && <li className="hint">and {digests.length - shown.length} more</li>}
      </ul>
    </nav>
  );
}
