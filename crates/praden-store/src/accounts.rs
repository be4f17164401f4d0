//! Accounts: people (users with a password hash), their login sessions, and machines' API
//! tokens.
//!
//! The store keeps hashes only and does no cryptography: the web layer hashes passwords
//! (argon2) and turns cookie secrets and tokens into SHA-256 digests before they get here.
//! Every change to a user or a token commits together with its audit record.

use crate::audit::{bind_audit, AuditEntry};
use crate::readers::on_reader;
use crate::review::DecisionContext;
use crate::{on_pool, BeginWrite, Store, StoreError};
use praden_core::Role;
use serde_json::json;
use time::{Duration, OffsetDateTime};

/// A person who logs in. `password_hash` is an argon2 PHC string; `Debug` leaves it out.
#[derive(Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// The last login or request in a session (at the resolution sessions are touched).
    pub last_seen_at: Option<OffsetDateTime>,
    /// The agency (or ministry), by Thai name, an `agency` user speaks for; `None` otherwise.
    pub agency: Option<String>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("display_name", &self.display_name)
            .field("role", &self.role)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
    /// Required for the `agency` role, and only there.
    pub agency: Option<String>,
}

/// A login session. `id` is the SHA-256 (hex) of the secret in the cookie, never the secret.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub last_seen: OffsetDateTime,
}

/// A machine's API token as listed: its hash stays in the store.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub created_at: OffsetDateTime,
    pub created_by: String,
    pub revoked_at: Option<OffsetDateTime>,
    pub last_used_at: Option<OffsetDateTime>,
}

#[derive(Clone)]
pub struct NewToken {
    pub name: String,
    pub role: Role,
    /// SHA-256 (hex) of the token the machine will send.
    pub token_hash: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{entity} {name:?} already exists")]
    Exists { entity: &'static str, name: String },
    #[error("{entity} {name:?} does not exist")]
    NotFound { entity: &'static str, name: String },
    #[error("token {name:?} was already revoked at {at}")]
    AlreadyRevoked { name: String, at: OffsetDateTime },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AccountError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Sql(e))
    }
}

/// How often a token's `last_used_at` is written at most: a busy machine client would
/// otherwise turn every read request into a write.
pub const TOKEN_USE_RESOLUTION: Duration = Duration::seconds(60);

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    password_hash: String,
    disabled: bool,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    last_seen_at: Option<OffsetDateTime>,
    agency: Option<String>,
}

const SELECT_USER: &str = "SELECT id, username, display_name, role, password_hash, disabled, \
    created_at, updated_at, last_seen_at, agency FROM users";

fn role(table: &'static str, id: i64, text: &str) -> Result<Role, StoreError> {
    text.parse().map_err(
        |e: praden_core::access::UnknownRole| StoreError::CorruptRow {
            table,
            id,
            reason: e.to_string(),
        },
    )
}

impl UserRow {
    fn into_user(self) -> Result<User, StoreError> {
        Ok(User {
            role: role("users", self.id, &self.role)?,
            id: self.id,
            username: self.username,
            display_name: self.display_name,
            password_hash: self.password_hash,
            disabled: self.disabled,
            created_at: self.created_at,
            updated_at: self.updated_at,
            last_seen_at: self.last_seen_at,
            agency: self.agency,
        })
    }
}

#[derive(sqlx::FromRow)]
struct SessionUserRow {
    s_id: String,
    s_user_id: i64,
    s_csrf_token: String,
    s_created_at: OffsetDateTime,
    s_expires_at: OffsetDateTime,
    s_last_seen: OffsetDateTime,
    #[sqlx(flatten)]
    user: UserRow,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    name: String,
    role: String,
    created_at: OffsetDateTime,
    created_by: String,
    revoked_at: Option<OffsetDateTime>,
    last_used_at: Option<OffsetDateTime>,
}

