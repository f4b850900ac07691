//! The store conformance suite. Each clause of a role's contract is one `async fn` in
//! [`clauses`], grouped by role; a macro per role stamps its group out as `#[tokio::test]`s in
//! a module named after the role, and [`store_conformance_tests!`] stamps every role of a
//! backend:
//!
//! ```text
//! sessiond_store_conformance::store_conformance_tests!(async { my_fresh_stores().await });
//! sessiond_store_conformance::sessions_conformance_tests!(cached(my_fresh_stores().await));
//! sessiond_store_conformance::bus_conformance_tests!(open_in_namespace);
//! ```
//!
//! The expression must give a fresh, empty [`Stores`] bundle (its own namespace) each time it is
//! evaluated. The bus group takes an `async fn(String) -> Stores` that opens a node of the
//! namespace it is given.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod clauses;
pub mod fixtures;

pub use fixtures::*;
pub use sessiond_core::Stores;

/// Stamps out every role's clauses for one backend.
#[macro_export]
macro_rules! store_conformance_tests {
    ($make:expr) => {
        $crate::sessions_conformance_tests!($make);
        $crate::sweep_conformance_tests!($make);
        $crate::listing_conformance_tests!($make);
        $crate::users_conformance_tests!($make);
        $crate::audit_conformance_tests!($make);
        $crate::counters_conformance_tests!($make);
        $crate::api_keys_conformance_tests!($make);
        $crate::signing_keys_conformance_tests!($make);
        $crate::secret_check_conformance_tests!($make);
        $crate::health_conformance_tests!($make);
    };
}

#[macro_export]
macro_rules! sessions_conformance_tests {
    ($make:expr) => {
        $crate::role_tests!(sessions, $make;
            create_then_find_by_token,
            create_is_insert_if_absent,
            previous_token_finds_the_session,
            lookup_hides_records_past_lookup_until,
            update_requires_the_current_version,
            update_reindexes_tokens,
            parallel_updates_let_exactly_one_win,
            session_round_trips_every_field,
            user_sessions_lists_only_that_users_active_sessions,
        );
    };
}

#[macro_export]
macro_rules! sweep_conformance_tests {
    ($make:expr) => {
        $crate::role_tests!(sweep, $make;
            count_active_sessions_counts_only_active,
            sessions_due_are_earliest_deadline_first,
            purge_sessions_works_in_batches,
        );
    };
}

#[macro_export]
macro_rules! listing_conformance_tests {
    ($make:expr) => {
        $crate::role_tests!(listing, $make;
            ended_sessions_come_in_the_order_their_ends_were_committed,
            the_session_list_pages_newest_first_and_filters_as_the_rule_says,
            the_session_list_goes_on_past_a_session_purged_under_its_cursor,
            tallies_follow_every_create_end_change_and_purge,
            tallies_stay_exact_while_moves_race_in_opposite_directions,
        );
    };
}

#[macro_export]
macro_rules! users_conformance_tests {
    ($make:expr) => {
        $crate::role_tests!(users, $make;
            users_are_unique_without_regard_to_case,
            users_update_list_and_count,
            a_renamed_user_is_found_by_its_new_name_only,
            a_deleted_user_is_gone_and_its_name_free,
            a_lookup_racing_a_rename_finds_only_the_name_it_asked_for,
        );
    };
}

#[macro_export]
macro_rules! audit_conformance_tests {
    ($make:expr) => {
        $crate::role_tests!(audit, $make;
            audit_events_filter_newest_first,
            audit_events_page_by_place_and_time,
            audit_events_filter_by_type_and_session_expired_finds_both_timeouts,
            audit_purge_works_in_batches,
            audit_events_form_one_hash_chain,
            parallel_appends_build_one_chain,
        );
    };
}

#[macro_export]
macro_rules! counters_conformance_tests {
    ($make:expr) => {
        $crate::role_tests!(counters, $make;
            counters_add_lapse_and_delete,
            parallel_counter_adds_all_count,
        );
    };
}

/// Every role the session cache wraps (`Stores::cached`: sessions and API keys), each with its
/// full clause group: a decorator is held to the contract of what it wraps.
#[macro_export]
macro_rules! cached_conformance_tests {
    ($make:expr) => {
        $crate::sessions_conformance_tests!($make);
        $crate::api_keys_conformance_tests!($make);
    };
}

