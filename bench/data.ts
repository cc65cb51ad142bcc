// Deterministic benchmark data: image records that look like a containerd store (three namespaces, real registry
// name shapes, OCI/Docker media types, labels) and Docker v2metadata-by-diffid entries. Same seed, same data.
import { createHash } from 'node:crypto';
import type { Descriptor, Labels } from '../src/shared/types';

/** mulberry32: a small, fast, seeded 32-bit PRNG; good enough to shape benchmark data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Random = ReturnType<typeof prng>;

const int = (rnd: Random, lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
const pick = <T>(rnd: Random, list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;

const byteHex = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex(rnd: Random, chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i += 8) {
    const x = (rnd() * 4294967296) >>> 0;
    out += byteHex[x >>> 24]! + byteHex[(x >>> 16) & 255]! + byteHex[(x >>> 8) & 255]! + byteHex[x & 255]!;
  }
  return out.length === chars ? out : out.slice(0, chars);
}

export const randomDigest = (rnd: Random) => `sha256:${hex(rnd, 64)}`;

export const mediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

const targetTypes = [
  mediaTypes.ociIndex,
  mediaTypes.ociIndex,
  mediaTypes.ociManifest,
  mediaTypes.ociManifest,
  mediaTypes.dockerManifest,
  mediaTypes.dockerList,
] as const;

const libraryWords = [
  'nginx',
  'redis',
  'postgres',
  'alpine',
  'ubuntu',
  'debian',
  'busybox',
  'node',
  'python',
  'golang',
  'mysql',
  'mariadb',
  'mongo',
  'httpd',
  'traefik',
  'memcached',
  'rabbitmq',
  'elasticsearch',
  'kibana',
  'logstash',
  'haproxy',
  'caddy',
  'consul',
  'vault',
  'registry',
  'telegraf',
  'influxdb',
  'grafana',
  'openjdk',
  'eclipse-temurin',
  'ruby',
  'php',
  'wordpress',
  'ghost',
  'nextcloud',
  'rust',
  'gcc',
  'bash',
  'fedora',
  'centos',
  'rockylinux',
  'amazonlinux',
  'zookeeper',
  'cassandra',
  'couchdb',
  'neo4j',
  'sonarqube',
  'jenkins',
  'maven',
  'gradle',
  'tomcat',
  'jetty',
  'solr',
  'flink',
  'spark',
  'nats',
  'etcd',
  'minio',
  'adminer',
  'matomo',
  'drupal',
  'joomla',
  'owncloud',
  'erlang',
  'elixir',
  'haskell',
  'julia',
  'swift',
  'perl',
  'pypy',
  'clojure',
  'groovy',
  'kong',
  'varnish',
  'squid',
  'bind9',
];

const orgs = [
  'acme',
  'contoso',
  'initech',
  'umbrella',
  'hooli',
  'globex',
  'stark-industries',
  'wayne-enterprises',
  'cyberdyne',
  'tyrell',
  'soylent',
  'aperture',
  'black-mesa',
  'massive-dynamic',
  'vandelay',
  'wonka',
  'oscorp',
  'piedpiper',
  'dunder-mifflin',
  'prestige-worldwide',
  'monsters-inc',
  'weyland-yutani',
  'gringotts',
  'blue-sun',
  'nakatomi',
];

const repos = [
  'api',
  'web',
  'worker',
  'gateway',
  'auth',
  'billing',
  'search',
  'frontend',
  'backend',
  'scheduler',
  'ingest',
  'notifier',
  'reporting',
  'payments',
  'inventory',
  'catalog',
  'checkout',
  'ledger',
  'metrics-exporter',
  'sidecar',
  'migrations',
  'cron',
  'admin',
  'docs',
  'cache-warmer',
  'image-resizer',
  'pdf-renderer',
  'mailer',
  'webhooks',
  'feature-flags',
  'audit-log',
  'session-store',
  'rate-limiter',
  'geo',
  'recommendations',
  'analytics',
  'etl',
];

const k8sComponents = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kube-proxy',
  'pause',
  'coredns/coredns',
  'etcd',
  'metrics-server/metrics-server',
  'ingress-nginx/controller',
  'kube-state-metrics/kube-state-metrics',
  'sig-storage/csi-provisioner',
  'sig-storage/csi-attacher',
  'sig-storage/csi-resizer',
  'sig-storage/csi-snapshotter',
  'sig-storage/livenessprobe',
  'sig-storage/csi-node-driver-registrar',
  'dns/k8s-dns-node-cache',
  'cluster-autoscaler',
  'kwok/kwok',
  'kueue/kueue',
  'descheduler/descheduler',
  'external-dns/external-dns',
  'kas-network-proxy/proxy-agent',
];

const teams = [
  'platform',
  'payments',
  'search',
  'data',
  'infra',
  'web',
  'mobile',
  'security',
  'ml',
  'growth',
];

export const namespaces = ['default', 'k8s.io', 'moby'] as const;

export interface ImageSpec {
  namespace: string;
  name: string;
  target: Descriptor;
  labels: Labels;
  createdAt: number;
  updatedAt: number;
  /** The target plus every stored blob it reaches and their children: what imgmeta computes as totalSize. */
  totalSize: number;
}

