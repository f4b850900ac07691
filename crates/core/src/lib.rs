//! The domain core of sessiond: sessions and their timeouts, users, the audit trail, and the
//! role traits of [`store`] that every backend implements.
//!
//! It knows nothing of HTTP or of any storage engine (CI checks this with `cargo tree`): the
//! `sessiond-http` crate and the store crates depend on it, never the other way round.

#![warn(missing_docs)]

pub mod access_token;
pub mod alerts;
pub mod api_key;
pub mod audit;
pub mod audit_chain;
pub mod bounded;
pub mod cache;
pub mod counter;
pub mod device;
pub mod directory;
pub mod drift;
pub mod error;
pub mod hashing;
pub mod ids;
pub mod input;
pub mod lockout;
pub mod memory;
pub mod policy;
pub mod random;
pub mod ratelimit;
pub mod refresh_token;
pub mod service;
pub mod session;
pub mod shared_limit;
pub mod store;
pub mod time;
pub mod token;
pub mod user;

pub use error::CoreError;
pub use ids::{SessionId, UserId};
pub use service::{SessionError, SessionService, Settings};
pub use session::{ClientInfo, EndCode, EndReason, Refusal, Session, SessionState};
pub use store::{StoreError, Stores};
pub use time::{Clock, ManualClock, SystemClock, Timestamp};
pub use token::{SecretKey, Token, TokenHash};
