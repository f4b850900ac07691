import type { Ui } from "./session";
import { END_TEXT, endText } from "./links";
import type { EndCode, EndReason } from "./types";

/** `m:ss`, as the warning shows it. */
export function formatCountdown(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

const CSS = `
.sessiond-backdrop{position:fixed;inset:0;background:rgba(15,23,42,.55);display:flex;align-items:center;justify-content:center;z-index:2147483000;font:16px/1.5 system-ui,sans-serif}
.sessiond-dialog{background:#fff;color:#0f172a;border-radius:12px;padding:24px 28px;max-width:420px;width:calc(100% - 48px);box-shadow:0 20px 50px rgba(0,0,0,.3)}
.sessiond-dialog h2{margin:0 0 8px;font-size:1.25rem}
.sessiond-count{font-variant-numeric:tabular-nums;font-weight:700}
.sessiond-actions{display:flex;gap:12px;margin-top:20px;flex-wrap:wrap}
.sessiond-actions button{font:inherit;padding:8px 16px;border-radius:8px;border:1px solid #1d4ed8;cursor:pointer}
.sessiond-primary{background:#1d4ed8;color:#fff}.sessiond-secondary{background:#fff;color:#1d4ed8}
.sessiond-actions button:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.sessiond-actions button[disabled]{opacity:.6;cursor:progress}
.sessiond-error{color:#b91c1c;margin:12px 0 0}
.sessiond-toast{position:fixed;right:16px;bottom:16px;padding:12px 16px;border-radius:8px;color:#fff;background:#334155;z-index:2147483001;font:15px/1.4 system-ui,sans-serif}
.sessiond-toast-success{background:#15803d}.sessiond-toast-error{background:#b91c1c}
.sessiond-overlay{position:fixed;inset:0;background:#0f172a;color:#f8fafc;display:flex;align-items:center;justify-content:center;z-index:2147483002;font:16px/1.5 system-ui,sans-serif;text-align:center}
.sessiond-overlay h2{font-size:1.5rem;margin:0 0 8px}
.sessiond-progress{width:280px;height:8px;background:#334155;border-radius:4px;margin:20px auto 8px;overflow:hidden}
.sessiond-progress div{height:100%;width:0;background:#38bdf8;transition:width .2s linear}
`;

const OVERLAY_MS = 2000;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text = ""): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

/** Styles through a constructed stylesheet: allowed by a strict CSP, unlike a <style> tag. */
function installStyles(): void {
  const doc = document as Document & { adoptedStyleSheets?: CSSStyleSheet[] };
  if (doc.adoptedStyleSheets && "replaceSync" in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
  } else {
    document.head.appendChild(el("style", {}, CSS));
  }
}

/** The modal, toasts and end overlay, drawn in the page's DOM. */
export class DomUi implements Ui {
  private modal: HTMLElement | null = null;
  private returnFocus: Element | null = null;
  private timers: ReturnType<typeof setTimeout>[] = [];

  constructor(private readonly actions: { extend(): void; logout(): void; dismiss(): void }) {
    installStyles();
  }

  showWarning(secondsLeft: number): void {
    if (this.modal) return this.updateCountdown(secondsLeft);
    this.returnFocus = document.activeElement;
    const backdrop = el("div", { class: "sessiond-backdrop" });
    const dialog = el("div", {
      class: "sessiond-dialog",
      role: "alertdialog",
      "aria-modal": "true",
      "aria-labelledby": "sessiond-warning-title",
      "aria-describedby": "sessiond-warning-text",
    });
    const text = el("p", { id: "sessiond-warning-text" }, "Your session will expire in ");
    text.append(el("span", { class: "sessiond-count", "data-sessiond": "countdown" }, formatCountdown(secondsLeft)), ".");
    const stay = el("button", { type: "button", class: "sessiond-primary", "data-sessiond": "stay" }, "Stay logged in");
    const out = el("button", { type: "button", class: "sessiond-secondary", "data-sessiond": "logout" }, "Log out now");
    const actions = el("div", { class: "sessiond-actions" });
    actions.append(stay, out);
    dialog.append(
      el("h2", { id: "sessiond-warning-title" }, "Your session is about to expire"),
      text,
      el("p", { class: "sessiond-error", role: "status", "data-sessiond": "error" }),
      actions,
    );
    backdrop.append(dialog);
    stay.addEventListener("click", () => this.actions.extend());
    out.addEventListener("click", () => this.actions.logout());
    dialog.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        this.actions.dismiss();
      } else if (e.key === "Tab") {
        // Keep focus inside the dialog.
        e.preventDefault();
        (document.activeElement === stay ? out : stay).focus();
      }
    });
    document.body.append(backdrop);
    this.modal = backdrop;
    stay.focus();
  }

  updateCountdown(secondsLeft: number): void {
    const c = this.modal?.querySelector("[data-sessiond=countdown]");
    if (c) c.textContent = formatCountdown(secondsLeft);
  }

  hideWarning(): void {
    if (!this.modal) return;
    this.modal.remove();
    this.modal = null;
    if (this.returnFocus instanceof HTMLElement && this.returnFocus.isConnected) this.returnFocus.focus();
    this.returnFocus = null;
  }

  warningError(message: string | null): void {
    const e = this.modal?.querySelector("[data-sessiond=error]");
    if (e) e.textContent = message ?? "";
  }

  setBusy(busy: boolean): void {
    this.modal?.querySelectorAll("button").forEach((b) => (b.disabled = busy));
  }

  toast(message: string, kind: "success" | "error" | "info"): void {
    const t = el("div", { class: `sessiond-toast sessiond-toast-${kind}`, role: "status", "aria-live": "polite" }, message);
    document.body.append(t);
    this.timers.push(setTimeout(() => t.remove(), 4000));
  }

  showEnded(code: EndCode, done: () => void, reason?: EndReason): void {
    const [title, text] = endText(code, reason ?? null) ?? END_TEXT[code];
    const overlay = el("div", { class: "sessiond-overlay", role: "alertdialog", "aria-modal": "true", "aria-labelledby": "sessiond-end-title", "data-sessiond": "ended", "data-code": code });
    const box = el("div");
    const bar = el("div", { class: "sessiond-progress", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0" });
    const fill = el("div");
    bar.append(fill);
    box.append(el("h2", { id: "sessiond-end-title" }, title), el("p", {}, text), bar, el("p", {}, "Taking you to the login page…"));
    overlay.append(box);
    document.body.append(overlay);
    const started = Date.now();
    const step = () => {
      const pct = Math.min(100, Math.round(((Date.now() - started) / OVERLAY_MS) * 100));
      fill.style.width = `${pct}%`;
      bar.setAttribute("aria-valuenow", String(pct));
      if (pct >= 100) done();
      else this.timers.push(setTimeout(step, 100));
    };
    step();
  }

  destroy(): void {
    this.timers.forEach(clearTimeout);
    this.hideWarning();
  }
}
