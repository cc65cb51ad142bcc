import { href } from '../router';
import type { Route } from '../routes';
import { Icon, type IconName } from './icons';

type Section = 'images' | 'metadata' | 'trash' | 'import';

const entries: { section: Section; label: string; route: Route }[] = [
  { section: 'images', label: 'Images', route: { view: 'images' } },
  { section: 'metadata', label: 'Metadata', route: { view: 'metadata' } },
  { section: 'trash', label: 'Trash', route: { view: 'trash' } },
  { section: 'import', label: 'Import', route: { view: 'import' } },
];

/** The app's main navigation: one link per view, the current one marked `aria-current="page"`. */
export function Sidebar({ current }: { current: Section | undefined }) {
  return (
    <aside className="sidebar">
      <div className="brand">
        <Icon name="logo" size={20} />
        <span>imgmeta</span>
      </div>
      <nav aria-label="Main">
        <ul className="nav-list">
          {entries.map((entry) => (
            <li key={entry.section}>
              <a
                className="nav-link"
                href={href(entry.route)}
                aria-current={entry.section === current ? 'page' : undefined}
              >
                <Icon name={entry.section satisfies IconName} />
                <span>{entry.label}</span>
              </a>
            </li>
          ))}
        </ul>
      </nav>
    </aside>
  );
}
