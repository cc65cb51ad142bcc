// Timing helpers: wall-clock milliseconds from the monotonic clock, percentiles over samples.
import { PerformanceObserver } from 'node:perf_hooks';

export const now = () => Number(process.hrtime.bigint()) / 1e6;

export interface Stats {
  n: number;
  p50: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
}

export function stats(ms: number[]): Stats {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return {
    n: sorted.length,
    p50: at(0.5),
    p99: at(0.99),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}

/** Milliseconds one call takes, and what it returned. */
export function timed<T>(fn: () => T): { ms: number; value: T } {
  const start = now();
  const value = fn();
  return { ms: now() - start, value };
}

/** `n` timed calls of `fn(i)`, after `warmup` untimed ones. */
export function sample(n: number, fn: (i: number) => unknown, warmup = 0): Stats {
  for (let i = 0; i < warmup; i++) fn(i);
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = now();
    fn(i);
    ms.push(now() - start);
  }
  return stats(ms);
}

export const formatMs = (ms: number) =>
  ms >= 1000
    ? `${(ms / 1000).toFixed(2)} s`
    : ms >= 100
      ? `${ms.toFixed(0)} ms`
      : ms >= 10
        ? `${ms.toFixed(1)} ms`
        : `${ms.toFixed(2)} ms`;

export const formatRate = (perSecond: number) =>
  perSecond >= 1e6
    ? `${(perSecond / 1e6).toFixed(2)}M/s`
    : perSecond >= 1e3
      ? `${(perSecond / 1e3).toFixed(1)}k/s`
      : `${perSecond.toFixed(0)}/s`;

/**
 * V8 collections seen during the run (observed continuously; entries arrive asynchronously, so ask after the work).
 * Single-shot rows are one measurement each, and a collection landing inside one can double it: the report says so.
 */
export class GcLog {
  private readonly entries: { start: number; end: number }[] = [];
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      this.entries.push({ start: e.startTime, end: e.startTime + e.duration });
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** Milliseconds of collection between two performance.now() readings. */
  within(start: number, end: number): number {
    return this.entries.reduce(
      (ms, e) => ms + Math.max(0, Math.min(end, e.end) - Math.max(start, e.start)),
      0,
    );
  }

  stop(): void {
    this.observer.disconnect();
  }
}

/**
 * One timed call with what else it paid for: page faults (major: read from disk; minor: a page already in memory
 * mapped into the process, ~12 us each on this VM) and its performance.now() window.
 */
export function timedOnce<T>(fn: () => T): {
  ms: number;
  value: T;
  majorFaults: number;
  minorFaults: number;
  window: [number, number];
} {
  const before = process.resourceUsage();
  const start = performance.now();
  const value = fn();
  const end = performance.now();
  const after = process.resourceUsage();
  return {
    ms: end - start,
    value,
    majorFaults: after.majorPageFault - before.majorPageFault,
    minorFaults: after.minorPageFault - before.minorPageFault,
    window: [start, end],
  };
}
