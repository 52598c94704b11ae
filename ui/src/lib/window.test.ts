import { describe, expect, it } from 'vitest';
import { covers, LIST_MARGIN, LIST_WINDOW, windowOffset } from './window';

describe('list windows', () => {
  it('centres the block on what is visible, never before the start', () => {
    expect(windowOffset(0, 12)).toBe(0);
    expect(windowOffset(1000, 1012, 300)).toBe(856);
    expect(windowOffset(1000, 1012)).toBe(1000 - Math.floor((LIST_WINDOW - 12) / 2));
    expect(windowOffset(5, 17, 300)).toBe(0);
  });

  it('asks again before the user reaches the edge of the loaded rows', () => {
    const total = 10_000;
    // A block centred on rows 1000..1012.
    const offset = windowOffset(1000, 1012);
    const end = offset + LIST_WINDOW;
    expect(covers(offset, LIST_WINDOW, 1000, 1012, total)).toBe(true);
    // Close to the block's end: fewer than the margin left below the screen.
    expect(covers(offset, LIST_WINDOW, end - LIST_MARGIN - 11, end - LIST_MARGIN + 1, total)).toBe(false);
    expect(covers(offset, LIST_WINDOW, end - LIST_MARGIN - 12, end - LIST_MARGIN, total)).toBe(true);
    // Nothing loaded yet.
    expect(covers(0, 0, 0, 12, total)).toBe(false);
  });

  it('is content at the ends of the list and with an empty list', () => {
    expect(covers(0, 40, 0, 12, 40)).toBe(true);
    expect(covers(9_700, 300, 9_988, 10_000, 10_000)).toBe(true);
    expect(covers(0, 0, 0, 0, 0)).toBe(true);
  });
});
