//! Token sessions (docs/api.md, "Tokens"; decision 0032): a session like any other, held by a
//! refresh token instead of a cookie, with short-lived access tokens (JWTs) for the API.
//!
//! A refresh rotates the refresh token inside the session's versioned update, so of parallel
//! refreshes with one token exactly one writes; the others read the written session and, the
//! next token being derived from the presented one (`crate::refresh_token`), answer with the
//! same pair. A rotated-out token is honoured for the reuse grace only while it is the previous
//! one; any older token of the family, or the previous one after the grace, is theft and
//! revokes the session.

use crate::access_token::AccessClaims;
use crate::audit::{AuditEvent, AuditKind};
use crate::ids::SessionId;
use crate::refresh_token::RefreshToken;
use crate::session::{ClientInfo, EndCode, EndReason, Refusal, Session, SessionState};
use crate::time::{Timestamp, plus_secs, secs_between};
use crate::token::Token;

use super::faces::Tokens;
use super::update::{Outcome, Reread, Step};
use super::{Resolved, SessionError, SessionResult, SessionService};

/// What a token login or a refresh hands the client.
#[derive(Debug)]
pub struct TokenPair {
    /// The session as stored.
    pub session: Session,
    /// A signed access token (JWT).
    pub access_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The refresh token the client must now hold.
    pub refresh_token: RefreshToken,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: i64,
    /// At a login: a new device credential for this client (`crate::device`), when device
    /// credentials are on. Presented at the next login, it keeps the client past a lock that
    /// others' guesses put on the account.
    pub device: Option<String>,
}

/// What `POST /api/token/login` takes.
#[derive(Debug, Clone, Copy)]
pub struct TokenLogin<'a> {
    /// Who.
    pub username: &'a str,
    /// Their password.
    pub password: &'a str,
    /// The context to start in: one of the user's.
    pub context: Option<&'a str>,
    /// The device credential an earlier login of this client was given.
    pub device: Option<&'a str>,
}

/// What a refresh found the presented token to be.
enum Found {
    /// The current token: rotated to this one.
    Rotated(RefreshToken),
    /// The current token, kept (`SESSIOND_REFRESH_ROTATION=false`).
    Kept(RefreshToken),
    /// The previous one within the grace: the lineage's current token.
    Replayed(RefreshToken),
    /// Anything older, or the previous one after the grace.
    Reused,
}

impl SessionService {
    /// A token of ours that is neither the current nor the previous one of its session: theft
    /// while the session lives, otherwise the reason it ended.
    async fn stale_refresh(
        &self,
        token: &RefreshToken,
        now: Timestamp,
        client: &ClientInfo,
    ) -> SessionError {
        let session = match self.stores.sessions.session_by_id(&token.session()).await {
            Ok(Some(s)) => s,
            Ok(None) => return SessionError::NotAuthenticated(EndCode::InvalidToken.into()),
            Err(e) => return e.into(),
        };
        if let Some(refusal) = self.refusal(&session, now).await {
            return SessionError::NotAuthenticated(refusal);
        }
        self.theft(session, token, client).await
    }

    /// Revokes the family of a reused refresh token, audited `TOKEN_REUSE_DETECTED` with the
    /// address and user agent of whoever presented it.
    async fn theft(
        &self,
        session: Session,
        token: &RefreshToken,
        client: &ClientInfo,
    ) -> SessionError {
        tracing::warn!(
            session = %session.id,
            generation = token.generation(),
            "a rotated-out refresh token was presented: revoking its session"
        );
        match self
            .end_by(
                session,
                SessionState::Revoked,
                EndReason::TokenReuse,
                AuditKind::TokenReuseDetected,
                Some(client),
            )
            .await
        {
            Ok(()) => SessionError::NotAuthenticated(Refusal::because(
                EndCode::RefreshTokenReused,
                EndReason::TokenReuse,
            )),
            Err(e) => e,
        }
    }

    /// When the current refresh token stops being good: its lifetime after it was issued,
    /// never past the session's deadline.
    fn refresh_deadline(&self, session: &Session) -> Timestamp {
        plus_secs(
            session.renewed_at,
            self.settings.tokens.refresh_lifetime_secs,
        )
        .min(session.deadline())
    }

