// Which part of a long list to ask the core for. The page never holds the
// whole list: it asks for a block of rows around what is on screen and asks
// again before the user scrolls past the block's edge. Pure, unit-tested.

/** Rows per request: a few screens' worth around the visible ones. */
export const LIST_WINDOW = 160;
/** Ask for a new block when fewer rows than this remain loaded beyond the screen. */
export const LIST_MARGIN = 48;

/** The offset of a block of `size` rows centred on rows `start .. end`. */
export function windowOffset(start: number, end: number, size: number = LIST_WINDOW): number {
  const visible = Math.max(0, end - start);
  return Math.max(0, Math.floor(start - (size - visible) / 2));
}

/**
 * Whether the loaded rows `offset .. offset + length` hold rows `start .. end`
 * and `margin` more on each side (as far as the list of `total` goes).
 */
export function covers(offset: number, length: number, start: number, end: number, total: number, margin: number = LIST_MARGIN): boolean {
  if (total === 0) return true;
  const want0 = Math.max(0, start - margin);
  const want1 = Math.min(total, end + margin);
  if (want1 <= want0) return true;
  return offset <= want0 && offset + length >= want1;
}
