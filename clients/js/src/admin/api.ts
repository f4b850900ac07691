/**
 * The dashboard's calls to the admin API: the session cookie with its CSRF token, a login when
 * there is no session, and the password asked for again when a change needs a fresh one.
 */
export type Answer<T> =
  | { ok: true; body: T }
  | { ok: false; status: number; code: string; message: string };

let csrf = "";

/** Sets the CSRF token from a check or re-authentication answer. */
export function setCsrf(token: string): void {
  csrf = token;
}

/** Goes to the login page, coming back here after it; what waits on it waits for good. */
export function toLogin(): Promise<never> {
  location.assign(`/login?next=${encodeURIComponent("/admin/")}`);
  return new Promise(() => {});
}

async function send<T>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
  const headers: Record<string, string> = { "x-csrf-token": csrf };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, {
    method,
    credentials: "same-origin",
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed = await res.json().catch(() => ({}));
  if (res.ok) return { ok: true, body: parsed as T };
  return {
    ok: false,
    status: res.status,
    code: String(parsed.code ?? "error"),
    message: String(parsed.message ?? `failed (${res.status})`),
  };
}

/**
 * One call. No session: to the login page. `reauth_required`: `askPassword` is shown, the
 * session re-authenticated (which gives a new CSRF token) and the call made once more.
 */
export async function call<T>(
  method: string,
  path: string,
  body: unknown,
  askPassword: () => Promise<string | null>,
): Promise<Answer<T>> {
  let a = await send<T>(method, path, body);
  if (!a.ok && a.status === 401 && a.code !== "invalid_credentials") return toLogin();
  while (!a.ok && a.code === "reauth_required") {
    const password = await askPassword();
    if (password === null) return a;
    const r = await send<{ csrf_token: string }>("POST", "/api/session/reauth", { password });
    if (!r.ok) continue;
    setCsrf(r.body.csrf_token);
    a = await send<T>(method, path, body);
  }
  return a;
}
