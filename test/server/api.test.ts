import { describe, expect, it } from 'vitest';
import { ImgmetaError } from '../../src/shared/errors';
import { encodeWire } from '../../src/shared/wire';
import { imageInput, makeImage, oci } from '../helpers/store';
import { bearer, post, raw, serve } from './harness';

/** `POST /api/<operation>`: the service over HTTP, with the same envelopes, codes and bytes as in-process. */

describe('operations over HTTP', () => {
  it('a write and a read round-trip through the typed client, and land in the store', async () => {
    const { client, local } = await serve();
    const image = makeImage('round-trip');
    await client['content.put']({ bytes: image.config, mediaType: oci.config });
    await client['content.put']({ bytes: image.manifest, mediaType: oci.manifest });
    const created = await client['images.create']({
      namespace: 'default',
      name: 'example.com/app:1.0',
      target: image.target,
      labels: { team: 'web' },
    });
    expect(created).toMatchObject({
      namespace: 'default',
      name: 'example.com/app:1.0',
      labels: { team: 'web' },
    });
    expect(await client['images.get']({ namespace: 'default', name: 'example.com/app:1.0' })).toEqual(
      created,
    );
    expect(await local['images.get']({ namespace: 'default', name: 'example.com/app:1.0' })).toEqual(created);
    const page = await client['images.list']({});
    expect(page.total).toBe(1);
    expect(page.items).toEqual([created]);
    const blob = await client['content.get']({ digest: image.target.digest });
    expect(Buffer.from(blob.bytes).equals(Buffer.from(image.manifest))).toBe(true);
  });

  it('every byte value crosses exactly, both ways (metadata.set, metadata.get)', async () => {
    const { client, local } = await serve();
    const value = Uint8Array.from({ length: 512 }, (_, i) => (i * 7 + (i >> 8)) % 256);
    expect(new Set(value).size).toBe(256);
    const info = await client['metadata.set']({ namespace: 'bytes', key: 'all/256', value });
    expect(info).toMatchObject({ key: 'all/256', size: 512, version: 1 });
    const back = await client['metadata.get']({ namespace: 'bytes', key: 'all/256' });
    expect(back.value).toBeInstanceOf(Uint8Array);
    expect([...back.value]).toEqual([...value]);
    // Not merely symmetric: the store holds exactly these bytes.
    const stored = await local['metadata.get']({ namespace: 'bytes', key: 'all/256' });
    expect([...stored.value]).toEqual([...value]);
  });

  it('errors arrive typed, with their code, and with the status that goes with it', async () => {
    const { client, server } = await serve();
    await expect(client['images.get']({ namespace: 'default', name: 'missing:1' })).rejects.toMatchObject({
      name: 'ImgmetaError',
      code: 'not_found',
    });
    await client['images.create'](imageInput('default', 'a:1', 1));
    const taken = client['images.create'](imageInput('default', 'a:1', 2));
    await expect(taken).rejects.toBeInstanceOf(ImgmetaError);
    await expect(taken).rejects.toMatchObject({ code: 'already_exists' });

    const missing = await post(server, 'images.get', encodeWire({ namespace: 'default', name: 'missing:1' }));
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(missing.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(missing.body)).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const invalid = await post(
      server,
      'images.get',
      encodeWire({ namespace: 'default', name: 'UPPER CASE' }),
    );
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.body)).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
  });

  it('a body that is not JSON, or poses as bytes, is invalid_argument (400)', async () => {
    const { server } = await serve();
    for (const body of ['{"namespace":', '{"$bytes": 12}', '{"$x": 1}']) {
      const res = await post(server, 'metadata.namespaces', body);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
    }
    // An empty body is the empty input.
    const empty = await post(server, 'metadata.namespaces', '');
    expect(JSON.parse(empty.body)).toEqual({ ok: true, result: [] });
  });
});

