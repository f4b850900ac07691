// The client's state machine with fake timers, a fake server and a fake bus between tabs.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SessionClient, type Ui } from "../../src/session";
import { formatCountdown } from "../../src/ui";
import type { Bus, Leadership } from "../../src/tabs";
import type { Answer, ClientConfig, EndCode, Status, TabMessage } from "../../src/types";

const config: ClientConfig = {
  idle_timeout_seconds: 300,
  absolute_timeout_seconds: 3600,
  warning_threshold_seconds: 60,
  keepalive_max_retries: 3,
  login_url: "/login",
  sync: {
    check_interval_seconds: 2,
    heartbeat_interval_seconds: 30,
    sync_timeout_seconds: 5,
    tab_response_timeout_seconds: 3,
    localstorage_prefix: "test_",
    max_sync_data_size: 1024,
  },
  features: { cross_tab_sync: true, optimistic_ui: false, platform_switching: false },
  custom: {},
};

/** The server: a session with a deadline on the (fake) clock. */
class FakeServer {
  deadline = Date.now() + 300_000;
  ended: EndCode | null = null;
  endReason: string | undefined;
  down = 0;
  calls: string[] = [];
  limited = false;

  status(): Answer<Status> {
    const left = Math.floor((this.deadline - Date.now()) / 1000);
    if (this.ended) return { kind: "ended", code: this.ended, reason: this.endReason };
    if (left <= 0) return { kind: "ended", code: "expired_idle" };
    return {
      kind: "ok",
      body: { username: "alice", role: "oss", session_id: "s1", time_remaining_seconds: left, warning_threshold_seconds: 60, context: null },
    };
  }

  api() {
    const answer = async (name: string, f: () => Answer<any>): Promise<Answer<any>> => {
      this.calls.push(name);
      if (this.down > 0) {
        this.down--;
        return { kind: "failed", message: "unreachable" };
      }
      return f();
    };
    return {
      csrf: undefined as string | undefined,
      check: () => answer("check", () => this.status()),
      keepalive: () =>
        answer("keepalive", () => {
          if (this.limited) return { kind: "limited", retryAfter: 42 };
          if (!this.ended && this.deadline > Date.now()) this.deadline = Date.now() + 300_000;
          return this.status();
        }),
      logout: () => answer("logout", () => ((this.ended = "logged_out"), { kind: "ok", body: {} })),
      logoutAll: () => answer("logout-all", () => ((this.ended = "logged_out"), { kind: "ok", body: {} })),
      switchContext: () => answer("context", () => this.status()),
      event: (type: string) => answer(`event:${type}`, () => ({ kind: "ok", body: {} })),
      request: (m: string, p: string) => answer(`${m} ${p}`, () => ({ kind: "ok", body: {} })),
    };
  }
}

/** A bus joining every tab made by one test. */
class FakeHub {
  handlers: ((m: TabMessage) => void)[][] = [];
  bus(): Bus {
    const mine: ((m: TabMessage) => void)[] = [];
    this.handlers.push(mine);
    return {
      post: (m) => this.handlers.filter((h) => h !== mine).forEach((hs) => hs.forEach((h) => h(structuredClone(m)))),
      onMessage: (h) => mine.push(h),
      close: () => (this.handlers = this.handlers.filter((h) => h !== mine)),
    };
  }
}

class RecordingUi implements Ui {
  warning: number | null = null;
  error: string | null = null;
  toasts: string[] = [];
  ended: EndCode | null = null;
  endReason: string | undefined;
  showWarning(s: number) {
    this.warning = s;
  }
  updateCountdown(s: number) {
    if (this.warning !== null) this.warning = s;
  }
  hideWarning() {
    this.warning = null;
  }
  warningError(m: string | null) {
    this.error = m;
  }
  setBusy() {}
  toast(m: string) {
    this.toasts.push(m);
  }
  showEnded(code: EndCode, done: () => void, reason?: string) {
    this.ended = code;
    this.endReason = reason;
    done();
  }
  destroy() {}
}

function leadership(leader: boolean): Leadership & { isLeader: boolean } {
  return { isLeader: leader, start: (cb) => leader && cb(true), claim() {}, release() {} };
}

