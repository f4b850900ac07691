// Where the client sends browsers and requests: same-origin paths only, by parsing.
import { describe, expect, it } from "vitest";
import { endText, sameOrigin, sameOriginPath } from "../../src/links";

const ORIGIN = "https://app.example";

describe("links", () => {
  it("keeps a same-origin path and refuses everything that parses to another host", () => {
    expect(sameOriginPath("/reports?x=1#top", ORIGIN)).toBe("/reports?x=1#top");
    for (const evil of ["/\\evil.example", "/\t/evil.example", "//evil.example/x", "https://evil.example/", "javascript:alert(1)", "/%5Cevil.example"]) {
      const decoded = new URLSearchParams(`next=${encodeURIComponent(evil)}`).get("next");
      const path = sameOriginPath(decoded, ORIGIN);
      expect(new URL(path, ORIGIN).origin, evil).toBe(ORIGIN);
    }
    expect(sameOriginPath(new URLSearchParams("next=/%5Cevil.example").get("next"), ORIGIN)).toBe("/");
    expect(sameOriginPath(new URLSearchParams("next=/%09/evil.example").get("next"), ORIGIN)).toBe("/");
    expect(sameOriginPath(null, ORIGIN)).toBe("/");
  });

  it("lets requests carry the CSRF token only to this origin", () => {
    expect(sameOrigin("/api/session/check", ORIGIN)).toBe("/api/session/check");
    expect(sameOrigin("//evil.example/api", ORIGIN)).toBeNull();
    expect(sameOrigin("/\\evil.example/api", ORIGIN)).toBeNull();
    expect(sameOrigin("https://evil.example/api", ORIGIN)).toBeNull();
  });

  it("reads only the end codes, never a prototype key", () => {
    expect(endText("expired_idle")?.[0]).toBe("Session expired");
    for (const key of ["constructor", "__proto__", "toString", "hasOwnProperty"]) expect(endText(key)).toBeNull();
  });
});
