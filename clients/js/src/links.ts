/**
 * Where the client may send a browser or a request: only to its own origin, decided by the URL
 * parser (the browser's own), never by looking at the first characters. `/\\evil.example`,
 * `/%09/evil.example` and `/.//evil.example` start with one slash and still parse to another
 * host, or to a path that does once it is written out again (`/.//evil.example` has the
 * pathname `//evil.example`). So the answer is the whole parsed URL, never a path: a URL whose
 * origin was checked cannot be read as another authority, whatever its path looks like.
 */
import type { EndCode, EndReason } from "./types";

/** Titles and explanations of each way a session can end. */
export const END_TEXT: Record<EndCode, [string, string]> = {
  expired_idle: ["Session expired", "You were logged out after a period of inactivity."],
  expired_absolute: ["Session expired", "Your session reached its maximum length. Please log in again."],
  logged_out: ["Logged out", "You logged out, in this tab or another one."],
  revoked: ["Session ended", "This session was ended from another device or by an administrator."],
  evicted: ["Session ended", "You logged in on too many devices; this session was closed."],
  no_session: ["Not logged in", "There is no active session."],
};

/** Reasons a user acts on differently from their end code's text (a new password to use). */
const REASON_TEXT: Record<string, [string, string]> = {
  password_changed: ["Password changed", "Your password was changed. Please log in with the new one."],
  role_changed: ["Role changed", "Your role was changed. Please log in again to use it."],
};

const FALLBACK_ORIGIN = "http://sessiond.invalid";

/**
 * `target` as a URL of `origin`, or null when it would leave it. A path that normalises to
 * `//...` is refused too: nothing of ours lives there, and a page that wrote it out as a link
 * would send the browser to another host.
 */
export function sameOrigin(target: string, origin: string = globalThis.location?.origin ?? FALLBACK_ORIGIN): string | null {
  if (!target.startsWith("/")) return null;
  let url: URL;
  try {
    url = new URL(target, origin);
  } catch {
    return null;
  }
  if (url.origin !== origin || url.username !== "" || url.password !== "") return null;
  if (url.pathname.startsWith("//")) return null;
  return url.href;
}

/** Where to go after login: `next` when it is a place on this origin, else the origin's `/`. */
export function afterLogin(next: string | null, origin: string): string {
  return (next !== null && sameOrigin(next, origin)) || new URL("/", origin).href;
}

/** The notice for `?reason=` (an end code) and `?end_reason=`: only the keys of their own
 * tables, never an inherited key such as `constructor` or `__proto__`. The reason's text wins
 * where it has one. */
export function endText(code: string | null, reason: EndReason | null = null): [string, string] | null {
  const own = (table: object, key: string | null): key is string => key !== null && Object.prototype.hasOwnProperty.call(table, key);
  if (own(END_TEXT, code) && own(REASON_TEXT, reason)) return REASON_TEXT[reason];
  return own(END_TEXT, code) ? END_TEXT[code as EndCode] : null;
}
