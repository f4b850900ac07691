import type { Api } from "./api";
import type { Bus, Leadership } from "./tabs";
import type { Answer, ClientConfig, EndCode, EndReason, Status, TabMessage } from "./types";

/** What the user sees; `ui.ts` draws it, tests record it. */
export interface Ui {
  showWarning(secondsLeft: number): void;
  updateCountdown(secondsLeft: number): void;
  hideWarning(): void;
  warningError(message: string | null): void;
  setBusy(busy: boolean): void;
  toast(message: string, kind: "success" | "error" | "info"): void;
  /** Shows why the session ended, then calls `done` (which leaves the page). */
  showEnded(code: EndCode, done: () => void, reason?: EndReason): void;
  destroy(): void;
}

export interface Deps {
  api: Pick<Api, "check" | "keepalive" | "logout" | "logoutAll" | "switchContext" | "event" | "request" | "csrf">;
  bus: Bus | null;
  leadership: Leadership;
  ui: Ui;
  /** Monotonic milliseconds: time remaining comes from the server, elapsed time from here. */
  now(): number;
  navigate(url: string): void;
}

export type State = "starting" | "active" | "warning" | "ended";
type Listener = (detail: unknown) => void;

/** Seed 000: a tab that becomes visible checks at once, but at most this often. */
export const VISIBLE_CHECK_MIN_MS = 30_000;
const VISIBLE_DEBOUNCE_MS = 100;
const EXPIRY_CODES: EndCode[] = ["expired_idle", "expired_absolute"];

/**
 * The client's state machine: one session, seen from one tab, kept in step with the others.
 * The leader tab polls (passively); every tab shows the warning from the server's time
 * remaining, counted down on a monotonic clock; any tab's extension, logout or end is told to
 * the others over the bus.
 */
export class SessionClient {
  state: State = "starting";
  status: Status | null = null;
  private deadline = 0;
  private dismissed = false;
  private busy = false;
  private lastOwnCheck = -Infinity;
  private lastActivitySent = -Infinity;
  private checks = 0;
  private poll: ReturnType<typeof setTimeout> | undefined;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private tick: ReturnType<typeof setInterval> | undefined;
  private visibleTimer: ReturnType<typeof setTimeout> | undefined;
  private listeners = new Map<string, Listener[]>();
  /** After `stop`, answers of requests still in flight are ignored. */
  private stopped = false;
  /** In the back/forward cache: answers are ignored until `resume`. */
  private suspended = false;

  constructor(readonly config: ClientConfig, private readonly d: Deps) {}

  start(): void {
    this.d.bus?.onMessage((m) => this.receive(m));
    this.lead();
    if (this.d.bus) {
      this.d.bus.post({ t: "hello" });
      // No answer from a leader in time: find out for ourselves.
      this.watchdog = setTimeout(() => this.status || void this.check(), this.ms(this.config.sync.tab_response_timeout_seconds));
    }
  }

  /** Passive check: never extends the session. */
  async check(): Promise<void> {
    if (this.state === "ended") return;
    this.lastOwnCheck = this.d.now();
    this.checks++;
    this.handle(await this.d.api.check(), true);
  }

  /** "Stay logged in": a keep-alive with retries and backoff. Resolves true when extended. */
  async extend(): Promise<boolean> {
    if (this.busy || this.state === "ended") return false;
    this.busy = true;
    this.d.ui.setBusy(true);
    this.d.ui.warningError(null);
    const tries = Math.max(1, this.config.keepalive_max_retries);
    let failure = "";
    try {
      for (let i = 0; i < tries; i++) {
        const a = await this.d.api.keepalive();
        if (a.kind === "ok") {
          this.dismissed = false;
          this.apply(a.body, a.body.time_remaining_seconds * 1000, false);
          this.d.ui.toast("Session extended. You are still logged in.", "success");
          void this.d.api.event("SESSION_EXTENDED_BY_USER", a.body.time_remaining_seconds);
          this.emit("extended", a.body);
          return true;
        }
        if (a.kind === "ended") {
          this.end(a.code, true, a.reason);
          return false;
        }
        if (a.kind === "limited") {
          this.d.ui.warningError(`Too many requests: try again in ${a.retryAfter} s.`);
          return false;
        }
        failure = a.message;
        if (i + 1 < tries) await sleep(1000 * 2 ** i);
      }
      this.d.ui.warningError(`${failure} Your session could not be extended; try again.`);
      return false;
    } finally {
      this.busy = false;
      this.d.ui.setBusy(false);
    }
  }

  /** Hides the warning in every tab without extending; the countdown goes on. */
  dismiss(): void {
    if (this.state !== "warning" || this.dismissed) return;
    this.dismissed = true;
    this.d.ui.hideWarning();
    this.d.bus?.post({ t: "warning", shown: false });
    this.emit("warning", false);
  }

