import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  mediaTypeShort,
  splitName,
  formatPlatform,
  formatRelative,
  mediaTypeName,
  shortDigest,
} from '../../src/renderer/src/format';

describe('renderer display formats', () => {
  it('shows sizes in binary units with at most three significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1 KiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(20_402_025)).toBe('19.5 MiB');
    expect(formatBytes(5 * 1024 ** 4)).toBe('5 TiB');
  });

  it('shortens digests the way docker shows image ids', () => {
    expect(shortDigest('sha256:' + '0123456789abcdef'.repeat(4))).toBe('sha256:0123456789ab');
  });

  it('names well-known media types and leaves others alone', () => {
    expect(mediaTypeName('application/vnd.oci.image.index.v1+json')).toBe('OCI index');
    expect(mediaTypeName('application/x-custom')).toBe('application/x-custom');
  });

  it('writes platforms as os/arch/variant', () => {
    expect(formatPlatform({ os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe('linux/arm64/v8');
    expect(formatPlatform({ os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763' })).toBe(
      'windows/amd64 (10.0.17763)',
    );
  });

  it('says how long ago', () => {
    const now = Date.parse('2026-03-10T12:00:00Z');
    expect(formatRelative('2026-03-10T11:59:58Z', now)).toBe('just now');
    expect(formatRelative('2026-03-10T11:00:00Z', now)).toBe('1 hour ago');
    expect(formatRelative('2026-03-07T12:00:00Z', now)).toBe('3 days ago');
    expect(formatRelative('not a date', now)).toBe('not a date');
  });
});

describe('image names and media types in the Images table', () => {
  it('splits a name into repository and tag as docker images does', () => {
    expect(splitName('docker.io/library/alpine:3.20')).toEqual({
      repository: 'docker.io/library/alpine',
      tag: '3.20',
    });
    expect(splitName('localhost:5000/app')).toEqual({ repository: 'localhost:5000/app', tag: '' });
    expect(splitName('localhost:5000/app:v1')).toEqual({ repository: 'localhost:5000/app', tag: 'v1' });
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(splitName(`example.com/app@${digest}`)).toEqual({
      repository: 'example.com/app',
      tag: `@${digest}`,
    });
    expect(splitName(digest)).toEqual({ repository: digest, tag: '' });
  });

  it('shortens the target media types', () => {
    expect(mediaTypeShort('application/vnd.oci.image.index.v1+json')).toBe('index');
    expect(mediaTypeShort('application/vnd.oci.image.manifest.v1+json')).toBe('manifest');
    expect(mediaTypeShort('application/vnd.docker.distribution.manifest.v2+json')).toBe('docker v2');
    expect(mediaTypeShort('application/vnd.docker.container.image.v1+json')).toBe('config');
    expect(mediaTypeShort('application/x-custom')).toBe('application/x-custom');
  });
});
