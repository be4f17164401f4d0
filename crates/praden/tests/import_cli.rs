//! `praden import` as a script runs it (output piped, no terminal): no progress bar, and one
//! summary line with what was read, stored, already present, skipped and why, and indexed.

use std::path::Path;
use std::process::{Command, Stdio};

fn import(dir: &Path, file: &Path) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_praden"))
        .args(["import", file.to_str().unwrap(), "--kind", "social"])
        .args(["--source", "pages"])
        .current_dir(dir)
        .env("PRADEN_DATA_DIR", dir)
        .env("PRADEN_SOURCES", dir.join("sources.toml"))
        .env_remove("PRADEN_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .env("PRADEN_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stdout}\n{stderr}");
    (stdout, stderr)
}

#[test]
fn a_piped_import_ends_with_one_summary_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sources.toml"), "").unwrap();
    let posts = dir.path().join("posts.jsonl");
    std::fs::write(
        &posts,
        "{\"id\":\"p1\",\"text\":\"ค่าไฟฟ้าขึ้นราคา\"}\n\
         not json\n\
         {\"id\":\"p2\",\"text\":\"น้ำประปาไม่ไหล\"}\n\
         {\"id\":\"p3\",\"text\":\"\"}\n",
    )
    .unwrap();

    let (stdout, stderr) = import(dir.path(), &posts);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let summary = lines[0];
    for part in [
        "posts.jsonl: 4 lines read, 2 stored new, 0 already present, 2 skipped (",
        "1 not a JSON object of the expected shape",
        "1 it has neither a title nor a body",
        "), 2 indexed; ",
        " documents/s",
    ] {
        assert!(summary.contains(part), "{part:?} in {summary}");
    }
    // The skipped lines are named on stderr, one by one; no bar was drawn into the pipe.
    assert!(stderr.contains("line 2 skipped"), "{stderr}");
    assert!(!stderr.contains('\x1b'), "{stderr:?}");

    let (stdout, _) = import(dir.path(), &posts);
    assert!(
        stdout.contains("4 lines read, 0 stored new, 2 already present, 2 skipped"),
        "{stdout}"
    );
    assert!(
        stdout.contains(", 0 indexed; "),
        "re-importing indexes nothing: {stdout}"
    );
}
