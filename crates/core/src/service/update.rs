//! The optimistic update of a session, written once: read, change, write with the version
//! read; when another writer got there first (the store refuses a stale version), read again
//! and apply the change to what they wrote.

use crate::session::{EndCode, Session};
use crate::time::Timestamp;

use super::{SessionError, SessionResult, SessionService};

/// Attempts at an optimistic update before giving up with a conflict.
const TRIES: usize = 4;

/// What a change makes of the session it is given.
pub(super) enum Step<T> {
    /// Write this next version (boxed: a session is large beside most values).
    Write(Box<Session>, T),
    /// Nothing to write.
    Keep(T),
}

/// How a session is read again after a conflict.
#[derive(Clone, Copy)]
pub(super) enum Reread {
    /// It must still grant access at this instant: an ended one is the caller's 401.
    Active(Timestamp),
    /// As it is; gone is `Outcome::Gone`.
    Any,
}

pub(super) enum Outcome<T> {
    Written(Box<Session>, T),
    Kept(Box<Session>, T),
    Gone,
}

impl SessionService {
    pub(super) async fn update_session<T>(
        &self,
        session: Session,
        reread: Reread,
        change: impl FnMut(&Session) -> SessionResult<Step<T>>,
    ) -> SessionResult<Outcome<T>> {
        self.update_session_tries(TRIES, session, reread, change)
            .await
    }

    /// The same with `tries` attempts: changes that commute (merging into the data map) may
    /// meet many parallel writers and must still all land.
    pub(super) async fn update_session_tries<T>(
        &self,
        tries: usize,
        mut session: Session,
        reread: Reread,
        mut change: impl FnMut(&Session) -> SessionResult<Step<T>>,
    ) -> SessionResult<Outcome<T>> {
        for _ in 0..tries {
            let (mut next, value) = match change(&session)? {
                Step::Keep(value) => return Ok(Outcome::Kept(Box::new(session), value)),
                Step::Write(next, value) => (next, value),
            };
            match self.save(&mut next).await {
                Ok(()) => return Ok(Outcome::Written(next, value)),
                Err(SessionError::Conflict(_)) => {
                    let fresh = self.stores.sessions.session_by_id(&session.id).await?;
                    session = match (fresh, reread) {
                        (None, Reread::Any) => return Ok(Outcome::Gone),
                        (None, Reread::Active(_)) => {
                            return Err(SessionError::NotAuthenticated(EndCode::NoSession.into()));
                        }
                        (Some(fresh), Reread::Active(now)) => match fresh.refusal_at(now) {
                            Some(refusal) => return Err(SessionError::NotAuthenticated(refusal)),
                            None => fresh,
                        },
                        (Some(fresh), Reread::Any) => fresh,
                    };
                }
                Err(e) => return Err(e),
            }
        }
        Err(SessionError::Conflict(format!(
            "session {} is too busy",
            session.id
        )))
    }
}
