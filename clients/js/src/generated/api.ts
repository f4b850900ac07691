// Generated from crates/http/src/body.rs and state.rs by the test `typescript_types_are_fresh`;
// refresh with `SESSIOND_BLESS=1 cargo test -p sessiond-http typescript`. Do not edit.

export type SessionBody = { valid: boolean, username: string | null, role: string | null, session_id: string, time_remaining_seconds: number, time_remaining_minutes: number, 
/**
 * The idle timeout in minutes (the name the original client reads).
 */
session_timeout_minutes: number, warning: boolean, warning_threshold_seconds: number, idle_expires_at: string, absolute_expires_at: string, created_at: string, last_activity: string, context: string | null, 
/**
 * The user's display name (seed 000).
 */
display_name: string | null, 
/**
 * `local`, `ldap`, or `app` (the backend API made the session).
 */
auth_method: string | null, server_time: string, };

export type CheckBody = { csrf_token: string, valid: boolean, username: string | null, role: string | null, session_id: string, time_remaining_seconds: number, time_remaining_minutes: number, 
/**
 * The idle timeout in minutes (the name the original client reads).
 */
session_timeout_minutes: number, warning: boolean, warning_threshold_seconds: number, idle_expires_at: string, absolute_expires_at: string, created_at: string, last_activity: string, context: string | null, 
/**
 * The user's display name (seed 000).
 */
display_name: string | null, 
/**
 * `local`, `ldap`, or `app` (the backend API made the session).
 */
auth_method: string | null, server_time: string, };

export type IssuedBody = { success: boolean, csrf_token: string, valid: boolean, username: string | null, role: string | null, session_id: string, time_remaining_seconds: number, time_remaining_minutes: number, 
/**
 * The idle timeout in minutes (the name the original client reads).
 */
session_timeout_minutes: number, warning: boolean, warning_threshold_seconds: number, idle_expires_at: string, absolute_expires_at: string, created_at: string, last_activity: string, context: string | null, 
/**
 * The user's display name (seed 000).
 */
display_name: string | null, 
/**
 * `local`, `ldap`, or `app` (the backend API made the session).
 */
auth_method: string | null, server_time: string, };

export type AnonymousBody = { success: boolean, 
/**
 * False when the browser's session already belongs to a user.
 */
anonymous: boolean, csrf_token: string, valid: boolean, username: string | null, role: string | null, session_id: string, time_remaining_seconds: number, time_remaining_minutes: number, 
/**
 * The idle timeout in minutes (the name the original client reads).
 */
session_timeout_minutes: number, warning: boolean, warning_threshold_seconds: number, idle_expires_at: string, absolute_expires_at: string, created_at: string, last_activity: string, context: string | null, 
/**
 * The user's display name (seed 000).
 */
display_name: string | null, 
/**
 * `local`, `ldap`, or `app` (the backend API made the session).
 */
auth_method: string | null, server_time: string, };

export type KeepaliveBody = { success: boolean, message: string, timeout_minutes: number, 
/**
 * The token was renewed: a new cookie, and `csrf_token` is its CSRF token.
 */
rotated: boolean, 
/**
 * The idle deadline moved. It is written at most once per coalescing interval (the idle
 * timeout / 100, at least 1 s), so a keep-alive sooner after the last write leaves it where
 * that write put it.
 */
extended: boolean, csrf_token?: string, valid: boolean, username: string | null, role: string | null, session_id: string, time_remaining_seconds: number, time_remaining_minutes: number, 
/**
 * The idle timeout in minutes (the name the original client reads).
 */
session_timeout_minutes: number, warning: boolean, warning_threshold_seconds: number, idle_expires_at: string, absolute_expires_at: string, created_at: string, last_activity: string, context: string | null, 
/**
 * The user's display name (seed 000).
 */
display_name: string | null, 
/**
 * `local`, `ldap`, or `app` (the backend API made the session).
 */
auth_method: string | null, server_time: string, };

export type ContextBody = { success: boolean, valid: boolean, username: string | null, role: string | null, session_id: string, time_remaining_seconds: number, time_remaining_minutes: number, 
/**
 * The idle timeout in minutes (the name the original client reads).
 */
session_timeout_minutes: number, warning: boolean, warning_threshold_seconds: number, idle_expires_at: string, absolute_expires_at: string, created_at: string, last_activity: string, context: string | null, 
/**
 * The user's display name (seed 000).
 */
display_name: string | null, 
/**
 * `local`, `ldap`, or `app` (the backend API made the session).
 */
auth_method: string | null, server_time: string, };

