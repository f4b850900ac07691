import type { ClientConfig, SessionBody } from "./generated/api";

/** What `GET /api/session/client-config` returns (generated from the server's type). */
export type { ClientConfig };

/** A live session as the server describes it (check, keep-alive, login): the fields of the
 *  server's `SessionBody` the client acts on, and the CSRF token when the answer carries one. */
export type Status = Pick<
  SessionBody,
  | "username"
  | "role"
  | "session_id"
  | "time_remaining_seconds"
  | "warning_threshold_seconds"
  | "context"
> & { csrf_token?: string };

/** Why a session is over: the server's `code`. */
export type EndCode =
  | "no_session"
  | "expired_idle"
  | "expired_absolute"
  | "revoked"
  | "logged_out"
  | "evicted";

/** Why it ended in more detail, when the server still keeps the ended record: its
 *  `end_reason` (`password_changed`, `role_changed`, `user_logout`, ...). */
export type EndReason = string;

/** The answer of one request, reduced to what the client acts on. */
export type Answer<T> =
  | { kind: "ok"; body: T }
  | { kind: "ended"; code: EndCode; reason?: EndReason }
  | { kind: "limited"; retryAfter: number }
  /** `code` is the server's error code when it sent one (`reauth_required`, ...). */
  | { kind: "failed"; message: string; code?: string };

/** Messages between the tabs of one browser. */
export type TabMessage =
  | { t: "status"; status: Status; remaining_ms: number }
  | { t: "warning"; shown: boolean }
  | { t: "ended"; code: EndCode; reason?: EndReason }
  | { t: "context"; context: string | null }
  | { t: "hello" }
  | { t: "leader-gone" };
