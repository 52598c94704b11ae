import { describe, expect, it } from 'vitest';
import { dayBuckets, dayString, durationUnit, inUnit, parseDay, periodRange } from './metrics';

const NOW = new Date(2026, 2, 10, 15, 30); // 10 March 2026, 15:30 local

describe('periods', () => {
  it('today runs from local midnight to now', () => {
    const r = periodRange('today', NOW)!;
    expect(r.from).toEqual(new Date(2026, 2, 10));
    expect(r.to).toEqual(NOW);
  });

  it('7 and 30 days include today', () => {
    expect(periodRange('7d', NOW)!.from).toEqual(new Date(2026, 2, 4));
    expect(periodRange('30d', NOW)!.from).toEqual(new Date(2026, 1, 9));
  });

  it('custom days are inclusive, end capped at now, refused when backwards', () => {
    const r = periodRange('custom', NOW, { from: '2026-03-01', to: '2026-03-03' })!;
    expect(r.from).toEqual(new Date(2026, 2, 1));
    expect(r.to).toEqual(new Date(2026, 2, 4));
    expect(periodRange('custom', NOW, { from: '2026-03-09', to: '2026-03-10' })!.to).toEqual(NOW);
    expect(periodRange('custom', NOW, { from: '2026-03-05', to: '2026-03-01' })).toBeNull();
    expect(periodRange('custom', NOW, { from: '', to: '2026-03-01' })).toBeNull();
  });

  it('parses and prints date-input days', () => {
    expect(parseDay('2026-03-01')).toEqual(new Date(2026, 2, 1));
    expect(parseDay('March 1')).toBeNull();
    expect(dayString(new Date(2026, 0, 5))).toBe('2026-01-05');
  });
});

describe('day buckets', () => {
  it('splits a range into local days, the last ending at the range end', () => {
    const b = dayBuckets(periodRange('7d', NOW)!);
    expect(b).toHaveLength(7);
    expect(b[0].from).toEqual(new Date(2026, 2, 4));
    expect(b[0].to).toEqual(new Date(2026, 2, 5));
    expect(b[6].from).toEqual(new Date(2026, 2, 10));
    expect(b[6].to).toEqual(NOW);
    for (let i = 1; i < b.length; i++) expect(b[i].from).toEqual(b[i - 1].to);
  });

  it('is capped', () => {
    const b = dayBuckets({ from: new Date(2025, 0, 1), to: NOW }, 10);
    expect(b).toHaveLength(10);
  });

  it('is empty for an empty range', () => {
    expect(dayBuckets({ from: NOW, to: NOW })).toEqual([]);
  });
});

describe('duration units', () => {
  it('picks seconds, minutes or hours by the largest value', () => {
    expect(durationUnit([5, null, 90]).short).toBe('s');
    expect(durationUnit([]).short).toBe('s');
    expect(durationUnit([5, 120]).short).toBe('min');
    expect(durationUnit([7199]).short).toBe('min');
    expect(durationUnit([30, 7200]).name).toBe('hours');
    expect(durationUnit([Number.NaN, 10]).short).toBe('s');
  });

  it('converts to one decimal and keeps gaps', () => {
    const min = durationUnit([600]);
    expect(inUnit(5, durationUnit([5]))).toBe(5);
    expect(inUnit(5, min)).toBe(0.1);
    expect(inUnit(90, min)).toBe(1.5);
    expect(inUnit(null, min)).toBeNull();
    expect(inUnit(undefined, min)).toBeNull();
  });
});
