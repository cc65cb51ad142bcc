import { describe, expect, it } from 'vitest';
import {
  add,
  allSelected,
  emptySelection,
  isSelected,
  moveFor,
  only,
  rangeBetween,
  selectedCount,
  toggle,
} from '../../src/renderer/src/selection';

const a = { namespace: 'default', name: 'a:1' };
const b = { namespace: 'default', name: 'b:1' };
const sameNameOtherNs = { namespace: 'k8s.io', name: 'a:1' };

describe('selection is kept by namespace and name', () => {
  it('selects one, toggles, and tells namespaces apart', () => {
    let s = only(a);
    expect(isSelected(s, a)).toBe(true);
    expect(isSelected(s, sameNameOtherNs)).toBe(false);
    s = toggle(s, b);
    expect(selectedCount(s, 100)).toBe(2);
    s = toggle(s, a);
    expect(isSelected(s, a)).toBe(false);
    expect(selectedCount(s, 100)).toBe(1);
  });

  it('keeps only the name, not the rest of a record', () => {
    const s = only({ ...a, labels: { x: 'y' } } as typeof a);
    expect([...s.refs.values()]).toEqual([a]);
  });

  it('selects all of a scope without listing it, minus what is taken out', () => {
    let s = allSelected;
    expect(isSelected(s, a)).toBe(true);
    expect(selectedCount(s, 1_000_000)).toBe(1_000_000);
    s = toggle(s, a);
    expect(isSelected(s, a)).toBe(false);
    expect(selectedCount(s, 1_000_000)).toBe(999_999);
    s = add(s, [a]);
    expect(isSelected(s, a)).toBe(true);
    expect(selectedCount(s, 1_000_000)).toBe(1_000_000);
  });

  it('adds a range to what is selected', () => {
    const s = add(only(a), [b, sameNameOtherNs, b]);
    expect(selectedCount(s, 10)).toBe(3);
    expect(emptySelection.refs.size).toBe(0);
  });

  it('orders a range from anchor to target either way', () => {
    expect(rangeBetween(5, 2)).toEqual({ from: 2, to: 5 });
    expect(rangeBetween(2, 5)).toEqual({ from: 2, to: 5 });
  });
});

describe('keyboard moves in the list', () => {
  it('moves by one, by a page, to the ends, clamped', () => {
    expect(moveFor('ArrowDown', 0, 10, 4)).toBe(1);
    expect(moveFor('ArrowUp', 0, 10, 4)).toBe(0);
    expect(moveFor('PageDown', 8, 10, 4)).toBe(9);
    expect(moveFor('PageUp', 5, 10, 4)).toBe(1);
    expect(moveFor('Home', 5, 10, 4)).toBe(0);
    expect(moveFor('End', 5, 1_000_000, 4)).toBe(999_999);
    expect(moveFor('x', 5, 10, 4)).toBeUndefined();
    expect(moveFor('ArrowDown', 0, 0, 4)).toBeUndefined();
  });
});
