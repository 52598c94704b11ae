// Snooze presets in the agent's own time zone (the computer's), and how a
// snooze reads.

export interface Preset {
  id: 'hour' | 'tomorrow' | 'next-week';
  label: string;
  /** When it wakes. */
  until: Date;
}

/** Nine in the morning, local time, `days` after `now`'s day. */
function nineAm(now: Date, days: number): Date {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() + days, 9, 0, 0, 0);
}

/**
 * The presets at `now`: in one hour (to the minute), tomorrow at 9:00, and
 * next week (the coming Monday at 9:00; a week from today on a Monday).
 */
export function presets(now: Date): Preset[] {
  const hour = new Date(now.getTime() + 60 * 60 * 1000);
  hour.setSeconds(0, 0);
  // getDay(): 0 Sunday … 6 Saturday; days to the next Monday, 1 to 7.
  const toMonday = ((8 - now.getDay()) % 7) || 7;
  return [
    { id: 'hour', label: 'In 1 hour', until: hour },
    { id: 'tomorrow', label: 'Tomorrow, 9:00', until: nineAm(now, 1) },
    { id: 'next-week', label: 'Next week, Monday 9:00', until: nineAm(now, toMonday) },
  ];
}

/** A `datetime-local` input's value as an instant (local time), or `null`. */
export function fromLocalInput(value: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  return Number.isNaN(d.getTime()) ? null : d;
}

/** `now` as a `datetime-local` value (the picker's minimum). */
export function toLocalInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** "Snoozed until Mon 7 Dec, 09:00" / "until the customer writes". */
export function snoozeLabel(until: string | null | undefined): string {
  if (!until) return 'Snoozed until the customer writes';
  const d = new Date(until);
  if (Number.isNaN(d.getTime())) return 'Snoozed';
  const day = d.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return `Snoozed until ${day}, ${time}`;
}
