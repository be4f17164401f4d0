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
    DecisionContext {
        actor: format!("cli:{}", login_name()),
        request_id: None,
        now: OffsetDateTime::now_utc(),
    }
}

/// The login name of whoever runs the command: `USER` or `LOGNAME`, or else — in a container
/// or a service unit, where neither is set — the account of the process's uid in
/// /etc/passwd, or `uid-N`.
fn login_name() -> String {
    let from_env = ["USER", "LOGNAME"]
        .into_iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.trim().is_empty());
    if let Some(name) = from_env {
        return name;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(uid) = std::fs::metadata("/proc/self").map(|m| m.uid()) {
            let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
            return passwd_name(&passwd, uid).unwrap_or_else(|| format!("uid-{uid}"));
        }
    }
    "unknown".into()
}

/// The name of `uid` in the text of /etc/passwd (`name:x:uid:gid:…`).
fn passwd_name(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id = fields.nth(1)?.parse::<u32>().ok()?;
        (id == uid && !name.is_empty()).then(|| name.to_string())
    })
}

/// Prints rows as columns padded to the widest cell, measured as a terminal shows it: Thai
/// vowel and tone marks take no column, so padding by characters would push Thai names out
/// of line. The last column is not padded.
fn print_columns(rows: &[Vec<String>]) {
    for line in columns(rows) {
        println!("{line}");
    }
}

pub(crate) fn columns(rows: &[Vec<String>]) -> Vec<String> {
    use unicode_width::UnicodeWidthStr;
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.width())
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                line.push_str(cell);
                if i + 1 < row.len() {
                    line.push_str(&" ".repeat(widths[i] - cell.width() + 2));
                }
            }
            line
        })
        .collect()
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
        agency: None,
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

/// `praden user add`'s arguments.
pub struct UserToAdd<'a> {
    pub name: &'a str,
    pub role: Role,
    pub display_name: Option<&'a str>,
    pub agency: Option<&'a str>,
}

pub async fn user_add(
    store: &Store,
    user: UserToAdd<'_>,
    from: PasswordFrom,
) -> anyhow::Result<()> {
    let UserToAdd {
        name,
        role,
        display_name,
        agency,
    } = user;
    auth::check_username(name)?;
    if role.is_machine() {
        bail!(
            "role {role} is for machines, which use API tokens: praden token create NAME --role {role}"
        );
    }
    let agency = match (role, agency) {
        (Role::Agency, Some(a)) => Some(registry_agency(a)?),
        (Role::Agency, None) => bail!(
            "role agency needs --agency: the agency or ministry the user speaks for, by its Thai name"
        ),
        (_, Some(_)) => bail!("--agency goes with --role agency only"),
        (_, None) => None,
    };
    let password = from.read()?;
    let new = NewUser {
        username: name.to_string(),
        display_name: display_name.unwrap_or(name).to_string(),
        role,
        password_hash: hash(password).await?,
        agency,
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
    let mut rows = vec![vec![
        "user".to_string(),
        "role".into(),
        "state".into(),
        "last seen".into(),
        "agency".into(),
        "display name".into(),
    ]];
    for u in store.users().await? {
        let state = if u.disabled { "disabled" } else { "active" };
        rows.push(vec![
            u.username,
            u.role.to_string(),
            state.into(),
            rfc3339(u.last_seen_at),
            u.agency.unwrap_or_else(|| "-".into()),
            u.display_name,
        ]);
    }
    print_columns(&rows);
    Ok(())
}

/// `praden agency import FILE`: every line checked first; nothing is saved unless all are good.
pub async fn agency_import(store: &Store, file: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read the contacts file {}", file.display()))?;
    let registry = praden_detect::AgencyRegistry::load_default()?;
    let refs = praden_detect::agency_refs(&registry);
    let (good, bad) = praden_web::directory::parse_contacts_csv(&refs, &text);
    for b in &bad {
        eprintln!("{}: line {}: {}", file.display(), b.line, b.reason);
    }
    if !bad.is_empty() {
        bail!(
            "{}: {} bad line(s); nothing was saved: fix them and import the file again",
            file.display(),
            bad.len()
        );
    }
    let saved = store.save_agency_contacts(&good, &cli_context()).await?;
    println!(
        "{}: {} contacts added, {} updated",
        file.display(),
        saved.added,
        saved.updated
    );
    Ok(())
}

/// `praden agency list`.
pub async fn agency_list(store: &Store) -> anyhow::Result<()> {
    let mut rows = vec![vec![
        "agency".to_string(),
        "name".into(),
        "position".into(),
        "e-mail".into(),
        "LINE id".into(),
    ]];
    for c in store.agency_contacts(None).await? {
        rows.push(vec![
            c.agency,
            c.name,
            c.position,
            c.email.unwrap_or_else(|| "-".into()),
            c.line_id.unwrap_or_else(|| "-".into()),
        ]);
    }
    print_columns(&rows);
    Ok(())
}

/// `name` as the agency registry spells it: an agency's or a ministry's Thai name, or its
/// abbreviation (สธ.), which is taken as the name it abbreviates.
fn registry_agency(name: &str) -> anyhow::Result<String> {
    let registry = praden_detect::AgencyRegistry::load_default()?;
    let refs = praden_detect::agency_refs(&registry);
    if let Some(found) = praden_web::directory::registry_name(&refs, name) {
        return Ok(found);
    }
    let name = name.trim();
    bail!("agency \"{name}\" is not in the agency registry: give its Thai name as the registry has it, e.g. \"กรมการค้าภายใน\" or \"กระทรวงพาณิชย์\"")
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
    let mut rows = vec![vec![
        "token".to_string(),
        "role".into(),
        "created".into(),
        "last used".into(),
        "revoked".into(),
        "created by".into(),
    ]];
    for t in store.tokens().await? {
        rows.push(vec![
            t.name,
            t.role.to_string(),
            rfc3339(Some(t.created_at)),
            rfc3339(t.last_used_at),
            rfc3339(t.revoked_at),
            t.created_by,
        ]);
    }
    print_columns(&rows);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_as_a_terminal_shows_thai() {
        let rows = vec![
            vec!["user".to_string(), "display name".into(), "role".into()],
            vec!["somchai".to_string(), "สมชาย ใจดี".into(), "monitor".into()],
            vec!["a".to_string(), "นิ่มนวล".into(), "editor".into()],
        ];
        let lines = columns(&rows);
        // "นิ่มนวล" is 7 characters in 5 columns: the third column starts at the same
        // terminal column on every line.
        use unicode_width::UnicodeWidthStr;
        let starts: Vec<usize> = lines
            .iter()
            .zip(&rows)
            .map(|(line, row)| line[..line.rfind(&row[2]).unwrap()].width())
            .collect();
        assert_eq!(starts, [23, 23, 23], "{lines:#?}");
        assert!(lines.iter().all(|l| !l.ends_with(' ')));
    }

    #[test]
    fn a_login_name_comes_from_the_password_file_when_the_environment_has_none() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\npraden:x:998:998::/var/lib/praden:/usr/sbin/nologin\n";
        assert_eq!(passwd_name(passwd, 998).as_deref(), Some("praden"));
        assert_eq!(passwd_name(passwd, 0).as_deref(), Some("root"));
        assert_eq!(passwd_name(passwd, 1000), None);
    }

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
