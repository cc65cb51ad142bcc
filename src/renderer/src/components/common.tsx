import { useEffect, useState, type ReactNode } from 'react';
import { href } from '../router';
import { Icon } from './icons';
import { formatDateTime, formatRelative, shortDigest } from '../format';
import type { PagedList } from '../queries';

/** The top of a view: its one h1, an optional line under it, and actions on the right. */
export function PageHeader({
  title,
  subtitle,
  children,
}: {
  title: ReactNode;
  subtitle?: ReactNode;
  children?: ReactNode;
}) {
  return (
    <header className="page-header">
      <div className="page-header__titles">
        <h1 tabIndex={-1}>{title}</h1>
        {subtitle && <p className="page-header__subtitle">{subtitle}</p>}
      </div>
      {children && <div className="page-header__actions">{children}</div>}
    </header>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      Loading {what}…
    </p>
  );
}

/** A digest shortened as `docker images` does, the whole one in the tooltip. */
export function Digest({ digest, full = false }: { digest: string; full?: boolean }) {
  return (
    <code className="digest" title={digest}>
      {full ? digest : shortDigest(digest)}
    </code>
  );
}

export function Time({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {formatRelative(iso)}
    </time>
  );
}

/** A shell command to copy: selectable monospace on its own line. */
export function Command({ children }: { children: string }) {
  return (
    <pre className="command">
      <code>{children}</code>
    </pre>
  );
}

/** Quotes a word for a POSIX shell only when it needs it. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** "Load more" under a paged table: shows what is loaded of how many, and fetches the next page. */
export function LoadMore({ list, noun }: { list: PagedList; noun: string }) {
  const { items, total, hasNextPage: hasMore, isFetchingNextPage: loading } = list;
  const loaded = items.length;
  const onLoadMore = () => void list.fetchNextPage();
  return (
    <div className="table-footer">
      <span className="table-footer__count">
        {total === undefined
          ? ''
          : `Showing ${loaded.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} ${noun}`}
      </span>
      {hasMore && (
        <button type="button" className="button" onClick={onLoadMore} disabled={loading} aria-busy={loading}>
          {loading && <span className="spinner" aria-hidden="true" />}
          Load more
        </button>
      )}
    </div>
  );
}

/** Puts text on the clipboard; the async API needs a secure context (app://, http://127.0.0.1), else the old way. */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
}

/** A small button that copies a value (a digest), saying so for a moment. */
export function CopyButton({ value, label, tabIndex }: { value: string; label: string; tabIndex?: number }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(timer);
  }, [copied]);
  return (
    <button
      type="button"
      className="copy-button"
      aria-label={label}
      title={copied ? 'Copied' : label}
      tabIndex={tabIndex}
      onClick={(event) => {
        event.stopPropagation();
        void copyText(value).then(() => setCopied(true));
      }}
    >
      <Icon name={copied ? 'check' : 'copy'} size={14} />
    </button>
  );
}

/**
 * CopyButton for the rows of a virtual grid, where dozens of rows come into view per frame: one element, no state
 * (the icon is drawn by CSS; "Copied" is shown on the element itself for a moment), and out of the tab order (the
 * grid is one tab stop).
 */
export function GridCopyButton({ value, label }: { value: string; label: string }) {
  return (
    <button
      type="button"
      className="copy-button copy-button--grid"
      aria-label={label}
      title={label}
      tabIndex={-1}
      onClick={(event) => {
        event.stopPropagation();
        const button = event.currentTarget;
        void copyText(value).then(() => {
          button.classList.add('copy-button--copied');
          button.title = 'Copied';
          setTimeout(() => {
            button.classList.remove('copy-button--copied');
            button.title = label;
          }, 1500);
        });
      }}
    />
  );
}

/** A digest that links to its blob when the store holds it (`#/content/<digest>`). */
export function DigestLink({ digest, full = false }: { digest: string; full?: boolean }) {
  return (
    <a className="digest" href={href({ view: 'content', digest })} title={digest}>
      {full ? digest : shortDigest(digest)}
    </a>
  );
}
