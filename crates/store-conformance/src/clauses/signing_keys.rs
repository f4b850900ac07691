//! The access token signing keys' role ([`sessiond_core::store::SigningKeys`]).

use sessiond_core::access_token::{SealedKey, SigningKey};
use sessiond_core::{SecretKey, StoreError, Stores};

use crate::fixtures::at;

fn sealed(secs: i64) -> SealedKey {
    let secret = SecretKey::new(vec![3; 32]).unwrap();
    SigningKey::generate()
        .unwrap()
        .seal(&secret, at(secs))
        .unwrap()
}

pub async fn signing_keys_are_kept_as_sealed_and_listed_oldest_first(stores: Stores) {
    let keys = &stores.signing_keys;
    assert_eq!(keys.signing_keys().await.unwrap(), vec![]);
    let (newer, older) = (sealed(20), sealed(10));
    keys.add_signing_key(&newer).await.unwrap();
    keys.add_signing_key(&older).await.unwrap();
    let listed = keys.signing_keys().await.unwrap();
    assert_eq!(listed, vec![older, newer], "byte for byte, oldest first");
    let secret = SecretKey::new(vec![3; 32]).unwrap();
    assert!(listed.iter().all(|k| k.open(&secret).is_some()));
}

pub async fn a_kid_is_added_once_even_in_parallel(stores: Stores) {
    let key = sealed(10);
    let attempts = (0..8).map(|_| {
        let (stores, key) = (stores.clone(), key.clone());
        tokio::spawn(async move { stores.signing_keys.add_signing_key(&key).await })
    });
    let mut added = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(()) => added += 1,
            Err(StoreError::Conflict(_)) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(added, 1);
    assert_eq!(stores.signing_keys.signing_keys().await.unwrap(), vec![key]);
}

pub async fn a_deleted_key_is_gone(stores: Stores) {
    let keys = &stores.signing_keys;
    let (a, b) = (sealed(10), sealed(20));
    keys.add_signing_key(&a).await.unwrap();
    keys.add_signing_key(&b).await.unwrap();
    assert!(keys.delete_signing_key(&a.kid).await.unwrap());
    assert!(!keys.delete_signing_key(&a.kid).await.unwrap(), "once");
    assert_eq!(keys.signing_keys().await.unwrap(), vec![b]);
}
