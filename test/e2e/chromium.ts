import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { root } from '../cli/run';

/**
 * Debian's Chromium driven by playwright-core, as every e2e suite uses it: never a downloaded browser, no background
 * networking (this machine's network is closed), a fresh context per page, and every console error, warning and
 * uncaught exception recorded so that a test can require there were none.
 */
export const executablePath = '/usr/bin/chromium';
export const browserMissing = existsSync(executablePath)
  ? undefined
  : `${executablePath} is missing: install Debian's chromium package (.ci/run does)`;
export const artifacts = join(root, 'test', 'artifacts');

/**
 * A temp directory for a whole e2e file (its store is served to every test, so not the harness's per-test temp
 * dir), removed by the file's `stops`; refuses to start without a built renderer.
 */
export function suiteDir(name: string, stops: (() => void)[]): string {
  if (!existsSync(join(root, 'out', 'renderer', 'index.html')))
    throw new Error('out/renderer is missing: run `npm run build` before the e2e tests (npm test does)');
  const base = mkdtempSync(join(tmpdir(), `imgmeta-e2e-${name}`));
  stops.push(() => rmSync(base, { recursive: true, force: true }));
  return base;
}

export async function launchChromium(): Promise<Browser> {
  mkdirSync(artifacts, { recursive: true });
  return chromium.launch({
    executablePath,
    args: [
      '--disable-gpu',
      '--disable-quic',
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface OpenPage {
  page: Page;
  /** Console errors and warnings, uncaught exceptions. */
  problems: string[];
  close: () => Promise<void>;
}

/**
 * A fresh page at `url`. `expected` names API calls meant to fail: Chromium logs their non-2xx status ("Failed to
 * load resource") as a console error.
 */
export async function openPage(
  browser: Browser,
  url: string,
  options: { colorScheme?: 'light' | 'dark'; width?: number; height?: number; expected?: string[] } = {},
): Promise<OpenPage> {
  const context = await browser.newContext({
    colorScheme: options.colorScheme ?? 'light',
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
  });
  // Shorter than a test's timeout, so that a missing element fails with its locator rather than a timeout.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error' && message.type() !== 'warning') return;
    const at = message.location().url;
    if (
      message.text().startsWith('Failed to load resource') &&
      (options.expected ?? []).some((op) => at.endsWith(`/api/${op}`))
    )
      return;
    problems.push(`${message.type()}: ${message.text()} @ ${at}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  await page.goto(url);
  return { page, problems, close: () => context.close() };
}