function tab(server: FakeServer, hub: FakeHub | null, leader: boolean) {
  const ui = new RecordingUi();
  const navigated: string[] = [];
  const client = new SessionClient(config, {
    api: server.api(),
    bus: hub?.bus() ?? null,
    leadership: leadership(leader),
    ui,
    now: () => Date.now(),
    navigate: (u) => navigated.push(u),
  });
  client.start();
  return { client, ui, navigated };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("the warning", () => {
  it("appears when the server's time remaining reaches the threshold and counts down", async () => {
    const server = new FakeServer();
    const { ui } = tab(server, null, true);
    await vi.advanceTimersByTimeAsync(239_000);
    expect(ui.warning).toBeNull();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(ui.warning).toBe(59);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(ui.warning).toBe(49);
    expect(server.calls).toContain("event:SESSION_WARNING_SHOWN");
  });

  it("follows the server, not the local clock: a session extended elsewhere shows no warning", async () => {
    const server = new FakeServer();
    const { ui } = tab(server, null, true);
    await vi.advanceTimersByTimeAsync(200_000);
    server.deadline = Date.now() + 300_000; // activity on the server, e.g. another device's request
    await vi.advanceTimersByTimeAsync(60_000);
    expect(ui.warning).toBeNull();
  });

  it("polling is passive: only checks, never keep-alives", async () => {
    const server = new FakeServer();
    tab(server, null, true);
    await vi.advanceTimersByTimeAsync(200_000);
    expect(server.calls.every((c) => c === "check")).toBe(true);
  });
});

describe("stay logged in", () => {
  it("extends, hides the warning and says so", async () => {
    const server = new FakeServer();
    const { client, ui } = tab(server, null, true);
    await vi.advanceTimersByTimeAsync(250_000);
    expect(ui.warning).not.toBeNull();
    expect(await client.extend()).toBe(true);
    expect(ui.warning).toBeNull();
    expect(ui.toasts[0]).toMatch(/extended/);
    expect(server.calls).toContain("event:SESSION_EXTENDED_BY_USER");
  });

  it("retries with backoff when the server is briefly unreachable", async () => {
    const server = new FakeServer();
    const { client, ui } = tab(server, null, true);
    await vi.advanceTimersByTimeAsync(250_000);
    server.down = 2;
    const extended = client.extend();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(await extended).toBe(true);
    expect(server.calls.filter((c) => c === "keepalive")).toHaveLength(3);
    expect(ui.warning).toBeNull();
  });

  it("gives up after three tries and says why", async () => {
    const server = new FakeServer();
    const { client, ui } = tab(server, null, true);
    await vi.advanceTimersByTimeAsync(250_000);
    server.down = 5;
    const extended = client.extend();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(await extended).toBe(false);
    expect(ui.error).toMatch(/could not be extended/);
    expect(ui.warning).not.toBeNull();
  });

  it("shows a rate limit without retrying", async () => {
    const server = new FakeServer();
    const { client, ui } = tab(server, null, true);
    await vi.advanceTimersByTimeAsync(250_000);
    server.limited = true;
    expect(await client.extend()).toBe(false);
    expect(ui.error).toMatch(/42 s/);
    expect(server.calls.filter((c) => c === "keepalive")).toHaveLength(1);
  });
});

describe("tabs", () => {
  it("only the leader polls", async () => {
    const server = new FakeServer();
    const hub = new FakeHub();
    tab(server, hub, true);
    tab(server, hub, false);
    tab(server, hub, false);
    await vi.advanceTimersByTimeAsync(600_000);
    const one = new FakeServer();
    tab(one, null, true);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(server.calls.filter((c) => c === "check").length).toBeLessThanOrEqual(
      one.calls.filter((c) => c === "check").length + 1,
    );
  });

  it("an extension in one tab hides the warning in the others", async () => {
    const server = new FakeServer();
    const hub = new FakeHub();
    const a = tab(server, hub, true);
    const b = tab(server, hub, false);
    await vi.advanceTimersByTimeAsync(250_000);
    expect(b.ui.warning).not.toBeNull();
    await a.client.extend();
    expect(b.ui.warning).toBeNull();
    expect(b.client.state).toBe("active");
  });

  it("dismissing the warning in one tab dismisses it everywhere", async () => {
    const server = new FakeServer();
    const hub = new FakeHub();
    const a = tab(server, hub, true);
    const b = tab(server, hub, false);
    await vi.advanceTimersByTimeAsync(250_000);
    a.client.dismiss();
    expect(b.ui.warning).toBeNull();
  });

  it("a logout in one tab ends the others", async () => {
    const server = new FakeServer();
    const hub = new FakeHub();
    const a = tab(server, hub, true);
    const b = tab(server, hub, false);
    await vi.advanceTimersByTimeAsync(1_000);
    await a.client.logout();
    expect(b.ui.ended).toBe("logged_out");
    expect(b.navigated[0]).toMatch(/^\/login\?.*reason=logged_out/);
  });

  it("expiry ends every tab with the reason, and is reported once", async () => {
    const server = new FakeServer();
    const hub = new FakeHub();
    const a = tab(server, hub, true);
    const b = tab(server, hub, false);
    await vi.advanceTimersByTimeAsync(302_000);
    expect(a.ui.ended).toBe("expired_idle");
    expect(b.ui.ended).toBe("expired_idle");
    expect(a.navigated[0]).toMatch(/reason=expired_idle/);
    expect(server.calls.filter((c) => c === "event:SESSION_EXPIRED_SHOWN")).toHaveLength(1);
  });

  it("a password changed elsewhere ends every tab saying so, and the login page is told", async () => {
    const server = new FakeServer();
    const hub = new FakeHub();
    const a = tab(server, hub, true);
    const b = tab(server, hub, false);
    await vi.advanceTimersByTimeAsync(1_000);
    server.ended = "revoked";
    server.endReason = "password_changed";
    await vi.advanceTimersByTimeAsync(60_000);
    for (const t of [a, b]) {
      expect([t.ui.ended, t.ui.endReason]).toEqual(["revoked", "password_changed"]);
      expect(t.navigated[0]).toMatch(/reason=revoked&end_reason=password_changed$/);
    }
  });

  it("a follower whose leader went quiet checks by itself", async () => {
    const server = new FakeServer();
    const hub = new FakeHub();
    const b = tab(server, hub, false);
    await vi.advanceTimersByTimeAsync(3_500);
    expect(server.calls).toEqual(["check"]);
    expect(b.client.status?.username).toBe("alice");
  });
});

describe("the back/forward cache", () => {
  it("a page put in the cache stops polling, and on its way back checks, warns and ends as before", async () => {
    const server = new FakeServer();
    const { client, ui, navigated } = tab(server, null, true);
    await vi.advanceTimersByTimeAsync(1_000);
    client.suspend(); // pagehide with persisted: the page is kept, not closed
    const checks = () => server.calls.filter((c) => c === "check").length;
    const before = checks();
    await vi.advanceTimersByTimeAsync(250_000);
    expect(checks()).toBe(before);
    expect(ui.warning).toBeNull();
    client.resume(); // pageshow with persisted
    await vi.advanceTimersByTimeAsync(100);
    expect(checks()).toBe(before + 1);
    expect(ui.warning).not.toBeNull();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(ui.ended).toBe("expired_idle");
    expect(navigated.at(-1)).toContain("reason=expired_idle");
  });
});

describe("visibility and activity", () => {
  it("a tab made visible checks at once, at most every 30 s", async () => {
    const server = new FakeServer();
    const hub = new FakeHub();
    tab(server, hub, true);
    const b = tab(server, hub, false);
    await vi.advanceTimersByTimeAsync(1_000);
    const before = server.calls.length;
    b.client.onVisible();
    b.client.onVisible();
    await vi.advanceTimersByTimeAsync(200);
    expect(server.calls.length).toBe(before + 1);
    b.client.onVisible();
    await vi.advanceTimersByTimeAsync(200);
    expect(server.calls.length).toBe(before + 1);
  });

  it("activity extends only with optimistic UI, throttled", async () => {
    const server = new FakeServer();
    const { client } = tab(server, null, true);
    await vi.advanceTimersByTimeAsync(1_000);
    client.onActivity();
    expect(server.calls).not.toContain("keepalive");
    (client.config.features as { optimistic_ui: boolean }).optimistic_ui = true;
    client.onActivity();
    client.onActivity();
    expect(server.calls.filter((c) => c === "keepalive")).toHaveLength(1);
    (client.config.features as { optimistic_ui: boolean }).optimistic_ui = false;
  });
});

describe("cleanup and debug", () => {
  it("stop clears every timer", async () => {
    const server = new FakeServer();
    const { client } = tab(server, null, true);
    await vi.advanceTimersByTimeAsync(1_000);
    client.stop();
    const calls = server.calls.length;
    await vi.advanceTimersByTimeAsync(600_000);
    expect(server.calls.length).toBe(calls);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("debug describes the tab's state", async () => {
    const server = new FakeServer();
    const { client } = tab(server, null, true);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(client.debug()).toMatchObject({ state: "active", leader: true, username: "alice", warningShown: false });
  });

  it("formats the countdown as m:ss", () => {
    expect(formatCountdown(59)).toBe("0:59");
    expect(formatCountdown(125)).toBe("2:05");
  });
});

describe("an unreachable server", () => {
  it("the polling tab retries after the sync check interval, and the session carries on", async () => {
    const server = new FakeServer();
    const { client } = tab(server, null, true);
    await vi.advanceTimersByTimeAsync(1_000);
    server.down = 1;
    await vi.advanceTimersByTimeAsync(30_000); // the heartbeat poll fails
    const failedAt = server.calls.length;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(server.calls.length).toBe(failedAt + 1);
    expect(client.state).toBe("active");
  });
});

describe("after stop", () => {
  it("an answer still in flight changes nothing and tells no tab", async () => {
    const server = new FakeServer();
    const hub = new FakeHub();
    tab(server, hub, true);
    const b = tab(server, hub, false);
    await vi.advanceTimersByTimeAsync(1_000);
    const posted: TabMessage[] = [];
    const spy = hub.bus();
    spy.onMessage((m) => posted.push(m));
    const inFlight = b.client.check();
    b.client.stop();
    await inFlight;
    expect(posted).toEqual([]);
    expect(b.client.debug().hasPollTimer).toBe(false);
  });
});