export type LogoutBody = { success: boolean, message: string, 
/**
 * The session that ended; null when there was none.
 */
session_id: string | null, };

export type LogoutAllBody = { success: boolean, ended_sessions: number, kept_current: boolean, };

export type SessionListItem = { session_id: string, device: string | null, ip: string | null, user_agent: string | null, created_at: string, last_activity: string, idle_expires_at: string, absolute_expires_at: string, context: string | null, 
/**
 * The session that asked.
 */
current: boolean, };

export type SessionListBody = { sessions: Array<SessionListItem>, count: number, };

export type RevokeBody = { success: boolean, session_id: string, 
/**
 * It was the session that asked: its cookie is cleared too.
 */
current: boolean, };

export type ClientEventBody = { success: boolean, event_type: string, };

export type HealthBody = { status: string, 
/**
 * The store's kind (`/readyz` only).
 */
store?: string, };

export type CreatedBody = { 
/**
 * The session token: the application sets it as the cookie, or uses the `Set-Cookie`.
 */
token: string, csrf_token: string, user_id: string | null, valid: boolean, username: string | null, role: string | null, session_id: string, time_remaining_seconds: number, time_remaining_minutes: number, 
/**
 * The idle timeout in minutes (the name the original client reads).
 */
session_timeout_minutes: number, warning: boolean, warning_threshold_seconds: number, idle_expires_at: string, absolute_expires_at: string, created_at: string, last_activity: string, context: string | null, 
/**
 * The user's display name (seed 000).
 */
display_name: string | null, 
/**
 * `local`, `ldap`, or `app` (the backend API made the session).
 */
auth_method: string | null, server_time: string, };

export type ValidateBody = { csrf_token: string, user_id: string | null, data: Record<string, unknown>, valid: boolean, username: string | null, role: string | null, session_id: string, time_remaining_seconds: number, time_remaining_minutes: number, 
/**
 * The idle timeout in minutes (the name the original client reads).
 */
session_timeout_minutes: number, warning: boolean, warning_threshold_seconds: number, idle_expires_at: string, absolute_expires_at: string, created_at: string, last_activity: string, context: string | null, 
/**
 * The user's display name (seed 000).
 */
display_name: string | null, 
/**
 * `local`, `ldap`, or `app` (the backend API made the session).
 */
auth_method: string | null, server_time: string, };

export type ApiSessionBody = { session_id: string, user_id: string | null, username: string | null, display_name: string | null, role: string | null, auth_method: string | null, created_at: string, last_activity: string, idle_expires_at: string, absolute_expires_at: string, context: string | null, device: string | null, ip: string | null, user_agent: string | null, data: Record<string, unknown>, };

export type ApiSessionListBody = { sessions: Array<ApiSessionBody>, count: number, };

export type DataBody = { 
/**
 * The data's version, also its `ETag`: send it as `If-Match` to patch only that version.
 */
version: string, data: Record<string, unknown>, };

export type ActivityBody = { success: boolean, session_id: string, idle_expires_at: string, 
/**
 * The idle deadline moved (at most once per coalescing interval, as a keep-alive's).
 */
extended: boolean, };

export type RevokedBody = { success: boolean, session_id: string, };

export type RevokedAllBody = { success: boolean, ended_sessions: number, };

export type ErrorBody = { valid?: boolean, success?: boolean, error?: string, reason?: string, code: string, 
/**
 * Why the refused session ended (`password_changed`, `user_logout`, `idle`, ...), when
 * its record is still found: the reasons of docs/api.md's revocations feed.
 */
end_reason?: string, message: string, retry_after_seconds?: number, 
/**
 * The request's id (also its `X-Request-Id`): the log keeps the request under it.
 */
request_id?: string, 
/**
 * The session the request carried, when its record is still found.
 */
session_id?: string, };

export type ClientConfig = { idle_timeout_seconds: number, absolute_timeout_seconds: number, warning_threshold_seconds: number, keepalive_max_retries: number, login_url: string, sync: SyncSettings, features: ClientFeatures, 
/**
 * `SESSION_CUSTOM_PUBLIC_<NAME>` by lower-cased `<name>`: the custom settings an operator
 * marked fit for every browser. Filled per request from [`Shared::custom`].
 */
custom: { [key in string]: string }, };

export type SyncSettings = { check_interval_seconds: number, heartbeat_interval_seconds: number, sync_timeout_seconds: number, tab_response_timeout_seconds: number, localstorage_prefix: string, max_sync_data_size: number, };

export type ClientFeatures = { cross_tab_sync: boolean, optimistic_ui: boolean, platform_switching: boolean, };
