//! The user role.

use crate::SqliteStore;
use crate::rows::{self, USER_COLUMNS};
use async_trait::async_trait;
use sessiond_core::store::StoreResult;
use sessiond_core::user::User;
use sessiond_core::{StoreError, UserId};

use super::{P, count};
use sessiond_core::store::Users;

#[async_trait]
impl Users for SqliteStore {
    async fn create_user(&self, u: &User) -> StoreResult<()> {
        let sql = format!("INSERT INTO users ({USER_COLUMNS}) VALUES ({})", P.list(11));
        self.execute(sql, rows::user_values(u)).await.map(|_| ())
    }

    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        self.user_where("username_key", User::username_key(username))
    }

    async fn user_by_id(&self, id: &UserId) -> StoreResult<Option<User>> {
        self.user_where("id", id.to_string())
    }

    async fn update_user(&self, u: &User) -> StoreResult<()> {
        let sets = P.set_clause(USER_COLUMNS, &["id", "created_at"]);
        match self
            .execute(
                format!("UPDATE users SET {sets} WHERE id = ?1"),
                rows::user_values(u),
            )
            .await?
        {
            0 => Err(StoreError::Conflict(format!("user {} is gone", u.username))),
            _ => Ok(()),
        }
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        self.pool
            .read_blocking(|c| {
                let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY username_key");
                let mut stmt = c.prepare_cached(&sql)?;
                let rows = stmt.query_map([], rows::user)?;
                rows.collect()
            })
            .await
    }

    async fn delete_user(&self, id: &UserId) -> StoreResult<bool> {
        let sql = "DELETE FROM users WHERE id = ?1".to_owned();
        let id = rusqlite::types::Value::Text(id.to_string());
        Ok(self.execute(sql, vec![id]).await? > 0)
    }

    async fn count_users(&self) -> StoreResult<u64> {
        self.pool.read(|c| {
            c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
                .map(count)
        })
    }
}
