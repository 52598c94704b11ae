// Fixed-row-height list virtualization: which rows to render for a scroll
// position. Pure, so the math is unit-tested apart from the DOM.

export interface VirtualInput {
  /** Rows in the list. */
  count: number;
  /** Height of every row, px (> 0). */
  rowHeight: number;
  /** Scroll offset of the viewport, px. */
  scrollTop: number;
  /** Visible height, px. */
  viewportHeight: number;
  /** Extra rows rendered above and below the visible ones. */
  overscan?: number;
}

export interface VirtualSlice {
  /** First row to render (inclusive). */
  start: number;
  /** Row after the last one to render (exclusive). */
  end: number;
  /** Offset of row `start` from the top, px. */
  offsetTop: number;
  /** Height of the whole list, px. */
  totalHeight: number;
}

export function visibleSlice({ count, rowHeight, scrollTop, viewportHeight, overscan = 6 }: VirtualInput): VirtualSlice {
  const n = Math.max(0, Math.floor(count));
  const h = rowHeight > 0 ? rowHeight : 1;
  const totalHeight = n * h;
  if (n === 0) return { start: 0, end: 0, offsetTop: 0, totalHeight: 0 };
  const maxTop = Math.max(0, totalHeight - Math.max(0, viewportHeight));
  const top = Math.min(Math.max(0, scrollTop), maxTop);
  const first = Math.floor(top / h);
  const last = Math.ceil((top + Math.max(0, viewportHeight)) / h); // exclusive
  const start = Math.max(0, first - overscan);
  const end = Math.min(n, Math.max(last, first + 1) + overscan);
  return { start, end, offsetTop: start * h, totalHeight };
}

/**
 * The scroll offset that brings row `index` fully into view, or `null` when
 * it already is.
 */
export function scrollToReveal(index: number, rowHeight: number, scrollTop: number, viewportHeight: number): number | null {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return Math.max(0, bottom - viewportHeight);
  return null;
}

/** Two scroll events this close (ms) that each moved a screen or more: a fling. */
export const FLING_GAP_MS = 50;
/** A fling is over when no scroll event came for this long (ms). */
export const FLING_SETTLE_MS = 90;

/** The last scroll event, as [`flingStep`] remembers it. */
export interface ScrollMotion {
  /** Scroll offset, px. */
  top: number;
  /** When, ms (any monotonic clock). */
  at: number;
  /** Whether it moved a screen or more from the one before. */
  jumped: boolean;
}

/**
 * Whether the list is being flung: this scroll event and the one before it
 * each moved by a screen or more, at most `FLING_GAP_MS` apart. A screen a
 * frame cannot be read, so the list then draws placeholder rows instead of
 * building rows nobody sees; a single jump (End, a click on the scroll
 * track) is not a fling and shows its rows at once.
 */
export function flingStep(prev: ScrollMotion | null, top: number, at: number, viewportHeight: number): { motion: ScrollMotion; fling: boolean } {
  const jumped = prev !== null && viewportHeight > 0 && Math.abs(top - prev.top) >= viewportHeight;
  const fling = jumped && prev !== null && prev.jumped && at - prev.at <= FLING_GAP_MS;
  return { motion: { top, at, jumped }, fling };
}
