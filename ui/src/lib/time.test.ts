import { describe, expect, it } from 'vitest';
import { formatDuration, formatInstant, formatTimestamp, formatWait, isOverdueNow, serverNow, waitSeconds } from './time';

describe('wait timers', () => {
  const since = '2026-03-01T12:00:00Z';
  const t0 = Date.parse(since);

  it('counts from waiting_since in server time', () => {
    expect(waitSeconds(since, t0 + 90_500, 0)).toBe(90);
  });

  it('corrects the local clock with the skew (server minus local)', () => {
    // Local clock 30 s behind the server: the customer has waited 30 s longer.
    expect(waitSeconds(since, t0 + 60_000, 30_000)).toBe(90);
    // Local clock ahead of the server.
    expect(waitSeconds(since, t0 + 60_000, -45_000)).toBe(15);
    expect(serverNow(1000, 250)).toBe(1250);
  });

  it('never goes negative and ignores missing or bad times', () => {
    expect(waitSeconds(since, t0 - 5000, 0)).toBe(0);
    expect(waitSeconds(null, t0, 0)).toBeNull();
    expect(waitSeconds('not a date', t0, 0)).toBeNull();
  });

  it('formats as a clock', () => {
    expect(formatWait(0)).toBe('0:00');
    expect(formatWait(42)).toBe('0:42');
    expect(formatWait(725)).toBe('12:05');
    expect(formatWait(3729)).toBe('1:02:09');
    expect(formatWait(3 * 86400 + 4 * 3600 + 5)).toBe('3d 4h');
    expect(formatWait(-3)).toBe('0:00');
  });

  it('formats report durations', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(200)).toBe('3 m 20 s');
    expect(formatDuration(180)).toBe('3 m');
    expect(formatDuration(7500)).toBe('2 h 5 m');
    expect(formatDuration(7200)).toBe('2 h');
    expect(formatDuration(370_000)).toBe('4 d 6 h');
    expect(formatDuration(172_800)).toBe('2 d');
  });
});

describe('overdue now', () => {
  const open = { overdue: false, state: 'queued', waiting_since: '2026-03-01T12:00:00Z' };
  it('trusts the core flag', () => {
    expect(isOverdueNow({ ...open, overdue: true }, 1, 300)).toBe(true);
  });
  it('turns overdue once the wait passes the threshold', () => {
    expect(isOverdueNow(open, 300, 300)).toBe(false);
    expect(isOverdueNow(open, 301, 300)).toBe(true);
    expect(isOverdueNow(open, 61, 60)).toBe(true);
  });
  it('uses the default threshold for uncategorized conversations', () => {
    expect(isOverdueNow(open, 299, null)).toBe(false);
    expect(isOverdueNow(open, 301, undefined)).toBe(true);
  });
  it('never for resolved or not waiting', () => {
    expect(isOverdueNow({ ...open, state: 'resolved' }, 9999, 1)).toBe(false);
    expect(isOverdueNow({ ...open, waiting_since: null }, null, 1)).toBe(false);
  });
});

describe('timestamps', () => {
  const iso = '2026-03-01T12:34:56Z';

  it('formats like the platform does, and nothing for a missing or bad time', () => {
    const d = new Date(iso);
    expect(formatInstant(iso)).toBe(d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }));
    expect(formatInstant(null)).toBe('');
    expect(formatInstant('not a time')).toBe('');
    expect(formatTimestamp('not a time', 0)).toBe('');
  });

  it('shows the time alone today, the day too otherwise', () => {
    const t = Date.parse(iso);
    const time = new Date(t).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
    expect(formatTimestamp(iso, t + 1000)).toBe(time);
    const day = new Date(t).toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
    expect(formatTimestamp(iso, t + 3 * 86_400_000)).toBe(`${day} ${time}`);
  });
});
