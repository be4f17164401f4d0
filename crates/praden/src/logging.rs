//! The process's log: always on stderr, as much as `PRADEN_LOG` says (an `EnvFilter`), in
//! the form `PRADEN_LOG_FORMAT` names. Both are read from the environment only: the log is
//! set up before the configuration it would report on is loaded.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// The variable that picks the log's form.
pub const FORMAT_VAR: &str = "PRADEN_LOG_FORMAT";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// For people: one line per event, coloured on a terminal only.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

impl LogFormat {
    /// The form `PRADEN_LOG_FORMAT` names; unset or empty is `text`. Anything else is
    /// refused rather than guessed: a collector expecting JSON would otherwise get text it
    /// cannot read, and nobody would notice until the logs were needed.
    pub fn from_env_value(value: Option<&std::ffi::OsStr>) -> anyhow::Result<Self> {
        let Some(value) = value else {
            return Ok(Self::Text);
        };
        match value.to_str().map(str::trim) {
            Some("" | "text") => Ok(Self::Text),
            Some("json") => Ok(Self::Json),
            _ => anyhow::bail!(
                "{FORMAT_VAR}={value:?} is not a log format: expected `text` (the default) \
                 or `json`"
            ),
        }
    }
}

/// Installs the global subscriber. Colours (ANSI escapes) only when stderr is a terminal:
/// under systemd, Docker or a pipe they would land in the log files as `\x1b[2m…`.
pub fn init() -> anyhow::Result<()> {
    let format = LogFormat::from_env_value(std::env::var_os(FORMAT_VAR).as_deref())?;
    let filter = EnvFilter::try_from_env("PRADEN_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,tantivy=warn,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder.json().with_ansi(false).init(),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn the_log_format_is_text_json_or_refused_with_what_is_expected() {
        assert_eq!(LogFormat::from_env_value(None).unwrap(), LogFormat::Text);
        for (value, format) in [
            ("", LogFormat::Text),
            ("text", LogFormat::Text),
            ("json", LogFormat::Json),
        ] {
            assert_eq!(
                LogFormat::from_env_value(Some(OsStr::new(value))).unwrap(),
                format
            );
        }
        let e = LogFormat::from_env_value(Some(OsStr::new("JSON-lines")))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("PRADEN_LOG_FORMAT")
                && e.contains("JSON-lines")
                && e.contains("`text`")
                && e.contains("`json`"),
            "{e}"
        );
    }
}
