//! Checks that protect cookie sessions beyond their timeouts: the CSRF token of a request, and
//! audit records for what the defences refused.

use crate::audit::{AuditEvent, AuditKind};
use crate::bounded::BoundedMap;
use crate::counter::CounterKey;
use crate::drift::{fingerprint, network};
use crate::ids::SessionId;
use crate::session::{ClientInfo, EndCode, EndReason, Refusal, Session, SessionState};
use crate::time::{Timestamp, secs_between};
use crate::token::Token;

use super::faces::{Admin, Browser};
use super::{SessionError, SessionResult, SessionService};

/// `SESSIOND_SUSPICIOUS_RESPONSE`: what happens when a session's suspicion score reaches
/// `SESSION_SUSPICIOUS_ACTIVITY_THRESHOLD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuspiciousResponse {
    /// Audit it and carry on.
    Log,
    /// End this session: the user must log in again.
    Reauth,
    /// End every session of the user.
    Revoke,
}

/// Seed 001's suspicious-activity detection, when `SESSION_ENABLE_SUSPICIOUS_DETECTION` is on.
#[derive(Debug, Clone, Copy)]
pub struct Suspicion {
    /// `SESSION_SUSPICIOUS_ACTIVITY_THRESHOLD`: the score that triggers the response.
    pub threshold: u32,
    /// `SESSIOND_SUSPICIOUS_RESPONSE`.
    pub response: SuspiciousResponse,
}

/// Points per observation. A different browser or operating system is theft-shaped on its own;
/// a new network is not (phones move), but a second one is, and so is a new network on a session
/// older than `SESSIOND_LONG_SESSION_SECONDS` (a cookie that lives long is a cookie worth
/// stealing).
pub(super) const USER_AGENT_DRIFT: u32 = 10;
pub(super) const NETWORK_DRIFT: u32 = 5;
pub(super) const LONG_SESSION: u32 = 5;
pub(super) const CONTEXT_SWITCH_FLOOD: u32 = 3;

/// Refusals of one kind audited per address per minute on a node.
pub(super) const REFUSALS_AUDITED_PER_MINUTE: u32 = 10;
/// And per IPv6 /48 (a site's allocation) per minute.
pub(super) const REFUSALS_AUDITED_PER_SITE_PER_MINUTE: u32 = 40;

/// What this node already scored for a session. Only a cache: the scores and the findings
/// already scored live in the store's shared counters, so each finding counts once across nodes.
#[derive(Debug, Default)]
struct Score {
    /// A keyed hash of the last client (user agent, address, and what they were compared
    /// with) that showed no drift: the same client again skips the fingerprint's SHA-256 and
    /// the networks' parsing, which were a tenth of a passive check's own work.
    quiet_client: Option<u64>,
    user_agent_seen: bool,
    networks_seen: Vec<String>,
    long_seen: bool,
}

