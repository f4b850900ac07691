//! The harness the service's tests share: `SessionService` on the memory store with a manual
//! clock and a fixed key.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::sync::Arc;

use sessiond_core::audit::Auditor;
use sessiond_core::memory::MemoryStore;
use sessiond_core::service::{Issued, NewUser};
use sessiond_core::{
    ClientInfo, EndCode, ManualClock, SecretKey, SessionError, SessionService, Settings,
};

pub const PASSWORD: &str = "correct horse battery";

/// A service on the memory store, a manual clock and a fixed key, with `change` applied to the
/// default settings; and a user `alice` who may use the contexts `lab` and `prod`.
pub struct Harness {
    pub service: SessionService,
    pub clock: Arc<ManualClock>,
}

impl Harness {
    pub async fn new(change: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = Settings::default();
        change(&mut settings);
        let stores = MemoryStore::stores();
        let clock = Arc::new(ManualClock::at_epoch());
        let key = SecretKey::new(vec![7; 32]).unwrap();
        let audit = Auditor::new(stores.audit.clone(), true);
        let service = SessionService::new(stores, clock.clone(), settings, key, audit).unwrap();
        let alice = NewUser {
            username: "alice".into(),
            display_name: None,
            role: "oss".into(),
            password: PASSWORD.into(),
            contexts: vec!["lab".into(), "prod".into()],
        };
        service.create_user(alice).await.unwrap();
        Self { service, clock }
    }

    pub async fn login(&self) -> Issued {
        self.login_from(&browser()).await.unwrap()
    }

    pub async fn login_from(&self, client: &ClientInfo) -> Result<Issued, SessionError> {
        self.service
            .login("alice", PASSWORD, false, client, None, None)
            .await
    }

    pub fn advance(&self, secs: i64) {
        self.clock.advance_secs(secs);
    }
}

pub fn browser() -> ClientInfo {
    ClientInfo {
        ip: Some("192.0.2.10".into()),
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0".into()),
    }
}

pub fn code(e: SessionError) -> EndCode {
    match e {
        SessionError::NotAuthenticated(code) => code,
        other => panic!("expected a 401, got {other:?}"),
    }
}
