import { describe, expect, it } from 'vitest';
import { formatRoute, parseHash, section, type Route } from '../../src/renderer/src/routes';

describe('renderer routes live in the location hash', () => {
  it('opens the image list by default', () => {
    expect(parseHash('')).toEqual({ view: 'images' });
    expect(parseHash('#/')).toEqual({ view: 'images' });
    expect(parseHash('#/images')).toEqual({ view: 'images' });
  });

  it('keeps image names readable and round-trips them', () => {
    const route: Route = { view: 'image', namespace: 'k8s.io', name: 'registry.k8s.io/pause:3.10' };
    expect(formatRoute(route)).toBe('#/images/k8s.io/registry.k8s.io/pause:3.10');
    expect(parseHash(formatRoute(route))).toEqual(route);
  });

  it('round-trips names with digests, and namespaces with +', () => {
    for (const route of [
      { view: 'image', namespace: 'a+b', name: 'example.com/app@sha256:' + 'a'.repeat(64) },
      { view: 'image', namespace: 'default', name: 'example.com/a b?#%' },
    ] satisfies Route[])
      expect(parseHash(formatRoute(route))).toEqual(route);
  });

  it('carries the list filter, namespace and sort as query parameters', () => {
    const route: Route = {
      view: 'images',
      namespace: 'default',
      filter: 'alpine 3',
      sort: 'size',
      order: 'desc',
    };
    expect(parseHash(formatRoute(route))).toEqual(route);
    expect(formatRoute({ view: 'images', sort: 'name', order: 'asc' })).toBe('#/images');
    expect(parseHash('#/images?sort=bogus&order=sideways')).toEqual({ view: 'images' });
  });

  it('carries the label, media type and dangling filters, and names a blob', () => {
    const route: Route = {
      view: 'images',
      filter: 'nginx',
      label: 'env=prod',
      mediaType: 'application/vnd.oci.image.index.v1+json',
      dangling: false,
    };
    expect(parseHash(formatRoute(route))).toEqual(route);
    const digest = `sha256:${'ab'.repeat(32)}`;
    expect(formatRoute({ view: 'content', digest })).toBe(`#/content/${digest}`);
    expect(parseHash(`#/content/${digest}`)).toEqual({ view: 'content', digest });
    expect(parseHash('#/content/not-a-digest')).toEqual({ view: 'unknown', path: 'content/not-a-digest' });
    expect(section({ view: 'content', digest })).toBe('images');
  });

  it('names the metadata namespace, trash and import', () => {
    expect(parseHash('#/metadata')).toEqual({ view: 'metadata' });
    expect(parseHash('#/metadata/distribution')).toEqual({ view: 'metadata', namespace: 'distribution' });
    expect(parseHash('#/trash')).toEqual({ view: 'trash' });
    expect(parseHash('#/import')).toEqual({ view: 'import' });
  });

  it('keeps the metadata prefix and open key in the address, round trip', () => {
    const route = {
      view: 'metadata',
      namespace: 'v2metadata-by-diffid',
      prefix: 'sha256/a b&',
      key: 'sha256/ab?c',
    } as const;
    expect(formatRoute(route)).toBe(
      '#/metadata/v2metadata-by-diffid?prefix=sha256%2Fa+b%26&key=sha256%2Fab%3Fc',
    );
    expect(parseHash(formatRoute(route))).toEqual(route);
    expect(formatRoute({ view: 'metadata', namespace: 'ns', prefix: '' })).toBe('#/metadata/ns');
  });

  it('reports anything else as unknown instead of guessing', () => {
    expect(parseHash('#/nope')).toEqual({ view: 'unknown', path: 'nope' });
    expect(parseHash('#/images/default')).toEqual({ view: 'unknown', path: 'images/default' });
    expect(parseHash('#/images/default/%E0%A4%A')).toEqual({
      view: 'unknown',
      path: 'images/default/%E0%A4%A',
    });
  });

  it('maps routes to their sidebar entry', () => {
    expect(section({ view: 'image', namespace: 'default', name: 'a' })).toBe('images');
    expect(section({ view: 'metadata', namespace: 'x' })).toBe('metadata');
    expect(section({ view: 'unknown', path: 'x' })).toBeUndefined();
  });
});