/// What a finding is: its reason, its points, and what it is counted under.
type Finding = (&'static str, u32, String);

/// The client's drift from the session's: a user agent of another browser or system, or an
/// address on another network, each not yet scored by this node.
fn drift(
    score: &mut Score,
    session: &Session,
    client: &ClientInfo,
    ua: &str,
    findings: &mut Vec<Finding>,
) {
    if let Some(stored) = &session.fingerprint
        && !score.user_agent_seen
        && fingerprint(ua) != *stored
    {
        score.user_agent_seen = true;
        findings.push(("user_agent_changed", USER_AGENT_DRIFT, "user_agent".into()));
    }
    let home = session.client.ip.as_deref().and_then(network);
    if let (Some(home), Some(here)) = (home, client.ip.as_deref().and_then(network))
        && home != here
        && !score.networks_seen.contains(&here)
    {
        findings.push(("network_changed", NETWORK_DRIFT, format!("network:{here}")));
        score.networks_seen.push(here);
    }
}

/// Who a request's client is, for [`Score::quiet_client`]: its user agent and address, and the
/// session's fingerprint and address they are compared with, under a key drawn at start, so no
/// one can choose a client that collides with another.
fn client_key(user_agent: &str, ip: Option<&str>, session: &Session) -> u64 {
    use std::hash::BuildHasher as _;
    static KEY: std::sync::LazyLock<std::hash::RandomState> =
        std::sync::LazyLock::new(std::hash::RandomState::new);
    KEY.hash_one((
        user_agent,
        ip,
        session.fingerprint.as_deref(),
        session.client.ip.as_deref(),
    ))
}

/// The /48 of an IPv6 address (not an IPv4-mapped one).
fn ipv6_site(ip: &str) -> Option<String> {
    match ip.parse::<std::net::IpAddr>().ok()?.to_canonical() {
        std::net::IpAddr::V6(_) => crate::drift::network(ip),
        std::net::IpAddr::V4(_) => None,
    }
}

/// A session's score lapses with the session.
fn score_lapse(session: &Session, now: Timestamp) -> Timestamp {
    session
        .absolute_expires_at
        .max(crate::time::plus_secs(now, 1))
}

/// The findings this node already scored, per session: at most this many sessions, the
/// coldest forgotten first (they are then asked of the store again).
pub(super) struct Scores(BoundedMap<SessionId, Score>);

impl Default for Scores {
    fn default() -> Self {
        Self(BoundedMap::new(100_000))
    }
}

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
    /// Counts a refusal of `kind` against the client's address.
    pub(super) fn refusal_budget(
        &self,
        kind: AuditKind,
        client: &ClientInfo,
        now: Timestamp,
    ) -> Result<(), i64> {
        let ip = client.ip.as_deref().unwrap_or("unknown");
        let address = crate::drift::address_key(ip);
        if let Some(site) = ipv6_site(ip) {
            self.refusals_by_site
                .hit(&format!("{}:{site}", kind.as_str()), now)?;
        }
        self.refusals
            .hit(&format!("{}:{address}", kind.as_str()), now)
    }

    /// Scores how far this request's client drifted from the one that logged in (rows 23 and
    /// 24), and applies the configured response at the threshold.
    pub(super) async fn screen(
        &self,
        session: &Session,
        client: &ClientInfo,
        now: Timestamp,
    ) -> SessionResult<()> {
        if self.settings.suspicion.is_none() {
            return Ok(());
        }
        // Cheap local comparisons first: the store is asked only about a difference this node
        // has not scored yet, which is rare.
        let mut findings: Vec<Finding> = Vec::new();
        self.scores.0.with(&session.id, Score::default, |score| {
            // A request without a User-Agent is scored as a client of its own: dropping the
            // header must not hide a change of client.
            let ua = client.user_agent.as_deref().unwrap_or_default();
            let this_client = client_key(ua, client.ip.as_deref(), session);
            if score.quiet_client != Some(this_client) {
                drift(score, session, client, ua, &mut findings);
                if findings.is_empty() {
                    score.quiet_client = Some(this_client);
                }
            }
            if !score.long_seen
                && secs_between(session.created_at, now) > self.settings.long_session_secs
            {
                score.long_seen = true;
                findings.push(("long_session", LONG_SESSION, "long".into()));
            }
        });
        for (reason, points, what) in findings {
            // Another node may have scored this finding already.
            let key = CounterKey::SuspicionFinding(session.id, what);
            let seen = self
                .stores
                .counters
                .add_to_counter(&key, 1, now, score_lapse(session, now))
                .await?;
            if seen.value == 1 {
                self.suspect(session, client, reason, points, now).await?;
            }
        }
        Ok(())
    }

    /// Adds `points` to the session's suspicion score, audits why, and at the threshold applies
    /// the configured response. `Err` when that response ended the session.
    pub(super) async fn suspect(
        &self,
        session: &Session,
        client: &ClientInfo,
        reason: &str,
        points: u32,
        now: Timestamp,
    ) -> SessionResult<()> {
        let Some(suspicion) = self.settings.suspicion else {
            return Ok(());
        };
        // The score is shared by the nodes; only the addition that crosses the threshold, on
        // whichever node, applies the response.
        let key = CounterKey::SuspicionScore(session.id);
        let score = self
            .stores
            .counters
            .add_to_counter(&key, u64::from(points), now, score_lapse(session, now))
            .await?;
        let total = u32::try_from(score.value).unwrap_or(u32::MAX);
        let tripped = total >= suspicion.threshold && total - points < suspicion.threshold;
        let drift = AuditEvent::new(AuditKind::SessionDrift, now)
            .session(session)
            .client(client)
            .detail("reason", reason)
            .detail("score", total);
        if !tripped {
            self.audit.record(drift).await?;
            return Ok(());
        }
        let response = match suspicion.response {
            SuspiciousResponse::Log => "log",
            SuspiciousResponse::Reauth => "reauth",
            SuspiciousResponse::Revoke => "revoke",
        };
        // The response first: this finding is scored once, so a record that failed before it
        // would leave the session alive for good. The records follow, and their failure is
        // reported after.
        let ended = match (suspicion.response, session.user_id) {
            (SuspiciousResponse::Log, _) => Ok(0),
            (SuspiciousResponse::Revoke, Some(user)) => {
                self.revoke_user_sessions(&user, EndReason::SuspiciousActivity)
                    .await
            }
            // Reauth, or revoke for an anonymous session: only this session exists to end.
            _ => {
                let this = std::iter::once(session.clone());
                let kind = AuditKind::SessionRevoked;
                self.end_all(
                    this,
                    SessionState::Revoked,
                    EndReason::SuspiciousActivity,
                    kind,
                )
                .await
            }
        };
        let suspicious = AuditEvent::new(AuditKind::SuspiciousActivity, now)
            .session(session)
            .client(client)
            .detail("score", total)
            .detail("threshold", suspicion.threshold)
            .detail("response", response);
        self.audit.record(drift).await?;
        self.audit.record(suspicious).await?;
        ended?;
        if suspicion.response == SuspiciousResponse::Log {
            return Ok(());
        }
        let revoked = Refusal::because(EndCode::Revoked, EndReason::SuspiciousActivity);
        Err(SessionError::NotAuthenticated(revoked))
    }
}

