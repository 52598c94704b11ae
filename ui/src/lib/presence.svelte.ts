// Who else looks at which conversation (the core's `presence` event), and
// what this window reports: the conversation it shows, and typing — at
// most every few seconds, and ending after a pause or when sent.

import type { Composing } from '../gen/Composing';
import type { Presence } from '../gen/Presence';
import * as ipc from './ipc';

/** Typing is reported at most this often (core: TYPING_REPORT_SECS). */
export const TYPING_REPORT_MS = 3000;
/** Without a keystroke for this long, the agent is no longer typing (core: TYPING_IDLE_SECS). */
export const TYPING_IDLE_MS = 6000;

/** "Grace is viewing" / "Grace and Ada are typing a reply", or `null`. */
export function presenceLine(others: Presence[]): string | null {
  if (others.length === 0) return null;
  const typing = others.filter((p) => p.composing);
  const names = (ps: Presence[]) =>
    ps.length === 1 ? ps[0].agent_name : `${ps.slice(0, -1).map((p) => p.agent_name).join(', ')} and ${ps[ps.length - 1].agent_name}`;
  if (typing.length > 0) {
    const what = typing.every((p) => p.composing === 'note') ? 'a note' : 'a reply';
    const verb = typing.length === 1 ? 'is' : 'are';
    const viewing = others.filter((p) => !p.composing);
    const rest = viewing.length > 0 ? `; ${names(viewing)} ${viewing.length === 1 ? 'is' : 'are'} viewing` : '';
    return `${names(typing)} ${verb} typing ${what}${rest}`;
  }
  return `${names(others)} ${others.length === 1 ? 'is' : 'are'} viewing`;
}

export class PresenceState {
  /** Colleagues' presence, as the core last said. */
  list: Presence[] = $state.raw([]);
  private shown: string | null = null;
  private typingAs: Composing | null = null;
  private lastTypingReport = 0;
  private idle: ReturnType<typeof setTimeout> | undefined;

  /** Who looks at conversation `id`. */
  at(id: string): Presence[] {
    return this.list.filter((p) => p.conversation_id === id);
  }

  async load() {
    try {
      this.list = await ipc.listPresence();
    } catch {
      /* keep what we have */
    }
  }

  /** The window shows conversation `id` now (`null`: none). */
  show(id: string | null) {
    if (id === this.shown) return;
    this.shown = id;
    this.stopTyping(false);
    this.report();
  }

  /** A keystroke in the composer of the shown conversation. */
  typing(as: Composing) {
    if (this.shown === null) return;
    const now = Date.now();
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.stopTyping(true), TYPING_IDLE_MS);
    if (this.typingAs === as && now - this.lastTypingReport < TYPING_REPORT_MS) return;
    this.typingAs = as;
    this.lastTypingReport = now;
    this.report();
  }

  /** Sent, or paused: no longer typing. */
  stopTyping(report = true) {
    clearTimeout(this.idle);
    if (this.typingAs === null) return;
    this.typingAs = null;
    this.lastTypingReport = 0;
    if (report) this.report();
  }

  private report() {
    void ipc.reportPresence(this.shown, this.shown ? this.typingAs : null).catch(() => {
      /* offline: the core repeats once online */
    });
  }
}