    /// The access token of `session`, and `refresh`.
    async fn pair(
        &self,
        session: Session,
        refresh: RefreshToken,
        now: Timestamp,
    ) -> SessionResult<TokenPair> {
        let t = &self.settings.tokens;
        let exp = plus_secs(now, t.access_lifetime_secs).min(session.deadline());
        let claims = AccessClaims {
            iss: t.issuer.clone(),
            aud: t.audience.clone(),
            sub: session.user_id.map(|u| u.to_string()).unwrap_or_default(),
            sid: session.id.to_string(),
            name: session.username.clone().unwrap_or_default(),
            role: session.role.clone().unwrap_or_default(),
            ctx: session.context.clone(),
            display_name: session.display_name.clone(),
            auth_method: session.auth_method.clone(),
            iat: now.as_second(),
            nbf: now.as_second(),
            exp: exp.as_second(),
            jti: SessionId::generate(now)?.to_string(),
        };
        let keys = self.keys(now).await?;
        Ok(TokenPair {
            access_token: keys.signer.sign(&claims)?,
            expires_in: secs_between(now, exp).max(0),
            refresh_expires_in: secs_between(now, self.refresh_deadline(&session)).max(0),
            refresh_token: refresh,
            session,
            device: None,
        })
    }

    async fn log_out(&self, session: Session, client: &ClientInfo) -> SessionResult<SessionId> {
        let id = session.id;
        self.end_by(
            session,
            SessionState::LoggedOut,
            EndReason::UserLogout,
            AuditKind::SessionLoggedOut,
            Some(client),
        )
        .await?;
        Ok(id)
    }
}

