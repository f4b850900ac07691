/**
 * The admin dashboard at `/admin/` (docs/api.md, "Admin API"): counts and charts, the alerts
 * and the health check, the sessions
 * with search, keyset pages, one session's detail and timeline, revocations that ask first,
 * the users, and the audit log. Everything it shows comes from `/api/admin/...`.
 */
import { call, setCsrf, toLogin, type Answer } from "./api";
import { barChart } from "./chart";

const $ = <T extends HTMLElement>(sel: string) => document.querySelector(sel) as T;

interface SessionRow {
  session_id: string;
  username: string | null;
  display_name: string | null;
  role: string | null;
  auth_method: string | null;
  state: string;
  end_reason: string | null;
  ended_by: string | null;
  end_note: string | null;
  created_at: string;
  last_activity: string;
  idle_expires_at: string;
  absolute_expires_at: string;
  context: string | null;
  ip: string | null;
  device: string | null;
}
interface EventRow {
  seq: number | null;
  at: string;
  event_type: string;
  username: string | null;
  session_id: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}
interface UserRow {
  username: string;
  display_name: string;
  role: string;
  enabled: boolean;
  contexts: string[];
}

const when = (t: string | null) => (t ? new Date(t).toLocaleString() : "");

function cell(row: HTMLTableRowElement, text: string): HTMLTableCellElement {
  const td = row.insertCell();
  td.textContent = text;
  return td;
}

function button(label: string, name: string, action: () => void, danger = false): HTMLButtonElement {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.setAttribute("aria-label", name);
  if (danger) b.className = "danger";
  b.addEventListener("click", action);
  return b;
}

function notice(text: string): void {
  const n = $("#notice");
  n.textContent = text;
  n.hidden = text === "";
}

/** Shows `dialog` and resolves with the button the user chose, and the form's fields. */
function ask(dialog: HTMLDialogElement): Promise<FormData | null> {
  const form = dialog.querySelector("form") as HTMLFormElement;
  form.reset();
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => resolve(dialog.returnValue === "ok" ? new FormData(form) : null),
      { once: true },
    );
  });
}

async function askPassword(): Promise<string | null> {
  const data = await ask($<HTMLDialogElement>("#reauth"));
  return data ? String(data.get("password") ?? "") : null;
}

/** Asks before a change; with `reason`, the reason to keep ("" when none was typed). */
async function confirmFirst(text: string, reason: boolean): Promise<string | null> {
  $("#confirm-text").textContent = text;
  $("#confirm-reason-label").hidden = !reason;
  const data = await ask($<HTMLDialogElement>("#confirm"));
  return data ? String(data.get("reason") ?? "").trim() : null;
}

const api = <T>(method: string, path: string, body?: unknown): Promise<Answer<T>> =>
  call<T>(method, path, body, askPassword);

function failed(a: Answer<unknown>): boolean {
  if (!a.ok) notice(`${a.message} (${a.code})`);
  return !a.ok;
}

async function overview(): Promise<void> {
  const a = await api<{
    active: { total: number; by_role: Record<string, number> };
    unique_users: number;
    ended: Record<string, number>;
    hourly: { hour: string; logins: number; login_failures: number; expired_idle: number; expired_absolute: number }[];
    active_history: { at: string; active: number }[];
  }>("GET", "/api/admin/counts");
  if (failed(a) || !a.ok) return;
  const c = a.body;
  const stats: [string, number][] = [
    ["Active sessions", c.active.total],
    ["Users signed in", c.unique_users],
    ["Logins, 24 h", c.hourly.reduce((n, h) => n + h.logins, 0)],
    ["Failed logins, 24 h", c.hourly.reduce((n, h) => n + h.login_failures, 0)],
    ["Ended, kept", Object.values(c.ended).reduce((n, v) => n + v, 0)],
  ];
  $("#stats").replaceChildren(
    ...stats.map(([label, n]) => {
      const div = document.createElement("div");
      const dt = document.createElement("dt");
      dt.textContent = label;
      const dd = document.createElement("dd");
      dd.textContent = String(n);
      div.append(dt, dd);
      return div;
    }),
  );
  const time = (t: string) => new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  barChart(
    $("#chart-active"),
    c.active_history.map((p) => ({ label: time(p.at), value: p.active })),
    "Active sessions over time, sampled every five minutes",
  );
  const roles = Object.entries(c.active.by_role).map(([r, n]) => ({ label: r || "anonymous", value: n }));
  barChart($("#chart-roles"), roles, "Active sessions by role");
  const hour = (h: { hour: string }) => new Date(h.hour).getHours().toString().padStart(2, "0");
  barChart($("#chart-logins"), c.hourly.map((h) => ({ label: hour(h), value: h.logins })), "Logins per hour");
  barChart(
    $("#chart-failures"),
    c.hourly.map((h) => ({ label: hour(h), value: h.login_failures, second: h.expired_idle + h.expired_absolute })),
    "Failed logins and expiries per hour",
  );
}