const SELECT_TOKEN: &str = "SELECT id, name, role, created_at, created_by, revoked_at, \
    last_used_at FROM api_tokens";

impl TokenRow {
    fn into_token(self) -> Result<ApiToken, StoreError> {
        Ok(ApiToken {
            role: role("api_tokens", self.id, &self.role)?,
            id: self.id,
            name: self.name,
            created_at: self.created_at,
            created_by: self.created_by,
            revoked_at: self.revoked_at,
            last_used_at: self.last_used_at,
        })
    }
}

/// Times go in as UTC: SQLite compares them as text, which is only right in one offset.
fn utc(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(time::UtcOffset::UTC)
}

/// What the audit trail shows of a user: never the password hash.
fn user_json(u: &User) -> serde_json::Value {
    let mut v = json!({
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role,
        "disabled": u.disabled,
    });
    if let Some(a) = &u.agency {
        v["agency"] = json!(a);
    }
    v
}

fn token_json(t: &ApiToken) -> serde_json::Value {
    json!({
        "name": t.name,
        "role": t.role,
        "revoked": t.revoked_at.is_some(),
    })
}

impl Store {
    /// Creates a user; `Exists` if the name is taken.
    pub async fn add_user(
        &self,
        new: &NewUser,
        ctx: &DecisionContext,
    ) -> Result<User, AccountError> {
        let now = utc(ctx.now);
        let agency = new
            .agency
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty());
        match (new.role, agency) {
            (Role::Agency, None) => {
                return Err(AccountError::Invalid(format!(
                    "user {:?} has the role agency but no agency: name the agency it speaks for",
                    new.username
                )))
            }
            (role, Some(a)) if role != Role::Agency => {
                return Err(AccountError::Invalid(format!(
                    "user {:?} has the role {role}, which is bound to no agency (got \"{a}\")",
                    new.username
                )))
            }
            _ => {}
        }
        let user = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO users (username, display_name, role, password_hash, disabled, \
                 created_at, updated_at, agency) VALUES ($1, $2, $3, $4, $5, $6, $6, $7) \
                 ON CONFLICT (username) DO NOTHING RETURNING id",
            )
            .bind(&new.username)
            .bind(&new.display_name)
            .bind(new.role.as_str())
            .bind(&new.password_hash)
            .bind(false)
            .bind(now)
            .bind(agency)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(id) = id else {
                return Err(AccountError::Exists {
                    entity: "user",
                    name: new.username.clone(),
                });
            };
            let user = User {
                id,
                username: new.username.clone(),
                display_name: new.display_name.clone(),
                role: new.role,
                password_hash: new.password_hash.clone(),
                disabled: false,
                created_at: now,
                updated_at: now,
                last_seen_at: None,
                agency: new.agency.clone(),
            };
            let entry = ctx.audit("user.add", "user", &user.username, None, Some(user_json(&user)));
            bind_audit!(entry, now).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            user
        });
        Ok(user)
    }

    /// The user called `username`, disabled or not.
    pub async fn user(&self, username: &str) -> Result<Option<User>, StoreError> {
        let sql = format!("{SELECT_USER} WHERE username = $1");
        let row: Option<UserRow> =
            on_pool!(self, p => sqlx::query_as(&sql).bind(username).fetch_optional(p).await?);
        row.map(UserRow::into_user).transpose()
    }

    /// Every user, by name.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let sql = format!("{SELECT_USER} ORDER BY username");
        let rows: Vec<UserRow> = on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?);
        rows.into_iter().map(UserRow::into_user).collect()
    }

    pub async fn count_users(&self) -> Result<i64, StoreError> {
        let n = on_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(p)
            .await?);
        Ok(n)
    }

    /// Replaces the password hash and ends the user's sessions: whoever knew the old password
    /// is logged out everywhere.
    pub async fn set_password(
        &self,
        username: &str,
        password_hash: &str,
        ctx: &DecisionContext,
    ) -> Result<User, AccountError> {
        self.change_user(username, ctx, "user.passwd", |u| {
            u.password_hash = password_hash.to_string();
        })
        .await
    }

    /// Disables (or enables again) a user. Disabling ends the user's sessions at once.
    pub async fn set_user_disabled(
        &self,
        username: &str,
        disabled: bool,
        ctx: &DecisionContext,
    ) -> Result<User, AccountError> {
        let action = if disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        self.change_user(username, ctx, action, |u| u.disabled = disabled)
            .await
    }

    /// Changes a user's role; the sessions end so the new role applies from the next login.
    pub async fn set_user_role(
        &self,
        username: &str,
        role: Role,
        ctx: &DecisionContext,
    ) -> Result<User, AccountError> {
        // An agency user is bound to its agency from the start; no role change makes one.
        let current = self.user(username).await?;
        if role == Role::Agency || current.is_some_and(|u| u.role == Role::Agency) {
            return Err(AccountError::Invalid(format!(
                "user {username:?}: the role agency is given with its agency when the user is \
                 added, and kept; add another user instead"
            )));
        }
        self.change_user(username, ctx, "user.role", |u| u.role = role)
            .await
    }

    /// One change to a user row, its audit record and the end of its sessions, together.
    async fn change_user(
        &self,
        username: &str,
        ctx: &DecisionContext,
        action: &str,
        change: impl FnOnce(&mut User),
    ) -> Result<User, AccountError> {
        let now = utc(ctx.now);
        let select = format!("{SELECT_USER} WHERE username = $1");
        let user = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row: Option<UserRow> = sqlx::query_as(&select)
                .bind(username)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else {
                return Err(AccountError::NotFound {
                    entity: "user",
                    name: username.to_string(),
                });
            };
            let before = row.into_user()?;
            let mut after = before.clone();
            change(&mut after);
            after.updated_at = now;
            sqlx::query(
                "UPDATE users SET display_name = $2, role = $3, password_hash = $4, \
                 disabled = $5, updated_at = $6 WHERE id = $1",
            )
            .bind(after.id)
            .bind(&after.display_name)
            .bind(after.role.as_str())
            .bind(&after.password_hash)
            .bind(after.disabled)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(after.id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let mut after_json = user_json(&after);
            after_json["sessions_ended"] = json!(ended);
            let entry = ctx.audit(action,
                "user",
                &after.username,
                Some(user_json(&before)),
                Some(after_json),
            );
            bind_audit!(entry, now).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            after
        });
        Ok(user)
    }

    /// Stores a new session of `session.user_id` and records the login in the audit trail.
    pub async fn create_session(
        &self,
        session: &Session,
        ctx: &DecisionContext,
    ) -> Result<(), StoreError> {
        let now = utc(ctx.now);
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            sqlx::query(
                "INSERT INTO sessions (id, user_id, csrf_token, created_at, expires_at, \
                 last_seen) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&session.id)
            .bind(session.user_id)
            .bind(&session.csrf_token)
            .bind(utc(session.created_at))
            .bind(utc(session.expires_at))
            .bind(utc(session.last_seen))
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE users SET last_seen_at = $2 WHERE id = $1")
                .bind(session.user_id)
                .bind(utc(session.last_seen))
                .execute(&mut *tx)
                .await?;
            let entry = AuditEntry {
                actor: ctx.actor.clone(),
                action: "user.login".into(),
                entity: "user".into(),
                entity_id: Some(ctx.actor.clone()),
                before: None,
                after: None,
                request_id: ctx.request_id.clone(),
            };
            bind_audit!(entry, now).fetch_one(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The session with this id and its user, if it has not expired at `now` and the user is
    /// not disabled.
    pub async fn active_session(
        &self,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<Option<(Session, User)>, StoreError> {
        let sql = "SELECT s.id AS s_id, s.user_id AS s_user_id, s.csrf_token AS s_csrf_token, \
            s.created_at AS s_created_at, s.expires_at AS s_expires_at, \
            s.last_seen AS s_last_seen, u.id, u.username, u.display_name, u.role, \
            u.password_hash, u.disabled, u.created_at, u.updated_at, u.last_seen_at, u.agency \
            FROM sessions s JOIN users u ON u.id = s.user_id \
            WHERE s.id = $1 AND s.expires_at > $2 AND NOT u.disabled";
        let row: Option<SessionUserRow> = on_reader!(self, c => sqlx::query_as(sql)
            .bind(id)
            .bind(utc(now))
            .fetch_optional(c)
            .await?);
        let Some(row) = row else { return Ok(None) };
        let session = Session {
            id: row.s_id,
            user_id: row.s_user_id,
            csrf_token: row.s_csrf_token,
            created_at: row.s_created_at,
            expires_at: row.s_expires_at,
            last_seen: row.s_last_seen,
        };
        Ok(Some((session, row.user.into_user()?)))
    }

    /// Records a use of the session (and of its user) and slides its expiry to `expires_at`.
    pub async fn touch_session(
        &self,
        id: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            sqlx::query("UPDATE sessions SET last_seen = $2, expires_at = $3 WHERE id = $1")
                .bind(id)
                .bind(utc(now))
                .bind(utc(expires_at))
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE users SET last_seen_at = $2 \
                 WHERE id = (SELECT user_id FROM sessions WHERE id = $1)",
            )
            .bind(id)
            .bind(utc(now))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Ends one session (logout) and records it; false if there was no such session.
    pub async fn end_session(&self, id: &str, ctx: &DecisionContext) -> Result<bool, StoreError> {
        let now = utc(ctx.now);
        let ended = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query("DELETE FROM sessions WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n > 0 {
                let entry = AuditEntry {
                    actor: ctx.actor.clone(),
                    action: "user.logout".into(),
                    entity: "user".into(),
                    entity_id: Some(ctx.actor.clone()),
                    before: None,
                    after: None,
                    request_id: ctx.request_id.clone(),
                };
                bind_audit!(entry, now).fetch_one(&mut *tx).await?;
            }
            tx.commit().await?;
            n > 0
        });
        Ok(ended)
    }

    /// Removes sessions that expired before `now`; returns how many.
    pub async fn end_expired_sessions(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        let n = on_pool!(self, p => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(utc(now))
            .execute(p)
            .await?
            .rows_affected());
        Ok(n)
    }

    /// Stores a new API token (its hash); `Exists` if the name is taken, revoked or not.
    pub async fn create_token(
        &self,
        new: &NewToken,
        ctx: &DecisionContext,
    ) -> Result<ApiToken, AccountError> {
        if !new.role.takes_tokens() {
            return Err(AccountError::Invalid(format!(
                "token {:?}: the role {} is for people bound to an agency, who log in; it \
                 takes no API token",
                new.name, new.role
            )));
        }
        let now = utc(ctx.now);
        let token = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO api_tokens (name, role, token_hash, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(&new.name)
            .bind(new.role.as_str())
            .bind(&new.token_hash)
            .bind(now)
            .bind(&ctx.actor)
            .fetch_optional(&mut *tx)
            .await?;
            // The only other unique column is the hash of 32 random bytes: a conflict there
            // is not a real possibility, so a conflict means the name.
            let Some(id) = id else {
                return Err(AccountError::Exists {
                    entity: "token",
                    name: new.name.clone(),
                });
            };
            let token = ApiToken {
                id,
                name: new.name.clone(),
                role: new.role,
                created_at: now,
                created_by: ctx.actor.clone(),
                revoked_at: None,
                last_used_at: None,
            };
            let entry = ctx.audit("token.create", "token", &token.name, None, Some(token_json(&token)));
            bind_audit!(entry, now).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            token
        });
        Ok(token)
    }

    /// The token whose hash is `token_hash`, unless it was revoked.
    pub async fn active_token(&self, token_hash: &str) -> Result<Option<ApiToken>, StoreError> {
        let sql = format!("{SELECT_TOKEN} WHERE token_hash = $1 AND revoked_at IS NULL");
        let row: Option<TokenRow> =
            on_reader!(self, c => sqlx::query_as(&sql).bind(token_hash).fetch_optional(c).await?);
        row.map(TokenRow::into_token).transpose()
    }

    /// Records that token `id` was used at `now`, unless a use was recorded less than
    /// [`TOKEN_USE_RESOLUTION`] before.
    pub async fn token_used(&self, id: i64, now: OffsetDateTime) -> Result<(), StoreError> {
        let now = utc(now);
        on_pool!(self, p => sqlx::query(
            "UPDATE api_tokens SET last_used_at = $2 \
             WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)",
        )
        .bind(id)
        .bind(now)
        .bind(now - TOKEN_USE_RESOLUTION)
        .execute(p)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Revokes the token called `name`: it stops working at once and stays listed.
    pub async fn revoke_token(
        &self,
        name: &str,
        ctx: &DecisionContext,
    ) -> Result<ApiToken, AccountError> {
        let now = utc(ctx.now);
        let select = format!("{SELECT_TOKEN} WHERE name = $1");
        let token = on_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row: Option<TokenRow> = sqlx::query_as(&select)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else {
                return Err(AccountError::NotFound {
                    entity: "token",
                    name: name.to_string(),
                });
            };
            let before = row.into_token()?;
            if let Some(at) = before.revoked_at {
                return Err(AccountError::AlreadyRevoked {
                    name: name.to_string(),
                    at,
                });
            }
            sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1")
                .bind(before.id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let after = ApiToken {
                revoked_at: Some(now),
                ..before.clone()
            };
            let entry = ctx.audit("token.revoke",
                "token",
                name,
                Some(token_json(&before)),
                Some(token_json(&after)),
            );
            bind_audit!(entry, now).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            after
        });
        Ok(token)
    }

    /// Every token, revoked ones included, by name.
    pub async fn tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        let sql = format!("{SELECT_TOKEN} ORDER BY name");
        let rows: Vec<TokenRow> = on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?);
        rows.into_iter().map(TokenRow::into_token).collect()
    }
}

