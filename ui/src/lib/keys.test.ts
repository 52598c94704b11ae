import { describe, expect, it } from 'vitest';
import { G_TIMEOUT_MS, KeyMap, isTyping } from './keys';

function el(html: string): HTMLElement {
  const d = document.createElement('div');
  d.innerHTML = html;
  return d.firstElementChild as HTMLElement;
}

describe('KeyMap', () => {
  it('maps the single keys', () => {
    const k = new KeyMap();
    const body = document.body;
    const map = (key: string) => k.dispatch({ key, target: body });
    expect(['j', 'ArrowDown', 'k', 'ArrowUp', 'Enter', 'c', 'r', 'n', 't', 'e', '?', 'Escape'].map(map)).toEqual([
      'next',
      'next',
      'prev',
      'prev',
      'open',
      'claim',
      'reply',
      'note',
      'transfer',
      'resolve',
      'help',
      'escape',
    ]);
    expect(map('x')).toBeNull();
  });

  it('/ searches outside fields; Ctrl/⌘+K searches everywhere', () => {
    const k = new KeyMap();
    const body = document.body;
    const input = el('<input type="text">');
    const area = el('<textarea></textarea>');
    expect(k.dispatch({ key: '/', target: body })).toBe('search');
    // In the composer, / opens the saved-reply picker instead.
    expect(k.dispatch({ key: '/', target: area })).toBeNull();
    expect(k.dispatch({ key: 'k', ctrlKey: true, target: body })).toBe('search');
    expect(k.dispatch({ key: 'k', metaKey: true, target: area })).toBe('search');
    expect(k.dispatch({ key: 'K', ctrlKey: true, target: input })).toBe('search');
    expect(k.dispatch({ key: 'k', ctrlKey: true, altKey: true, target: body })).toBeNull();
    // Plain k still moves up.
    expect(k.dispatch({ key: 'k', target: body })).toBe('prev');
  });

  it('g then q / m / t goes places, within the timeout', () => {
    const k = new KeyMap();
    expect(k.dispatch({ key: 'g' }, 0)).toBeNull();
    expect(k.dispatch({ key: 'q' }, 100)).toBe('go-queue');
    expect(k.dispatch({ key: 'g' }, 200)).toBeNull();
    expect(k.dispatch({ key: 'm' }, 300)).toBe('go-mine');
    expect(k.dispatch({ key: 'g' }, 400)).toBeNull();
    expect(k.dispatch({ key: 't' }, 500)).toBe('go-team');
    // After g, t is "team", not "transfer"; plain t is transfer again.
    expect(k.dispatch({ key: 't' }, 600)).toBe('transfer');
  });

  it('a stale g is forgotten', () => {
    const k = new KeyMap();
    k.dispatch({ key: 'g' }, 0);
    expect(k.dispatch({ key: 'q' }, G_TIMEOUT_MS + 1)).toBeNull();
    expect(k.dispatch({ key: 'c' }, G_TIMEOUT_MS + 2)).toBe('claim');
  });

  it('stays out of the way while typing, except Ctrl/⌘+Enter and Esc', () => {
    const k = new KeyMap();
    const area = el('<textarea></textarea>');
    const input = el('<input type="text">');
    expect(k.dispatch({ key: 'j', target: area })).toBeNull();
    expect(k.dispatch({ key: 'c', target: input })).toBeNull();
    expect(k.dispatch({ key: 'Enter', target: area })).toBeNull();
    expect(k.dispatch({ key: 'Enter', ctrlKey: true, target: area })).toBe('send');
    expect(k.dispatch({ key: 'Enter', metaKey: true, target: area })).toBe('send');
    expect(k.dispatch({ key: 'Escape', target: input })).toBe('escape');
  });

  it('leaves Enter to a focused button', () => {
    const k = new KeyMap();
    expect(k.dispatch({ key: 'Enter', target: el('<button></button>') })).toBeNull();
    expect(k.dispatch({ key: 'Enter', target: el('<a href="#">x</a>') })).toBeNull();
    expect(k.dispatch({ key: 'j', target: el('<button></button>') })).toBe('next');
  });

  it('ignores keys with modifiers (browser and OS shortcuts)', () => {
    const k = new KeyMap();
    expect(k.dispatch({ key: 'c', ctrlKey: true })).toBeNull();
    expect(k.dispatch({ key: 'r', metaKey: true })).toBeNull();
    expect(k.dispatch({ key: 'e', altKey: true })).toBeNull();
  });

  it('knows what counts as typing', () => {
    expect(isTyping(el('<textarea></textarea>'))).toBe(true);
    expect(isTyping(el('<input>'))).toBe(true);
    expect(isTyping(el('<select></select>'))).toBe(true);
    expect(isTyping(el('<input type="checkbox">'))).toBe(false);
    expect(isTyping(el('<button></button>'))).toBe(false);
    expect(isTyping(el('<div contenteditable="true"></div>'))).toBe(true);
    expect(isTyping(null)).toBe(false);
  });
});
