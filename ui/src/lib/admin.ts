// Admin forms: what changed, as the PATCH bodies the server takes.

import type { Agent } from '../gen/Agent';
import type { AgentPatch } from '../gen/AgentPatch';
import type { Category } from '../gen/Category';
import type { CategoryPatch } from '../gen/CategoryPatch';
import type { Tag } from '../gen/Tag';
import type { TagPatch } from '../gen/TagPatch';

/** Keywords typed one per line: trimmed, blank lines dropped. */
export function parseKeywords(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((k) => k.trim())
    .filter((k) => k !== '');
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join('\u0000') === [...b].sort().join('\u0000');
}

/** Only the fields that differ from the agent. */
export function agentPatch(agent: Agent, form: { role: Agent['role']; capacity: number; categories: string[] }): AgentPatch {
  const p: AgentPatch = {};
  if (form.role !== agent.role) p.role = form.role;
  if (form.capacity !== agent.capacity) p.capacity = form.capacity;
  if (!sameSet(form.categories, agent.categories)) p.categories = [...form.categories];
  return p;
}

/** Only the fields that differ from the category. */
export function categoryPatch(
  cat: Category,
  form: { routing: Category['routing']; wait_threshold_secs: number; keywords: string },
): CategoryPatch {
  const p: CategoryPatch = {};
  if (form.routing !== cat.routing) p.routing = form.routing;
  if (form.wait_threshold_secs !== cat.wait_threshold_secs) p.wait_threshold_secs = form.wait_threshold_secs;
  const kw = parseKeywords(form.keywords);
  if (kw.join('\n') !== cat.keywords.join('\n')) p.keywords = kw;
  return p;
}

/** Only the fields that differ from the tag (name trimmed). */
export function tagPatch(tag: Tag, form: { name: string; colour: string; keywords: string }): TagPatch {
  const p: TagPatch = {};
  if (form.name.trim() !== tag.name) p.name = form.name.trim();
  if (form.colour.toLowerCase() !== tag.colour) p.colour = form.colour.toLowerCase();
  const kw = parseKeywords(form.keywords);
  if (kw.join('\n') !== tag.keywords.join('\n')) p.keywords = kw;
  return p;
}
