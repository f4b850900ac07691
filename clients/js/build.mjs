// Builds dist/: sessiond.mjs (ES module), sessiond.js (classic script, window.sessiond),
// pages.js (the login and demo pages served by sessiond) and admin.js (the dashboard at
// /admin/). The output is committed and embedded in the binary; CI rebuilds it and fails if it
// differs from what is committed.
import { build } from "esbuild";

const common = { bundle: true, minify: true, target: "es2020", legalComments: "none", logLevel: "warning" };
await build({ ...common, entryPoints: ["src/index.ts"], format: "esm", outfile: "dist/sessiond.mjs" });
await build({ ...common, entryPoints: ["src/classic.ts"], format: "iife", outfile: "dist/sessiond.js" });
await build({ ...common, entryPoints: ["src/pages.ts"], format: "iife", outfile: "dist/pages.js" });
await build({ ...common, entryPoints: ["src/admin/main.ts"], format: "iife", outfile: "dist/admin.js" });
