import { sameOrigin } from "./links";
import type { Answer, ClientConfig, EndCode, Status } from "./types";

const END_CODES: EndCode[] = ["no_session", "expired_idle", "expired_absolute", "revoked", "logged_out", "evicted"];

/** The session API over same-origin fetch. Unsafe requests carry the session's CSRF token. */
export class Api {
  csrf: string | undefined;

  constructor(private readonly base = "") {}

  async request<T>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
    // The CSRF token goes only to this origin: a path such as `//host/...` or `/\\host` would
    // otherwise name another one once joined to the base.
    const url = sameOrigin(this.base + path);
    if (url === null) return { kind: "failed", message: "sessiond: only same-origin paths are allowed", code: "not_same_origin" };
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (method !== "GET" && this.csrf) headers["x-csrf-token"] = this.csrf;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        credentials: "same-origin",
        cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      return { kind: "failed", message: "The server could not be reached." };
    }
    let json: Record<string, unknown> = {};
    try {
      json = await res.json();
    } catch {
      // A proxy's HTML error page: judged by its status alone.
    }
    if (res.ok) {
      if (typeof json.csrf_token === "string") this.csrf = json.csrf_token;
      return { kind: "ok", body: json as T };
    }
    if (res.status === 401) {
      const code = END_CODES.includes(json.code as EndCode) ? (json.code as EndCode) : "no_session";
      return typeof json.end_reason === "string" ? { kind: "ended", code, reason: json.end_reason } : { kind: "ended", code };
    }
    if (res.status === 429) {
      const retryAfter = Number(res.headers.get("retry-after") ?? json.retry_after_seconds ?? 60);
      return { kind: "limited", retryAfter: Number.isFinite(retryAfter) ? retryAfter : 60 };
    }
    const message = typeof json.message === "string" ? json.message : `The server answered ${res.status}.`;
    return typeof json.code === "string" ? { kind: "failed", message, code: json.code } : { kind: "failed", message };
  }

  config(): Promise<Answer<ClientConfig>> {
    return this.request("GET", "/api/session/client-config");
  }

  /** Passive: never extends the session. */
  check(): Promise<Answer<Status>> {
    return this.request("POST", "/api/session/check");
  }

  keepalive(): Promise<Answer<Status>> {
    return this.request("POST", "/api/session/keepalive");
  }

  logout(): Promise<Answer<unknown>> {
    return this.request("POST", "/api/session/logout");
  }

  logoutAll(keepCurrent = false): Promise<Answer<unknown>> {
    return this.request("POST", "/api/session/logout-all", { keep_current: keepCurrent });
  }

  switchContext(context: string): Promise<Answer<Status>> {
    return this.request("PUT", "/api/session/context", { context });
  }

  event(eventType: string, timeRemainingSeconds?: number): Promise<Answer<unknown>> {
    const body: Record<string, unknown> = { event_type: eventType };
    if (timeRemainingSeconds !== undefined) body.time_remaining_seconds = Math.max(0, Math.round(timeRemainingSeconds));
    return this.request("POST", "/api/session/events", body);
  }
}
