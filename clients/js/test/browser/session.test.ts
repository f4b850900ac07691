// sessiond.js in Debian's headless Chromium against the real sessiond binary, with timeouts of
// seconds: idle 12 s, warning at 8 s. Screenshots go to docs/images/ with SESSIOND_SCREENSHOTS=1.
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LEAVING } from "../leaving";
import { PASSWORD, Sessiond, closeBrowser, countChecks, dialog, launch, loggedIn, newTab, overlay, pageErrors, watch } from "./harness";

const shots = process.env.SESSIOND_SCREENSHOTS === "1"
  ? new URL("../../../../docs/images/", import.meta.url).pathname
  : join(tmpdir(), "sessiond-screenshots");
mkdirSync(shots, { recursive: true });
const shot = (page: Page, name: string) => page.screenshot({ path: join(shots, name) });

const servers: Sessiond[] = [];
async function server(vars: Record<string, string> = {}): Promise<Sessiond> {
  const s = await Sessiond.start(vars);
  servers.push(s);
  return s;
}

afterEach(async () => {
  for (const s of servers.splice(0)) await s.kill();
  expect(pageErrors.splice(0)).toEqual([]);
});
afterAll(closeBrowser);

/** What the server says about the session this page's cookie holds. */
async function serverCheck(page: Page): Promise<{ status: number; body: Record<string, unknown> }> {
  return page.evaluate(async () => {
    const r = await fetch("/api/session/check", { method: "POST" });
    return { status: r.status, body: await r.json() };
  });
}

const countdown = (page: Page) => page.locator(`${dialog} [data-sessiond=countdown]`).textContent();

