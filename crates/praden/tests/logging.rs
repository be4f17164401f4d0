//! The log as a service manager or a collector gets it: stderr piped (not a terminal), so
//! no ANSI escapes; `PRADEN_LOG_FORMAT=json` one JSON object per line; a format praden does
//! not know refused at start, naming the variable.

use std::process::{Command, Output, Stdio};

/// `praden index repair` on an empty data directory: quick, and it logs at info.
fn repair(format: Option<&str>) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let sources = dir.path().join("sources.toml");
    std::fs::write(&sources, "").unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_praden"));
    cmd.args(["index", "repair"])
        .current_dir(dir.path())
        .env("PRADEN_DATA_DIR", dir.path())
        .env("PRADEN_SOURCES", &sources)
        .env_remove("PRADEN_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .env_remove("NO_COLOR")
        .env("PRADEN_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match format {
        Some(f) => cmd.env("PRADEN_LOG_FORMAT", f),
        None => cmd.env_remove("PRADEN_LOG_FORMAT"),
    };
    cmd.output().unwrap()
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

#[test]
fn text_logs_to_a_pipe_carry_no_ansi_escapes() {
    for format in [None, Some("text")] {
        let out = repair(format);
        let err = stderr_of(&out);
        assert!(out.status.success(), "{format:?}: {err}");
        assert!(
            err.contains("INFO") && err.contains("the index agrees with the store"),
            "{format:?}: the info line is logged: {err}"
        );
        assert!(!err.contains('\x1b'), "{format:?}: ANSI escapes: {err:?}");
    }
}

#[test]
fn json_logs_are_one_object_per_line() {
    let out = repair(Some("json"));
    let err = stderr_of(&out);
    assert!(out.status.success(), "{err}");
    let lines: Vec<serde_json::Value> = err
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["level"] == "INFO"
                && l["fields"]["message"] == "the index agrees with the store"),
        "{err}"
    );
    assert!(!err.contains('\x1b'), "{err:?}");
}

#[test]
fn an_unknown_log_format_stops_the_start_with_what_is_expected() {
    let out = repair(Some("xml"));
    let err = stderr_of(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("PRADEN_LOG_FORMAT") && err.contains("\"xml\"") && err.contains("`json`"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "nothing was run");
}
