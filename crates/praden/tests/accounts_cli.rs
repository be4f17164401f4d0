//! `praden user …` and `praden token …` as an operator runs them, on SQLite and PostgreSQL
//! (when PRADEN_TEST_POSTGRES_URL is set).

use praden_core::Role;
use praden_store::testing::TestPostgres;
use praden_store::{AuditFilter, Store};
use std::io::Write;
use std::process::{Command, Output, Stdio};

struct Cli {
    dir: tempfile::TempDir,
    database_url: String,
}

impl Cli {
    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_praden"))
            .args(args)
            .current_dir(self.dir.path())
            .env("PRADEN_DATA_DIR", self.dir.path())
            .env("PRADEN_DATABASE_URL", &self.database_url)
            .env("USER", "operator")
            .env("PRADEN_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs and expects success; returns stdout.
    fn ok(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "praden {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and expects failure; returns stderr.
    fn fails(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        assert!(!out.status.success(), "praden {args:?} should fail");
        String::from_utf8(out.stderr).unwrap()
    }
}

async fn users_and_tokens_from_the_command_line(database_url: String, dir: tempfile::TempDir) {
    let cli = Cli { dir, database_url };
    let add = [
        "user",
        "add",
        "somchai",
        "--role",
        "monitor",
        "--display-name",
        "สมชาย ใจดี",
        "--password-stdin",
    ];
    let e = cli.fails(&add, "short\n");
    assert!(e.contains("too short"), "{e}");
    cli.ok(&add, "รหัสผ่านของสมชาย\n");
    let e = cli.fails(&add, "รหัสผ่านของสมชาย\n");
    assert!(e.contains("already exists"), "{e}");
    let e = cli.fails(
        &[
            "user",
            "add",
            "bot",
            "--role",
            "consumer",
            "--password-stdin",
        ],
        "รหัสผ่านยาวพอสมควร\n",
    );
    assert!(e.contains("praden token create"), "{e}");
    let e = cli.fails(&["user", "add", "x", "--role", "chief"], "");
    assert!(e.contains("unknown role"), "{e}");

    let token = cli.ok(
        &["token", "create", "assign-system", "--role", "consumer"],
        "",
    );
    let token = token.trim();
    assert!(token.starts_with("praden_") && token.len() == 71, "{token}");
    let e = cli.fails(
        &["token", "create", "assign-system", "--role", "consumer"],
        "",
    );
    assert!(e.contains("already exists"), "{e}");
    let list = cli.ok(&["token", "list"], "");
    assert!(
        list.contains("assign-system") && list.contains("consumer"),
        "{list}"
    );
    let hash = praden_web::auth::secrets::sha256_hex(token);
    assert!(
        !list.contains(token) && !list.contains(&hash),
        "never the token: {list}"
    );
    cli.ok(&["token", "revoke", "assign-system"], "");
    let e = cli.fails(&["token", "revoke", "assign-system"], "");
    assert!(e.contains("already revoked"), "{e}");

    cli.ok(
        &["user", "passwd", "somchai", "--password-stdin"],
        "รหัสผ่านใหม่ของสมชาย\n",
    );
    cli.ok(&["user", "disable", "somchai"], "");
    let users = cli.ok(&["user", "list"], "");
    assert!(
        users.contains("somchai") && users.contains("disabled"),
        "{users}"
    );
    let e = cli.fails(&["user", "disable", "nobody"], "");
    assert!(e.contains("does not exist"), "{e}");

    let store = Store::connect(&cli.database_url).await.unwrap();
    let user = store.user("somchai").await.unwrap().unwrap();
    assert_eq!((user.role, user.disabled), (Role::Monitor, true));
    assert_eq!(user.display_name, "สมชาย ใจดี");
    assert!(praden_web::auth::secrets::verify_password(
        "รหัสผ่านใหม่ของสมชาย",
        &user.password_hash
    ));
    assert!(store.active_token(&hash).await.unwrap().is_none());
    let records = store
        .audit_records(&AuditFilter {
            actor: Some("cli:operator".into()),
            limit: 20,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = records.iter().map(|r| r.entry.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "user.disable",
            "user.passwd",
            "token.revoke",
            "token.create",
            "user.add"
        ]
    );
    store.close().await;
}

#[tokio::test]
async fn sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/praden.db", dir.path().display());
    users_and_tokens_from_the_command_line(url, dir).await;
}

#[tokio::test]
async fn postgres() {
    let Some(db) = TestPostgres::create().await else {
        eprintln!("PRADEN_TEST_POSTGRES_URL is not set: PostgreSQL half skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    users_and_tokens_from_the_command_line(db.url().to_string(), dir).await;
}
