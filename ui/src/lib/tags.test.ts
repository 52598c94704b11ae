import { describe, expect, it } from 'vitest';
import { chipColour, chipText, tagsOf } from './tags';
import type { Tag } from '../gen/Tag';

const tag = (id: string, colour: string): Tag => ({ id, name: id.toUpperCase(), colour, keywords: [] });

describe('tag chips', () => {
  it('use the colour only when it is #rrggbb', () => {
    expect(chipColour(tag('vip', '#f5c16c'))).toBe('#f5c16c');
    expect(chipColour(tag('x', 'red; background: url(x)'))).toBe('#d4d4d4');
    expect(chipColour(undefined)).toBe('#d4d4d4');
  });

  it('pick dark text on light colours and white on dark ones', () => {
    expect(chipText('#f5c16c')).toBe('#1b1f27');
    expect(chipText('#ffffff')).toBe('#1b1f27');
    expect(chipText('#1a237e')).toBe('#ffffff');
    expect(chipText('#000000')).toBe('#ffffff');
    expect(chipText('nope')).toBe('#1b1f27');
  });

  it("list a conversation's tags in the team's order, skipping unknown ids", () => {
    const all = [tag('vip', '#f5c16c'), tag('bug', '#8ecae6'), tag('refund', '#95d5b2')];
    expect(tagsOf(['refund', 'gone', 'vip'], all).map((t) => t.id)).toEqual(['vip', 'refund']);
    expect(tagsOf(undefined, all)).toEqual([]);
  });
});
