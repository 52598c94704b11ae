import { describe, expect, it } from 'vitest';
import { fromLocalInput, presets, snoozeLabel, toLocalInput } from './snooze';

describe('snooze presets', () => {
  it('give one hour, tomorrow 9:00 and the coming Monday 9:00 in local time', () => {
    // Friday 4 December 2026, 16:42:31 local.
    const now = new Date(2026, 11, 4, 16, 42, 31);
    const [hour, tomorrow, week] = presets(now);
    expect(hour.until).toEqual(new Date(2026, 11, 4, 17, 42, 0));
    expect(tomorrow.until).toEqual(new Date(2026, 11, 5, 9, 0, 0));
    expect(week.until).toEqual(new Date(2026, 11, 7, 9, 0, 0));
  });

  it('make next week a week ahead on a Monday, and roll over months', () => {
    const monday = new Date(2026, 11, 7, 8, 0);
    expect(presets(monday)[2].until).toEqual(new Date(2026, 11, 14, 9, 0));
    // Saturday 31 January: tomorrow is 1 February, Monday the 2nd.
    const saturday = new Date(2026, 0, 31, 22, 0);
    expect(presets(saturday)[1].until).toEqual(new Date(2026, 1, 1, 9, 0));
    expect(presets(saturday)[2].until).toEqual(new Date(2026, 1, 2, 9, 0));
    // Sunday: next week is tomorrow.
    expect(presets(new Date(2026, 1, 1, 12, 0))[2].until).toEqual(new Date(2026, 1, 2, 9, 0));
  });

  it('read and write the date picker in local time', () => {
    expect(fromLocalInput('2026-12-24T18:30')).toEqual(new Date(2026, 11, 24, 18, 30));
    expect(fromLocalInput('tomorrow')).toBeNull();
    expect(toLocalInput(new Date(2026, 0, 2, 3, 4))).toBe('2026-01-02T03:04');
  });

  it('say until when, or until the customer writes', () => {
    expect(snoozeLabel(null)).toBe('Snoozed until the customer writes');
    expect(snoozeLabel('2026-12-07T09:00:00Z')).toMatch(/^Snoozed until /);
    expect(snoozeLabel('nonsense')).toBe('Snoozed');
  });
});
