// The visitor API of a Switchboard server (`/widget/v1/…`), over fetch.
// Every call but the first carries the visitor token as a bearer token.

export type Kind = "customer" | "agent" | "bot";

export interface VisitorMessage {
  id: string;
  kind: Kind;
  author: string | null;
  body: string;
  created_at: string;
}

export interface VisitorAgent {
  name: string;
}

export type Status = "bot" | "queued" | "assigned" | "resolved";

export interface VisitorConversation {
  id: string;
  status: Status;
  agent: VisitorAgent | null;
  messages: VisitorMessage[];
  last_seq: number;
}

export type Frame =
  | { type: "message"; message: VisitorMessage }
  | { type: "status"; status: Status; agent: VisitorAgent | null }
  | { type: "typing"; agent: VisitorAgent };

/** An error answer of the server: `{"error": {"code", "message"}}` and its status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter: number | null,
  ) {
    super(message);
  }
}

export class VisitorApi {
  constructor(
    readonly origin: string,
    public token: string | null,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.token) headers["Authorization"] = `Bearer ${this.token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const resp = await fetch(this.origin + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      mode: "cors",
    });
    const text = await resp.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!resp.ok) {
      const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
      const retry = Number(resp.headers.get("Retry-After"));
      throw new ApiError(
        resp.status,
        err?.code ?? "http_error",
        err?.message ?? `the chat server answered ${resp.status}`,
        Number.isFinite(retry) && retry > 0 ? retry : null,
      );
    }
    return json as T;
  }

  start(message: string, clientId: string): Promise<{ visitor_token: string; conversation: VisitorConversation }> {
    return this.call("POST", "/widget/v1/conversations", { message, client_id: clientId });
  }

  conversation(): Promise<VisitorConversation> {
    return this.call("GET", "/widget/v1/conversation");
  }

  send(body: string, clientId: string): Promise<{ message: VisitorMessage; conversation: VisitorConversation }> {
    return this.call("POST", "/widget/v1/messages", { body, client_id: clientId });
  }

  handoff(): Promise<VisitorConversation> {
    return this.call("POST", "/widget/v1/handoff");
  }
}
