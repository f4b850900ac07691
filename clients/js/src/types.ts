/** What `GET /api/session/client-config` returns. */
export interface ClientConfig {
  idle_timeout_seconds: number;
  absolute_timeout_seconds: number;
  warning_threshold_seconds: number;
  keepalive_max_retries: number;
  login_url: string;
  sync: {
    check_interval_seconds: number;
    heartbeat_interval_seconds: number;
    sync_timeout_seconds: number;
    tab_response_timeout_seconds: number;
    localstorage_prefix: string;
    max_sync_data_size: number;
  };
  features: { cross_tab_sync: boolean; optimistic_ui: boolean; platform_switching: boolean };
}

/** A live session as the server describes it (check, keep-alive, login). */
export interface Status {
  username: string | null;
  role: string | null;
  session_id: string;
  time_remaining_seconds: number;
  warning_threshold_seconds: number;
  context: string | null;
  csrf_token?: string;
}

/** Why a session is over: the server's `code`. */
export type EndCode =
  | "no_session"
  | "expired_idle"
  | "expired_absolute"
  | "revoked"
  | "logged_out"
  | "evicted";

/** The answer of one request, reduced to what the client acts on. */
export type Answer<T> =
  | { kind: "ok"; body: T }
  | { kind: "ended"; code: EndCode }
  | { kind: "limited"; retryAfter: number }
  /** `code` is the server's error code when it sent one (`reauth_required`, ...). */
  | { kind: "failed"; message: string; code?: string };

/** Messages between the tabs of one browser. */
export type TabMessage =
  | { t: "status"; status: Status; remaining_ms: number }
  | { t: "warning"; shown: boolean }
  | { t: "ended"; code: EndCode }
  | { t: "context"; context: string | null }
  | { t: "hello" }
  | { t: "leader-gone" };
