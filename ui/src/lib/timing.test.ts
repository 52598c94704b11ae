import { describe, expect, it } from 'vitest';
import { markStart } from './timing';

describe('markStart', () => {
  it('marks each step once, at its first time', () => {
    performance.clearMarks();
    markStart('session');
    const first = performance.getEntriesByName('switchboard:session')[0].startTime;
    markStart('session');
    const marks = performance.getEntriesByName('switchboard:session');
    expect(marks).toHaveLength(1);
    expect(marks[0].startTime).toBe(first);
  });
});