/** The node's in-process alerts and its last health check (`GET /api/admin/alerts`). */
async function alerts(): Promise<void> {
  const a = await api<{
    alerting: boolean;
    alerts: { alert: string; variable: string; value: number | null; threshold: number; firing: boolean; since: string | null }[];
    health: { at: string; ok: boolean; checks: { name: string; ok: boolean; detail: string }[] } | null;
  }>("GET", "/api/admin/alerts");
  if (failed(a) || !a.ok) return;
  const body = $<HTMLTableElement>("#alerts").tBodies[0];
  body.replaceChildren();
  const round = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));
  for (const al of a.body.alerts) {
    const row = body.insertRow();
    cell(row, `${al.alert.replace(/_/g, " ")} (${al.variable})`);
    cell(row, al.value === null ? "—" : round(al.value));
    cell(row, al.threshold === 0 ? "off" : round(al.threshold));
    const state = !a.body.alerting ? "alerting off" : al.firing ? `firing since ${when(al.since)}` : "ok";
    cell(row, state).className = al.firing ? "firing" : "";
  }
  const h = a.body.health;
  $("#health").textContent = h
    ? `Health check at ${when(h.at)}: ${h.checks.map((c) => `${c.name} ${c.ok ? "ok" : `failing (${c.detail})`}`).join(" · ")}`
    : "The first health check has not run yet.";
}

// The sessions: the search's query, the cursor of the next page.
let query = "";
let nextCursor: string | null = null;

