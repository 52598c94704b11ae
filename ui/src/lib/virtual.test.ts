import { describe, expect, it } from 'vitest';
import { FLING_GAP_MS, flingStep, scrollToReveal, visibleSlice } from './virtual';

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

describe('flingStep', () => {
  const screen = 800;

  it('is not a fling on the first event or on one jump', () => {
    const a = flingStep(null, 0, 0, screen);
    expect(a.fling).toBe(false);
    const b = flingStep(a.motion, 50_000, 16, screen);
    expect(b.fling).toBe(false);
    expect(b.motion.jumped).toBe(true);
  });

  it('is a fling when two events in a row each move a screen or more', () => {
    let s = flingStep(null, 0, 0, screen);
    s = flingStep(s.motion, 1200, 16, screen);
    s = flingStep(s.motion, 2400, 33, screen);
    expect(s.fling).toBe(true);
    s = flingStep(s.motion, 1200, 50, screen); // upwards too
    expect(s.fling).toBe(true);
  });

  it('is not a fling at reading speed, or when the jumps are far apart', () => {
    let s = flingStep(null, 0, 0, screen);
    for (let k = 1; k < 10; k++) {
      s = flingStep(s.motion, k * 48, k * 16, screen);
      expect(s.fling).toBe(false);
    }
    s = flingStep(s.motion, 10_000, 200, screen);
    s = flingStep(s.motion, 20_000, 200 + FLING_GAP_MS + 1, screen);
    expect(s.fling).toBe(false);
  });

  it('slows down out of a fling', () => {
    let s = flingStep(null, 0, 0, screen);
    s = flingStep(s.motion, 2000, 16, screen);
    s = flingStep(s.motion, 4000, 33, screen);
    expect(s.fling).toBe(true);
    s = flingStep(s.motion, 4300, 50, screen);
    expect(s.fling).toBe(false);
  });
});
