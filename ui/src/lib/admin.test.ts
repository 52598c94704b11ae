import { describe, expect, it } from 'vitest';
import { agentPatch, categoryPatch, parseKeywords } from './admin';
import { CATEGORIES, ME } from '../test/fake';

describe('admin forms', () => {
  it('reads keywords one per line', () => {
    expect(parseKeywords(' refund \r\n\n/inv(oice)?/\n  ')).toEqual(['refund', '/inv(oice)?/']);
    expect(parseKeywords('')).toEqual([]);
  });

  it('patches only what changed in an agent (skills as a set)', () => {
    expect(agentPatch(ME, { role: ME.role, capacity: ME.capacity, categories: [...ME.categories] })).toEqual({});
    expect(agentPatch({ ...ME, categories: ['a', 'b'] }, { role: ME.role, capacity: ME.capacity, categories: ['b', 'a'] })).toEqual({});
    expect(agentPatch(ME, { role: 'admin', capacity: 2, categories: [] })).toEqual({ role: 'admin', capacity: 2, categories: [] });
  });

  it('patches only what changed in a category', () => {
    const c = CATEGORIES[1];
    expect(categoryPatch(c, { routing: c.routing, wait_threshold_secs: c.wait_threshold_secs, keywords: 'error\n' })).toEqual({});
    expect(categoryPatch(c, { routing: 'manual', wait_threshold_secs: 1, keywords: '' })).toEqual({
      routing: 'manual',
      wait_threshold_secs: 1,
      keywords: [],
    });
  });
});
