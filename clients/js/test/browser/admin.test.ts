// The admin dashboard (/admin/) in Debian's headless Chromium against the real sessiond binary:
// found by role and visible text, its changes asked for first, and no WCAG 2.1 AA violation
// that axe-core finds. Screenshots go to docs/images/ with SESSIOND_SCREENSHOTS=1.
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import axe from "axe-core";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { PASSWORD, Sessiond, closeBrowser, launch, loggedIn, pageErrors, watch } from "./harness";

const shots = process.env.SESSIOND_SCREENSHOTS === "1"
  ? new URL("../../../../docs/images/", import.meta.url).pathname
  : join(tmpdir(), "sessiond-screenshots");
mkdirSync(shots, { recursive: true });

const servers: Sessiond[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.kill();
  expect(pageErrors.splice(0)).toEqual([]);
});
afterAll(closeBrowser);

/** A superadmin's browser on the dashboard, logged in through the login page it is sent to. */
async function admin(s: Sessiond, options = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await (await launch()).newContext({ viewport: { width: 1300, height: 900 }, ...options });
  const page = watch(await context.newPage());
  await page.goto(`${s.base}/admin/`);
  await page.waitForURL(/\/login\?next=/);
  await page.getByLabel("Username").fill("root");
  await page.getByLabel("Password").fill(PASSWORD);
  await Promise.all([page.waitForURL(`${s.base}/admin/`), page.getByRole("button", { name: "Log in" }).click()]);
  await page.getByText("Signed in as root (superadmin)").waitFor();
  return { context, page };
}

/** WCAG 2.1 A and AA violations axe-core finds on `page`, by rule and element. */
async function violations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axe.source });
  return page.evaluate(async () => {
    const run = (window as unknown as { axe: typeof axe }).axe.run;
    const result = await run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(" ")}`));
  });
}

describe("the admin dashboard in Chromium", () => {
  it("shows the alerts as the node evaluates them, and the health check", async () => {
    // A sample a second, and an alert above one active session: two sessions make it fire.
    const s = await Sessiond.start({ SESSION_METRICS_INTERVAL_SECONDS: "1", SESSION_ALERT_CONCURRENT_SESSIONS: "1" });
    servers.push(s);
    s.addUser("root", "superadmin");
    await loggedIn(s);
    const { context, page } = await admin(s);
    const table = page.getByRole("table", { name: /Alerts/ });
    await expect.poll(() => table.getByRole("row").count()).toBe(6);
    await table.getByRole("cell", { name: "failure rate (SESSION_ALERT_FAILURE_RATE)" }).waitFor();
    await expect
      .poll(async () => {
        await page.reload();
        await table.getByRole("row").nth(5).waitFor();
        return table.getByRole("row").filter({ hasText: "concurrent sessions" }).getByRole("cell").nth(3).textContent();
      }, { timeout: 15_000 })
      .toMatch(/^firing since /);
    await page.getByText(/Health check at .*: store ok · cleanup ok · clock ok/).waitFor();
    await context.close();
  });

  it("lists, searches, shows and revokes sessions, and asks first", async () => {
    const s = await Sessiond.start({ SESSION_IDLE_TIMEOUT_SECONDS: "600", SESSION_WARNING_THRESHOLD_SECONDS: "60" });
    servers.push(s);
    s.addUser("root", "superadmin");
    const alice = await loggedIn(s);
    const { context, page } = await admin(s);

    const sessions = page.getByRole("table", { name: "Sessions, newest first" });
    await expect.poll(() => sessions.getByRole("row").count()).toBe(3);
    await expect.poll(() => page.getByRole("definition").first().textContent()).toBe("2");
    await page.getByRole("img", { name: /Active sessions by role.*oss: 1/ }).waitFor();
    await page.getByRole("img", { name: /Active sessions over time.*: 2\./ }).waitFor();
    if (process.env.SESSIOND_SCREENSHOTS === "1") await page.screenshot({ path: join(shots, "admin-overview.png"), fullPage: true });

    await page.getByRole("textbox", { name: "User" }).fill("alice");
    await page.getByRole("button", { name: "Search" }).click();
    await expect.poll(() => sessions.getByRole("row").count()).toBe(2);

    // A revocation asks first; cancelled, nothing happens.
    await page.getByRole("button", { name: "Revoke the session of alice" }).click();
    const confirm = page.getByRole("dialog", { name: "Are you sure?" });
    await confirm.getByRole("button", { name: "Cancel" }).click();
    expect(await alice.page.evaluate(async () => (await fetch("/api/session/check", { method: "POST" })).status)).toBe(200);

    await page.getByRole("button", { name: "Revoke the session of alice" }).click();
    await confirm.getByLabel(/Reason/).fill("laptop stolen");
    await confirm.getByRole("button", { name: "Confirm" }).click();
    await sessions.getByRole("cell", { name: /admin:root · admin_revoked · laptop stolen/ }).waitFor();
    expect(await alice.page.evaluate(async () => (await fetch("/api/session/check", { method: "POST" })).status)).toBe(401);

    await page.getByRole("button", { name: "Details of the session of alice" }).click();
    await page.getByRole("heading", { name: "Session of alice" }).waitFor();
    await page.getByRole("listitem").filter({ hasText: "SESSION_REVOKED" }).waitFor();
    await page.getByRole("table", { name: "Every user" }).getByRole("cell", { name: "alice", exact: true }).first().waitFor();
    await page.getByRole("table", { name: "Audit records, newest first" }).getByRole("cell", { name: "ADMIN_ACTION" }).first().waitFor();
    await page.getByText(/Audit chain intact/).waitFor();
    if (process.env.SESSIOND_SCREENSHOTS === "1") await page.screenshot({ path: join(shots, "admin-session.png"), fullPage: true });

    // axe-core is injected as an inline script, which the page's CSP refuses: it runs in a
    // profile that bypasses the CSP, with the same cookie.
    const audit = await (await launch()).newContext({ bypassCSP: true, storageState: await context.storageState() });
    const checked = await audit.newPage();
    await checked.goto(`${s.base}/admin/`);
    await checked.getByRole("table", { name: "Sessions, newest first" }).getByRole("row").nth(2).waitFor();
    await checked.getByRole("table", { name: /Alerts/ }).getByRole("row").nth(5).waitFor();
    expect(await violations(checked)).toEqual([]);
    await checked.getByRole("button", { name: "Revoke the session of root" }).click();
    expect(await violations(checked)).toEqual([]);
    await Promise.all([audit.close(), context.close(), alice.context.close()]);
  });

  it("tells a user who is no superadmin, and sends one without a session to the login", async () => {
    const s = await Sessiond.start({ SESSION_IDLE_TIMEOUT_SECONDS: "600", SESSION_WARNING_THRESHOLD_SECONDS: "60" });
    servers.push(s);
    const alice = await loggedIn(s);
    await alice.page.goto(`${s.base}/admin/`);
    await alice.page.getByRole("alert").filter({ hasText: "Only a superadmin can use this page." }).waitFor();
    expect(await alice.page.getByRole("table").count()).toBe(0);
    await alice.context.close();
  });
});
