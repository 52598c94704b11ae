import { describe, expect, it } from 'vitest';
import { covers, LIST_MARGIN, LIST_WINDOW, windowOffset } from './window';

describe('list windows', () => {
  it('centres the block on what is visible, never before the start', () => {
    expect(windowOffset(0, 12)).toBe(0);
    expect(windowOffset(1000, 1012, 300)).toBe(856);
    expect(windowOffset(5, 17, 300)).toBe(0);
  });

  it('asks again before the user reaches the edge of the loaded rows', () => {
    const total = 10_000;
    // Block 856..1156 around rows 1000..1012.
    expect(covers(856, LIST_WINDOW, 1000, 1012, total)).toBe(true);
    // Close to the block's end: fewer than the margin left below the screen.
    expect(covers(856, LIST_WINDOW, 1156 - LIST_MARGIN - 11, 1156 - LIST_MARGIN + 1, total)).toBe(false);
    // Nothing loaded yet.
    expect(covers(0, 0, 0, 12, total)).toBe(false);
  });

  it('is content at the ends of the list and with an empty list', () => {
    expect(covers(0, 40, 0, 12, 40)).toBe(true);
    expect(covers(9_700, 300, 9_988, 10_000, 10_000)).toBe(true);
    expect(covers(0, 0, 0, 0, 0)).toBe(true);
  });
});
