/**
 * sessiond.js: drop it into a page of an app whose sessions sessiond keeps. It warns before
 * expiry, keeps the session alive on request, keeps every tab of the browser in step, and says
 * clearly why and when a session ended.
 *
 *   import { start } from "/static/sessiond.mjs";
 *   const session = await start();
 *   session.on("status", (s) => console.log(s.username, s.time_remaining_seconds));
 */
import { Api } from "./api";
import { SessionClient } from "./session";
import { BrowserBus, LeaseLeadership } from "./tabs";
import type { ClientConfig } from "./types";
import { DomUi } from "./ui";

export { SessionClient } from "./session";
export { formatCountdown } from "./ui";
export type { ClientConfig, EndCode, EndReason, Status } from "./types";

export interface StartOptions {
  /** Where sessiond is, when it is not this page's origin root (same origin only). */
  base?: string;
}

let current: SessionClient | null = null;
let detach: (() => void) | null = null;

/** Loads the server's settings and starts watching the session in this tab. */
export async function start(options: StartOptions = {}): Promise<SessionClient> {
  if (current) return current;
  const api = new Api(options.base ?? "");
  const config = await api.config();
  if (config.kind !== "ok") throw new Error("sessiond: could not load /api/session/client-config");
  return attach(config.body, api);
}

function attach(config: ClientConfig, api: Api): SessionClient {
  const sync = config.sync;
  const bus = config.features.cross_tab_sync ? new BrowserBus(sync.localstorage_prefix, sync.max_sync_data_size) : null;
  const id = Math.random().toString(36).slice(2) + Date.now().toString(36);
  const leadership = new LeaseLeadership(
    `${sync.localstorage_prefix}leader`,
    id,
    Math.max(1, sync.heartbeat_interval_seconds) * 1000,
    bus ? undefined : null,
  );
  let client!: SessionClient;
  const ui = new DomUi({
    extend: () => void client.extend(),
    logout: () => void client.logout(),
    dismiss: () => client.dismiss(),
  });
  client = new SessionClient(config, {
    api,
    bus,
    leadership,
    ui,
    now: () => performance.now(),
    navigate: (url) => location.assign(url),
  });

  const visible = () => document.visibilityState === "visible" && client.onVisible();
  // A page kept in the back/forward cache comes back with `pageshow`: it suspends rather than
  // stops, so that it can warn and show the end again without a reload.
  const pageshow = (e: PageTransitionEvent) => e.persisted && client.resume();
  const activity = () => client.onActivity();
  const pagehide = (e: PageTransitionEvent) => (e.persisted ? client.suspend() : stop());
  document.addEventListener("visibilitychange", visible);
  addEventListener("focus", visible);
  addEventListener("pageshow", pageshow);
  addEventListener("pagehide", pagehide);
  for (const e of ["pointerdown", "keydown"]) addEventListener(e, activity, { passive: true });
  detach = () => {
    document.removeEventListener("visibilitychange", visible);
    removeEventListener("focus", visible);
    removeEventListener("pageshow", pageshow);
    removeEventListener("pagehide", pagehide);
    for (const e of ["pointerdown", "keydown"]) removeEventListener(e, activity);
  };
  current = client;
  client.start();
  return client;
}

/** Stops every timer and listener (done by itself when the page is left). */
export function stop(): void {
  detach?.();
  detach = null;
  current?.stop();
  current = null;
}

/** Seed 000's `debugSession`: prints this tab's view of the session and returns it. */
export function debug(): Record<string, unknown> | null {
  const state = current?.debug() ?? null;
  console.log("sessiond state:", state);
  return state;
}

/** The running client, if `start` was called. */
export function client(): SessionClient | null {
  return current;
}