impl Tokens<'_> {
    /// `POST /api/token/login`: the password login of a cookie session, answered with tokens.
    /// A context the user does not have fails the login as a wrong password does, counted by
    /// the lockout and audited, so the answer never tells whether the password was right.
    pub async fn token_login(
        &self,
        login: TokenLogin<'_>,
        client: &ClientInfo,
    ) -> SessionResult<TokenPair> {
        self.limit_login(client).await?;
        let username = &crate::user::normalize_username(login.username);
        let user = self
            .authenticate_in(
                username,
                login.password,
                client,
                login.device,
                login.context,
            )
            .await?;
        let now = self.now();
        let mut session = self.new_session(Some(&user), &Token::generate()?, false, client, now)?;
        if let Some(ctx) = login.context {
            session.context = Some(ctx.to_owned());
        }
        let refresh = RefreshToken::first(&self.key, session.id)?;
        session.token_hash = refresh.hash();
        self.admit(&user, &session, client, now).await?;
        let event = AuditEvent::new(AuditKind::LoginSuccess, now)
            .session(&session)
            .client(client)
            .detail("method", "token");
        self.audit.record(event).await?;
        self.audit_created(&session, now).await?;
        let mut pair = self.pair(session, refresh, now).await?;
        pair.device = (self.settings.device_cookie_secs > 0)
            .then(|| self.key.device_token(username, now))
            .transpose()?;
        Ok(pair)
    }

    /// `POST /api/token/refresh`: a new pair for the current refresh token (which is rotated
    /// out), the lineage's current pair for the previous one within the reuse grace, and the
    /// end of the session for any other token of its family. `client` is the caller, recorded
    /// in the audit trail and screened for drift as a check is.
    pub async fn refresh(&self, raw: &str, client: &ClientInfo) -> SessionResult<TokenPair> {
        let now = self.now();
        let token = RefreshToken::parse(&self.key, raw)
            .ok_or(SessionError::NotAuthenticated(EndCode::InvalidToken.into()))?;
        let hash = token.hash();
        let Some(session) = self.stores.sessions.session_by_token(&hash, now).await? else {
            return Err(self.stale_refresh(&token, now, client).await);
        };
        if let Some(refusal) = self.refusal(&session, now).await {
            return Err(SessionError::NotAuthenticated(refusal));
        }
        // Screened as a check is, unless the token is a rotated-out one past its grace: that
        // is theft whoever presents it, and must be told as such.
        let grace_over = session
            .prev_token_expires_at
            .is_none_or(|until| now >= until);
        if session.token_hash == hash || !grace_over {
            self.screen(&session, client, now).await?;
        }
        if session.token_hash == hash && now >= self.refresh_deadline(&session) {
            self.end_by(
                session,
                SessionState::Expired,
                EndReason::Idle,
                AuditKind::SessionExpiredIdle,
                Some(client),
            )
            .await?;
            let idle = Refusal::because(EndCode::ExpiredIdle, EndReason::Idle);
            return Err(SessionError::NotAuthenticated(idle));
        }
        let t = self.settings.timeouts;
        let grace = self.settings.tokens.reuse_grace_secs;
        let outcome = self
            .update_session(session, Reread::Active(now), |s| {
                if s.token_hash == hash && !self.settings.tokens.rotate_refresh {
                    let mut next = s.clone();
                    next.last_activity = now;
                    next.idle_expires_at = t
                        .idle_deadline(now, next.absolute_expires_at)
                        .max(next.idle_expires_at);
                    return Ok(Step::Write(Box::new(next), Found::Kept(token.clone())));
                }
                if s.token_hash == hash {
                    let next_token = token.next(&self.key);
                    let mut next = s.clone();
                    next.prev_token_hash = Some(hash);
                    next.prev_token_expires_at = Some(plus_secs(now, grace));
                    next.token_hash = next_token.hash();
                    next.renewed_at = now;
                    next.last_activity = now;
                    next.idle_expires_at = t
                        .idle_deadline(now, next.absolute_expires_at)
                        .max(next.idle_expires_at);
                    return Ok(Step::Write(Box::new(next), Found::Rotated(next_token)));
                }
                let in_grace = s.prev_token_hash == Some(hash)
                    && s.prev_token_expires_at.is_some_and(|until| now < until);
                let current = token.next(&self.key);
                if in_grace && current.hash() == s.token_hash {
                    return Ok(Step::Keep(Found::Replayed(current)));
                }
                Ok(Step::Keep(Found::Reused))
            })
            .await?;
        match outcome {
            Outcome::Written(session, Found::Rotated(next)) => {
                let event = AuditEvent::new(AuditKind::TokenRefreshed, now)
                    .client(client)
                    .session(&session)
                    .detail("generation", next.generation());
                self.audit.record(event).await?;
                self.pair(*session, next, now).await
            }
            Outcome::Written(session, Found::Kept(same)) => {
                let event = AuditEvent::new(AuditKind::TokenRefreshed, now)
                    .client(client)
                    .session(&session)
                    .detail("rotated", false);
                self.audit.record(event).await?;
                self.pair(*session, same, now).await
            }
            Outcome::Kept(session, Found::Replayed(current)) => {
                self.pair(*session, current, now).await
            }
            Outcome::Kept(session, _) | Outcome::Written(session, _) => {
                Err(self.theft(*session, &token, client).await)
            }
            Outcome::Gone => Err(SessionError::NotAuthenticated(EndCode::InvalidToken.into())),
        }
    }

    /// The live session an access token names. sessiond's own routes ask the store every
    /// time, so a revoked session's tokens stop working at once (docs/security.md row 14).
    pub async fn resolve_bearer(&self, jwt: &str, now: Timestamp) -> SessionResult<Resolved> {
        let invalid = SessionError::NotAuthenticated(EndCode::InvalidToken.into());
        let claims = match self.verify_access_token(jwt, now).await? {
            Ok(claims) => claims,
            Err(why) => {
                tracing::debug!(%why, "access token refused");
                return Err(invalid);
            }
        };
        let id: SessionId = claims.sid.parse().map_err(|_| invalid)?;
        let Some(session) = self.stores.sessions.session_by_id(&id).await? else {
            return Err(SessionError::NotAuthenticated(EndCode::InvalidToken.into()));
        };
        if session.user_id.map(|u| u.to_string()) != Some(claims.sub) {
            return Err(SessionError::NotAuthenticated(EndCode::InvalidToken.into()));
        }
        if let Some(refusal) = self.refusal(&session, now).await {
            return Err(SessionError::NotAuthenticated(refusal));
        }
        Ok(Resolved {
            session,
            via_previous_token: false,
            by_bearer: true,
        })
    }

    /// `POST /api/token/logout` with a refresh token: ends its session. Any token of the
    /// family will do: it is ours (its MAC says so), and ending the session is what its
    /// reuse would do anyway.
    pub async fn logout_refresh(&self, raw: &str, client: &ClientInfo) -> SessionResult<SessionId> {
        let token = RefreshToken::parse(&self.key, raw)
            .ok_or(SessionError::NotAuthenticated(EndCode::InvalidToken.into()))?;
        let now = self.now();
        let session = self
            .stores
            .sessions
            .session_by_id(&token.session())
            .await?
            .ok_or(SessionError::NotAuthenticated(EndCode::InvalidToken.into()))?;
        if let Some(refusal) = self.refusal(&session, now).await {
            return Err(SessionError::NotAuthenticated(refusal));
        }
        self.log_out(session, client).await
    }

    /// `POST /api/token/logout` with an access token: ends its session.
    pub async fn logout_bearer(&self, jwt: &str, client: &ClientInfo) -> SessionResult<SessionId> {
        let session = self.resolve_bearer(jwt, self.now()).await?.session;
        self.log_out(session, client).await
    }
}
