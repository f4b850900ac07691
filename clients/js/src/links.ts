/**
 * Where the client may send a browser or a request: only to paths of its own origin, decided by
 * the URL parser (the browser's own), never by looking at the first characters. `/\\evil.example`
 * and `/%09/evil.example` start with one slash and still parse to another host.
 */
import { END_TEXT } from "./ui";

const FALLBACK_ORIGIN = "http://sessiond.invalid";

/** `target` as a path of `origin`, or null when it would leave it. */
export function sameOrigin(target: string, origin: string = globalThis.location?.origin ?? FALLBACK_ORIGIN): string | null {
  if (!target.startsWith("/")) return null;
  let url: URL;
  try {
    url = new URL(target, origin);
  } catch {
    return null;
  }
  return url.origin === origin ? url.pathname + url.search + url.hash : null;
}

/** Where to go after login: `next` when it is a path of this origin, else `/`. */
export function sameOriginPath(next: string | null, origin: string): string {
  return (next !== null && sameOrigin(next, origin)) || "/";
}

/** The notice for `?reason=`: only the end codes themselves, never an inherited key such as
 * `constructor` or `__proto__`. */
export function endText(reason: string | null): [string, string] | null {
  return reason !== null && Object.prototype.hasOwnProperty.call(END_TEXT, reason)
    ? END_TEXT[reason as keyof typeof END_TEXT]
    : null;
}
