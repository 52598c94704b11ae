// Wait timers and durations. The clock is a parameter everywhere so the
// formatting is unit-tested; live timers pass `Date.now()` and the session's
// clock skew (server clock minus ours).

/** Server time now, in ms, from the local clock and the measured skew. */
export function serverNow(localNowMs: number, skewMs: number): number {
  return localNowMs + skewMs;
}

/** Whole seconds since `since` (RFC 3339), as of server time; never negative. */
export function waitSeconds(since: string | null, localNowMs: number, skewMs: number): number | null {
  if (!since) return null;
  const t = Date.parse(since);
  if (Number.isNaN(t)) return null;
  return Math.max(0, Math.floor((serverNow(localNowMs, skewMs) - t) / 1000));
}

/** A wait as a compact clock: `0:42`, `12:05`, `1:02:09`, `3d 4h`. */
export function formatWait(secs: number): string {
  const s = Math.max(0, Math.floor(secs));
  const days = Math.floor(s / 86400);
  if (days > 0) return `${days}d ${Math.floor((s % 86400) / 3600)}h`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}

/** A duration for reports: `45 s`, `3 m 20 s`, `2 h 5 m`, `—` when unknown. */
export function formatDuration(secs: number | null | undefined): string {
  if (secs === null || secs === undefined || Number.isNaN(secs)) return '—';
  const s = Math.round(secs);
  if (s < 60) return `${s} s`;
  if (s < 3600) {
    const rest = s % 60;
    return rest ? `${Math.floor(s / 60)} m ${rest} s` : `${Math.floor(s / 60)} m`;
  }
  if (s >= 86400) {
    const h = Math.floor((s % 86400) / 3600);
    return h ? `${Math.floor(s / 86400)} d ${h} h` : `${Math.floor(s / 86400)} d`;
  }
  const rest = Math.floor((s % 3600) / 60);
  return rest ? `${Math.floor(s / 3600)} h ${rest} m` : `${Math.floor(s / 3600)} h`;
}

// Formatters are made once: `Date.prototype.toLocale…String` builds a new
// one on every call, which costs a list row more than the rest of it.
const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const DAY = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const INSTANT = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** A timestamp for the history: time today, else date and time. */
export function formatTimestamp(iso: string, localNowMs: number): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const now = new Date(localNowMs);
  const sameDay = d.toDateString() === now.toDateString();
  const time = TIME.format(d);
  return sameDay ? time : `${DAY.format(d)} ${time}`;
}

/** A full local date and time (tooltips); empty when `iso` is not a time. */
export function formatInstant(iso: string | null): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? '' : INSTANT.format(t);
}

/** The default wait threshold of a category (DESIGN.md). */
export const DEFAULT_THRESHOLD_SECS = 300;

/**
 * Whether a conversation is overdue now: the core's flag (as of when the
 * list was read), or its wait has passed the category's threshold since —
 * so a row turns overdue the second it happens, even offline.
 */
export function isOverdueNow(
  c: { overdue: boolean; state: string; waiting_since: string | null },
  waitSecs: number | null,
  thresholdSecs: number | null | undefined,
): boolean {
  if (c.overdue) return true;
  if (c.state === 'resolved' || c.waiting_since === null || waitSecs === null) return false;
  return waitSecs > (thresholdSecs ?? DEFAULT_THRESHOLD_SECS);
}
