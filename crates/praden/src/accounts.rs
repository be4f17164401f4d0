//! `praden user …` and `praden token …`, and the first admin created by `praden serve` on an
//! empty database. Hashing is praden-web's (`praden_web::auth::secrets`); the store keeps the
//! hashes and writes every change to the audit trail.

use anyhow::{bail, Context};
use praden_core::Role;
use praden_store::{AccountError, DecisionContext, NewToken, NewUser, Store};
use praden_web::auth::{self, secrets};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// The file the first admin's password is written to, inside the data directory.
pub const INITIAL_PASSWORD_FILE: &str = "initial-admin-password";

/// Who made a change from the command line, for the audit trail: `cli:<login name>`.
fn cli_context() -> DecisionContext {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    DecisionContext {
        actor: format!("cli:{user}"),
        request_id: None,
        now: OffsetDateTime::now_utc(),
    }
}

/// On a database without users, creates `admin` with a random password written to
/// `<data_dir>/initial-admin-password` (mode 0600). Returns the file's path when it did.
/// The password itself is never logged.
pub async fn ensure_initial_admin(
    store: &Store,
    data_dir: &Path,
) -> anyhow::Result<Option<PathBuf>> {
    if store.count_users().await? > 0 {
        return Ok(None);
    }
    let password = secrets::random_password()?;
    let hash = tokio::task::spawn_blocking({
        let password = password.clone();
        move || secrets::hash_password(&password)
    })
    .await??;
    let ctx = DecisionContext {
        actor: "praden".into(),
        request_id: None,
        now: OffsetDateTime::now_utc(),
    };
    let new = NewUser {
        username: "admin".into(),
        display_name: "ผู้ดูแลระบบ".into(),
        role: Role::Admin,
        password_hash: hash,
    };
    match store.add_user(&new, &ctx).await {
        Ok(_) => {}
        // Another process on the same database got there first: its file holds the password.
        Err(AccountError::Exists { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    let path = data_dir.join(INITIAL_PASSWORD_FILE);
    write_private(&path, &format!("{password}\n")).with_context(|| {
        format!(
            "cannot write the first admin's password to {}",
            path.display()
        )
    })?;
    tracing::warn!(
        path = %path.display(),
        "no users yet: created the user admin; log in with the password in this file, then change it (praden user passwd admin)"
    );
    Ok(Some(path))
}

/// Writes `text` to a file only its owner can read.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let mut file = options.open(path)?;
        // An older file keeps its old mode through `open`; make sure it is private.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(text.as_bytes())
    }
    #[cfg(not(unix))]
    {
        options.open(path)?.write_all(text.as_bytes())
    }
}

/// How a new password reaches the command.
pub enum PasswordFrom {
    /// The first line of standard input (`--password-stdin`, or stdin is not a terminal).
    Stdin,
    /// Asked for twice on the terminal, not echoed.
    Prompt,
}

impl PasswordFrom {
    pub fn choose(password_stdin: bool) -> Self {
        if password_stdin || !std::io::stdin().is_terminal() {
            Self::Stdin
        } else {
            Self::Prompt
        }
    }

    fn read(&self) -> anyhow::Result<String> {
        let password = match self {
            Self::Stdin => {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("cannot read the password from standard input")?;
                line.trim_end_matches(['\r', '\n']).to_string()
            }
            Self::Prompt => {
                let first = rpassword::prompt_password("รหัสผ่านใหม่ (new password): ")?;
                let again = rpassword::prompt_password("พิมพ์อีกครั้ง (again): ")?;
                if first != again {
                    bail!("the two passwords differ; nothing was changed");
                }
                first
            }
        };
        secrets::check_new_password(&password)?;
        Ok(password)
    }
}

async fn hash(password: String) -> anyhow::Result<String> {
    Ok(tokio::task::spawn_blocking(move || secrets::hash_password(&password)).await??)
}

pub async fn user_add(
    store: &Store,
    name: &str,
    role: Role,
    display_name: Option<&str>,
    from: PasswordFrom,
) -> anyhow::Result<()> {
    auth::check_username(name)?;
    if role.is_machine() {
        bail!(
            "role {role} is for machines, which use API tokens: praden token create NAME --role {role}"
        );
    }
    let password = from.read()?;
    let new = NewUser {
        username: name.to_string(),
        display_name: display_name.unwrap_or(name).to_string(),
        role,
        password_hash: hash(password).await?,
    };
    let user = store.add_user(&new, &cli_context()).await?;
    println!(
        "added user {} ({}), role {}",
        user.username, user.display_name, user.role
    );
    Ok(())
}

pub async fn user_passwd(store: &Store, name: &str, from: PasswordFrom) -> anyhow::Result<()> {
    if store.user(name).await?.is_none() {
        bail!("user {name:?} does not exist");
    }
    let password = from.read()?;
    let user = store
        .set_password(name, &hash(password).await?, &cli_context())
        .await?;
    println!(
        "changed the password of {}; their sessions have ended",
        user.username
    );
    Ok(())
}

pub async fn user_set_disabled(store: &Store, name: &str, disabled: bool) -> anyhow::Result<()> {
    let user = store
        .set_user_disabled(name, disabled, &cli_context())
        .await?;
    if disabled {
        println!("disabled {}; their sessions have ended", user.username);
    } else {
        println!("enabled {}", user.username);
    }
    Ok(())
}

pub async fn user_list(store: &Store) -> anyhow::Result<()> {
    println!("{:<20} {:<9} {:<9} display name", "user", "role", "state");
    for u in store.users().await? {
        let state = if u.disabled { "disabled" } else { "active" };
        println!(
            "{:<20} {:<9} {:<9} {}",
            u.username, u.role, state, u.display_name
        );
    }
    Ok(())
}

/// Creates a token and prints it: the only time it is ever shown.
pub async fn token_create(store: &Store, name: &str, role: Role) -> anyhow::Result<()> {
    auth::check_token_name(name)?;
    let (token, token_hash) = secrets::new_api_token()?;
    let new = NewToken {
        name: name.to_string(),
        role,
        token_hash,
    };
    store.create_token(&new, &cli_context()).await?;
    eprintln!(
        "created token {name} (role {role}); it is shown once, below: keep it in the client's secret store"
    );
    println!("{token}");
    Ok(())
}

pub async fn token_revoke(store: &Store, name: &str) -> anyhow::Result<()> {
    let t = store.revoke_token(name, &cli_context()).await?;
    println!("revoked token {} (role {})", t.name, t.role);
    Ok(())
}

fn rfc3339(t: Option<OffsetDateTime>) -> String {
    t.and_then(|t| {
        t.format(&time::format_description::well_known::Rfc3339)
            .ok()
    })
    .unwrap_or_else(|| "-".into())
}

/// Lists the tokens: names, roles, dates; never a token or its hash.
pub async fn token_list(store: &Store) -> anyhow::Result<()> {
    println!(
        "{:<24} {:<9} {:<26} {:<26} {:<26} created by",
        "token", "role", "created", "last used", "revoked"
    );
    for t in store.tokens().await? {
        println!(
            "{:<24} {:<9} {:<26} {:<26} {:<26} {}",
            t.name,
            t.role,
            rfc3339(Some(t.created_at)),
            rfc3339(t.last_used_at),
            rfc3339(t.revoked_at),
            t.created_by
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_admin_gets_a_private_password_file_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/praden.db", dir.path().display());
        let store = Store::connect(&url).await.unwrap();
        let path = ensure_initial_admin(&store, dir.path())
            .await
            .unwrap()
            .expect("created");
        let password = std::fs::read_to_string(&path).unwrap();
        let password = password.trim_end();
        assert_eq!(password.len(), 24);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let admin = store.user("admin").await.unwrap().unwrap();
        assert_eq!(admin.role, Role::Admin);
        assert!(secrets::verify_password(password, &admin.password_hash));
        // A second start leaves everything as it is.
        assert_eq!(
            ensure_initial_admin(&store, dir.path()).await.unwrap(),
            None
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap().trim_end(), password);
        store.close().await;
    }
}
