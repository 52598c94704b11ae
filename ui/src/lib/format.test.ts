import { describe, expect, it } from 'vitest';
import { fillProgress } from './format';

describe('fillProgress', () => {
  it('says nothing once the cache is filled', () => {
    expect(fillProgress({ stage: 'done', done: 0, total: null })).toBeNull();
    expect(fillProgress(null)).toBeNull();
  });
  it('names the stage and counts what is loaded', () => {
    expect(fillProgress({ stage: 'open', done: 1200, total: 10000 })).toBe(
      'Loading open conversations: 1,200 of 10,000',
    );
    expect(fillProgress({ stage: 'history', done: 34000, total: null })).toBe('Loading history: 34,000');
  });
});
