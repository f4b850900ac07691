//! The store conformance suite. Each clause of the [`SessionStore`] contract is one `async fn`
//! here; [`store_conformance_tests!`] stamps all of them out as `#[tokio::test]`s for a backend:
//!
//! ```text
//! sessiond_store_conformance::store_conformance_tests!(async { my_fresh_store().await });
//! ```
//!
//! The expression must give a fresh, empty store (its own namespace) each time it is evaluated.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod clauses;
mod fixtures;

pub use fixtures::*;
pub use sessiond_core::SessionStore;

/// Stamps out the whole suite for one backend: one `#[tokio::test]` per clause.
#[macro_export]
macro_rules! store_conformance_tests {
    ($make:expr) => {
        $crate::store_conformance_tests!(@each $make;
            create_then_find_by_token,
            create_is_insert_if_absent,
            previous_token_finds_the_session,
            lookup_hides_records_past_lookup_until,
            update_requires_the_current_version,
            update_reindexes_tokens,
            parallel_updates_let_exactly_one_win,
            session_round_trips_every_field,
            user_sessions_lists_only_that_users_active_sessions,
            count_active_sessions_counts_only_active,
            sessions_due_are_earliest_deadline_first,
            purge_sessions_works_in_batches,
            users_are_unique_without_regard_to_case,
            users_update_list_and_count,
            audit_events_filter_newest_first,
            audit_events_filter_by_type_and_seed_000s_expired_finds_both_timeouts,
            audit_purge_works_in_batches,
            audit_events_form_one_hash_chain,
            parallel_appends_build_one_chain,
            counters_add_lapse_and_delete,
            parallel_counter_adds_all_count,
        );
    };
    (@each $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store: ::std::sync::Arc<dyn $crate::SessionStore> = $make;
                $crate::clauses::$name(store).await;
            }
        )*
    };
}
