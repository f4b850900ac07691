//! Key names, all under one prefix.

use sessiond_core::{SessionId, TokenHash, UserId};

#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    /// Hash `{v: version, j: JSON}` of one session. Its hash tag is the id's affinity (its last
    /// two hex digits), which its cookie tokens' keys share: one cluster slot holds both, so a
    /// check reads them in one script (docs/decisions/0057-a-token-beside-its-session.md).
    pub fn session(&self, id: &SessionId) -> String {
        self.session_of(&id.to_string())
    }

    /// [`Self::session`] from the id's text.
    pub fn session_of(&self, id: &str) -> String {
        let tag = id.get(id.len().saturating_sub(2)..).unwrap_or_default();
        format!("{}{{{tag}}}{id}", self.session_prefix())
    }

    /// What every session key starts with; the rest is `{<affinity>}<id>`.
    pub fn session_prefix(&self) -> String {
        format!("{}s:", self.prefix)
    }

    /// Token hash → session id. May outlive its token: lookups check the record. Its hash tag
    /// is the hash's affinity (its first two hex digits): see [`Self::session`].
    pub fn token(&self, hash: &TokenHash) -> String {
        let hex = hash.to_hex();
        format!("{}t:{{{}}}{hex}", self.prefix, &hex[..2])
    }

    /// A session's key before the keys had hash tags (moved by `tag_keys_once`).
    pub fn untagged_session(&self, id: &str) -> String {
        format!("{}{id}", self.session_prefix())
    }

    /// A token's key before the keys had hash tags.
    pub fn untagged_token(&self, hash: &TokenHash) -> String {
        format!("{}t:{}", self.prefix, hash.to_hex())
    }

    /// Set once every session's and token's key has its hash tag.
    pub fn tagged(&self) -> String {
        format!("{}meta:tagged", self.prefix)
    }

    /// Sorted set of a user's session ids, by creation time.
    pub fn user_sessions(&self, user: &UserId) -> String {
        format!("{}u:{user}", self.prefix)
    }

    /// Sorted set of every session id, by creation time (the admin list).
    pub fn created(&self) -> String {
        format!("{}created", self.prefix)
    }

    /// Sorted set of every session id of a user, live or ended, by creation time (the admin
    /// list of one user). Unlike [`Self::user_sessions`] it keeps ended sessions until purged.
    pub fn user_all(&self, user: &UserId) -> String {
        format!("{}ua:{user}", self.prefix)
    }

    /// Set once every session stored before the admin list's indexes is in them.
    pub fn created_indexed(&self) -> String {
        format!("{}created:indexed", self.prefix)
    }

    /// The counts without listing (`Listing::tallies`): sessions by state, role and context, a
    /// user's active sessions, and the users with one. One slot, so one script moves them.
    pub fn tallies(&self) -> [String; 3] {
        let tag = if self.prefix.contains('{') {
            String::new()
        } else {
            format!("{{{}tally}}", self.prefix)
        };
        ["tally", "tally:users", "tally:count"].map(|k| format!("{}{k}{tag}", self.prefix))
    }

    /// Sorted set of active session ids, by deadline.
    pub fn due(&self) -> String {
        format!("{}due", self.prefix)
    }

    /// Sorted set of ended session ids by `ended_at`, before the feed went by commit order:
    /// read once when the store opens, and then deleted.
    pub fn ended_by_time(&self) -> String {
        format!("{}ended", self.prefix)
    }

    /// Sorted set of ended session ids by their place in the feed (the revocations feed).
    pub fn feed(&self) -> String {
        format!("{}feed", self.prefix)
    }

    /// The last place given in the feed. It shares the feed's cluster slot (as
    /// [`Self::audit_chain`] shares the stream's), so one script takes a place and publishes
    /// the end under it.
    pub fn feed_seq(&self) -> String {
        let feed = self.feed();
        if feed.contains('{') {
            format!("{feed}:seq")
        } else {
            format!("{feed}:seq{{{feed}}}")
        }
    }

    /// Sorted set of every session id, by `lookup_until`.
    pub fn lookup(&self) -> String {
        format!("{}lookup", self.prefix)
    }

    pub fn user(&self, id: &UserId) -> String {
        format!("{}user:{id}", self.prefix)
    }

    /// Username key → user id: the uniqueness of usernames.
    pub fn username(&self, key: &str) -> String {
        format!("{}uname:{key}", self.prefix)
    }

    pub fn users(&self) -> String {
        format!("{}users", self.prefix)
    }

    /// API key name → the hex of its hash: the uniqueness of names.
    pub fn api_key_name(&self, name: &str) -> String {
        format!("{}ak:n:{name}", self.prefix)
    }

    /// The API key record (name, scopes, created_at) by the hex of its hash.
    pub fn api_key(&self, hash: &TokenHash) -> String {
        format!("{}ak:h:{}", self.prefix, hash.to_hex())
    }

    /// When the API key was revoked: set once, by `SET NX`, so parallel revocations agree.
    pub fn api_key_revoked(&self, hash: &TokenHash) -> String {
        format!("{}ak:r:{}", self.prefix, hash.to_hex())
    }

    /// Set of every API key name.
    pub fn api_keys(&self) -> String {
        format!("{}ak:names", self.prefix)
    }

    /// An access token signing key (sealed seed, created_at) by its kid.
    pub fn signing_key(&self, kid: &str) -> String {
        format!("{}sk:k:{kid}", self.prefix)
    }

    /// Set of every signing key's kid.
    pub fn signing_keys(&self) -> String {
        format!("{}sk:kids", self.prefix)
    }

    /// The check value of the server secret the store was first opened with.
    pub fn secret_check(&self) -> String {
        format!("{}meta:secret_check", self.prefix)
    }

    /// The audit stream; entry ids follow the event time.
    pub fn audit(&self) -> String {
        format!("{}audit", self.prefix)
    }

    /// Sorted set of one session's audit entries (stream ids, by chain place): its timeline,
    /// read without walking the stream.
    pub fn session_audit(&self, id: &SessionId) -> String {
        format!("{}as:{id}", self.prefix)
    }

    /// Hash `{head_seq, head_hash, base_seq, base_hash}` of the audit hash chain. It shares the
    /// stream's cluster slot (a hash tag naming the stream, unless the prefix has its own tag),
    /// so one script can append to the stream and move the head.
    pub fn audit_chain(&self) -> String {
        let audit = self.audit();
        if audit.contains('{') {
            format!("{audit}:chain")
        } else {
            format!("{audit}:chain{{{audit}}}")
        }
    }

    /// Hash `{v: value, e: expires_at}` of a shared counter (lockouts, limits).
    pub fn counter(&self, key: &sessiond_core::counter::CounterKey) -> String {
        format!("{}c:{key}", self.prefix)
    }

    /// The pub/sub channel of session invalidations (`SESSION_FEATURE_CACHING`).
    pub fn invalidations(&self) -> String {
        format!("{}invalidate", self.prefix)
    }
}
