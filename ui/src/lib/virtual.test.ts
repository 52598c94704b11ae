import { describe, expect, it } from 'vitest';
import { scrollToReveal, visibleSlice } from './virtual';

describe('visibleSlice', () => {
  it('renders the rows in view plus overscan at the top', () => {
    const s = visibleSlice({ count: 10_000, rowHeight: 72, scrollTop: 0, viewportHeight: 720, overscan: 5 });
    expect(s).toEqual({ start: 0, end: 15, offsetTop: 0, totalHeight: 720_000 });
  });

  it('follows the scroll position with overscan on both sides', () => {
    // Rows 100..109 are in view (scrollTop 7200 = row 100).
    const s = visibleSlice({ count: 10_000, rowHeight: 72, scrollTop: 7200, viewportHeight: 720, overscan: 5 });
    expect(s.start).toBe(95);
    expect(s.end).toBe(115);
    expect(s.offsetTop).toBe(95 * 72);
  });

  it('includes a partly visible row', () => {
    const s = visibleSlice({ count: 100, rowHeight: 50, scrollTop: 25, viewportHeight: 100, overscan: 0 });
    // Rows 0 (half), 1, 2 (half).
    expect([s.start, s.end]).toEqual([0, 3]);
  });

  it('clamps at the end of the list and past it', () => {
    const s = visibleSlice({ count: 100, rowHeight: 10, scrollTop: 5000, viewportHeight: 100, overscan: 3 });
    expect(s.end).toBe(100);
    expect(s.start).toBe(87);
    expect(s.totalHeight).toBe(1000);
  });

  it('handles empty lists, short lists and bad input', () => {
    expect(visibleSlice({ count: 0, rowHeight: 72, scrollTop: 0, viewportHeight: 500 })).toEqual({ start: 0, end: 0, offsetTop: 0, totalHeight: 0 });
    expect(visibleSlice({ count: 3, rowHeight: 72, scrollTop: 0, viewportHeight: 800, overscan: 10 })).toMatchObject({ start: 0, end: 3 });
    expect(visibleSlice({ count: 50, rowHeight: 10, scrollTop: -40, viewportHeight: 0, overscan: 0 })).toMatchObject({ start: 0, end: 1 });
  });

  it('never renders more than the viewport plus overscan, wherever it scrolls', () => {
    for (let top = 0; top < 720_000; top += 9_973) {
      const s = visibleSlice({ count: 10_000, rowHeight: 72, scrollTop: top, viewportHeight: 900, overscan: 8 });
      expect(s.end - s.start).toBeLessThanOrEqual(Math.ceil(900 / 72) + 1 + 16);
      expect(s.start * 72).toBeLessThanOrEqual(top);
      expect(s.end * 72).toBeGreaterThanOrEqual(Math.min(720_000, top + 900));
    }
  });
});

describe('scrollToReveal', () => {
  it('leaves a visible row alone', () => {
    expect(scrollToReveal(2, 50, 0, 500)).toBeNull();
  });
  it('scrolls up to a row above', () => {
    expect(scrollToReveal(3, 50, 400, 500)).toBe(150);
  });
  it('scrolls down just enough for a row below', () => {
    expect(scrollToReveal(20, 50, 0, 500)).toBe(550);
  });
});
