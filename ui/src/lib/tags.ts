// Tags as the page shows them: a chip in the tag's colour, with text that
// stays readable on it.

import type { Tag } from '../gen/Tag';

const HEX = /^#[0-9a-fA-F]{6}$/;

/** The chip's background: the tag's colour when it is one (`#rrggbb`), else grey. */
export function chipColour(tag: Tag | undefined): string {
  return tag && HEX.test(tag.colour) ? tag.colour : '#d4d4d4';
}

/** Dark or white text, whichever reads better on `hex` (WCAG relative luminance). */
export function chipText(hex: string): string {
  if (!HEX.test(hex)) return '#1b1f27';
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  // Contrast against black (l + 0.05) / 0.05 vs white 1.05 / (l + 0.05).
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#1b1f27' : '#ffffff';
}

/** A conversation's tags in the team's order, known ones only (a deleted tag's id is skipped). */
export function tagsOf(ids: string[] | undefined, all: Tag[]): Tag[] {
  const have = new Set(ids ?? []);
  return all.filter((t) => have.has(t.id));
}
