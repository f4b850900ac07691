// Starts the real sessiond binary (built by `cargo build`, see scripts/test) on a fresh SQLite
// file with short timeouts, and Debian's Chromium through playwright-core.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const PASSWORD = "correct horse battery staple";
const root = new URL("../../../../", import.meta.url).pathname;
const bin = process.env.SESSIOND_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(root, "target"), "debug/sessiond");
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export class Sessiond {
  proc: ChildProcess | null = null;
  readonly base: string;

  private constructor(readonly env: Record<string, string>, readonly dir: string, port: number) {
    this.base = `http://127.0.0.1:${port}`;
  }

  /** A server with `vars` over the test defaults, and the user alice. */
  static async start(vars: Record<string, string> = {}): Promise<Sessiond> {
    const dir = mkdtempSync(join(tmpdir(), "sessiond-browser-"));
    const port = await freePort();
    const env = {
      ...process.env,
      SESSIOND_BIND: `127.0.0.1:${port}`,
      SESSIOND_STORE_URL: `sqlite://${dir}/sessiond.db`,
      SESSIOND_DATA_DIR: dir,
      SESSIOND_LOG: "warn",
      SESSION_IDLE_TIMEOUT_SECONDS: "12",
      SESSION_WARNING_THRESHOLD_SECONDS: "8",
      SESSION_EXPIRATION_GRACE_SECONDS: "5",
      SESSION_HEARTBEAT_INTERVAL_SECONDS: "4",
      SESSION_SYNC_TIMEOUT_SECONDS: "1",
      SESSION_TAB_RESPONSE_TIMEOUT_SECONDS: "1",
      SESSION_KEEPALIVE_RATE_LIMIT: "100",
      ...vars,
    } as Record<string, string>;
    const s = new Sessiond(env, dir, port);
    const add = spawnSync(bin, ["users", "add", "alice", "--role", "oss", "--password-stdin"], {
      env,
      cwd: dir,
      input: `${PASSWORD}\n`,
    });
    if (add.status !== 0) throw new Error(`${bin} users add failed: ${add.error ?? add.stderr}`);
    await s.run();
    return s;
  }

  /** Adds a user with `role` and the test password, through the CLI, as an operator would. */
  addUser(name: string, role: string): void {
    const add = spawnSync(bin, ["users", "add", name, "--role", role, "--password-stdin"], {
      env: this.env,
      cwd: this.dir,
      input: `${PASSWORD}\n`,
    });
    if (add.status !== 0) throw new Error(`${bin} users add ${name} failed: ${add.stderr}`);
  }

  async run(): Promise<void> {
    this.proc = spawn(bin, ["serve"], { env: this.env, cwd: this.dir, stdio: ["ignore", "ignore", "inherit"] });
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`${this.base}/healthz`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("sessiond did not start");
  }

  async kill(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once("exit", () => resolve());
      p.kill("SIGKILL");
    });
  }
}

let browser: Browser | null = null;

export async function launch(): Promise<Browser> {
  browser ??= await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
  return browser;
}

export async function closeBrowser(): Promise<void> {
  await browser?.close();
  browser = null;
}

/** Script errors and CSP refusals seen on any page; the tests expect none. */
export const pageErrors: string[] = [];

export function watch(page: Page): Page {
  page.on("pageerror", (e) => pageErrors.push(`${page.url()}: ${e.message}`));
  page.on("console", (m) => {
    // Failed requests (401 after an end, a stopped server) are expected and logged by Chromium.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
      pageErrors.push(`${page.url()}: ${m.text()}`);
    }
  });
  return page;
}

/** A browser profile (one cookie jar, one localStorage) logged in as alice, on the demo page. */
export async function loggedIn(s: Sessiond): Promise<{ context: BrowserContext; page: Page }> {
  const context = await (await launch()).newContext({ viewport: { width: 1000, height: 700 } });
  const page = watch(await context.newPage());
  await page.goto(`${s.base}/login`);
  await page.fill("input[name=username]", "alice");
  await page.fill("input[name=password]", PASSWORD);
  await Promise.all([page.waitForURL(`${s.base}/`), page.click("button[type=submit]")]);
  await page.waitForFunction(() => document.querySelector("#user")?.textContent === "alice");
  return { context, page };
}

/** Another tab of the same browser, on the demo page. */
export async function newTab(context: BrowserContext, s: Sessiond): Promise<Page> {
  const page = watch(await context.newPage());
  await page.goto(`${s.base}/`);
  await page.waitForFunction(() => document.querySelector("#user")?.textContent === "alice");
  return page;
}

/** Counts the session checks a browser profile sends. */
export function countChecks(context: BrowserContext): { n: number } {
  const counter = { n: 0 };
  context.on("request", (r) => {
    if (r.url().endsWith("/api/session/check")) counter.n++;
  });
  return counter;
}

export const dialog = "[role=alertdialog][aria-labelledby=sessiond-warning-title]";
export const overlay = "[data-sessiond=ended]";