describe("sessiond.js in Chromium", () => {
  it("shows the login page, and the warning at the threshold with a counting-down clock", async () => {
    const s = await server();
    const login = watch(await (await launch()).newPage());
    await login.goto(`${s.base}/login?reason=expired_idle`);
    await shot(login, "login.png");
    await login.close();

    const { page, context } = await loggedIn(s);
    await page.locator(dialog).waitFor({ timeout: 10_000 });
    const first = await countdown(page);
    expect(first).toMatch(/^0:0[5-8]$/);
    const focused = await page.evaluate(() => document.activeElement?.getAttribute("data-sessiond"));
    expect(focused).toBe("stay");
    await page.waitForTimeout(2_100);
    expect(Number((await countdown(page))!.slice(2))).toBeLessThan(Number(first!.slice(2)));
    await shot(page, "warning.png");
    await context.close();
  });

  it("'Stay logged in' extends the session, as the server's check confirms", async () => {
    const s = await server();
    const { page, context } = await loggedIn(s);
    await page.locator(dialog).waitFor({ timeout: 10_000 });
    await page.click("[data-sessiond=stay]");
    await page.locator(dialog).waitFor({ state: "detached", timeout: 2_000 });
    await page.locator(".sessiond-toast-success").waitFor();
    const check = await serverCheck(page);
    expect(check.status).toBe(200);
    expect(check.body.time_remaining_seconds).toBeGreaterThan(8);
    await context.close();
  });

  it("two tabs: extending in one hides the warning in the other", async () => {
    const s = await server();
    const { page: a, context } = await loggedIn(s);
    const b = await newTab(context, s);
    await a.locator(dialog).waitFor({ timeout: 10_000 });
    await b.locator(dialog).waitFor({ timeout: 2_000 });
    await a.click("[data-sessiond=stay]");
    await b.locator(dialog).waitFor({ state: "detached", timeout: 1_000 });
    await context.close();
  });

  it("two tabs: a logout in one ends the other within a second", async () => {
    const s = await server({ SESSION_IDLE_TIMEOUT_SECONDS: "60" });
    const { page: a, context } = await loggedIn(s);
    const b = await newTab(context, s);
    await a.click("#logout");
    await b.locator(`${overlay}[data-code=logged_out]`).waitFor({ timeout: 1_000 });
    await b.waitForURL(/\/login\?.*reason=logged_out/, { timeout: 5_000 });
    await context.close();
  });

  it("expiry shows the overlay, then the login page with the reason", async () => {
    const s = await server();
    const { page, context } = await loggedIn(s);
    await page.locator(`${overlay}[data-code=expired_idle]`).waitFor({ timeout: 20_000 });
    await shot(page, "expired.png");
    await page.waitForURL(/\/login\?.*reason=expired_idle/, { timeout: 5_000 });
    await expect(page.locator("#reason").textContent()).resolves.toMatch(/Session expired/);
    await context.close();
  });

  it("a hidden tab made visible checks at once", async () => {
    const s = await server({ SESSION_IDLE_TIMEOUT_SECONDS: "60" });
    const { page: a, context } = await loggedIn(s);
    const b = await newTab(context, s);
    await b.waitForTimeout(500);
    const checked = b.waitForRequest((r) => r.url().endsWith("/api/session/check"), { timeout: 1_000 });
    await b.evaluate(() => {
      Object.defineProperty(document, "visibilityState", { value: "visible", configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
    });
    await checked;
    expect(a.url()).toBe(`${s.base}/`);
    await context.close();
  });

  it("three tabs poll about as often as one", async () => {
    const s = await server({ SESSION_IDLE_TIMEOUT_SECONDS: "120", SESSION_HEARTBEAT_INTERVAL_SECONDS: "2" });
    const single = await loggedIn(s);
    const many = await loggedIn(s);
    await newTab(many.context, s);
    await newTab(many.context, s);
    await single.page.waitForTimeout(1_000);
    const one = countChecks(single.context);
    const three = countChecks(many.context);
    await single.page.waitForTimeout(10_000);
    console.log(`session checks in 10 s: one tab ${one.n}, three tabs ${three.n}`);
    expect(one.n).toBeGreaterThanOrEqual(3);
    expect(three.n).toBeLessThanOrEqual(one.n + 2);
    await single.context.close();
    await many.context.close();
  });

  it("keep-alive fails while the server is down, then succeeds without losing the session", async () => {
    const s = await server();
    const { page, context } = await loggedIn(s);
    await page.locator(dialog).waitFor({ timeout: 10_000 });
    await s.kill();
    await page.click("[data-sessiond=stay]");
    await page.waitForTimeout(800);
    await s.run();
    await page.locator(dialog).waitFor({ state: "detached", timeout: 6_000 });
    await page.locator(".sessiond-toast-success").waitFor();
    expect((await serverCheck(page)).status).toBe(200);
    await context.close();
  });

  it("revoking another session asks for the password once the re-auth window has passed", async () => {
    const s = await server({ SESSIOND_REAUTH_WINDOW_SECONDS: "1", SESSION_IDLE_TIMEOUT_SECONDS: "120" });
    const mine = await loggedIn(s);
    const other = await loggedIn(s);
    await mine.page.waitForTimeout(1_500);
    await mine.page.click("#refresh");
    await mine.page.click("#sessions button:text('Revoke')");
    const password = mine.page.locator("#sessions form.reauth input[type=password]");
    await password.waitFor();
    expect((await serverCheck(other.page)).status).toBe(200);
    await password.fill("not the password");
    await mine.page.click("#sessions form.reauth button[type=submit]");
    await mine.page.locator("#sessions form.reauth .error:not(:empty)").waitFor();
    await password.fill(PASSWORD);
    await mine.page.click("#sessions form.reauth button[type=submit]");
    await mine.page.locator("#sessions button:text('Revoke')").waitFor({ state: "detached" });
    expect((await serverCheck(other.page)).status).toBe(401);
    expect((await serverCheck(mine.page)).status).toBe(200);
    await mine.context.close();
    await other.context.close();
  });
});

describe("the login page and sessiond.js stay on this origin", () => {
  /** Logs alice in on `/login?<query>` and returns where the browser ends up. */
  async function loginAt(s: Sessiond, query: string): Promise<string> {
    const context = await (await launch()).newContext();
    const page = watch(await context.newPage());
    await page.goto(`${s.base}/login?${query}`);
    await page.fill("input[name=username]", "alice");
    await page.fill("input[name=password]", PASSWORD);
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/login")), page.click("button[type=submit]")]);
    const url = page.url();
    await context.close();
    return url;
  }

  it("after login, goes only to a place of this origin (parsed, not by prefix)", async () => {
    const s = await server({ SESSIOND_LOGIN_RATE_LIMIT: "1000" });
    // Every way a `next` starting with one slash can still lead to another host: dot segments
    // (also percent-encoded) that leave `//host` behind, backslashes, tabs and newlines,
    // userinfo and IDN hosts. The browser lands on this origin, never on a path `//host`.
    for (const next of LEAVING) {
      const url = new URL(await loginAt(s, `next=${encodeURIComponent(next)}`));
      expect(url.origin, JSON.stringify(next)).toBe(s.base);
      expect(url.pathname, JSON.stringify(next)).toBe("/");
    }
    for (const next of ["/%5Cevil.example", "/%09/evil.example", "/.%2F/evil.example"]) {
      expect(new URL(await loginAt(s, `next=${next}`)).origin, next).toBe(s.base);
    }
    expect(await loginAt(s, "next=%2F%3Fx%3D1")).toBe(`${s.base}/?x=1`);
  });

  it("a reason that names a prototype key breaks nothing, and no failed script submits the password", async () => {
    const s = await server();
    const context = await (await launch()).newContext();
    const page = watch(await context.newPage());
    await page.goto(`${s.base}/login?reason=constructor`);
    await page.waitForFunction(() => !(document.querySelector("#login-form button") as HTMLButtonElement).disabled);
    expect(await page.locator("#reason").isHidden()).toBe(true);

    // Without the page's script the form cannot be sent at all: no GET with the password.
    const blocked = watch(await context.newPage());
    await blocked.route("**/static/pages.js", (r) => r.fulfill({ status: 404, body: "" }));
    const sent: string[] = [];
    blocked.on("request", (r) => sent.push(`${r.method()} ${r.url()}`));
    await blocked.goto(`${s.base}/login?next=/`);
    await blocked.fill("input[name=username]", "alice");
    await blocked.fill("input[name=password]", PASSWORD);
    await blocked.press("input[name=password]", "Enter");
    await blocked.waitForTimeout(500);
    expect(sent.filter((r) => r.includes(encodeURIComponent(PASSWORD)) || r.includes(PASSWORD))).toEqual([]);
    expect(blocked.url()).toBe(`${s.base}/login?next=/`);
    await context.close();
  });

  it("sessiond.js sends no request, and so no CSRF token, to another origin", async () => {
    const s = await server();
    const { page, context } = await loggedIn(s);
    const elsewhere: string[] = [];
    context.on("request", (r) => new URL(r.url()).origin !== s.base && elsewhere.push(r.url()));
    const answers = await page.evaluate(async () => {
      const c = (window as unknown as { sessiond: { client(): { request(m: string, p: string): Promise<{ kind: string; code?: string }> } } }).sessiond.client();
      return Promise.all(
        ["//evil.example/steal", "/\\evil.example/steal", "/.//evil.example/steal", "/x/..//evil.example/steal", "/%2e//evil.example/steal"].map((p) =>
          c.request("POST", p),
        ),
      );
    });
    expect(answers.map((a) => a.code)).toEqual(Array(5).fill("not_same_origin"));
    expect(elsewhere).toEqual([]);
    await context.close();
  });

  it("a page put in the back/forward cache and restored warns again without a reload", async () => {
    // Chromium keeps no page in its back/forward cache that fetched a no-store answer (every
    // session answer is one), so it cannot be made to restore this page; Firefox and Safari do.
    // The page gets the two events a round trip through the cache fires instead.
    const s = await server();
    const { page, context } = await loggedIn(s);
    const transition = (type: string) =>
      page.evaluate((t) => dispatchEvent(new PageTransitionEvent(t, { persisted: true })), type);
    await transition("pagehide");
    await page.waitForTimeout(5_000); // past the warning point: a cached page shows nothing
    expect(await page.locator(dialog).count()).toBe(0);
    await transition("pageshow");
    await page.locator(dialog).waitFor({ timeout: 3_000 });
    await page.locator(overlay).waitFor({ timeout: 12_000 });
    await context.close();
  });
});