/** Blobs (manifest + config) stored for some images, so that deleting those images leaves real garbage for GC. */
export interface BlobSpec {
  digest: string;
  mediaType: string;
  bytes: Uint8Array;
  /** Digests this blob points at (config and layers of a manifest). */
  children: Descriptor[];
}

const semver = (rnd: Random) => `${int(rnd, 0, 9)}.${int(rnd, 0, 30)}.${int(rnd, 0, 20)}`;

function imageName(rnd: Random, namespace: string): string {
  const r = rnd();
  if (namespace === 'k8s.io' && r < 0.45)
    return `registry.k8s.io/${pick(rnd, k8sComponents)}:v1.${int(rnd, 20, 34)}.${int(rnd, 0, 15)}`;
  if (namespace !== 'default' && r > 0.985) return randomDigest(rnd); // dangling: CRI and the moby snapshotter keep these
  if (namespace === 'k8s.io' && r > 0.97)
    return `docker.io/library/${pick(rnd, libraryWords)}@${randomDigest(rnd)}`;
  if (r < 0.55) {
    const word = pick(rnd, libraryWords);
    const tag = pick(rnd, [
      'latest',
      semver(rnd),
      `${int(rnd, 1, 25)}-alpine`,
      `${int(rnd, 1, 25)}.${int(rnd, 0, 12)}-bookworm`,
      semver(rnd),
    ]);
    return `docker.io/library/${word}:${tag}`;
  }
  const tag = rnd() < 0.8 ? `v${semver(rnd)}` : `sha-${hex(rnd, 7)}`;
  return `ghcr.io/${pick(rnd, orgs)}/${pick(rnd, repos)}:${tag}`;
}

function labelsFor(rnd: Random, namespace: string, name: string): Labels {
  const labels: Labels = {};
  const n = int(rnd, 0, 3);
  const choices = ['team', 'env', 'version', namespace === 'k8s.io' ? 'cri' : 'team'];
  for (let i = 0; i < n; i++) {
    switch (pick(rnd, choices)) {
      case 'team':
        labels.team = pick(rnd, teams);
        break;
      case 'env':
        labels.env = rnd() < 0.4 ? 'prod' : 'dev';
        break;
      case 'version': {
        const colon = name.lastIndexOf(':');
        labels['org.opencontainers.image.version'] =
          colon > 0 && !name.startsWith('sha256:') ? name.slice(colon + 1) : semver(rnd);
        break;
      }
      case 'cri':
        labels['io.cri-containerd.image'] = 'managed';
        break;
    }
  }
  return labels;
}

