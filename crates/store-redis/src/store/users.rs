//! The user role.

use crate::{RedisStore, corrupt};
use async_trait::async_trait;
use redis::cmd;
use sessiond_core::store::StoreResult;
use sessiond_core::user::User;
use sessiond_core::{StoreError, UserId};

use super::user_record;
use sessiond_core::store::Users;

#[async_trait]
impl Users for RedisStore {
    async fn create_user(&self, u: &User) -> StoreResult<()> {
        let name_key = self.keys.username(&User::username_key(&u.username));
        let claimed: Option<String> = self
            .q(cmd("SET").arg(&name_key).arg(u.id.to_string()).arg("NX"))
            .await?;
        if claimed.is_none() {
            return Err(StoreError::Conflict(format!("user {} exists", u.username)));
        }
        let set: Option<String> = self
            .q(cmd("SET")
                .arg(self.keys.user(&u.id))
                .arg(user_record(u)?)
                .arg("NX"))
            .await?;
        if set.is_none() {
            self.q::<()>(cmd("DEL").arg(&name_key)).await?;
            return Err(StoreError::Conflict(format!("user {} exists", u.id)));
        }
        self.q::<()>(cmd("SADD").arg(self.keys.users()).arg(u.id.to_string()))
            .await
    }

    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        let key = self.keys.username(&User::username_key(username));
        let Some(id) = self.q::<Option<String>>(cmd("GET").arg(key)).await? else {
            return Ok(None);
        };
        let id: UserId = id.parse().map_err(corrupt)?;
        // The name key and the record are two keys: read between a rename's steps, the key can
        // still point at a record that already carries the new name. That user is no longer
        // this name's.
        let wanted = User::username_key(username);
        Ok(self
            .user_by_id(&id)
            .await?
            .filter(|u| User::username_key(&u.username) == wanted))
    }

    async fn user_by_id(&self, id: &UserId) -> StoreResult<Option<User>> {
        self.user_json(self.keys.user(id)).await
    }

    async fn update_user(&self, u: &User) -> StoreResult<()> {
        let Some(old) = self.user_by_id(&u.id).await? else {
            return Err(StoreError::Conflict(format!("user {} is gone", u.username)));
        };
        let (old_key, new_key) = (
            User::username_key(&old.username),
            User::username_key(&u.username),
        );
        if old_key != new_key {
            let claimed: Option<String> = self
                .q(cmd("SET")
                    .arg(self.keys.username(&new_key))
                    .arg(u.id.to_string())
                    .arg("NX"))
                .await?;
            if claimed.is_none() {
                return Err(StoreError::Conflict(format!("user {} exists", u.username)));
            }
            self.q::<()>(cmd("DEL").arg(self.keys.username(&old_key)))
                .await?;
        }
        self.q::<()>(cmd("SET").arg(self.keys.user(&u.id)).arg(user_record(u)?))
            .await
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let ids: Vec<String> = self.q(cmd("SMEMBERS").arg(self.keys.users())).await?;
        let mut users = Vec::new();
        for id in ids {
            let id: UserId = id.parse().map_err(corrupt)?;
            users.extend(self.user_by_id(&id).await?);
        }
        users.sort_by_key(|u| User::username_key(&u.username));
        Ok(users)
    }

    async fn count_users(&self) -> StoreResult<u64> {
        self.q(cmd("SCARD").arg(self.keys.users())).await
    }

    async fn delete_user(&self, id: &UserId) -> StoreResult<bool> {
        let Some(user) = self.user_by_id(id).await? else {
            return Ok(false);
        };
        // The record first: a name left claimed by a failure after it is a `Conflict` for a
        // new user of that name, never a lookup that finds a deleted user.
        let deleted: u64 = self.q(cmd("DEL").arg(self.keys.user(id))).await?;
        let name_key = self.keys.username(&User::username_key(&user.username));
        self.q::<()>(cmd("DEL").arg(name_key)).await?;
        self.q::<()>(cmd("SREM").arg(self.keys.users()).arg(id.to_string()))
            .await?;
        Ok(deleted > 0)
    }
}
