//! The service's faces, one per audience (docs/architecture.md, "Who gets which face"). Each is
//! a borrowed view of the engine that carries only its audience's operations, so a handler
//! names what it may do by the face it takes: the browser's routes cannot reach an operator's
//! command, and no caller reaches the stores. The backend API's face is handed out only by
//! its gate ([`SessionService::backend_api`]), after the key and its scope were checked.

use std::ops::Deref;

use super::SessionService;

macro_rules! face {
    ($(#[$doc:meta])* $name:ident, $get:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub struct $name<'a>(&'a SessionService);

        // The engine's rules (`pub(crate)`) are the face's to use; nothing outside the core
        // sees them through it.
        impl Deref for $name<'_> {
            type Target = SessionService;
            fn deref(&self) -> &SessionService {
                self.0
            }
        }

        impl SessionService {
            $(#[$doc])*
            pub fn $get(&self) -> $name<'_> {
                $name(self)
            }
        }
    };
}

face!(
    /// The browser, by its session cookie: login through password change, checks and
    /// keep-alives, its own sessions, contexts, CSRF, and the guessing and refusal limits.
    Browser,
    browser
);
face!(
    /// Token clients: token login, refresh, logout, bearer resolution, and the JWKS from this
    /// node's key ring.
    Tokens,
    tokens
);
face!(
    /// Forward auth: a proxy asking about the browser's request it holds.
    Forward,
    forward
);
face!(
    /// Operators (the CLI, the jobs, health): users, API keys, signing keys, cleanup, audit
    /// reads, health and counts.
    Admin,
    admin
);
