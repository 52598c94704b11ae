// Small display helpers shared by the views.

import type { Channel } from '../gen/Channel';
import type { Customer } from '../gen/Customer';
import type { SyncProgress } from '../gen/SyncProgress';

/**
 * Who wrote in: name, else email, else phone (the first not blank, trimmed),
 * else `Customer`. Mirrors `Customer::display_name` in
 * `crates/api/src/types.rs` (the desktop's notifications use that one); keep
 * the two the same.
 */
export function customerLabel(c: Customer): string {
  return c.name?.trim() || c.email?.trim() || c.phone?.trim() || 'Customer';
}

export const CHANNEL_LABEL: Record<Channel, string> = {
  email: 'Email',
  sms: 'SMS',
  chat: 'Chat',
  bot: 'Bot',
  api: 'API',
};

/** `0.8333` → `83%`; `null` → `—`. */
export function percent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return '—';
  return `${Math.round(rate * 100)}%`;
}

/** Initials for an avatar. */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return '?';
  return (parts[0][0] + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase();
}

/** How far the first fill of the cache has come, for people ("Loading the
 * queue: 1,200 of 10,000"); null once the cache is filled. */
export function fillProgress(p: SyncProgress | null | undefined): string | null {
  if (!p || p.stage === 'done') return null;
  const what = p.stage === 'open' ? 'Loading open conversations' : 'Loading history';
  const done = p.done.toLocaleString('en-US');
  return p.total === null ? `${what}: ${done}` : `${what}: ${done} of ${p.total.toLocaleString('en-US')}`;
}
