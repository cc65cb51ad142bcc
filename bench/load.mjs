// `npm run test:load`: many concurrent browsers' worth of reads against `imgmeta serve` while a writer writes.
//
// The built CLI serves a fresh store on loopback (a subprocess, as users run it); 1,000 images and 500 metadata keys
// (--images, --keys) are added over the API; then N clients (50), each on its own keep-alive connection, list pages (any sort, any
// depth) and read images and metadata as fast as they are answered, for S seconds (20), while one writer creates
// images, relabels them and overwrites metadata, each a durable transaction. Every answer must be a 200 envelope
// with ok: true; anything else is an error. Prints p50/p99/max per operation and writes bench/results/load.json.
//
//   node bench/load.mjs [--seconds S] [--clients N] [--images N] [--keys N] [--baseline-seconds S] [--no-results]
//                       [--json]
//
// First, for comparison in the same run, one reader alone with no writer for 3 s (--baseline-seconds).
//
// --no-results leaves bench/results alone (the bounded run inside npm test); --json prints the result as one JSON
// document on stdout instead of the table. Exit 1 when any request failed.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const seconds = option('--seconds', 20);
const baselineSeconds = option('--baseline-seconds', 3);
const clients = option('--clients', 50);
const writeResults = !args.includes('--no-results');
const asJson = args.includes('--json');
const seedImages = option('--images', 1000);
const seedKeys = option('--keys', 500);
const log = (line) => (asJson ? process.stderr : process.stdout).write(`${line}\n`);

const base = mkdtempSync(join(tmpdir(), 'imgmeta-load-'));
const token = randomBytes(24).toString('base64url');
const server = spawn(
  process.execPath,
  [join(root, 'bin', 'imgmeta.js'), '--store', join(base, 'store'), 'serve', '--port', '0', '--token', token],
  { stdio: ['ignore', 'pipe', 'pipe'] },
);
let serverErr = '';
server.stderr.on('data', (chunk) => (serverErr += chunk));
const stop = () => {
  if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
};
process.on('exit', () => {
  stop();
  rmSync(base, { recursive: true, force: true });
});

const origin = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (chunk) => {
    out += chunk;
    const newline = out.indexOf('\n');
    if (newline >= 0) resolve(new URL(out.slice(0, newline)).origin);
  });
  server.once('exit', (code) => reject(new Error(`imgmeta serve exited ${code}: ${serverErr}`)));
});
const { hostname, port } = new URL(origin);
if (hostname !== '127.0.0.1') throw new Error(`load: expected a loopback server, got ${origin}`);

/** One operation over HTTP on `agent`'s connection: its latency in ms, or throws with what went wrong. */
function call(agent, operation, input) {
  const body = JSON.stringify(input);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        method: 'POST',
        path: `/api/${operation}`,
        agent,
        timeout: 30_000,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const ms = performance.now() - started;
          let envelope;
          try {
            envelope = JSON.parse(text);
          } catch {
            envelope = undefined;
          }
          if (res.statusCode !== 200 || envelope?.ok !== true)
            reject(new Error(`${operation}: ${res.statusCode} ${text.slice(0, 200)}`));
          else resolve({ ms, result: envelope.result });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${operation}: no answer in 30 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

const digest = (n) => `sha256:${n.toString(16).padStart(64, '0')}`;
const imageName = (i) => `registry.example/team-${i % 17}/app-${i}:v${i % 5}`;
const image = (i) => ({
  namespace: 'default',
  name: imageName(i),
  target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest(i + 1), size: 500 + i },
  labels: { team: `t${i % 7}`, ...(i % 3 === 0 ? { env: 'prod' } : {}) },
});
const metaValue = (i) => ({
  $bytes: Buffer.from(JSON.stringify({ diffID: digest(i), n: i })).toString('base64'),
});

// Seed, 8 at a time.
const seedAgent = new Agent({ keepAlive: true, maxSockets: 8 });
const seedStarted = performance.now();
async function seed(count, make) {
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < count) await make(next++);
    }),
  );
}
await seed(seedImages, (i) => call(seedAgent, 'images.create', image(i)));
await seed(seedKeys, (i) =>
  call(seedAgent, 'metadata.set', { namespace: 'v2metadata', key: `sha256/${i}`, value: metaValue(i) }),
);
seedAgent.destroy();
log(
  `load: seeded ${seedImages} images and ${seedKeys} metadata keys in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`,
);

const errors = [];
/** operation -> latencies in ms, and a function that adds one. */
const recorder = () => {
  const latencies = new Map();
  const record = (operation, ms) => {
    if (!latencies.has(operation)) latencies.set(operation, []);
    latencies.get(operation).push(ms);
  };
  return { latencies, record };
};
const random = (n) => Math.floor(Math.random() * n);