  async logout(everywhere = false): Promise<void> {
    await (everywhere ? this.d.api.logoutAll(false) : this.d.api.logout());
    this.d.bus?.post({ t: "ended", code: "logged_out" });
    this.state = "ended";
    this.clearTimers();
    this.d.navigate(this.loginUrl("logged_out"));
  }

  async switchContext(context: string): Promise<boolean> {
    const a = await this.d.api.switchContext(context);
    if (a.kind !== "ok") return false;
    this.apply(a.body, a.body.time_remaining_seconds * 1000, false);
    this.d.bus?.post({ t: "context", context: a.body.context });
    this.emit("context", a.body.context);
    return true;
  }

  /** Any other call of the session API, with this session's CSRF token. */
  request<T>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
    return this.d.api.request<T>(method, path, body);
  }

  /** The tab became visible, got focus or came back from the back-forward cache. */
  onVisible(): void {
    clearTimeout(this.visibleTimer);
    this.visibleTimer = setTimeout(() => {
      if (this.d.now() - this.lastOwnCheck >= VISIBLE_CHECK_MIN_MS) void this.check();
    }, VISIBLE_DEBOUNCE_MS);
  }

  /** The user did something. Extends the session only with optimistic UI on, throttled. */
  onActivity(): void {
    if (!this.config.features.optimistic_ui || this.state !== "active" || this.busy) return;
    const throttle = Math.max(2000, (this.config.idle_timeout_seconds * 1000) / 4);
    if (this.d.now() - this.lastActivitySent < throttle) return;
    this.lastActivitySent = this.d.now();
    void this.d.api.keepalive().then((a) => this.handle(a, true));
  }

  secondsLeft(): number {
    return Math.max(0, Math.ceil((this.deadline - this.d.now()) / 1000));
  }

  on(event: string, listener: Listener): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
  }

  /**
   * The page went into the back/forward cache: its timers stop and it leaves the polling to
   * the other tabs, but it keeps its state, so that `resume` can pick up where it left off.
   */
  suspend(): void {
    if (this.stopped || this.suspended) return;
    this.suspended = true;
    this.standDown();
  }

  /** The page came back from the back/forward cache: time has passed, so ask the server now. */
  resume(): void {
    if (this.stopped || !this.suspended) return;
    this.suspended = false;
    this.lead();
    void this.check();
  }

  stop(): void {
    this.stopped = true;
    this.standDown();
    this.d.bus?.close();
    this.d.ui.destroy();
    this.listeners.clear();
  }

  debug(): Record<string, unknown> {
    return {
      state: this.state,
      leader: this.d.leadership.isLeader,
      username: this.status?.username ?? null,
      sessionId: this.status?.session_id ?? null,
      secondsLeft: this.status ? this.secondsLeft() : null,
      warningThresholdSeconds: this.status?.warning_threshold_seconds ?? this.config.warning_threshold_seconds,
      warningShown: this.state === "warning" && !this.dismissed,
      dismissed: this.dismissed,
      checksByThisTab: this.checks,
      hasPollTimer: this.poll !== undefined,
      hasCountdown: this.tick !== undefined,
      crossTabSync: this.d.bus !== null,
      config: this.config,
    };
  }

  /** No more timers, and another tab takes over the polling at once if this one led. */
  private standDown(): void {
    this.clearTimers();
    clearTimeout(this.watchdog);
    clearTimeout(this.visibleTimer);
    const wasLeader = this.d.leadership.isLeader;
    this.d.leadership.release();
    if (wasLeader) this.d.bus?.post({ t: "leader-gone" });
  }

  private lead(): void {
    this.d.leadership.start((leader) => {
      this.emit("leader", leader);
      if (leader && !this.status) void this.check();
      this.schedule();
    });
  }

  private handle(a: Answer<Status>, local: boolean): void {
    if (this.stopped || this.suspended) return;
    if (a.kind === "ok") this.apply(a.body, a.body.time_remaining_seconds * 1000, false);
    else if (a.kind === "ended") this.end(a.code, local, a.reason);
    else this.retrySoon();
  }

  /** The server could not answer: the polling tab tries again after the sync check interval. */
  private retrySoon(): void {
    if (this.state === "ended" || (this.d.bus && !this.d.leadership.isLeader)) return this.schedule();
    clearTimeout(this.poll);
    this.poll = setTimeout(() => void this.check(), Math.max(1000, this.ms(this.config.sync.check_interval_seconds)));
  }

  private apply(status: Status, remainingMs: number, fromBus: boolean): void {
    if (this.state === "ended" || this.stopped) return;
    this.status = status;
    if (status.csrf_token) this.d.api.csrf = status.csrf_token;
    this.deadline = this.d.now() + remainingMs;
    if (!fromBus) this.d.bus?.post({ t: "status", status, remaining_ms: remainingMs });
    this.emit("status", status);
    this.evaluate();
    this.schedule();
  }

  private evaluate(): void {
    if (!this.status) return;
    const leftMs = this.deadline - this.d.now();
    if (leftMs <= this.status.warning_threshold_seconds * 1000) {
      if (this.state !== "warning") this.enterWarning();
    } else if (this.state !== "active") {
      const wasWarning = this.state === "warning";
      this.state = "active";
      this.dismissed = false;
      clearInterval(this.tick);
      this.tick = undefined;
      if (wasWarning) {
        this.d.ui.hideWarning();
        this.emit("warning", false);
      }
    }
  }

  private enterWarning(): void {
    this.state = "warning";
    const left = this.secondsLeft();
    if (!this.dismissed) this.d.ui.showWarning(left);
    this.emit("warning", true);
    if (this.d.leadership.isLeader) void this.d.api.event("SESSION_WARNING_SHOWN", left);
    clearInterval(this.tick);
    this.tick = setInterval(() => {
      const s = this.secondsLeft();
      this.d.ui.updateCountdown(s);
      if (s <= 0) {
        clearInterval(this.tick);
        this.tick = undefined;
        this.onDeadline();
      }
    }, 1000);
  }

  /** The countdown ran out: the server decides. The leader asks; the others give it time. */
  private onDeadline(): void {
    const wait = this.d.leadership.isLeader ? 0 : this.ms(this.config.sync.sync_timeout_seconds);
    clearTimeout(this.poll);
    this.poll = setTimeout(() => void this.check(), wait);
  }

  /**
   * The leader polls at the warning point, or every heartbeat if that is sooner, and at the
   * deadline once warned. Followers only keep a watchdog in case the leader went quiet.
   */
  private schedule(): void {
    clearTimeout(this.poll);
    clearTimeout(this.watchdog);
    this.poll = undefined;
    if (this.state === "ended" || !this.status) return;
    const heartbeat = this.ms(this.config.sync.heartbeat_interval_seconds);
    const leftMs = this.deadline - this.d.now();
    const warnInMs = leftMs - this.status.warning_threshold_seconds * 1000;
    if (this.d.leadership.isLeader || !this.d.bus) {
      const delay = warnInMs > 0 ? Math.min(heartbeat, warnInMs) : Math.max(1000, leftMs + 250);
      this.poll = setTimeout(() => void this.check(), delay);
    } else {
      this.watchdog = setTimeout(() => void this.check(), heartbeat + this.ms(this.config.sync.sync_timeout_seconds));
    }
  }

  private receive(m: TabMessage): void {
    switch (m.t) {
      case "status":
        this.apply(m.status, m.remaining_ms, true);
        break;
      case "warning":
        if (!m.shown && this.state === "warning" && !this.dismissed) {
          this.dismissed = true;
          this.d.ui.hideWarning();
          this.emit("warning", false);
        }
        break;
      case "ended":
        this.end(m.code, false, m.reason);
        break;
      case "context":
        if (this.status) this.status = { ...this.status, context: m.context };
        this.emit("context", m.context);
        break;
      case "hello":
        if (this.d.leadership.isLeader && this.status && this.state !== "ended") {
          this.d.bus?.post({ t: "status", status: this.status, remaining_ms: this.deadline - this.d.now() });
        }
        break;
      case "leader-gone":
        this.d.leadership.claim();
        break;
    }
  }

  private end(code: EndCode, local: boolean, reason?: EndReason): void {
    if (this.state === "ended") return;
    const hadSession = this.status !== null;
    this.state = "ended";
    this.clearTimers();
    this.d.ui.hideWarning();
    if (local && hadSession) this.d.bus?.post(reason ? { t: "ended", code, reason } : { t: "ended", code });
    if (local && EXPIRY_CODES.includes(code)) void this.d.api.event("SESSION_EXPIRED_SHOWN", 0);
    this.emit("ended", code);
    if (!hadSession && code === "no_session") {
      this.d.navigate(this.loginUrl(null));
      return;
    }
    this.d.ui.showEnded(code, () => this.d.navigate(this.loginUrl(code, reason)), reason);
  }

  private clearTimers(): void {
    clearTimeout(this.poll);
    clearTimeout(this.watchdog);
    clearInterval(this.tick);
    this.poll = this.tick = undefined;
  }

  private loginUrl(code: EndCode | null, reason?: EndReason): string {
    const next = typeof location === "undefined" ? "/" : location.pathname + location.search;
    const params = new URLSearchParams({ next });
    if (code) params.set("reason", code);
    if (reason) params.set("end_reason", reason);
    return `${this.config.login_url}?${params}`;
  }

  private ms(seconds: number): number {
    return Math.max(0, seconds) * 1000;
  }

  private emit(event: string, detail: unknown): void {
    for (const l of this.listeners.get(event) ?? []) l(detail);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
