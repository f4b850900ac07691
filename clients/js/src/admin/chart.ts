/**
 * Bar charts as SVG, drawn with the page's own script under its strict CSP (no inline style, no
 * library from elsewhere). Each chart is an image with a text alternative that lists its values.
 */
const NS = "http://www.w3.org/2000/svg";

export interface Bar {
  label: string;
  value: number;
  /** A second series, drawn beside the first in the warning colour. */
  second?: number;
}

function el(name: string, attrs: Record<string, string | number>): SVGElement {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** Replaces `target`'s content with a chart of `bars`; `describe` names the values. */
export function barChart(target: HTMLElement, bars: Bar[], describe: string): void {
  const width = 480;
  const height = 160;
  const base = height - 20;
  const max = Math.max(1, ...bars.map((b) => Math.max(b.value, b.second ?? 0)));
  const slot = width / Math.max(1, bars.length);
  const svg = el("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img" });
  const text = bars.map((b) => `${b.label}: ${b.value}${b.second === undefined ? "" : ` / ${b.second}`}`);
  svg.setAttribute("aria-label", `${describe}. ${text.join("; ") || "No data"}.`);
  const twin = bars.some((b) => b.second !== undefined);
  bars.forEach((b, i) => {
    const w = twin ? slot * 0.4 : slot * 0.7;
    const draw = (v: number, x: number, cls: string) => {
      const h = (v / max) * (base - 10);
      svg.append(el("rect", { x, y: base - h, width: w, height: h, class: cls }));
    };
    draw(b.value, i * slot + slot * 0.1, "a");
    if (b.second !== undefined) draw(b.second, i * slot + slot * 0.5, "b");
    const every = Math.ceil(bars.length / 12);
    if (i % every === 0) {
      const label = el("text", { x: i * slot + slot / 2, y: height - 6, "text-anchor": "middle" });
      label.textContent = b.label;
      svg.append(label);
    }
  });
  const top = el("text", { x: 2, y: 10 });
  top.textContent = String(max);
  svg.append(top);
  target.replaceChildren(svg);
}
