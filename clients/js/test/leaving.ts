// Shared by the unit tests of links.ts and the Chromium tests of the login page.

/**
 * `next` values that start with one slash and still lead elsewhere, as the URL parser reads
 * them: dot segments (plain and percent-encoded) that leave `//host` behind, backslashes, tabs
 * and newlines the parser drops, userinfo, and IDN hosts. Each is given raw, as the page's
 * `URLSearchParams` hands it over.
 */
export const LEAVING = [
  "//evil.example/x",
  "/\\evil.example",
  "/\t/evil.example",
  "/\n/evil.example",
  "/\r\n/evil.example",
  "/.//evil.example/x",
  "/./\\evil.example/x",
  "/x/..//evil.example",
  "/x/../\\evil.example",
  "/%2e//evil.example",
  "/%2E//evil.example",
  "/%2e%2e//evil.example",
  "/x/%2e%2e//evil.example",
  "/.%2e//evil.example",
  "/.\t//evil.example",
  "/.\n//evil.example",
  "/\t.//evil.example",
  "/.//user:pw@evil.example/x",
  "//user@evil.example/x",
  "/\\user@evil.example/",
  "/.//évil.example/x",
  "/.//xn--vil-bma.example/x",
  "//пример.example/",
  "/.//evil.example:443/x",
  "https://evil.example/",
  "javascript:alert(1)",
];
