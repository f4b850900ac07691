// Where the client sends browsers and requests: this origin only, by parsing.
import { describe, expect, it } from "vitest";
import { afterLogin, endText, sameOrigin } from "../../src/links";
import { LEAVING } from "../leaving";

const ORIGIN = "https://app.example";


describe("links", () => {
  it("keeps a place on this origin, as a whole URL", () => {
    expect(afterLogin("/reports?x=1#top", ORIGIN)).toBe(`${ORIGIN}/reports?x=1#top`);
    expect(afterLogin("/a/./b/../c", ORIGIN)).toBe(`${ORIGIN}/a/c`);
    expect(afterLogin(null, ORIGIN)).toBe(`${ORIGIN}/`);
    // A slash the parser does not read as a separator stays a path of ours.
    expect(afterLogin("/%2F%2Fevil.example", ORIGIN)).toBe(`${ORIGIN}/%2F%2Fevil.example`);
  });

  it("refuses everything that parses to another host or to a path written as `//host`", () => {
    for (const evil of LEAVING) {
      const url = afterLogin(evil, ORIGIN);
      expect(url, JSON.stringify(evil)).toBe(`${ORIGIN}/`);
      expect(sameOrigin(evil, ORIGIN), JSON.stringify(evil)).toBeNull();
    }
  });

  it("lets requests carry the CSRF token only to this origin", () => {
    expect(sameOrigin("/api/session/check", ORIGIN)).toBe(`${ORIGIN}/api/session/check`);
    for (const evil of ["//evil.example/api", "/\\evil.example/api", "https://evil.example/api", "/.//evil.example/api", "/%2e//evil.example/api"]) {
      expect(sameOrigin(evil, ORIGIN), evil).toBeNull();
    }
  });

  it("reads only the end codes, never a prototype key", () => {
    expect(endText("expired_idle")?.[0]).toBe("Session expired");
    for (const key of ["constructor", "__proto__", "toString", "hasOwnProperty"]) expect(endText(key)).toBeNull();
    expect(endText("revoked", "password_changed")?.[1]).toMatch(/password was changed/);
    expect(endText("revoked", "api_revoked")).toEqual(endText("revoked"));
    expect(endText("revoked", "constructor")).toEqual(endText("revoked"));
    expect(endText("constructor", "password_changed")).toBeNull();
  });
});
