// Shared by the unit tests of links.ts, the Chromium tests of the login page and the Rust
// tests of forward auth's return paths (`crates/http/src/return_to.rs`), which read the JSON.
import leaving from "./leaving.json";

/**
 * `next` values that start with one slash and still lead elsewhere, as the URL parser reads
 * them: dot segments (plain and percent-encoded) that leave `//host` behind, backslashes, tabs
 * and newlines the parser drops, userinfo, and IDN hosts; and a few that do not start with a
 * slash at all. Each is given raw, as the page's `URLSearchParams` hands it over.
 */
export const LEAVING: readonly string[] = leaving;
