/**
 * The login and demo pages that sessiond serves (`/login`, `/`). Loaded after sessiond.js,
 * whose `window.sessiond` the demo page uses. No inline script: the pages run under a strict CSP.
 */
import type { Status } from "./types";
import { afterLogin, endText } from "./links";
import type * as Sessiond from "./index";

const $ = <T extends HTMLElement>(sel: string) => document.querySelector(sel) as T;

function loginPage(): void {
  const params = new URLSearchParams(location.search);
  const notice = $("#reason");
  const ended = endText(params.get("reason"), params.get("end_reason"));
  if (ended) {
    notice.textContent = `${ended[0]}: ${ended[1]}`;
    notice.hidden = false;
  }
  const form = $<HTMLFormElement>("#login-form");
  const error = $("#error");
  const submit = form.querySelector("button") as HTMLButtonElement;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    const data = new FormData(form);
    const button = form.querySelector("button") as HTMLButtonElement;
    button.disabled = true;
    try {
      const res = await fetch("/api/session/login", {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          username: data.get("username"),
          password: data.get("password"),
          remember_me: data.get("remember_me") === "on",
        }),
      });
      if (res.ok) {
        location.assign(afterLogin(params.get("next"), location.origin));
        return;
      }
      const body = await res.json().catch(() => ({}));
      error.textContent =
        res.status === 401
          ? "Invalid username or password."
          : res.status === 429
            ? `Too many attempts. Try again in ${res.headers.get("retry-after") ?? "a few"} seconds.`
            : body.message ?? `Login failed (${res.status}).`;
    } catch {
      error.textContent = "The server could not be reached.";
    } finally {
      button.disabled = false;
    }
  });
  // The page ships the button disabled: only once this handler is in place can the form be
  // sent, so a script that failed never lets the browser submit the password itself.
  submit.disabled = false;
}

async function demoPage(sessiond: typeof Sessiond): Promise<void> {
  const client = await sessiond.start();
  const remaining = $("#remaining");
  const render = (s: Status) => {
    $("#user").textContent = s.username ?? "(anonymous)";
    $("#role").textContent = s.role ?? "";
    $("#context").textContent = s.context ?? "none";
  };
  client.on("status", (s) => {
    render(s as Status);
    void loadSessions();
  });
  setInterval(() => {
    if (client.status) remaining.textContent = sessiond.formatCountdown(client.secondsLeft());
  }, 250);
  $("#logout").addEventListener("click", () => void client.logout());
  $("#logout-all").addEventListener("click", () => void client.logout(true));
  $("#refresh").addEventListener("click", () => void client.check());

  interface Listed {
    session_id: string;
    device: string | null;
    ip: string | null;
    last_activity: string;
    current: boolean;
  }

  async function loadSessions(): Promise<void> {
    const a = await client.request<{ sessions: Listed[] }>("GET", "/api/session/sessions");
    if (a.kind !== "ok") return;
    const list = $("#sessions");
    list.replaceChildren();
    for (const s of a.body.sessions) {
      const li = document.createElement("li");
      const when = new Date(s.last_activity).toLocaleTimeString();
      li.textContent = `${s.device ?? "Unknown device"} · ${s.ip ?? "?"} · last active ${when}`;
      if (s.current) li.append(" (this browser)");
      else {
        const revoke = document.createElement("button");
        revoke.type = "button";
        revoke.textContent = "Revoke";
        const path = `/api/session/sessions/${encodeURIComponent(s.session_id)}`;
        revoke.addEventListener("click", async () => {
          const a = await client.request("DELETE", path);
          if (a.kind === "failed" && a.code === "reauth_required") li.append(confirmPassword(path));
          else void loadSessions();
        });
        li.append(" ", revoke);
      }
      list.append(li);
    }
  }

  /** Revoking another session needs the password entered recently: ask for it, re-authenticate
   * (a new session for this browser), then revoke. */
  function confirmPassword(path: string): HTMLFormElement {
    const form = document.createElement("form");
    form.className = "reauth";
    const input = document.createElement("input");
    input.type = "password";
    input.autocomplete = "current-password";
    input.required = true;
    input.setAttribute("aria-label", "Your password");
    input.placeholder = "Your password, to confirm";
    const ok = document.createElement("button");
    ok.type = "submit";
    ok.textContent = "Confirm";
    const error = document.createElement("span");
    error.className = "error";
    error.setAttribute("role", "alert");
    form.append(input, " ", ok, " ", error);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const a = await client.request("POST", "/api/session/reauth", { password: input.value });
      if (a.kind !== "ok") {
        error.textContent = a.kind === "failed" ? a.message : "Please try again.";
        return;
      }
      await client.request("DELETE", path);
      await client.check();
      void loadSessions();
    });
    queueMicrotask(() => input.focus());
    return form;
  }
}

const page = document.body.dataset.page;
if (page === "login") loginPage();
else if (page === "demo") void demoPage((window as unknown as { sessiond: typeof Sessiond }).sessiond);