const twoYears = 2 * 365 * 24 * 3600 * 1000;
/** A fixed "now" keeps the data identical from run to run. */
export const dataNow = Date.UTC(2025, 5, 1);

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** A config and a manifest (two layers, not stored), as real OCI JSON. */
function manifestBlobs(rnd: Random): [manifest: BlobSpec, config: BlobSpec] {
  const configBytes = json({
    architecture: pick(rnd, ['amd64', 'arm64']),
    os: 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: [randomDigest(rnd), randomDigest(rnd)] },
  });
  const configDesc: Descriptor = {
    mediaType: mediaTypes.ociConfig,
    digest: sha256(configBytes),
    size: configBytes.byteLength,
  };
  const layers: Descriptor[] = [0, 1].map(() => ({
    mediaType: mediaTypes.ociLayer,
    digest: randomDigest(rnd),
    size: int(rnd, 500, 50_000),
  }));
  const manifestBytes = json({
    schemaVersion: 2,
    mediaType: mediaTypes.ociManifest,
    config: configDesc,
    layers,
  });
  return [
    {
      digest: sha256(manifestBytes),
      mediaType: mediaTypes.ociManifest,
      bytes: manifestBytes,
      children: [configDesc, ...layers],
    },
    { digest: configDesc.digest, mediaType: mediaTypes.ociConfig, bytes: configBytes, children: [] },
  ];
}

export const imageId = (namespace: string, name: string) => `${namespace}\n${name}`;

export interface ImageData {
  images: ImageSpec[];
  /** Blobs of the images in `doomed` (manifest and config each); no other image points at them. */
  blobs: BlobSpec[];
  /** Indexes into `images` of the images the delete + GC step removes. */
  doomed: number[];
}

/**
 * `count` images over three namespaces (default 45%, k8s.io 40%, moby 15%), unique per namespace. About one image in
 * ten is another tag of an earlier image's digest. Every `count / doomedCount`-th image gets stored blobs of its own
 * and is deleted by the delete + GC step. `exclude` holds ids (imageId) that must not be generated again.
 */
export function generateImages(
  count: number,
  doomedCount: number,
  seed = 42,
  exclude?: ReadonlySet<string>,
): ImageData {
  const rnd = prng(seed);
  const seen = new Set<string>();
  const images: ImageSpec[] = [];
  const blobs: BlobSpec[] = [];
  const doomed: number[] = [];
  const doomedDigests = new Set<string>();
  const stride = doomedCount > 0 ? Math.floor(count / doomedCount) : Infinity;
  while (images.length < count) {
    const r = rnd();
    const namespace = r < 0.45 ? 'default' : r < 0.85 ? 'k8s.io' : 'moby';
    const name = imageName(rnd, namespace);
    const id = imageId(namespace, name);
    if (seen.has(id) || exclude?.has(id)) continue;
    seen.add(id);
    const createdAt = dataNow - Math.floor(rnd() * twoYears);
    const updatedAt = createdAt + Math.floor(rnd() * (dataNow - createdAt));
    const labels = labelsFor(rnd, namespace, name);
    let target: Descriptor;
    let totalSize: number;
    const other = images.length > 0 && rnd() < 0.1 ? images[Math.floor(rnd() * images.length)]! : undefined;
    if (images.length % stride === stride - 1 && doomed.length < doomedCount) {
      const [manifest, config] = manifestBlobs(rnd);
      blobs.push(manifest, config);
      doomed.push(images.length);
      target = { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.byteLength };
      totalSize = target.size + manifest.children.reduce((n, c) => n + c.size, 0);
    } else if (other && !doomedDigests.has(other.target.digest)) {
      target = other.target;
      totalSize = other.totalSize;
    } else {
      target = { mediaType: pick(rnd, targetTypes), digest: randomDigest(rnd), size: int(rnd, 500, 50_000) };
      totalSize = target.size;
    }
    if (doomed[doomed.length - 1] === images.length) doomedDigests.add(target.digest);
    images.push({ namespace, name, target, labels, createdAt, updatedAt, totalSize });
  }
  return { images, blobs, doomed };
}

