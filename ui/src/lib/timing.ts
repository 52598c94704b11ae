/**
 * User Timing marks along the page's way to its first rows, read by the
 * desktop benchmark to tell where a slow start spends its time:
 * `script` (the bundle runs), `listening` (event listeners attached),
 * `session` (the core answered who is signed in), `first-window` (the first
 * block of rows arrived), `first-rows` (the frame after they were painted).
 */
export type StartStep = 'script' | 'listening' | 'session' | 'first-window' | 'first-rows';

/** Marks `switchboard:<step>` the first time it is reached. */
export function markStart(step: StartStep): void {
  const name = `switchboard:${step}`;
  if (typeof performance === 'undefined' || performance.getEntriesByName(name).length > 0) return;
  performance.mark(name);
}
