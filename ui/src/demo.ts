// Development only (`npm run dev`, then open `/?demo`): a fake core with a
// team and 10,000 conversations, to look at and scroll the UI in a browser
// without the desktop app. Never part of the production build.

import { FakeCore, ME, OTHER, message, summary } from './test/fake';
import type { Agent } from './gen/Agent';

export function installDemo(params: URLSearchParams) {
  const core = new FakeCore();
  const me: Agent = { ...ME, role: params.has('agent') ? 'agent' : 'admin' };
  core.session = { server_url: 'http://127.0.0.1:8080', me, clock_skew_ms: 0 };
  core.agents = [
    me,
    OTHER,
    { ...OTHER, id: 'a-cy', name: 'Cy Offline', email: 'cy@example.com', status: 'offline', open_conversations: 0, categories: ['tech'] },
    { ...OTHER, id: 'a-di', name: 'Di Available', email: 'di@example.com', status: 'available', open_conversations: 2, capacity: 6, categories: ['tech', 'billing'] },
  ];
  const names = ['Maria Lopez', null, 'Chen Wei', 'Olu Ade', null];
  const now = Date.now();
  core.lists.queue = Array.from({ length: 10_000 }, (_, i) =>
    summary(`c${i}`, {
      channel: (['email', 'sms', 'chat', 'bot', 'api'] as const)[i % 5],
      customer: { name: names[i % 5], email: i % 5 === 1 ? `buyer${i}@example.com` : null, phone: i % 5 === 4 ? '+15550100' : null },
      subject: ['Refund for order', 'Cannot log in', 'Invoice question', 'Shipping delay', 'Feature request'][i % 5] + ` #${1000 + i}`,
      preview: 'Hello, I ordered last week and still have not received anything. Could you check?',
      category_id: i % 3 === 0 ? 'tech' : i % 3 === 1 ? 'billing' : null,
      waiting_since: new Date(now - (10_000 - i) * 37_000).toISOString(),
      overdue: i < 40,
    }),
  );
  const mine = summary('m1', { state: 'assigned', assignee_id: me.id, subject: 'Charged twice', waiting_since: new Date(now - 95_000).toISOString() });
  core.lists.mine = [mine];
  core.lists.all = [...core.lists.mine, ...core.lists.queue.slice(0, 200)];
  core.conversations.set('m1', {
    summary: mine,
    complete: true,
    messages: [
      message('customer', 'Hi,\nI was charged twice for my subscription.\n<img src=x onerror=alert(1)> should show as text.', { author: 'Maria Lopez' }),
      message('bot', 'Thanks! A human will be with you shortly.', { author: 'FAQ bot' }),
      message('customer', 'Please send the refund to my account instead.', {
        author: 'Mallory Other <mallory@elsewhere.example>',
        from_other_address: true,
        from_address: 'mallory@elsewhere.example',
      }),
      message('system', 'Assigned to Ada Agent'),
      message('note', 'Checked Stripe: two charges on the 3rd. Refund one.'),
      message('agent', 'Sorry about that, Maria — I have refunded the duplicate charge.', { id: null, client_id: 'x1', send_state: { state: 'pending' } }),
      message('agent', 'This one failed.', { id: null, client_id: 'x2', send_state: { state: 'failed', code: 'not_assignee', message: 'You no longer hold this conversation.' } }),
    ],
  });
  for (const c of core.lists.queue.slice(0, 50)) {
    core.conversations.set(c.id, { summary: c, complete: false, messages: [message('customer', c.preview)] });
  }
  core.handlers.metrics = () => ({
    from: '',
    to: '',
    queue: { waiting: 10_000, overdue: 40, oldest_wait_secs: 370_000 },
    first_response: { count: 80 + Math.round(Math.random() * 40), avg_secs: 300 + Math.random() * 200, median_secs: 200 + Math.random() * 120, p90_secs: 700 + Math.random() * 400 },
    agents: core.agents.map((a, i) => ({
      agent_id: a.id,
      conversations: 10 + i * 3,
      resolved: 8 + i,
      resolution_rate: (8 + i) / (10 + i * 3),
      avg_first_response_secs: 100 + i * 40,
      claims: 5 + i,
      avg_claim_wait_secs: 60 + i * 50,
      skipped_older: i % 2,
    })),
  });
  const at = new Date(now).toISOString();
  core.savedReplies = [
    { id: 'sr1', title: 'Refund approved', body: 'Hi {{customer.first_name}},\n\nyour refund is approved and reaches your account in 3–5 days.\n\n{{agent.name}}', scope: 'team', owner_id: null, category_id: 'billing', attachments: [], files: [], created_at: at, updated_at: at },
    { id: 'sr2', title: 'Reset your password', body: 'Hi {{customer.name}}, use "Forgot password" on the sign-in page.', scope: 'team', owner_id: null, category_id: 'tech', attachments: [], files: [], created_at: at, updated_at: at },
    { id: 'sr3', title: 'Thanks for waiting', body: 'Thanks for waiting, {{customer.first_name}}! <b>Markup</b> shows as text.', scope: 'personal', owner_id: me.id, category_id: null, attachments: [], files: [], created_at: at, updated_at: at },
  ];
  if (params.get('open')) core.handlers.take_navigation = () => ({ to: 'conversation', id: params.get('open')! });
  core.install();
  const page = params.get('page');
  if (page) setTimeout(() => document.querySelector<HTMLElement>(`[data-testid="nav-${page}"]`)?.click(), 300);
  if (params.has('transfer')) setTimeout(() => document.querySelector<HTMLElement>('[data-testid="transfer"]')?.click(), 600);
  if (params.has('help')) setTimeout(() => window.dispatchEvent(new KeyboardEvent('keydown', { key: '?' })), 300);
}
