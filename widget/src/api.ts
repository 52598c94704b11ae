// The visitor API of a Switchboard server (`/widget/v1/…`), over fetch.
// Every call but the first carries the visitor token as a bearer token.

export type Kind = "customer" | "agent" | "bot";

/** A file on a message: shown with its name, size and type. */
export interface AttachmentInfo {
  id: string;
  filename: string;
  content_type: string;
  size: number;
}

export interface VisitorMessage {
  id: string;
  kind: Kind;
  author: string | null;
  body: string;
  created_at: string;
  attachments?: AttachmentInfo[];
}

export interface Upload {
  id: string;
  filename: string;
  content_type: string;
  size: number;
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
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const resp = await this.request(method, path, headers, body === undefined ? undefined : JSON.stringify(body));
    return this.answer<T>(resp);
  }

  private request(method: string, path: string, headers: Record<string, string>, body?: BodyInit): Promise<Response> {
    if (this.token) headers["Authorization"] = `Bearer ${this.token}`;
    return fetch(this.origin + path, { method, headers, body, credentials: "omit", mode: "cors" });
  }

  private async answer<T>(resp: Response): Promise<T> {
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

  send(
    body: string,
    clientId: string,
    attachmentIds: string[] = [],
  ): Promise<{ message: VisitorMessage; conversation: VisitorConversation }> {
    return this.call("POST", "/widget/v1/messages", { body, client_id: clientId, attachment_ids: attachmentIds });
  }

  /** Uploads a file's bytes (the server sniffs its type and enforces its size limit). */
  async upload(file: File): Promise<Upload> {
    const path = `/widget/v1/uploads?filename=${encodeURIComponent(file.name || "file")}`;
    const resp = await this.request("POST", path, { "Content-Type": "application/octet-stream" }, file);
    return this.answer<Upload>(resp);
  }

  /** A file of the conversation, fetched with the visitor token (never a URL holding a secret). */
  async file(id: string): Promise<Blob> {
    const resp = await this.request("GET", `/widget/v1/attachments/${encodeURIComponent(id)}`, {});
    if (!resp.ok) return this.answer<never>(resp);
    return resp.blob();
  }

  handoff(): Promise<VisitorConversation> {
    return this.call("POST", "/widget/v1/handoff");
  }
}