impl Browser<'_> {
    /// Compares `presented` with the CSRF token of the session `token` names, in constant time.
    /// The CSRF token is derived from the key, the session id and a session token's hash, so it
    /// changes whenever the session token rotates. During the rotation grace the previous
    /// token's CSRF token is still accepted, as the previous session token is: tabs learn of a
    /// rotation a moment apart. A session that has ended is held to its token too: the routes
    /// that still take it (client events after the end) must not take it from another site.
    pub async fn check_csrf(&self, token: &Token, presented: &str) -> SessionResult<CsrfVerdict> {
        let now = self.now();
        let Some((s, _)) = self.lookup(token, now).await? else {
            return Ok(CsrfVerdict::NoSession);
        };
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

    /// Audits a request a defence refused, attributed to the session its cookie names when
    /// there is one. The request is refused whether or not its record is stored (the log line
    /// keeps it), and an unreachable store only loses the attribution. An address gets at most
    /// `REFUSALS_AUDITED_PER_MINUTE` such records a minute on a node, so an anonymous client
    /// cannot grow the audit trail at will: past that, `Err(seconds)` says to answer 429
    /// instead, unrecorded.
    pub async fn record_refusal(
        &self,
        kind: AuditKind,
        token: Option<&Token>,
        client: &ClientInfo,
        reason: &str,
    ) -> Result<(), i64> {
        let now = self.now();
        self.refusal_budget(kind, client, now)?;
        let mut event = AuditEvent::new(kind, now);
        if let Some(token) = token
            && let Ok(Some(session)) = self
                .stores
                .sessions
                .session_by_token(&token.hash(), now)
                .await
        {
            event = event.session(&session);
        }
        let _logged_anyway = self
            .audit
            .record(event.client(client).detail("reason", reason))
            .await;
        Ok(())
    }

    /// Whether `ip` presented too many unknown session tokens lately (docs/security.md row 41):
    /// `Err(seconds)` until it may try again. Asked only about a request whose token opened no
    /// session: the limit stops guessing, never a valid session from the same address (an
    /// office behind one NAT, a user whose old tab sends a stale cookie).
    pub fn guessing_blocked(&self, ip: &str) -> Result<(), i64> {
        self.unknown_tokens
            .refused_here(&crate::drift::address_key(ip), self.now())
    }

    /// Counts an unknown session token from `ip` (IPv6 by its /64), on the counter every node
    /// shares. Returns true when this one reached the limit, which is audited once per window
    /// across all nodes. From then on each node that counts one refuses the address's unknown
    /// tokens until the window ends.
    pub async fn note_unknown_token(&self, ip: &str, client: &ClientInfo) -> bool {
        let limit = self.unknown_tokens.limit();
        let key = crate::drift::address_key(ip);
        let hit = match self
            .unknown_tokens
            .hit(&*self.stores.counters, &key, self.now(), limit)
            .await
        {
            Ok(hit) => hit,
            Err(e) => {
                tracing::warn!(error = %e, "could not count an unknown session token");
                return false;
            }
        };
        let tripped = hit.count == limit;
        if tripped {
            let _once_per_window = self
                .record_refusal(
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

impl Admin<'_> {
    /// The periodic security check (`SESSION_SECURITY_CHECK_INTERVAL_SECONDS`): logs the audit
    /// chain's head, so the log stream holds anchors taken at a steady pace (row 48), and deletes
    /// lapsed shared counters (lockouts, login and guessing limits).
    pub async fn security_check(&self) -> SessionResult<()> {
        self.audit.log_chain_head().await;
        let batch = self.settings.cleanup.batch_size.max(1);
        while self
            .stores
            .counters
            .purge_counters(self.now(), batch)
            .await?
            >= u64::from(batch)
        {}
        Ok(())
    }
}