// ---- Docker distribution metadata: v2metadata-by-diffid ------------------------------------------------------

export const metadataNamespace = 'v2metadata-by-diffid';

export interface MetadataSpec {
  /** `sha256/<64 hex>`, as Docker names the file under the namespace directory. */
  key: string;
  /** Docker's v2metadata JSON: where a layer (by diff ID) was pushed or pulled, ~150 bytes. */
  value: Uint8Array;
}

export function generateMetadata(count: number, seed = 7): MetadataSpec[] {
  const rnd = prng(seed);
  const out: MetadataSpec[] = [];
  const seen = new Set<string>();
  while (out.length < count) {
    const key = `sha256/${hex(rnd, 64)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const repo =
      rnd() < 0.6
        ? `docker.io/library/${pick(rnd, libraryWords)}`
        : `ghcr.io/${pick(rnd, orgs)}/${pick(rnd, repos)}`;
    out.push({ key, value: json([{ Digest: randomDigest(rnd), SourceRepository: repo, HMAC: '' }]) });
  }
  return out;
}

/**
 * Generated metadata entries held packed: the keys in one string, the values in one buffer. A million small objects
 * kept for the whole run made every later V8 collection walk them, and the single-shot rows pay for collections.
 */
export interface MetadataSetParts {
  keys: string;
  keyEnds: Uint32Array;
  values: Uint8Array;
  valueEnds: Uint32Array;
}

export class MetadataSet {
  private constructor(
    private readonly keys: string,
    private readonly keyEnds: Uint32Array,
    private readonly values: Buffer,
    private readonly valueEnds: Uint32Array,
  ) {}

  static pack(specs: MetadataSpec[]): MetadataSet {
    const keyEnds = new Uint32Array(specs.length);
    const valueEnds = new Uint32Array(specs.length);
    let keyAt = 0;
    let valueAt = 0;
    specs.forEach((s, i) => {
      keyEnds[i] = keyAt += s.key.length;
      valueEnds[i] = valueAt += s.value.byteLength;
    });
    return new MetadataSet(
      specs.map((s) => s.key).join(''),
      keyEnds,
      Buffer.concat(specs.map((s) => s.value)),
      valueEnds,
    );
  }

  /** Its parts, to post to another thread (the buffers can be transferred rather than copied). */
  parts(): MetadataSetParts {
    return { keys: this.keys, keyEnds: this.keyEnds, values: this.values, valueEnds: this.valueEnds };
  }

  static fromParts(p: MetadataSetParts): MetadataSet {
    // A posted Buffer arrives as a plain Uint8Array over the same memory.
    return new MetadataSet(
      p.keys,
      p.keyEnds,
      Buffer.from(p.values.buffer, p.values.byteOffset, p.values.byteLength),
      p.valueEnds,
    );
  }

  get length(): number {
    return this.keyEnds.length;
  }

  key(i: number): string {
    return this.keys.slice(i > 0 ? this.keyEnds[i - 1] : 0, this.keyEnds[i]);
  }

  /** Entries [from, to) as objects (a batch at a time). */
  slice(from: number, to: number): MetadataSpec[] {
    const out: MetadataSpec[] = [];
    for (let i = from; i < Math.min(to, this.length); i++) {
      out.push({
        key: this.key(i),
        value: this.values.subarray(i > 0 ? this.valueEnds[i - 1] : 0, this.valueEnds[i]),
      });
    }
    return out;
  }
}

/** `n` positions in [0, size), reproducibly. */
export function sampleIndexes(rnd: Random, n: number, size: number): number[] {
  return Array.from({ length: n }, () => Math.floor(rnd() * size));
}
