// Report periods for the metrics page: the range asked of the server and the
// per-day buckets the charts are drawn from. Pure (the clock is a parameter).

export type PeriodKind = 'today' | '7d' | '30d' | 'custom';

export interface Range {
  from: Date;
  to: Date;
}

export interface Bucket extends Range {
  /** Short day label, e.g. `Mar 4`. */
  label: string;
}

/** Most day buckets drawn (one `metrics` call each). */
export const MAX_BUCKETS = 92;

function startOfDay(d: Date): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}

function addDays(d: Date, n: number): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + n);
}

/** Parses `YYYY-MM-DD` (a date input's value) as local midnight. */
export function parseDay(s: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(d.getTime()) ? null : d;
}

/** `YYYY-MM-DD` of a local date, for date inputs. */
export function dayString(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/**
 * The range of a period, in local days, ending now: today since midnight, the
 * last 7 or 30 days (today included), or custom days `from`..`to` inclusive.
 * `null` when a custom range is incomplete or backwards.
 */
export function periodRange(kind: PeriodKind, now: Date, custom?: { from: string; to: string }): Range | null {
  const today = startOfDay(now);
  switch (kind) {
    case 'today':
      return { from: today, to: now };
    case '7d':
      return { from: addDays(today, -6), to: now };
    case '30d':
      return { from: addDays(today, -29), to: now };
    case 'custom': {
      const from = custom ? parseDay(custom.from) : null;
      const toDay = custom ? parseDay(custom.to) : null;
      if (!from || !toDay || toDay < from) return null;
      const end = addDays(toDay, 1);
      return { from, to: end > now ? now : end };
    }
  }
}

/** One bucket per local day of the range (the last one ends at `to`). */
export function dayBuckets(range: Range, max = MAX_BUCKETS): Bucket[] {
  const out: Bucket[] = [];
  let start = startOfDay(range.from);
  if (start < range.from) start = range.from;
  while (start < range.to && out.length < max) {
    const next = addDays(startOfDay(start), 1);
    const end = next < range.to ? next : range.to;
    out.push({
      from: start,
      to: end,
      label: start.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }),
    });
    start = next;
  }
  return out;
}

/** The unit a chart of durations is drawn in. */
export interface DurationUnit {
  /** `seconds`, `minutes` or `hours`: the axis title. */
  name: string;
  /** `s`, `min` or `h`: after a series' name. */
  short: string;
  /** Seconds per unit. */
  secs: number;
}

const UNITS: DurationUnit[] = [
  { name: 'seconds', short: 's', secs: 1 },
  { name: 'minutes', short: 'min', secs: 60 },
  { name: 'hours', short: 'h', secs: 3600 },
];

/**
 * The unit that reads best for durations (in seconds) whose largest is
 * `values`' maximum: seconds below 2 minutes, minutes below 2 hours, then
 * hours. Chat answers in seconds would all round to 0 or 0.1 minutes.
 */
export function durationUnit(values: (number | null | undefined)[]): DurationUnit {
  const max = Math.max(0, ...values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)));
  if (max < 120) return UNITS[0];
  if (max < 7200) return UNITS[1];
  return UNITS[2];
}

/** A duration in `unit`, to one decimal (null stays a gap). */
export function inUnit(secs: number | null | undefined, unit: DurationUnit): number | null {
  if (secs === null || secs === undefined || !Number.isFinite(secs)) return null;
  return Math.round((secs / unit.secs) * 10) / 10;
}
