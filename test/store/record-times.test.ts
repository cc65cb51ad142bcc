import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { iso } from '../../src/main/store/records';

describe('record times are ISO-8601 exactly as Date writes them', () => {
  it('for any millisecond, also before 1970, after 9999 and between whole milliseconds', () => {
    const edges = [
      0, 1, 999, 86_399_999, 86_400_000, 951_782_400_000, 253_402_300_799_999, 253_402_300_800_000, -1,
    ];
    for (const ms of edges) expect(iso(ms)).toBe(new Date(ms).toISOString());
    fc.assert(
      fc.property(fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }), (ms) => {
        expect(iso(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.double({ min: -1e13, max: 1e13, noNaN: true }), (ms) => {
        expect(iso(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => {
        expect(iso(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 5000 },
    );
  });
});
