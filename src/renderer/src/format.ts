/** Display helpers: sizes, digests, media types and times as a developer tool shows them. Pure, no DOM. */
import type { SourceKind } from '../../shared/types';

const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 0 B, 512 B, 1.5 KiB, 23.4 MiB, 117 MiB: three significant digits at most. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${bytes} B`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits).replace(/\.?0+$/, '')} ${units[unit]}`;
}

const counter = new Intl.NumberFormat('en-US');
export const formatCount = (n: number): string => counter.format(n);

/** `sha256:` and the first 12 hex digits, as `docker images` shows an image id. */
export function shortDigest(digest: string): string {
  const colon = digest.indexOf(':');
  if (colon < 0) return digest.slice(0, 12);
  return `${digest.slice(0, colon)}:${digest.slice(colon + 1, colon + 13)}`;
}

const mediaTypeNames: Record<string, string> = {
  'application/vnd.oci.image.index.v1+json': 'OCI index',
  'application/vnd.oci.image.manifest.v1+json': 'OCI manifest',
  'application/vnd.oci.image.config.v1+json': 'OCI config',
  'application/vnd.oci.image.layer.v1.tar': 'OCI layer',
  'application/vnd.oci.image.layer.v1.tar+gzip': 'OCI layer (gzip)',
  'application/vnd.oci.image.layer.v1.tar+zstd': 'OCI layer (zstd)',
  'application/vnd.oci.empty.v1+json': 'OCI empty',
  'application/vnd.docker.distribution.manifest.list.v2+json': 'Docker manifest list',
  'application/vnd.docker.distribution.manifest.v2+json': 'Docker manifest v2',
  'application/vnd.docker.distribution.manifest.v1+prettyjws': 'Docker manifest v1 (signed)',
  'application/vnd.docker.distribution.manifest.v1+json': 'Docker manifest v1',
  'application/vnd.docker.container.image.v1+json': 'Docker config',
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'Docker layer (gzip)',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip': 'Docker foreign layer',
  'application/vnd.in-toto+json': 'in-toto attestation',
};

/** A short name for the well-known media types; anything else is shown as it is. */
export const mediaTypeName = (mediaType: string): string => mediaTypeNames[mediaType] ?? mediaType;

export interface PlatformLike {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
}

/** `linux/arm64/v8`, as docker and containerd write a platform. */
export const formatPlatform = (p: PlatformLike): string =>
  [p.os, p.architecture, p.variant].filter(Boolean).join('/') +
  (p['os.version'] ? ` (${p['os.version']})` : '');

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const steps: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Infinity],
];

/** "3 days ago", "in 2 hours"; `now` is a parameter so that tests are deterministic. */
export function formatRelative(iso: string, now: number = Date.now()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  let value = (then - now) / 1000;
  for (const [unit, size] of steps) {
    const rounded = Math.round(value);
    if (Math.abs(rounded) < size || unit === 'year') {
      return unit === 'second' && Math.abs(rounded) < 10 ? 'just now' : relative.format(rounded, unit);
    }
    value /= size;
  }
  return iso;
}

const absolute = new Intl.DateTimeFormat('en-CA', {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

/** `2026-01-31, 14:05:09` in the local time zone: exact, sortable, for titles and details. */
export function formatDateTime(iso: string): string {
  const then = Date.parse(iso);
  return Number.isNaN(then) ? iso : absolute.format(then);
}

const sourceKindNames: Record<SourceKind, string> = {
  'oci-layout': 'OCI image layout',
  'oci-archive': 'OCI archive',
  'docker-archive': 'docker save archive',
  containerd: 'containerd',
  docker: 'Docker data root',
  'containers-storage': 'containers/storage (Podman)',
  'skopeo-dir': 'dir: directory (skopeo)',
  'metadata-dir': 'Metadata directory',
};

/** What a kind of source is called on screen (`imgmeta import` detects it from the path). */
export const sourceKindName = (kind: SourceKind): string => sourceKindNames[kind] ?? kind;

const shortTypes: Record<string, string> = {
  'application/vnd.oci.image.index.v1+json': 'index',
  'application/vnd.docker.distribution.manifest.list.v2+json': 'docker list',
  'application/vnd.oci.image.manifest.v1+json': 'manifest',
  'application/vnd.docker.distribution.manifest.v2+json': 'docker v2',
  'application/vnd.docker.distribution.manifest.v1+prettyjws': 'docker v1',
  'application/vnd.docker.distribution.manifest.v1+json': 'docker v1',
  'application/vnd.oci.image.config.v1+json': 'config',
  'application/vnd.docker.container.image.v1+json': 'config',
};

/** The media type of an image's target in a word or two, for a table column: index, manifest, docker v2, config. */
export const mediaTypeShort = (mediaType: string): string =>
  shortTypes[mediaType] ?? mediaTypeName(mediaType);

/**
 * An image name split as `docker images` shows it: repository and tag (`alpine`, `3.20`); a digest reference keeps
 * `@sha256:...` as its tag; a bare `sha256:<hex>` (a dangling image) has no tag.
 */
export function splitName(name: string): { repository: string; tag: string } {
  const at = name.indexOf('@');
  if (at >= 0) return { repository: name.slice(0, at), tag: `@${name.slice(at + 1)}` };
  if (/^[a-z0-9]+:[0-9a-f]{32,}$/.test(name)) return { repository: name, tag: '' };
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) return { repository: name.slice(0, colon), tag: name.slice(colon + 1) };
  return { repository: name, tag: '' };
}