/** What a reader does, one request at a time, as a browser scrolling and clicking would. */
const reads = [
  [
    'images.list',
    () => ({
      sort: ['name', 'created', 'size'][random(3)],
      order: random(2) ? 'asc' : 'desc',
      offset: random(seedImages),
      limit: 50,
    }),
  ],
  ['images.list (label filter)', () => ({ filter: { labels: [`team=t${random(7)}`] }, limit: 50 })],
  ['images.get', () => ({ namespace: 'default', name: imageName(random(seedImages)) })],
  ['metadata.get', () => ({ namespace: 'v2metadata', key: `sha256/${random(seedKeys)}` })],
  ['metadata.list', () => ({ namespace: 'v2metadata', prefix: 'sha256/', limit: 100 })],
];

async function reader(deadline, record) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    while (performance.now() < deadline) {
      const [label, input] = reads[random(reads.length)];
      const operation = label.split(' ')[0];
      try {
        record(label, (await call(agent, operation, input())).ms);
      } catch (err) {
        errors.push(err.message);
      }
    }
  } finally {
    agent.destroy();
  }
}

let created = 0;
async function writer(deadline, record) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; performance.now() < deadline; i++) {
      const steps = [
        ['images.create (write)', 'images.create', image(seedImages + i)],
        [
          'images.labels (write)',
          'images.labels',
          { namespace: 'default', name: imageName(random(seedImages)), set: { touched: String(i) } },
        ],
        [
          'metadata.set (write)',
          'metadata.set',
          { namespace: 'v2metadata', key: `sha256/${random(seedKeys)}`, value: metaValue(i) },
        ],
      ];
      for (const [label, operation, input] of steps) {
        try {
          record(label, (await call(agent, operation, input)).ms);
          if (operation === 'images.create') created++;
        } catch (err) {
          errors.push(err.message);
        }
      }
    }
  } finally {
    agent.destroy();
  }
}

// The peer figure, in the same run: the same reads from one client with no writer, nothing queued behind anything.
const alone = recorder();
log(`load: 1 reader alone for ${baselineSeconds} s against ${origin} (${cpus().length} cores)`);
await reader(performance.now() + baselineSeconds * 1000, alone.record);

const { latencies, record } = recorder();
log(`load: ${clients} readers and 1 writer for ${seconds} s against ${origin}`);
const started = performance.now();
const deadline = started + seconds * 1000;
await Promise.all([
  writer(deadline, record),
  ...Array.from({ length: clients }, () => reader(deadline, record)),
]);
const elapsed = (performance.now() - started) / 1000;

// The store must hold what the writer says it wrote.
const check = new Agent({ keepAlive: false });
const { result: info } = await call(check, 'store.info', {});
check.destroy();

const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (ms) => Math.round(ms * 100) / 100;
  return { count: sorted.length, p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted.at(-1)) };
};
const perOperation = Object.fromEntries([...latencies].map(([label, values]) => [label, stats(values)]));
const readLatencies = [...latencies].filter(([label]) => !label.endsWith('(write)')).flatMap(([, v]) => v);
const writeLatencies = [...latencies].filter(([label]) => label.endsWith('(write)')).flatMap(([, v]) => v);
let commit;
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
} catch {
  commit = undefined;
}
const result = {
  when: new Date().toISOString(),
  commit,
  cores: cpus().length,
  seconds: Math.round(elapsed * 10) / 10,
  clients,
  seeded: { images: seedImages, metadataKeys: seedKeys },
  requests: readLatencies.length + writeLatencies.length + errors.length,
  errors: errors.length,
  firstErrors: errors.slice(0, 5),
  readsPerSecond: Math.round(readLatencies.length / elapsed),
  writesPerSecond: Math.round(writeLatencies.length / elapsed),
  reads: stats(readLatencies),
  readsAlone: stats([...alone.latencies.values()].flat()),
  writes: stats(writeLatencies),
  perOperation,
  store: { images: info.images, metadataKeys: info.metadataKeys },
  expectedImages: seedImages + created,
};

if (asJson) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const rows = Object.entries(perOperation).map(([operation, s]) => ({ operation, ...s }));
  rows.push(
    { operation: 'all reads', ...result.reads },
    { operation: 'all writes', ...result.writes },
    { operation: 'reads, 1 client alone', ...result.readsAlone },
  );
  console.table(rows);
  log(
    `load: ${result.requests} requests in ${result.seconds} s (${result.readsPerSecond} reads/s, ` +
      `${result.writesPerSecond} writes/s), ${result.errors} errors; reads p50 ${result.reads.p50} ms, ` +
      `p99 ${result.reads.p99} ms; writes p50 ${result.writes.p50} ms, p99 ${result.writes.p99} ms; ` +
      `one reader alone: p50 ${result.readsAlone.p50} ms, p99 ${result.readsAlone.p99} ms`,
  );
  for (const message of result.firstErrors) log(`  error: ${message}`);
}
if (writeResults) {
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'load.json'), `${JSON.stringify(result, null, 2)}\n`);
  log('load: wrote bench/results/load.json');
}
stop();
process.exitCode = result.errors > 0 ? 1 : 0;