describe('--read-only', () => {
  it('refuses every writing operation with failed_precondition (412) before reading it, and allows reads', async () => {
    const { client, server, local } = await serve({ readOnly: true });
    await local['metadata.set']({ namespace: 'ns', key: 'k', value: new Uint8Array([1, 2, 3]) });

    await expect(
      client['metadata.set']({ namespace: 'ns', key: 'k', value: new Uint8Array([9]) }),
    ).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/read-only/) });
    await expect(client['images.create'](imageInput('default', 'a:1', 1))).rejects.toMatchObject({
      code: 'failed_precondition',
    });
    // Refused before the body is parsed: a malformed write is still "read-only", not "invalid".
    const malformed = await post(server, 'gc.run', '{not json');
    expect(malformed.status).toBe(412);
    expect(JSON.parse(malformed.body)).toMatchObject({ ok: false, error: { code: 'failed_precondition' } });

    const value = await client['metadata.get']({ namespace: 'ns', key: 'k' });
    expect([...value.value]).toEqual([1, 2, 3]);
    expect(await client['store.info']({})).toMatchObject({ readOnly: true, metadataKeys: 1 });
    expect((await client['images.list']({})).total).toBe(0);
  });
});

describe('request rules', () => {
  it('POST needs content-type application/json (415)', async () => {
    const { server } = await serve();
    for (const type of [
      undefined,
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
    ]) {
      const res = await raw(server, {
        method: 'POST',
        path: '/api/store.info',
        headers: { ...bearer(server), ...(type ? { 'content-type': type } : {}) },
        body: '{}',
      });
      expect(res.status).toBe(415);
      expect(JSON.parse(res.body)).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
    }
    const withCharset = await post(server, 'store.info', '{}', {
      'content-type': 'Application/JSON; charset=utf-8',
    });
    expect(withCharset.status).toBe(200);
  });

  it('a body over the limit is 413, whether announced by Content-Length or streamed', async () => {
    const { server, local } = await serve({ maxBodyBytes: 1024 });
    const body = encodeWire({ namespace: 'ns', key: 'k', value: new Uint8Array(2048) });
    const announced = await post(server, 'metadata.set', body);
    expect(announced.status).toBe(413);
    expect(JSON.parse(announced.body)).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
    const streamed = await raw(server, {
      method: 'POST',
      path: '/api/metadata.set',
      headers: { 'content-type': 'application/json', ...bearer(server) },
      body,
      chunked: true,
    });
    expect(streamed.status).toBe(413);
    expect(await local['metadata.namespaces']({})).toEqual([]);
    const small = await post(
      server,
      'metadata.set',
      encodeWire({ namespace: 'ns', key: 'k', value: new Uint8Array(8) }),
    );
    expect(small.status).toBe(200);
  });

  it('an unknown operation is a 404 envelope', async () => {
    const { server } = await serve();
    for (const path of [
      '/api/images.nothing',
      '/api/',
      '/api',
      '/api/images.list/extra',
      '/api/%69mages.list',
    ]) {
      const res = await raw(server, {
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', ...bearer(server) },
        body: '{}',
      });
      expect(res.status, path).toBe(404);
      expect(JSON.parse(res.body), path).toMatchObject({ ok: false, error: { code: 'not_found' } });
    }
  });

  it('other methods are 405 with Allow', async () => {
    const { server } = await serve();
    const getOperation = await raw(server, { path: '/api/store.info', headers: bearer(server) });
    expect(getOperation.status).toBe(405);
    expect(getOperation.headers.allow).toBe('POST');
    expect(JSON.parse(getOperation.body)).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
    const postEvents = await post(server, 'events', '{}');
    expect(postEvents.status).toBe(405);
    expect(postEvents.headers.allow).toBe('GET');
    for (const method of ['PUT', 'DELETE', 'POST']) {
      const res = await raw(server, { method, path: '/', headers: bearer(server) });
      expect(res.status, method).toBe(405);
      expect(res.headers.allow).toBe('GET, HEAD');
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    }
  });
});