async function sessions(cursor: string | null): Promise<void> {
  const path = `/api/admin/sessions?limit=25${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
  const a = await api<{ sessions: SessionRow[]; next_cursor: string | null }>("GET", path);
  if (failed(a) || !a.ok) return;
  nextCursor = a.body.next_cursor;
  $<HTMLButtonElement>("#sessions-next").disabled = nextCursor === null;
  const body = $<HTMLTableElement>("#sessions").tBodies[0];
  body.replaceChildren();
  for (const s of a.body.sessions) {
    const row = body.insertRow();
    const who = s.username ?? "(anonymous)";
    cell(row, who);
    cell(row, s.role ?? "");
    cell(row, s.state);
    cell(row, s.device ?? "");
    cell(row, s.ip ?? "");
    cell(row, when(s.created_at));
    cell(row, when(s.last_activity));
    cell(row, [s.ended_by, s.end_reason, s.end_note].filter(Boolean).join(" · "));
    const actions = row.insertCell();
    actions.append(button("Details", `Details of the session of ${who}`, () => void detail(s.session_id)));
    if (s.state === "active") {
      actions.append(
        button("Revoke", `Revoke the session of ${who}`, () => void revoke(s.session_id, who), true),
      );
    }
  }
  if (a.body.sessions.length === 0) cell(body.insertRow(), nextCursor ? "None here; look further with Older." : "No sessions.");
}

async function revoke(id: string, who: string): Promise<void> {
  const reason = await confirmFirst(`Revoke this session of ${who}? Its browser is signed out at once.`, true);
  if (reason === null) return;
  const a = await api("POST", `/api/admin/sessions/${id}/revoke`, reason ? { reason } : {});
  if (failed(a)) return;
  notice("");
  await Promise.all([sessions(null), overview(), audit(null)]);
}

let timelineOf = "";
let olderEvents: string | null = null;

async function detail(id: string): Promise<void> {
  const a = await api<SessionRow & { device_info: { browser: string; os: string | null }; suspicion: { score: number }; duration_seconds: number }>(
    "GET",
    `/api/admin/sessions/${id}`,
  );
  if (failed(a) || !a.ok) return;
  const s = a.body;
  const fields: [string, string][] = [
    ["Session", s.session_id],
    ["User", `${s.username ?? "(anonymous)"}${s.display_name ? ` (${s.display_name})` : ""}`],
    ["Role, sign-in", `${s.role ?? ""} · ${s.auth_method ?? ""}`],
    ["State", [s.state, s.end_reason, s.ended_by, s.end_note].filter(Boolean).join(" · ")],
    ["Device", `${s.device_info.browser}${s.device_info.os ? ` on ${s.device_info.os}` : ""}`],
    ["Address", s.ip ?? ""],
    ["Context", s.context ?? "none"],
    ["Deadlines", `idle ${when(s.idle_expires_at)}, absolute ${when(s.absolute_expires_at)}`],
    ["Duration", `${Math.round(s.duration_seconds / 60)} min`],
    ["Suspicion score", String(s.suspicion.score)],
  ];
  const dl = $("#detail-fields");
  dl.replaceChildren();
  for (const [k, v] of fields) {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = v;
    dl.append(dt, dd);
  }
  $("#detail-title").textContent = `Session of ${s.username ?? "(anonymous)"}`;
  $("#detail").hidden = false;
  $("#timeline").replaceChildren();
  timelineOf = id;
  await timeline(null);
  $("#detail-title").scrollIntoView();
}

async function timeline(cursor: string | null): Promise<void> {
  const path = `/api/admin/sessions/${timelineOf}/timeline?limit=50${cursor ? `&cursor=${cursor}` : ""}`;
  const a = await api<{ events: EventRow[]; next_cursor: string | null }>("GET", path);
  if (failed(a) || !a.ok) return;
  olderEvents = a.body.next_cursor;
  $<HTMLButtonElement>("#timeline-older").hidden = olderEvents === null;
  const items = a.body.events.map((e) => {
    const li = document.createElement("li");
    li.textContent = `${when(e.at)} ${e.event_type} `;
    const code = document.createElement("code");
    code.className = "details";
    code.textContent = JSON.stringify(e.details);
    li.append(code);
    return li;
  });
  $("#timeline").prepend(...items);
}

async function users(): Promise<void> {
  const a = await api<{ users: UserRow[] }>("GET", "/api/admin/users");
  if (failed(a) || !a.ok) return;
  const body = $<HTMLTableElement>("#users").tBodies[0];
  body.replaceChildren();
  for (const u of a.body.users) {
    const row = body.insertRow();
    cell(row, u.username);
    cell(row, u.display_name);
    cell(row, u.role);
    cell(row, u.enabled ? "yes" : "no");
    cell(row, u.contexts.join(", "));
    const actions = row.insertCell();
    const name = encodeURIComponent(u.username);
    const change = (verb: string, path: string, text: string) => async () => {
      if ((await confirmFirst(text, false)) === null) return;
      if (failed(await api("POST", path, verb === "revoke" ? {} : undefined))) return;
      notice("");
      await Promise.all([users(), sessions(null), overview(), audit(null)]);
    };
    if (u.enabled) {
      actions.append(
        button("Disable", `Disable ${u.username}`, () => void change("disable", `/api/admin/users/${name}/disable`, `Disable ${u.username}? Their sessions end.`)(), true),
      );
    } else {
      actions.append(button("Enable", `Enable ${u.username}`, () => void change("enable", `/api/admin/users/${name}/enable`, `Enable ${u.username}?`)()));
    }
    actions.append(
      button("End sessions", `End sessions of ${u.username}`, () => void change("revoke", `/api/admin/users/${name}/revoke`, `End every session of ${u.username}?`)(), true),
    );
  }
}

let auditNext: string | null = null;

async function audit(cursor: string | null): Promise<void> {
  const a = await api<{ events: EventRow[]; next_cursor: string | null }>(
    "GET",
    `/api/admin/audit?limit=25${cursor ? `&cursor=${cursor}` : ""}`,
  );
  if (failed(a) || !a.ok) return;
  auditNext = a.body.next_cursor;
  $<HTMLButtonElement>("#audit-next").disabled = auditNext === null;
  const body = $<HTMLTableElement>("#audit").tBodies[0];
  body.replaceChildren();
  for (const e of a.body.events) {
    const row = body.insertRow();
    cell(row, when(e.at));
    cell(row, e.event_type);
    cell(row, e.username ?? "");
    cell(row, e.ip ?? "");
    const code = document.createElement("code");
    code.className = "details";
    code.textContent = JSON.stringify(e.details);
    row.insertCell().append(code);
  }
}

async function chain(): Promise<void> {
  const a = await api<{ intact: boolean; records: number; problem: string | null }>("GET", "/api/admin/audit/verify");
  if (!a.ok) return;
  $("#chain").textContent = a.body.intact
    ? `Audit chain intact: ${a.body.records} records verified.`
    : `Audit chain broken: ${a.body.problem}`;
}

async function main(): Promise<void> {
  const res = await fetch("/api/session/check", { method: "POST", credentials: "same-origin" });
  if (res.status === 401) return toLogin();
  const me = await res.json();
  setCsrf(me.csrf_token);
  $("#who").textContent = `${me.username} (${me.role})`;
  if (me.role !== "superadmin") {
    notice("Only a superadmin can use this page.");
    $("#main").querySelectorAll("section").forEach((s) => (s.hidden = true));
    return;
  }
  $("#search").addEventListener("submit", (e) => {
    e.preventDefault();
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(e.target as HTMLFormElement)) {
      if (String(v).trim()) params.set(k, String(v).trim());
    }
    query = params.size ? `&${params}` : "";
    void sessions(null);
  });
  $("#sessions-first").addEventListener("click", () => void sessions(null));
  $("#sessions-next").addEventListener("click", () => void sessions(nextCursor));
  $("#timeline-older").addEventListener("click", () => void timeline(olderEvents));
  $("#audit-first").addEventListener("click", () => void audit(null));
  $("#audit-next").addEventListener("click", () => void audit(auditNext));
  await Promise.all([overview(), alerts(), sessions(null), users(), audit(null), chain()]);
}

void main();
