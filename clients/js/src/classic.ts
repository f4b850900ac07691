/**
 * The classic-script build: `<script src="/static/sessiond.js" data-auto-start></script>`
 * defines `window.sessiond`, and with `data-auto-start` starts it at once.
 */
import * as sessiond from "./index";

declare global {
  interface Window {
    sessiond: typeof sessiond;
  }
}

window.sessiond = sessiond;
const script = document.currentScript;
if (script?.hasAttribute("data-auto-start")) void sessiond.start();
