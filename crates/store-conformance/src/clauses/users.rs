//! The user role ([`sessiond_core::store::Users`]).

use sessiond_core::{StoreError, Stores};

use crate::fixtures::user;

pub async fn users_are_unique_without_regard_to_case(stores: Stores) {
    let alice = user("Alice");
    stores.users.create_user(&alice).await.unwrap();
    assert_eq!(
        stores.users.user_by_name("aLiCe").await.unwrap(),
        Some(alice.clone())
    );
    assert!(matches!(
        stores.users.create_user(&user("ALICE")).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        stores.users.user_by_id(&alice.id).await.unwrap(),
        Some(alice)
    );
    assert_eq!(stores.users.user_by_name("bob").await.unwrap(), None);
}

pub async fn users_update_list_and_count(stores: Stores) {
    let (mut bob, alice) = (user("bob"), user("alice"));
    stores.users.create_user(&bob).await.unwrap();
    stores.users.create_user(&alice).await.unwrap();
    bob.enabled = false;
    bob.role = "netadmin".into();
    bob.password_hash = None;
    stores.users.update_user(&bob).await.unwrap();
    assert_eq!(
        stores.users.user_by_name("bob").await.unwrap(),
        Some(bob.clone())
    );
    let names: Vec<_> = stores
        .users
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, vec!["alice", "bob"]);
    assert_eq!(stores.users.count_users().await.unwrap(), 2);
    let mut rename = bob.clone();
    rename.username = "ALICE".into();
    assert!(matches!(
        stores.users.update_user(&rename).await,
        Err(StoreError::Conflict(_))
    ));
}

pub async fn a_renamed_user_is_found_by_its_new_name_only(stores: Stores) {
    let mut bob = user("bob");
    stores.users.create_user(&bob).await.unwrap();
    bob.username = "Robert".into();
    stores.users.update_user(&bob).await.unwrap();
    assert_eq!(
        stores.users.user_by_name("robert").await.unwrap(),
        Some(bob.clone())
    );
    assert_eq!(stores.users.user_by_name("bob").await.unwrap(), None);
    // The old name is free again.
    stores.users.create_user(&user("bob")).await.unwrap();
}

pub async fn a_deleted_user_is_gone_and_its_name_free(stores: Stores) {
    let (carol, dave) = (user("Carol"), user("dave"));
    stores.users.create_user(&carol).await.unwrap();
    stores.users.create_user(&dave).await.unwrap();
    assert!(stores.users.delete_user(&carol.id).await.unwrap());
    assert!(!stores.users.delete_user(&carol.id).await.unwrap());
    assert_eq!(stores.users.user_by_name("carol").await.unwrap(), None);
    assert_eq!(stores.users.user_by_id(&carol.id).await.unwrap(), None);
    assert_eq!(stores.users.count_users().await.unwrap(), 1);
    assert_eq!(stores.users.list_users().await.unwrap(), vec![dave]);
    stores.users.create_user(&user("CAROL")).await.unwrap();
}

/// A lookup by name that runs while the user is renamed finds the user under the name it asked
/// for or not at all, never the record under its new name: a login by the old name must not
/// get a session of the renamed user after the rename swept the others.
pub async fn a_lookup_racing_a_rename_finds_only_the_name_it_asked_for(stores: Stores) {
    let mut bob = user("bob");
    stores.users.create_user(&bob).await.unwrap();
    let renamer = stores.clone();
    let renames = tokio::spawn(async move {
        for i in 0..40 {
            bob.username = if i % 2 == 0 { "robert" } else { "bob" }.into();
            renamer.users.update_user(&bob).await.unwrap();
        }
    });
    while !renames.is_finished() {
        for name in ["bob", "robert"] {
            if let Some(found) = stores.users.user_by_name(name).await.unwrap() {
                assert_eq!(found.username, name, "a lookup of {name} found {found:?}");
            }
        }
    }
    renames.await.unwrap();
}
