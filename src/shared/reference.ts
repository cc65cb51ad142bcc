import { isDigest } from './digest';

/**
 * Image names as containerd stores them: a distribution reference `[domain[:port]/]path[:tag][@digest]`, plus the
 * forms CRI writes that are not references: a bare `sha256:<hex>` and `name@sha256:<hex>` without a tag.
 * The grammar follows distribution/reference; see ../shared/docs/formats.md.
 */
export const maxNameLength = 255;

const alphaNumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphaNumeric}(?:${separator}${alphaNumeric})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const domain = `(?:${domainName}|${ipv6})(?::[0-9]+)?`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+';

const referencePattern = new RegExp(
  `^(?<repository>(?:${domain}/)?${pathComponent}(?:/${pathComponent})*)(?::(?<tag>${tag}))?(?:@(?<digest>${digest}))?$`,
);

export interface ParsedName {
  /** `example.com/app`, or `''` for a bare digest. */
  repository: string;
  tag?: string;
  digest?: string;
}

/** Parses a stored image name; `undefined` when it is neither a reference nor a CRI digest form. */
export function parseImageName(name: string): ParsedName | undefined {
  if (name.length === 0 || name.length > maxNameLength) return undefined;
  if (isDigest(name)) return { repository: '', digest: name };
  const match = referencePattern.exec(name);
  if (!match?.groups) return undefined;
  const { repository, tag: parsedTag, digest: parsedDigest } = match.groups;
  // The general grammar admits any algorithm; we only keep the ones OCI registers, with exact lengths.
  if (parsedDigest !== undefined && !isDigest(parsedDigest)) return undefined;
  // A path component that looks like a domain must be one: `localhost:5000` is a domain, `app:1.0` is a tag.
  return { repository: repository!, tag: parsedTag, digest: parsedDigest };
}

export const isImageName = (name: string): boolean => parseImageName(name) !== undefined;

/** Names that carry no tag (`sha256:<hex>`, `name@sha256:<hex>`): what `docker images` shows as `<none>`. */
export function isDanglingName(name: string): boolean {
  const parsed = parseImageName(name);
  return parsed !== undefined && parsed.tag === undefined && parsed.digest !== undefined;
}
