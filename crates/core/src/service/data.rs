//! A session's data map and activities, for the backend API (docs/api.md, "Backend API"): the
//! data is merged with JSON merge patches (RFC 7396) that lose nothing to each other, its
//! version is a hash of its content (the ETag), and an activity is recorded activity.

use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use crate::audit::AuditEvent;
use crate::ids::SessionId;

use super::backend::{BackendApi, Write};
use super::update::{Outcome, Reread, Step};
use super::{SessionError, SessionResult};

/// The most a session's data may take, serialised.
pub const MAX_DATA_BYTES: usize = 8 * 1024;

/// Parallel merges all land: each round of conflicts lets at least one through.
const MERGE_TRIES: usize = 64;

/// The data's version: a hash of its serialised form (keys are kept sorted, so equal maps
/// have equal versions).
pub fn data_version(data: &Map<String, Value>) -> String {
    let bytes = serde_json::to_vec(data).unwrap_or_default();
    Sha256::digest(&bytes)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// RFC 7396: `null` removes a member, an object merges into an object, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(map) = target {
        for (key, value) in patch {
            if value.is_null() {
                map.remove(key);
            } else {
                merge_patch(map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

impl BackendApi<'_, Write> {
    /// Merges `patch` (an object) into the data of the session `id`. With `if_match`, only
    /// when the stored data still has that version. Not activity. Returns the new data.
    pub async fn patch_data(
        &self,
        id: &SessionId,
        patch: &Value,
        if_match: Option<&str>,
    ) -> SessionResult<Map<String, Value>> {
        let session = self.session_by_id(id).await?;
        let now = self.now();
        let outcome = self
            .update_session_tries(MERGE_TRIES, session, Reread::Active(now), |s| {
                if if_match.is_some_and(|v| v != data_version(&s.data)) {
                    return Err(SessionError::PreconditionFailed);
                }
                let mut data = Value::Object(s.data.clone());
                merge_patch(&mut data, patch);
                let Value::Object(data) = data else {
                    return Err(SessionError::Invalid(
                        "the patch must be a JSON object".into(),
                    ));
                };
                if serde_json::to_vec(&data).map_or(usize::MAX, |b| b.len()) > MAX_DATA_BYTES {
                    return Err(SessionError::DataTooLarge(MAX_DATA_BYTES));
                }
                if data == s.data {
                    return Ok(Step::Keep(()));
                }
                let mut next = s.clone();
                next.data = data;
                Ok(Step::Write(Box::new(next), ()))
            })
            .await?;
        match outcome {
            Outcome::Written(s, ()) | Outcome::Kept(s, ()) => Ok(s.data),
            Outcome::Gone => Err(SessionError::NotFound),
        }
    }

    /// Records an activity of the session `id` (`SESSION_ACTIVITY`, with its type and
    /// details, and the key's name); it counts as activity, like a keep-alive that never
    /// renews the token.
    pub async fn record_activity(
        &self,
        id: &SessionId,
        kind: &str,
        details: Option<Value>,
    ) -> SessionResult<super::Activity> {
        crate::input::ACTIVITY_TYPE
            .check(kind)
            .map_err(SessionError::Invalid)?;
        let session = self.session_by_id(id).await?;
        let key = self.key().name.clone();
        let by = |event: AuditEvent| event.detail("api_key", key);
        self.record_activity_of(session, kind, details, by, self.now())
            .await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn merge_patches_follow_rfc_7396() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut doc, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(doc, json!({"a": "z", "c": {"d": "e"}}));
        let mut doc = json!({"a": [1, 2]});
        merge_patch(&mut doc, &json!({"a": [3], "b": {"x": 1}}));
        assert_eq!(doc, json!({"a": [3], "b": {"x": 1}}));
    }

    #[test]
    fn equal_data_has_equal_versions() {
        let a: Map<String, Value> = serde_json::from_value(json!({"x": 1, "y": 2})).unwrap();
        let b: Map<String, Value> = serde_json::from_value(json!({"y": 2, "x": 1})).unwrap();
        assert_eq!(data_version(&a), data_version(&b));
        let c: Map<String, Value> = serde_json::from_value(json!({"x": 2, "y": 2})).unwrap();
        assert_ne!(data_version(&a), data_version(&c));
    }
}
