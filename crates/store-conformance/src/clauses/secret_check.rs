//! The server secret's check value ([`sessiond_core::store::SecretCheck`]).

use sessiond_core::Stores;

pub async fn the_first_check_value_is_kept_and_returned_to_every_later_claim(stores: Stores) {
    let check = &stores.secret_check;
    assert_eq!(check.claim_secret_check("first").await.unwrap(), "first");
    assert_eq!(check.claim_secret_check("second").await.unwrap(), "first");
    assert_eq!(check.claim_secret_check("first").await.unwrap(), "first");
}

pub async fn parallel_first_claims_agree_on_one_value(stores: Stores) {
    let claims: Vec<_> = (0..8)
        .map(|i| {
            let stores = stores.clone();
            tokio::spawn(async move {
                stores
                    .secret_check
                    .claim_secret_check(&format!("node {i}"))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut kept = Vec::new();
    for claim in claims {
        kept.push(claim.await.unwrap());
    }
    kept.dedup();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].starts_with("node "));
}

pub async fn a_replaced_value_is_the_one_later_claims_get(stores: Stores) {
    let check = &stores.secret_check;
    check.replace_secret_check("rotated").await.unwrap();
    assert_eq!(check.claim_secret_check("other").await.unwrap(), "rotated");
    check.claim_secret_check("x").await.unwrap();
    check.replace_secret_check("again").await.unwrap();
    assert_eq!(check.claim_secret_check("other").await.unwrap(), "again");
}
