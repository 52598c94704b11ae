// Small shapes the page state keeps.

import type { ConversationSummary } from '../gen/ConversationSummary';

/** A claim refused because an older overdue conversation comes first. */
export interface OverdueRefusal {
  message: string;
  conversationId: string;
  /** Who and what it is, for the "Take …" button. */
  label: string;
}

/** A list page's rows and selection, put aside while another page shows. */
export interface ShelvedList {
  total: number;
  offset: number;
  rows: ConversationSummary[];
  selectedId: string | null;
  selectedIndex: number;
}
