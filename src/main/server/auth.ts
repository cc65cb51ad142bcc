import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';

/**
 * Who may talk to `imgmeta serve`: a request must name the server itself in its Host header (a page on another site
 * that re-pointed its DNS name at 127.0.0.1 still sends its own name), must not come from a page of another origin,
 * and must carry the access token, as a bearer header (scripts, the HTTP client) or as the cookie a browser got by
 * opening the printed `?token=` URL once.
 */

/** 32 random bytes: the token printed with the URL when `--token` is not given. */
export const newToken = (): string => randomBytes(32).toString('base64url');

/**
 * What a token may hold: URL-unreserved characters, so that it travels unchanged in `?token=`, in a cookie and in an
 * Authorization header, with no escaping rule for anyone to get wrong.
 */
export const validToken = (token: string): boolean => /^[A-Za-z0-9._~-]{1,512}$/.test(token);

/**
 * Constant-time comparison. Both sides are hashed first: timingSafeEqual needs equal lengths, and comparing digests
 * also keeps the expected token's length out of the timing.
 */
export function sameToken(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Cookies are not scoped by port, so two servers on one machine would overwrite each other's cookie in the same
 * browser under one name: the port is part of the name.
 */
export const cookieName = (port: number): string => `imgmeta-token-${port}`;

/** A session cookie (gone with the browser session), sent back only to this host and only by same-site requests. */
export const tokenCookie = (port: number, token: string): string =>
  `${cookieName(port)}=${token}; Path=/; HttpOnly; SameSite=Strict`;

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function bearer(req: IncomingMessage): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

/** The bearer token or the cookie, whichever the request carries, is the server's token. */
export function authorized(req: IncomingMessage, port: number, token: string): boolean {
  const presented = [bearer(req), cookie(req, cookieName(port))];
  // Every candidate is compared, so the time taken does not tell which one was present.
  return presented.map((p) => p !== undefined && sameToken(p, token)).includes(true);
}

const wildcards = new Set(['0.0.0.0', '::', '0:0:0:0:0:0:0:0', '']);
export const isWildcard = (host: string): boolean => wildcards.has(host);

/** An address or name as it appears in a Host header: IPv6 in brackets, without a zone (`%eth0`), lower case. */
function hostForm(address: string): string {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  return (bare.includes(':') ? `[${bare}]` : bare).toLowerCase();
}

/**
 * Every `host:port` a legitimate client may send: the loopback names, the address given with --host and the one
 * actually bound, and, when bound to every interface, this machine's name and interface addresses (how other
 * machines reach it). Browsers leave the port out of Host and Origin when it is 80.
 */
export function allowedHosts(listenHost: string, boundAddress: string, port: number): Set<string> {
  const names = ['127.0.0.1', 'localhost', '::1', listenHost, boundAddress];
  if (isWildcard(listenHost) || isWildcard(boundAddress)) {
    names.push(hostname());
    for (const list of Object.values(networkInterfaces()))
      for (const info of list ?? []) names.push(info.address);
  }
  const hosts = new Set<string>();
  for (const name of names) {
    if (isWildcard(name)) continue;
    hosts.add(`${hostForm(name)}:${port}`);
    if (port === 80) hosts.add(hostForm(name));
  }
  return hosts;
}

/** The DNS-rebinding defence: the Host header must be one of ours. HTTP/1.1 requires it, so a missing one fails. */
export const hostAllowed = (req: IncomingMessage, hosts: Set<string>): boolean =>
  hosts.has((req.headers.host ?? '').toLowerCase());

/**
 * Browsers send Origin with cross-origin requests and with every POST; when present it must be this server. A
 * request without one (curl, the Node client, a same-origin GET) is left to the token.
 */
export function originAllowed(req: IncomingMessage, hosts: Set<string>): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const prefix = 'http://';
  return origin.toLowerCase().startsWith(prefix) && hosts.has(origin.slice(prefix.length).toLowerCase());
}
