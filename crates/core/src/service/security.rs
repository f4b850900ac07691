//! Checks that protect cookie sessions beyond their timeouts: the CSRF token of a request, and
//! audit records for what the defences refused.

use crate::audit::{AuditEvent, AuditKind};
use crate::session::ClientInfo;
use crate::token::Token;

use super::{SessionError, SessionResult, SessionService};

/// What a presented CSRF token says about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsrfVerdict {
    /// The token matches the session the cookie opens.
    Valid,
    /// It does not: another session's, altered, or garbage.
    Invalid,
    /// The cookie opens no session; the operation itself will answer that.
    NoSession,
}

impl SessionService {
    /// Compares `presented` with the CSRF token of the session `token` opens, in constant time.
    /// The CSRF token is derived from the key, the session id and a session token's hash, so it
    /// changes whenever the session token rotates. During the rotation grace the previous
    /// token's CSRF token is still accepted, as the previous session token is: tabs learn of a
    /// rotation a moment apart.
    pub async fn check_csrf(&self, token: &Token, presented: &str) -> SessionResult<CsrfVerdict> {
        let now = self.now();
        match self.resolve(Some(token), now).await {
            Ok(r) => {
                let s = &r.session;
                let current = self.key.verify_csrf(&s.id, &s.token_hash, presented);
                let previous = s
                    .prev_token_hash
                    .filter(|_| s.prev_token_expires_at.is_some_and(|until| now < until))
                    .is_some_and(|prev| self.key.verify_csrf(&s.id, &prev, presented));
                Ok(if current | previous {
                    CsrfVerdict::Valid
                } else {
                    CsrfVerdict::Invalid
                })
            }
            Err(SessionError::NotAuthenticated(_)) => Ok(CsrfVerdict::NoSession),
            Err(e) => Err(e),
        }
    }

    /// Audits a request a defence refused, attributed to the session its cookie names when
    /// there is one. Never fails: an unreachable store only loses the attribution.
    pub async fn record_refusal(
        &self,
        kind: AuditKind,
        token: Option<&Token>,
        client: &ClientInfo,
        reason: &str,
    ) {
        let now = self.now();
        let mut event = AuditEvent::new(kind, now);
        if let Some(token) = token
            && let Ok(Some(session)) = self.store.session_by_token(&token.hash(), now).await
        {
            event = event.session(&session);
        }
        self.audit
            .record(event.client(client).detail("reason", reason))
            .await;
    }

    /// Whether `ip` presented too many unknown session tokens lately (SECURITY-TESTS row 41):
    /// `Err(seconds)` until it may try again.
    pub fn guessing_blocked(&self, ip: &str) -> Result<(), i64> {
        self.unknown_tokens.peek(ip, self.now())
    }

    /// Counts an unknown session token from `ip`. Returns true when this one crossed the limit,
    /// which is audited once per crossing.
    pub async fn note_unknown_token(&self, ip: &str, client: &ClientInfo) -> bool {
        let now = self.now();
        // The hit that fills the window trips it: the next request is refused before counting.
        let tripped =
            self.unknown_tokens.hit(ip, now).is_err() || self.unknown_tokens.peek(ip, now).is_err();
        if tripped {
            self.record_refusal(
                AuditKind::SessionGuessing,
                None,
                client,
                "unknown_session_tokens",
            )
            .await;
        }
        tripped
    }
}
