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

use sessiond_core::Stores;
use sessiond_core::api_key::Scope;
use sessiond_core::audit::Auditor;
use sessiond_core::memory::MemoryStore;
use sessiond_core::service::{BackendApi, Issued, NewApiKey, NewUser, Read};
use sessiond_core::{
    ClientInfo, EndCode, EndReason, ManualClock, SecretKey, SessionError, SessionService, Settings,
};

pub const PASSWORD: &str = "correct horse battery";

/// A service on the memory store, a manual clock and a fixed key, with `change` applied to the
/// default settings; and a user `alice` who may use the contexts `lab` and `prod`.
pub struct Harness {
    pub service: SessionService,
    pub clock: Arc<ManualClock>,
    /// The service's stores, for a test to look at directly.
    pub stores: Stores,
}

impl Harness {
    pub async fn new(change: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = Settings::default();
        change(&mut settings);
        let stores = MemoryStore::stores();
        let clock = Arc::new(ManualClock::at_epoch());
        let key = SecretKey::new(vec![7; 32]).unwrap();
        let audit = Auditor::new(stores.audit.clone(), true);
        let service =
            SessionService::new(stores.clone(), clock.clone(), settings, key, audit).unwrap();
        let alice = NewUser {
            username: "alice".into(),
            display_name: None,
            role: "oss".into(),
            password: PASSWORD.into(),
            contexts: vec!["lab".into(), "prod".into()],
        };
        service.admin().create_user(alice).await.unwrap();
        Self {
            service,
            clock,
            stores,
        }
    }

    /// The backend API's reads, through its gate with a new admin key.
    pub async fn backend_read(&self) -> BackendApi<'_, Read> {
        let name = sessiond_core::Token::generate().unwrap().hash().to_hex();
        let new = NewApiKey::new(&name[..12], &[Scope::Admin]);
        let key = self.service.admin().create_api_key(new).await.unwrap();
        let client = ClientInfo::default();
        let api = self
            .service
            .backend_api::<Read>(Some(key.expose()), "read", &client);
        api.await.unwrap()
    }

    pub async fn login(&self) -> Issued {
        self.login_from(&browser()).await.unwrap()
    }

    pub async fn login_from(&self, client: &ClientInfo) -> Result<Issued, SessionError> {
        self.service
            .browser()
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
        SessionError::NotAuthenticated(refusal) => refusal.code,
        other => panic!("expected a 401, got {other:?}"),
    }
}

/// Why a refused session ended, as a 401 says it.
pub fn end_reason(e: SessionError) -> Option<EndReason> {
    match e {
        SessionError::NotAuthenticated(refusal) => refusal.reason,
        other => panic!("expected a 401, got {other:?}"),
    }
}
