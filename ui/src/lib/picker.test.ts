import { describe, expect, it } from 'vitest';
import { MAX_QUERY, insertAt, missingNote, move, pickerOpen, placeholdersIn, preview, slashAt } from './picker';

describe('slashAt', () => {
  it('finds a / at the start or after whitespace, up to the caret', () => {
    expect(slashAt('/ref', 4)).toEqual({ start: 0, end: 4, query: 'ref' });
    expect(slashAt('Hello /re', 9)).toEqual({ start: 6, end: 9, query: 're' });
    expect(slashAt('Hello\n/', 7)).toEqual({ start: 6, end: 7, query: '' });
    expect(slashAt('/refund app', 11)?.query).toBe('refund app');
    // The caret in the middle: the query is what is before it.
    expect(slashAt('/refund', 3)).toEqual({ start: 0, end: 3, query: 're' });
  });
  it('ignores slashes inside words, across lines, or too long', () => {
    expect(slashAt('and/or', 6)).toBeNull();
    expect(slashAt('see https://x.example/a', 23)).toBeNull();
    expect(slashAt('/ref\nmore', 9)).toBeNull();
    expect(slashAt('no slash', 8)).toBeNull();
    expect(slashAt('/' + 'a'.repeat(MAX_QUERY + 1), MAX_QUERY + 2)).toBeNull();
  });
});

describe('pickerOpen', () => {
  const s = { start: 0, end: 4, query: 'ref' };
  it('shows while typing a word, even with no match yet', () => {
    expect(pickerOpen(s, null, 0)).toBe(true);
    expect(pickerOpen(s, null, 2)).toBe(true);
    expect(pickerOpen(null, null, 2)).toBe(false);
  });
  it('stays closed after Esc for this slash only', () => {
    expect(pickerOpen(s, 0, 2)).toBe(false);
    expect(pickerOpen({ ...s, start: 5 }, 0, 2)).toBe(true);
  });
  it('closes on a sentence that matches nothing', () => {
    expect(pickerOpen({ start: 0, end: 9, query: 'refund a' }, null, 1)).toBe(true);
    expect(pickerOpen({ start: 0, end: 9, query: 'hello the' }, null, 0)).toBe(false);
  });
});

describe('insertAt', () => {
  it('replaces the /query with the filled text and puts the caret after it', () => {
    const text = 'Thanks! /ref and more';
    const r = insertAt(text, { start: 8, end: 12, query: 'ref' }, 'Hi Grace, approved.');
    expect(r.text).toBe('Thanks! Hi Grace, approved. and more');
    expect(r.caret).toBe(8 + 'Hi Grace, approved.'.length);
  });
});

describe('move', () => {
  it('wraps both ways and copes with an empty list', () => {
    expect(move(0, 3, 1)).toBe(1);
    expect(move(2, 3, 1)).toBe(0);
    expect(move(0, 3, -1)).toBe(2);
    expect(move(5, 0, 1)).toBe(0);
  });
});

describe('preview', () => {
  it('is one line, cut with an ellipsis', () => {
    expect(preview('Hi {{customer.first_name}},\n\nyour refund\tis approved.')).toBe('Hi {{customer.first_name}}, your refund is approved.');
    const long = preview('word '.repeat(40), 20);
    expect([...long].length).toBeLessThanOrEqual(20);
    expect(long.endsWith('…')).toBe(true);
  });
  it('keeps markup as plain characters (the view renders it as text)', () => {
    expect(preview('<b>bold</b>')).toBe('<b>bold</b>');
  });
});

describe('placeholders and the note', () => {
  it('lists the unfilled variables once, in order', () => {
    expect(placeholdersIn('Hi {{customer.name}}, {{ agent.name }} here. {{customer.name}}')).toEqual(['customer.name', 'agent.name']);
    expect(placeholdersIn('Hi {{unknown}} {customer.name}')).toEqual([]);
  });
  it('says what to fill in', () => {
    expect(missingNote([])).toBeNull();
    expect(missingNote(['customer.name'])).toBe('Fill in {{customer.name}} before sending.');
    expect(missingNote(['customer.name', 'agent.name', 'conversation.id'])).toBe(
      'Fill in {{customer.name}}, {{agent.name}} and {{conversation.id}} before sending.',
    );
  });
});
