import { describe, expect, it } from 'vitest';
import { NO_FILTERS, merged, parts, queryFor } from './search';
import type { SearchResult } from '../gen/SearchResult';

describe('parts', () => {
  it('cuts a snippet at its highlights', () => {
    expect(parts('Un café, merci', [{ start: 3, end: 7 }])).toEqual([
      { text: 'Un ', hit: false },
      { text: 'café', hit: true },
      { text: ', merci', hit: false },
    ]);
  });

  it('keeps markup as text and never loses a character to a bad range', () => {
    const s = '<img src=x onerror=alert(1)> refund';
    const p = parts(s, [
      { start: 29, end: 35 },
      { start: 30, end: 33 }, // inside the previous one
      { start: 50, end: 60 }, // past the end
      { start: 5, end: 2 }, // reversed
    ]);
    expect(p.map((x) => x.text).join('')).toBe(s);
    expect(p.filter((x) => x.hit).map((x) => x.text)).toEqual(['refund']);
  });

  it('counts UTF-16 units as the core does (emoji, Japanese)', () => {
    const s = '👍 東京の店';
    // 👍 is two code units; 東京 starts at 3.
    expect(parts(s, [{ start: 3, end: 5 }]).find((x) => x.hit)?.text).toBe('東京');
  });
});

describe('queryFor', () => {
  it('is null for blank text and carries the filters', () => {
    expect(queryFor('   ', NO_FILTERS)).toBeNull();
    // One Latin letter waits for the next keystroke; one Japanese character is a word.
    expect(queryFor(' r ', NO_FILTERS)).toBeNull();
    expect(queryFor('re', NO_FILTERS)?.q).toBe('re');
    expect(queryFor('東', NO_FILTERS)?.q).toBe('東');
    const q = queryFor(' refund ', { ...NO_FILTERS, channel: 'sms', state: 'resolved', order: 'relevance' }, 10);
    expect(q).toMatchObject({ q: 'refund', channel: 'sms', state: 'resolved', order: 'relevance', limit: 10, from: null, to: null });
  });

  it('takes the date range as whole local days, the end included', () => {
    const q = queryFor('xy', { ...NO_FILTERS, from: '2026-03-01', to: '2026-03-01' });
    const from = new Date(q!.from!);
    const to = new Date(q!.to!);
    expect(from.getDate()).toBe(1);
    expect(to.getTime() - from.getTime()).toBeGreaterThanOrEqual(23 * 3600_000);
    expect(queryFor('xy', { ...NO_FILTERS, from: 'yesterday' })!.from).toBeNull();
  });
});

describe('merged', () => {
  const r = (id: string): SearchResult => ({
    conversation_id: id,
    subject: id,
    channel: 'email',
    state: 'resolved',
    category_id: null,
    assignee_id: null,
    customer: { name: null, email: null, phone: null },
    matched: 'subject',
    snippet: id,
    highlights: [],
    at: '2026-01-01T00:00:00Z',
  });

  it('shows each conversation once, the cache first', () => {
    const m = merged([r('a'), r('b')], [r('b'), r('c')]);
    expect(m.map((x) => [x.result.conversation_id, x.fromServer])).toEqual([
      ['a', false],
      ['b', false],
      ['c', true],
    ]);
    expect(merged([r('a')], null)).toHaveLength(1);
  });
});
