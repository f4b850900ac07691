// The shipped bundle: small, dependency-free, and defining window.sessiond.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";

const dist = new URL("../../dist/", import.meta.url);

describe("dist/sessiond.js", () => {
  it("is under 12 KB gzipped", () => {
    const size = gzipSync(readFileSync(new URL("sessiond.js", dist))).length;
    expect(size).toBeLessThan(12 * 1024);
  });

  it("has no imports: one file, no runtime dependencies", () => {
    expect(readFileSync(new URL("sessiond.js", dist), "utf8")).not.toMatch(/\bimport\s*[({"']/);
  });
});
