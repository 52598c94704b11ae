// Switchboard's embeddable chat widget.
//
//   <script src="https://inbox.example.com/widget.js" async></script>
//
// The script finds the server from its own `src`, draws a launcher button
// and a chat panel inside a shadow root (so the page's CSS and the widget's
// do not mix), and talks to `/widget/v1/…`. The visitor token is kept in
// localStorage, so a reload brings the conversation back. Replies, agent
// joins and typing arrive over server-sent events (read with fetch, so the
// token travels in a header, never in a URL).
//
// Every text from the server or the visitor is set with `textContent`: it is
// never parsed as HTML. Files on messages: see files.ts; the visitor attaches
// one with the paperclip (uploaded, then sent with the message).
//
// Optional attributes on the script tag: `data-title` (panel title),
// `data-color` (accent colour, e.g. `#0b6bcb`), `data-open` (open at once).

import { EventSource } from "eventsource";

import { ApiError, type Frame, type Status, type VisitorConversation, type VisitorMessage, VisitorApi } from "./api";
import { renderAttachments } from "./files";
import { STYLES } from "./styles";

const TYPING_MS = 5000;

function findScript(): HTMLScriptElement | null {
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement && current.src) return current;
  const all = Array.from(document.querySelectorAll<HTMLScriptElement>("script[src]"));
  return all.reverse().find((s) => /\/widget\.js(\?|#|$)/.test(s.src)) ?? null;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function icon(path: string): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const p = document.createElementNS(ns, "path");
  p.setAttribute("d", path);
  svg.appendChild(p);
  return svg;
}

const CHAT_ICON =
  "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";
const CLOSE_ICON =
  "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6l5.6-5.6L5 6.4z";
const SEND_ICON = "M3 20.5 21 12 3 3.5 3 10l12 2-12 2z";
const CLIP_ICON =
  "M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z";

function newId(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function timeOf(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

class Widget {
  private api: VisitorApi;
  private storageKey: string;
  private root: ShadowRoot;
  private panel: HTMLElement;
  private launcher: HTMLButtonElement;
  private list: HTMLElement;
  private statusLine: HTMLElement;
  private typingLine: HTMLElement;
  private humanButton: HTMLButtonElement;
  private input: HTMLTextAreaElement;
  private sendButton: HTMLButtonElement;
  private errorLine: HTMLElement;
  private fileInput: HTMLInputElement;
  private stagedLine: HTMLElement;
  private staged: File | null = null;
  private seen = new Map<string, HTMLElement>();
  private agentName: string | null = null;
  private cursor = 0;
  private stream: { close(): void } | null = null;
  private typingTimer: number | undefined;
  private busy = false;

  constructor(origin: string, opts: { title: string; color: string; open: boolean }) {
    this.storageKey = `switchboard-widget:${origin}`;
    this.api = new VisitorApi(origin, this.loadToken());

    const host = el("div", { id: "switchboard-chat-widget" });
    this.root = host.attachShadow({ mode: "open" });
    const style = el("style", {}, STYLES);
    this.root.appendChild(style);
    const shell = el("div", { class: "shell" });
    shell.style.setProperty("--sb-accent", opts.color);

    this.launcher = el("button", { class: "launcher", type: "button", "aria-label": "Open chat", "data-testid": "sb-launcher" });
    this.launcher.appendChild(icon(CHAT_ICON));
    this.launcher.addEventListener("click", () => this.toggle(true));

    this.panel = el("section", { class: "panel", role: "dialog", "aria-label": opts.title, "data-testid": "sb-panel", hidden: "" });
    const header = el("header");
    const titles = el("div", { class: "titles" });
    titles.appendChild(el("h2", {}, opts.title));
    this.statusLine = el("p", { class: "status", "data-testid": "sb-status" }, "We usually reply in a few minutes");
    titles.appendChild(this.statusLine);
    const close = el("button", { class: "close", type: "button", "aria-label": "Close chat" });
    close.appendChild(icon(CLOSE_ICON));
    close.addEventListener("click", () => this.toggle(false));
    header.append(titles, close);

    this.list = el("div", { class: "messages", role: "log", "aria-live": "polite", "data-testid": "sb-messages" });
    this.list.appendChild(el("p", { class: "welcome" }, "Hi! Ask us anything, we're here to help."));

    this.typingLine = el("p", { class: "typing", "data-testid": "sb-typing", hidden: "" });
    this.humanButton = el("button", { class: "human", type: "button", "data-testid": "sb-human", hidden: "" }, "Talk to a person");
    this.humanButton.addEventListener("click", () => void this.askHuman());
    this.errorLine = el("p", { class: "error", role: "alert", hidden: "" });

    const form = el("form", { class: "composer" });
    this.input = el("textarea", { rows: "1", placeholder: "Write a message…", "aria-label": "Message", "data-testid": "sb-input", maxlength: "10000" });
    this.sendButton = el("button", { type: "submit", class: "send", "aria-label": "Send", "data-testid": "sb-send" });
    this.sendButton.appendChild(icon(SEND_ICON));
    this.fileInput = el("input", { type: "file", hidden: "", "data-testid": "sb-file-input" });
    this.fileInput.addEventListener("change", () => this.stage(this.fileInput.files?.[0] ?? null));
    const attach = el("button", { type: "button", class: "attach", "aria-label": "Attach a file", "data-testid": "sb-attach" });
    attach.appendChild(icon(CLIP_ICON));
    attach.addEventListener("click", () => this.fileInput.click());
    this.stagedLine = el("p", { class: "staged", "data-testid": "sb-staged", hidden: "" });
    form.append(this.fileInput, attach, this.input, this.sendButton);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.send();
    });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        void this.send();
      }
    });

    this.panel.append(header, this.list, this.typingLine, this.humanButton, this.errorLine, this.stagedLine, form);
    shell.append(this.panel, this.launcher);
    this.root.appendChild(shell);
    document.body.appendChild(host);

    if (opts.open) this.toggle(true);
    if (this.api.token) void this.restore();
  }

  private loadToken(): string | null {
    try {
      return window.localStorage.getItem(this.storageKey);
    } catch {
      return null;
    }
  }

  private saveToken(token: string | null): void {
    try {
      if (token) window.localStorage.setItem(this.storageKey, token);
      else window.localStorage.removeItem(this.storageKey);
    } catch {
      // Storage blocked: the conversation lasts as long as the page.
    }
  }

  private toggle(open: boolean): void {
    this.panel.hidden = !open;
    this.launcher.hidden = open;
    if (open) {
      this.input.focus();
      this.scrollDown();
    }
  }

  private showError(text: string | null): void {
    this.errorLine.hidden = !text;
    this.errorLine.textContent = text ?? "";
  }

  private explain(e: unknown): string {
    if (e instanceof ApiError) {
      if (e.status === 429) return `You're sending messages too quickly. Try again in ${e.retryAfter ?? 60} s.`;
      return e.message;
    }
    return "Can't reach the chat right now. Check your connection and try again.";
  }

  private async restore(): Promise<void> {
    try {
      this.apply(await this.api.conversation());
      this.follow();
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 404)) {
        this.api.token = null;
        this.saveToken(null);
      } else {
        this.showError(this.explain(e));
      }
    }
  }

  /** The file chosen with the paperclip, shown above the composer until sent. */
  private stage(file: File | null): void {
    this.staged = file;
    this.fileInput.value = "";
    this.stagedLine.replaceChildren();
    this.stagedLine.hidden = !file;
    if (!file) return;
    const remove = el("button", { type: "button", "aria-label": "Remove the file" }, "×");
    remove.addEventListener("click", () => this.stage(null));
    this.stagedLine.append(el("span", {}, `📎 ${file.name}`), remove);
  }

  private async send(): Promise<void> {
    const body = this.input.value.trim();
    const file = this.staged;
    if ((!body && !file) || this.busy) return;
    this.busy = true;
    this.sendButton.disabled = true;
    const clientId = newId();
    try {
      if (!this.api.token) {
        // A conversation starts with words; a file alone starts it with its name.
        const started = await this.api.start(body || file?.name || "File", clientId);
        this.api.token = started.visitor_token;
        this.saveToken(started.visitor_token);
        this.apply(started.conversation);
        this.follow();
        this.input.value = "";
        if (file) {
          const uploaded = await this.api.upload(file);
          this.apply((await this.api.send("", newId(), [uploaded.id])).conversation);
        }
      } else {
        const ids = file ? [(await this.api.upload(file)).id] : [];
        const posted = await this.api.send(body, clientId, ids);
        this.apply(posted.conversation);
      }
      this.input.value = "";
      this.stage(null);
      this.showError(null);
    } catch (e) {
      this.showError(this.explain(e));
    } finally {
      this.busy = false;
      this.sendButton.disabled = false;
      this.input.focus();
    }
  }

  private async askHuman(): Promise<void> {
    this.humanButton.disabled = true;
    try {
      this.apply(await this.api.handoff());
      this.showError(null);
    } catch (e) {
      this.showError(this.explain(e));
    } finally {
      this.humanButton.disabled = false;
    }
  }

  private apply(c: VisitorConversation): void {
    for (const m of c.messages) this.addMessage(m);
    this.setStatus(c.status, c.agent?.name ?? null);
    this.cursor = Math.max(this.cursor, c.last_seq);
  }

  private addMessage(m: VisitorMessage): void {
    const shown = this.seen.get(m.id);
    // A message seen before its files were attached (the stream can bring
    // it first) is drawn again with them.
    const files = m.attachments?.length ?? 0;
    if (shown && Number(shown.dataset.files ?? "0") >= files) return;
    const row = el("div", { class: `message ${m.kind}`, "data-testid": "sb-message", "data-kind": m.kind, "data-id": m.id });
    row.dataset.files = String(files);
    if (m.author) row.appendChild(el("span", { class: "author" }, m.author));
    if (m.body) row.appendChild(el("p", { class: "body" }, m.body));
    const box = renderAttachments(this.api, m.attachments, (e) => this.showError(this.explain(e)));
    if (box) row.appendChild(box);
    row.appendChild(el("time", { datetime: m.created_at }, timeOf(m.created_at)));
    this.seen.set(m.id, row);
    if (shown) {
      shown.replaceWith(row);
      return;
    }
    this.list.appendChild(row);
    if (m.kind === "agent") this.hideTyping();
    this.scrollDown();
  }

  private note(text: string): void {
    this.list.appendChild(el("p", { class: "event", "data-testid": "sb-event" }, text));
    this.scrollDown();
  }

  private setStatus(status: Status, agent: string | null): void {
    if (agent && agent !== this.agentName && status === "assigned") {
      this.note(`${agent} joined the conversation`);
    }
    this.agentName = status === "assigned" ? agent : this.agentName;
    this.humanButton.hidden = status !== "bot";
    this.statusLine.textContent =
      status === "bot"
        ? "Our assistant is answering"
        : status === "queued"
          ? "Waiting for the next available person…"
          : status === "assigned" && agent
            ? `You're chatting with ${agent}`
            : status === "resolved"
              ? "This conversation is closed; write to reopen it"
              : "We usually reply in a few minutes";
  }

  private hideTyping(): void {
    this.typingLine.hidden = true;
    window.clearTimeout(this.typingTimer);
  }

  private onFrame(f: Frame): void {
    switch (f.type) {
      case "message":
        this.addMessage(f.message);
        break;
      case "status":
        this.setStatus(f.status, f.agent?.name ?? null);
        break;
      case "typing":
        this.typingLine.textContent = `${f.agent.name} is typing…`;
        this.typingLine.hidden = false;
        window.clearTimeout(this.typingTimer);
        this.typingTimer = window.setTimeout(() => this.hideTyping(), TYPING_MS);
        this.scrollDown();
        break;
    }
  }

  /**
   * Follows the live stream from the cursor. After an error or the end of
   * the stream (a server restart) it reconnects in 3 s, resuming with
   * Last-Event-ID. A refused token (401, 404) or a 204 stops it.
   */
  private follow(): void {
    if (this.stream || !this.api.token) return;
    const url = `${this.api.origin}/widget/v1/events?since=${this.cursor}`;
    const token = this.api.token;
    let lastEventId = "";
    let source: EventSource | null = null;
    let timer: number | undefined;
    const stream = {
      close: () => {
        window.clearTimeout(timer);
        source?.close();
        if (this.stream === stream) this.stream = null;
      },
    };
    this.stream = stream;
    const open = () => {
      const es = new EventSource(url, {
        // fetch, so the token travels in a header, never in the URL.
        fetch: (input, init) =>
          fetch(input, {
            ...init,
            headers: {
              ...init.headers,
              // A new source after a failed one resumes where the last stopped.
              ...(lastEventId && !init.headers["Last-Event-ID"] ? { "Last-Event-ID": lastEventId } : {}),
              Authorization: `Bearer ${token}`,
            },
            credentials: "omit",
          }),
      });
      source = es;
      es.onmessage = (msg) => {
        lastEventId = msg.lastEventId;
        if (!msg.data) return;
        try {
          this.onFrame(JSON.parse(msg.data) as Frame);
        } catch {
          // A frame this version does not know: skip it.
        }
      };
      es.onerror = (err) => {
        // Connecting: the source retries by itself in 3 s (the server sets no
        // other delay), sending Last-Event-ID.
        if (es.readyState !== es.CLOSED) return;
        if (err.code === 401 || err.code === 404 || err.code === 204) {
          stream.close();
          return;
        }
        // Any other answer (5xx, 429, not an event stream) closes the source
        // for good: start a new one in 3 s.
        timer = window.setTimeout(open, 3000);
      };
    };
    open();
  }

  private scrollDown(): void {
    this.list.scrollTop = this.list.scrollHeight;
  }
}

function boot(): void {
  const script = findScript();
  if (!script) return;
  const origin = new URL(script.src, document.baseURI).origin;
  const w = window as unknown as { __switchboardWidget?: Widget };
  if (w.__switchboardWidget) return;
  const start = () => {
    w.__switchboardWidget = new Widget(origin, {
      title: script.dataset.title || "Chat with us",
      color: /^#[0-9a-fA-F]{3,8}$/.test(script.dataset.color ?? "") ? (script.dataset.color as string) : "#0b6bcb",
      open: script.dataset.open !== undefined,
    });
  };
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start, { once: true });
}

boot();
