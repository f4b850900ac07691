//! The user role.

use crate::PostgresStore;
use crate::rows::{self, USER_COLUMNS};
use async_trait::async_trait;
use sessiond_core::store::StoreResult;
use sessiond_core::user::User;
use sessiond_core::{StoreError, UserId};

use super::{P, count};
use sessiond_core::store::Users;

#[async_trait]
impl Users for PostgresStore {
    async fn create_user(&self, u: &User) -> StoreResult<()> {
        let sql = format!("INSERT INTO users ({USER_COLUMNS}) VALUES ({})", P.list(11));
        self.execute(&sql, &rows::user_params(u)).await.map(|_| ())
    }

    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        self.user_where("username_key", User::username_key(username))
            .await
    }

    async fn user_by_id(&self, id: &UserId) -> StoreResult<Option<User>> {
        self.user_where("id", id.to_string()).await
    }

    async fn update_user(&self, u: &User) -> StoreResult<()> {
        let sql = format!(
            "UPDATE users SET {} WHERE id = $1",
            P.set_clause(USER_COLUMNS, &["id"])
        );
        match self.execute(&sql, &rows::user_params(u)).await? {
            0 => Err(StoreError::Conflict(format!("user {} is gone", u.username))),
            _ => Ok(()),
        }
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY username_key");
        self.rows(&sql, &[]).await?.iter().map(rows::user).collect()
    }

    async fn delete_user(&self, id: &UserId) -> StoreResult<bool> {
        let params: [crate::rows::Param; 1] = [Box::new(id.to_string())];
        Ok(self
            .execute("DELETE FROM users WHERE id = $1", &params)
            .await?
            > 0)
    }

    async fn count_users(&self) -> StoreResult<u64> {
        let row = self.row("SELECT COUNT(*) FROM users", &[]).await?;
        Ok(row.map_or(0, |r| count(r.get(0))))
    }
}