/// The failed logins the login rate limit counts (`login_failures`), kept here rather than in
/// a process's memory so every praden process on the database counts against one limit.
impl Store {
    /// The times of the failed logins counted against any of `keys` since `since`, oldest
    /// first, as `(key, at)`.
    pub async fn login_failures(
        &self,
        keys: &[String],
        since: OffsetDateTime,
    ) -> Result<Vec<(String, OffsetDateTime)>, StoreError> {
        let mut all = Vec::new();
        for key in keys {
            let rows: Vec<(String, OffsetDateTime)> = on_pool!(self, pool => {
                sqlx::query_as(
                    "SELECT key, at FROM login_failures WHERE key = $1 AND at > $2 ORDER BY at",
                )
                .bind(key)
                .bind(since)
                .fetch_all(pool)
                .await?
            });
            all.extend(rows);
        }
        Ok(all)
    }

    /// Counts a failed login at `at` against each of `keys`, and forgets failures from
    /// before `forget_before` (outside every window).
    pub async fn record_login_failure(
        &self,
        keys: &[String],
        at: OffsetDateTime,
        forget_before: OffsetDateTime,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM login_failures WHERE at < $1")
                .bind(forget_before)
                .execute(&mut *tx)
                .await?;
            for key in keys {
                sqlx::query("INSERT INTO login_failures (key, at) VALUES ($1, $2)")
                    .bind(key)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Forgets the failures counted against `key` (a successful login clears its user name).
    pub async fn clear_login_failures(&self, key: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM login_failures WHERE key = $1")
                .bind(key)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
