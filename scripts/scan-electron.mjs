// `npm run scan:electron`: Doyensec's electronegativity over the desktop app's sources, with no network.
//
// The scanner fetches translations and Electron's release list on every run; a CI scan must not depend on (or leak
// to) the network, so it runs in a network namespace of its own (`unshare -rn`: a user namespace maps us to root in
// it, which works for root and, where unprivileged user namespaces are allowed, for everyone else) that holds only a
// loopback interface. Where no namespace can be made, the fallback blocks every socket and DNS lookup in this process
// (the scanner starts no child processes). Either way the child checks that it really is offline before scanning.
//
// Passes when no finding is above LOW, no source failed to parse, and every remaining finding and every inline
// `eng-disable` is explained in SECURITY.md (by its check id). Exit 0 or 1; the findings are printed as a table.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const self = fileURLToPath(import.meta.url);
const mode = process.argv[2];

if (mode === undefined) {
  const namespace = spawnSync('unshare', ['-rn', 'true'], { stdio: 'ignore' }).status === 0;
  const result = namespace
    ? spawnSync('unshare', ['-rn', process.execPath, self, '--offline-namespace'], { stdio: 'inherit' })
    : spawnSync(process.execPath, [self, '--offline-guard'], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
} else if (mode === '--offline-namespace') {
  await assertNoNetworkInterfaces();
  await scan('a network namespace of its own (unshare -rn)');
} else if (mode === '--offline-guard') {
  await blockNetwork();
  await scan('this process, with sockets and DNS blocked (no user namespace available for unshare -rn)');
} else {
  console.error(`scan:electron: unknown argument ${mode}`);
  process.exit(2);
}

/** Inside the namespace: nothing but loopback, and an outside address is unreachable. */
async function assertNoNetworkInterfaces() {
  const { networkInterfaces } = await import('node:os');
  const names = Object.keys(networkInterfaces()).filter((name) => name !== 'lo');
  if (names.length > 0) throw new Error(`scan:electron: expected no network, found ${names.join(', ')}`);
  const net = await import('node:net');
  const reached = await new Promise((resolve) => {
    const socket = net.connect({ host: '1.1.1.1', port: 443, timeout: 2000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
  if (reached) throw new Error('scan:electron: an outside address answered: the network is not cut');
}

/** The fallback: any connection or lookup from this process fails at once (the CommonJS modules the scanner uses). */
async function blockNetwork() {
  const require = createRequire(import.meta.url);
  const net = require('node:net');
  const dns = require('node:dns');
  const refuse = (what) =>
    Object.assign(new Error(`network access refused (${what})`), { code: 'ENETUNREACH' });
  net.Socket.prototype.connect = function connect() {
    process.nextTick(() => this.destroy(refuse('connect')));
    return this;
  };
  dns.lookup = (_host, options, callback) =>
    process.nextTick(() => (callback ?? options)(refuse('dns.lookup')));
  dns.promises.lookup = async () => {
    throw refuse('dns.promises.lookup');
  };
  const error = await new Promise((resolve) => {
    const socket = net.connect({ host: '1.1.1.1', port: 443 });
    socket.once('connect', () => (socket.destroy(), resolve(undefined)));
    socket.once('error', resolve);
  });
  if (!/network access refused/.test(error?.message ?? ''))
    throw new Error('scan:electron: the network guard did not hold');
}

async function scan(where) {
  // Only what ships: the app's sources and package.json (the Electron version); not tests, with their fake electron.
  const input = mkdtempSync(join(tmpdir(), 'imgmeta-scan-'));
  try {
    cpSync(join(root, 'package.json'), join(input, 'package.json'));
    for (const dir of ['src/main', 'src/preload', 'src/renderer', 'src/shared'])
      cpSync(join(root, dir), join(input, dir), { recursive: true });

    const require = createRequire(import.meta.url);
    const run = require('@doyensec/electronegativity');
    // Its own log lines ("No connectivity?") are expected offline; the verdict is below.
    const result = await run(
      {
        input,
        isRelative: true,
        isVerbose: false,
        customScan: [],
        excludeFromScan: [],
        parserPlugins: [],
      },
      false,
    );
    report(result, where);
  } finally {
    rmSync(input, { recursive: true, force: true });
  }
}

function report({ issues, errors, globalChecks, atomicChecks }, where) {
  const security = readFileSync(join(root, 'SECURITY.md'), 'utf8');
  const problems = [];
  console.log(`\nelectronegativity: ${globalChecks + atomicChecks} checks, offline in ${where}`);
  const rows = issues.map((issue) => ({
    check: issue.id,
    severity: issue.severity.name,
    confidence: issue.confidence.name,
    where: `${issue.file}:${issue.location.line}`,
    review: issue.manualReview ? 'manual review' : '',
  }));
  if (rows.length > 0) console.table(rows);
  else console.log('no findings');
  for (const issue of issues) {
    if (issue.severity.value > severityValue('LOW'))
      problems.push(`${issue.id} (${issue.severity.name}) at ${issue.file}:${issue.location.line}`);
    else if (!security.includes(issue.id))
      problems.push(`${issue.id} at ${issue.file}:${issue.location.line} is not explained in SECURITY.md`);
  }
  for (const error of errors) {
    const file = relative(root, error.file);
    if (!error.tolerable) problems.push(`could not parse ${file}: ${error.message}`);
    else console.log(`note: ${file}: ${error.message}`);
  }
  for (const suppressed of inlineSuppressions()) {
    console.log(`suppressed inline: ${suppressed.check} at ${suppressed.where}`);
    if (!security.includes(suppressed.check))
      problems.push(`eng-disable ${suppressed.check} at ${suppressed.where} is not explained in SECURITY.md`);
  }
  if (problems.length > 0) {
    console.error(`scan:electron: FAILED\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(
    'scan:electron: ok (nothing above LOW; every finding and suppression explained in SECURITY.md)',
  );
}

function severityValue(name) {
  const require = createRequire(import.meta.url);
  const { severity } = require('@doyensec/electronegativity/dist/finder/attributes');
  return severity[name].value;
}

/** `// eng-disable CHECK_ID` comments in the sources the scan reads. */
function inlineSuppressions() {
  const found = [];
  const grep = spawnSync('grep', ['-rn', '--include=*.ts', '--include=*.tsx', 'eng-disable', 'src'], {
    cwd: root,
    encoding: 'utf8',
  });
  for (const line of grep.stdout.split('\n').filter(Boolean)) {
    const match = /^([^:]+:\d+):.*eng-disable\s+([\w ,]+)/.exec(line);
    if (match)
      for (const check of match[2].split(/[\s,]+/).filter(Boolean)) found.push({ where: match[1], check });
  }
  return found;
}