#[macro_export]
macro_rules! api_keys_conformance_tests {
    ($make:expr) => {
        $crate::role_tests!(api_keys, $make;
            api_keys_are_found_by_hash_and_listed_by_name,
            api_key_names_and_hashes_are_unique,
            a_revoked_key_stays_revoked_and_is_revoked_once,
            a_keys_roles_and_users_are_replaced_while_it_is_active,
        );
    };
}

#[macro_export]
macro_rules! signing_keys_conformance_tests {
    ($make:expr) => {
        $crate::role_tests!(signing_keys, $make;
            signing_keys_are_kept_as_sealed_and_listed_oldest_first,
            a_kid_is_added_once_even_in_parallel,
            a_deleted_key_is_gone,
        );
    };
}

#[macro_export]
macro_rules! secret_check_conformance_tests {
    ($make:expr) => {
        $crate::role_tests!(secret_check, $make;
            the_first_check_value_is_kept_and_returned_to_every_later_claim,
            parallel_first_claims_agree_on_one_value,
            a_replaced_value_is_the_one_later_claims_get,
        );
    };
}

#[macro_export]
macro_rules! health_conformance_tests {
    ($make:expr) => {
        $crate::role_tests!(health, $make; ping_succeeds_and_kind_names_the_backend);
    };
}

/// The bus clauses, for a backend nodes share: `$open` is an `async fn(String) -> Stores`.
#[macro_export]
macro_rules! bus_conformance_tests {
    ($open:path) => {
        mod bus {
            #[allow(unused_imports)]
            use super::*;
            $crate::bus_conformance_tests!(@each $open;
                a_notice_reaches_every_node_the_publisher_included,
                every_notice_of_a_burst_arrives,
                a_notice_stays_in_its_namespace,
            );
        }
    };
    (@each $open:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                $crate::clauses::bus::$name($open).await;
            }
        )*
    };
}

/// One module named after the role, one `#[tokio::test]` per clause.
#[doc(hidden)]
#[macro_export]
macro_rules! role_tests {
    ($role:ident, $make:expr; $($name:ident),* $(,)?) => {
        mod $role {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let stores: $crate::Stores = $make;
                    $crate::clauses::$role::$name(stores).await;
                }
            )*
        }
    };
}

#[cfg(test)]
mod tests {
    /// Each role's clause functions, by the role's name in its macro.
    const CLAUSES: [(&str, &str); 11] = [
        ("api_keys", include_str!("clauses/api_keys.rs")),
        ("audit", include_str!("clauses/audit.rs")),
        ("bus", include_str!("clauses/bus.rs")),
        ("counters", include_str!("clauses/counters.rs")),
        ("health", include_str!("clauses/health.rs")),
        ("listing", include_str!("clauses/listing.rs")),
        ("secret_check", include_str!("clauses/secret_check.rs")),
        ("sessions", include_str!("clauses/sessions.rs")),
        ("signing_keys", include_str!("clauses/signing_keys.rs")),
        ("sweep", include_str!("clauses/sweep.rs")),
        ("users", include_str!("clauses/users.rs")),
    ];

    /// The names listed in the macro that stamps `role`'s clauses.
    fn stamped(role: &str) -> &'static str {
        let lib = include_str!("lib.rs");
        let start = if role == "bus" {
            lib.find("$crate::bus_conformance_tests!(@each $open;")
        } else {
            lib.find(&format!("$crate::role_tests!({role}, $make;"))
        };
        let rest = &lib[start.unwrap_or_else(|| panic!("no macro stamps {role}"))..];
        &rest[..rest.find(");").unwrap()]
    }

    /// A clause written but left out of its role's macro would never run on any store.
    #[test]
    fn every_clause_is_stamped_by_its_roles_macro() {
        for (role, source) in CLAUSES {
            let listed = stamped(role);
            for line in source.lines() {
                let Some(rest) = line.strip_prefix("pub async fn ") else {
                    continue;
                };
                let name = &rest[..rest.find(['(', '<']).unwrap()];
                let word = |w: &str| w.trim_matches([',', ';', ' ']) == name;
                assert!(
                    listed.split_whitespace().any(word),
                    "clause {role}::{name} is not in its role's macro"
                );
            }
        }
    }
}
