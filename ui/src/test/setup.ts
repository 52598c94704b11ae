// jsdom lacks layout: give it the few browser APIs the components touch.
class NoopResizeObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
}
const g = globalThis as unknown as Record<string, unknown>;
if (!('ResizeObserver' in g)) g.ResizeObserver = NoopResizeObserver;

// No canvas in jsdom: charts see no 2D context and draw nothing (quietly).
HTMLCanvasElement.prototype.getContext = (() => null) as unknown as HTMLCanvasElement['getContext'];
