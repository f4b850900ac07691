//! The API key role ([`sessiond_core::store::ApiKeys`]).

use sessiond_core::api_key::{ApiKey, ApiKeySecret, Scope};
use sessiond_core::{StoreError, Stores};

use crate::fixtures::at;

fn key(name: &str, scopes: &[Scope]) -> ApiKey {
    ApiKey {
        name: name.to_owned(),
        hash: ApiKeySecret::generate().unwrap().hash(),
        scopes: scopes.to_vec(),
        roles: vec![],
        users: vec![],
        created_at: at(0),
        revoked_at: None,
    }
}

pub async fn api_keys_are_found_by_hash_and_listed_by_name(stores: Stores) {
    let keys = &stores.api_keys;
    let b = key("billing", &[Scope::SessionsRead]);
    let a = ApiKey {
        roles: vec!["netadmin".into(), "oss".into()],
        users: vec!["alice".into()],
        ..key("app", &[Scope::SessionsWrite, Scope::Admin])
    };
    keys.create_api_key(&b).await.unwrap();
    keys.create_api_key(&a).await.unwrap();
    assert_eq!(
        keys.api_key_by_hash(&a.hash).await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(
        keys.api_key_by_hash(&b.hash).await.unwrap(),
        Some(b.clone())
    );
    let unknown = ApiKeySecret::generate().unwrap().hash();
    assert_eq!(keys.api_key_by_hash(&unknown).await.unwrap(), None);
    assert_eq!(keys.api_keys().await.unwrap(), vec![a, b]);
}

pub async fn api_key_names_and_hashes_are_unique(stores: Stores) {
    let keys = &stores.api_keys;
    let first = key("app", &[Scope::SessionsRead]);
    keys.create_api_key(&first).await.unwrap();
    let same_name = key("app", &[Scope::Admin]);
    assert!(matches!(
        keys.create_api_key(&same_name).await,
        Err(StoreError::Conflict(_))
    ));
    let same_hash = ApiKey {
        name: "other".into(),
        ..first.clone()
    };
    assert!(matches!(
        keys.create_api_key(&same_hash).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(keys.api_keys().await.unwrap(), vec![first]);
}

pub async fn a_revoked_key_stays_revoked_and_is_revoked_once(stores: Stores) {
    let keys = &stores.api_keys;
    let k = key("app", &[Scope::SessionsRead]);
    keys.create_api_key(&k).await.unwrap();
    let revokes = (0..8).map(|i| {
        let keys = keys.clone();
        tokio::spawn(async move { keys.revoke_api_key("app", at(10 + i)).await.unwrap() })
    });
    let mut wins = 0;
    for r in revokes {
        wins += usize::from(r.await.unwrap());
    }
    assert_eq!(wins, 1, "parallel revocations: exactly one revokes");
    let found = keys.api_key_by_hash(&k.hash).await.unwrap().unwrap();
    assert!(found.revoked_at.is_some() && !found.authenticates(&k.hash));
    assert!(!keys.revoke_api_key("app", at(20)).await.unwrap());
    assert!(!keys.revoke_api_key("nobody", at(20)).await.unwrap());
}

pub async fn a_keys_roles_and_users_are_replaced_while_it_is_active(stores: Stores) {
    let keys = &stores.api_keys;
    let k = key("app", &[Scope::SessionsWrite]);
    keys.create_api_key(&k).await.unwrap();
    let roles = vec!["oss".to_owned()];
    let users = vec!["alice".to_owned(), "bob".to_owned()];
    assert!(
        keys.set_api_key_grants("app", &roles, &users)
            .await
            .unwrap()
    );
    let found = keys.api_key_by_hash(&k.hash).await.unwrap().unwrap();
    assert_eq!((found.roles, found.users), (roles.clone(), users));
    assert!(keys.set_api_key_grants("app", &roles, &[]).await.unwrap());
    let found = keys.api_key_by_hash(&k.hash).await.unwrap().unwrap();
    assert!(found.users.is_empty(), "replaced, not merged");
    assert_eq!(keys.api_keys().await.unwrap()[0].roles, roles);
    assert!(
        !keys
            .set_api_key_grants("nobody", &roles, &[])
            .await
            .unwrap()
    );
    keys.revoke_api_key("app", at(5)).await.unwrap();
    assert!(
        !keys.set_api_key_grants("app", &[], &[]).await.unwrap(),
        "a revoked key is not changed"
    );
    let found = keys.api_key_by_hash(&k.hash).await.unwrap().unwrap();
    assert_eq!(found.roles, roles);
}
