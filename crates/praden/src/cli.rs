//! The command line. Each subcommand is a function here; main.rs only dispatches.

use crate::app::{self, Application, Parts};
use crate::config::Config;
use crate::import::{finish_indexing, import_file_showing, ImportOptions, IndexedCount};
use anyhow::Context;
use clap::{Parser, Subcommand};
use praden_core::SourceKind;
use praden_index::{IndexError, SearchIndex};
use praden_ingest::Ingester;
use praden_jobs::follow;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(
    name = "praden",
    version,
    about = "Watches Thai news, social media and broadcast, and proposes the issues the government must clarify.",
    long_about = "praden (ประเด็น, \"issue\") polls the sources in sources.toml, stores and indexes what \
they publish, detects the issues the government must clarify, and serves the monitors' review \
queue, the approved-issues feed, the 09:30 brief and the editors' search over HTTP.\n\nConfiguration: built-in defaults, then praden.toml \
(or --config FILE), then PRADEN_* environment variables (and DATABASE_URL). See README.md."
)]
pub struct Cli {
    /// Configuration file (default: ./praden.toml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the service: HTTP API and pages, polling of the enabled sources on their intervals,
    /// indexing, detection into the review queue, the 09:30 brief, feed webhooks. Stops
    /// cleanly on Ctrl-C or SIGTERM.
    Serve,
    /// Generate the 09:30 brief of a day now and print it. Stored as the day's brief if it has
    /// none (marked late), else as a new revision (the first is kept), and sent to the
    /// configured webhooks (a running server retries failed sends).
    Brief {
        /// The Bangkok day, YYYY-MM-DD (B.E. or C.E. year).
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: String,
        /// What to print: text, line (the LINE messages), markdown or json.
        #[arg(long, default_value = "text")]
        format: praden_jobs::brief_schedule::BriefFormat,
        /// Print the brief without storing or sending it.
        #[arg(long)]
        dry_run: bool,
        /// Store the brief but leave sending it to a running server.
        #[arg(long)]
        no_deliver: bool,
    },
    /// Publish the day's 10:30 assignment message by hand (the issues approved since the
    /// previous one) and send it to the IA-Chat webhooks and the agencies' contacts; a
    /// revision if the day has one. `praden serve` publishes it on schedule.
    Assignment {
        /// The Bangkok day, YYYY-MM-DD (B.E. or C.E. year).
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: String,
        /// Print JSON (the issues, the text and each contact's message) instead of the text.
        #[arg(long)]
        json: bool,
        /// Print the message without storing or sending it.
        #[arg(long)]
        dry_run: bool,
        /// Store the message but leave sending it to a running server.
        #[arg(long)]
        no_deliver: bool,
    },
    /// The timeliness KPI of a period (ร้อยละการชี้แจงประเด็นสำคัญที่ทันต่อสถานการณ์), by ministry
    /// or agency; the definitions are in README.md.
    Kpi {
        /// A Thai fiscal period: 2570Q1, 2570H1, 2570, or FIRST..LAST days (default: the
        /// current quarter).
        #[arg(long)]
        period: Option<String>,
        /// Rows by `ministry` or `agency`; `issues` lists the issues behind the figures
        /// (csv only: table and json show them anyway or not at all).
        #[arg(long, default_value = "ministry")]
        by: String,
        /// `table`, `csv` (UTF-8 with a BOM), `xlsx` (a sheet per level, the issues and the
        /// notes; needs --output) or `json` (the figures and every issue behind them).
        #[arg(long, default_value = "table")]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
    },
    /// Print the official assignment message (ข้าพเจ้า … จบการส่งประเด็น) for the issues
    /// approved on a day and not withdrawn; names and titles come from [assignment].
    AssignmentMessage {
        /// The Bangkok day, YYYY-MM-DD (B.E. or C.E. year).
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: String,
        /// Print JSON (the issues and the text) instead of the text.
        #[arg(long)]
        json: bool,
    },
    /// Poll the enabled sources without the HTTP server.
    Ingest {
        /// Poll every enabled source once, index what is new, and exit (non-zero if any
        /// source failed).
        #[arg(long)]
        once: bool,
    },
    /// Search the index and print the top hits.
    Search {
        /// The query: words (all required), "a phrase", -excluded, a OR b.
        query: String,
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Print the results as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Segment Thai text into words: reads UTF-8 lines on stdin and writes each line's tokens
    /// joined by `|` (removing the `|` gives back the line). Invalid UTF-8 is replaced and
    /// reported on stderr.
    Tokenize {
        /// Extra words, one per line, added to the built-in dictionary (e.g. new agency or
        /// politician names).
        #[arg(long, value_name = "FILE")]
        user_dict: Option<PathBuf>,
    },
    /// Suggest the responsible agencies for stories: reads JSON lines {"title": "...", "text":
    /// "..."} on stdin, writes one line {"agencies": [{"name_th", "abbr", "ministry_abbr",
    /// "score"}, ...]} per input line, best first. A malformed line gives {"agencies": [],
    /// "error": "..."} and a message on stderr.
    SuggestAgency {
        /// Extra agencies (TSV, the format of crates/praden-detect/data/agencies.tsv) added to
        /// the built-in registry.
        #[arg(long, value_name = "FILE")]
        registry: Option<PathBuf>,
    },
    /// Does a document carry the responsible agency's clarification of an issue? Reads JSON
    /// lines {"issue_title", "agency", "doc_title", "doc_body"} from FILE (or stdin), writes
    /// one line {"match": true|false, "score": 0..1} per input line, in order. A malformed
    /// line gives {"error": "line N: invalid input: …"} (so outputs stay aligned with inputs)
    /// and the same message on stderr; the command then exits with status 1 after the last
    /// line.
    MatchClarification {
        /// JSON-lines input; stdin when absent or "-".
        #[arg(value_name = "FILE")]
        input: Option<PathBuf>,
        /// Add the evidence to each line: cue, matched and missing issue words, agency
        /// mention, key-content excerpt and speaker.
        #[arg(long)]
        explain: bool,
        /// Extra agencies (TSV, the format of crates/praden-detect/data/agencies.tsv) added to
        /// the built-in registry.
        #[arg(long, value_name = "FILE")]
        registry: Option<PathBuf>,
    },
    /// Cluster documents into stories: reads JSON lines {"id", "published_at", "title", "body",
    /// "outlet", "kind"} in time order on stdin, writes one line {"id": "...", "story": "..."}
    /// per input line (plus "merged": [{"kept", "absorbed"}] when stories merged). A malformed
    /// line gives {"id": null, "story": null, "error": "..."} and a message on stderr.
    Cluster {
        /// Length of the sliding window, in hours.
        #[arg(long, default_value_t = 72.0)]
        window_hours: f64,
    },
    /// People's accounts: add, change a password, disable, enable, list. Every change is in
    /// the audit trail.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// The agency directory: each agency's contacts, who receive its issues.
    Agency {
        #[command(subcommand)]
        action: AgencyCommand,
    },
    /// Machines' API tokens (the assignment system, social-listening vendors): create, revoke,
    /// list. A token is printed once, when created; only its hash is stored.
    Token {
        #[command(subcommand)]
        action: TokenCommand,
    },
    /// Bulk-load documents from a JSON-lines file (.jsonl or .jsonl.gz) with the fields id,
    /// pub_date, category, title, body, url (social posts: id, text). Running it again adds
    /// nothing. Social and broadcast documents are keyed by SOURCE#ID; a broadcast's outlet is
    /// its channel or category (the programme).
    Import {
        file: PathBuf,
        /// Source id recorded on each document (default: the file name).
        #[arg(long)]
        source: Option<String>,
        /// Kind of the documents: news, social, broadcast or official.
        #[arg(long, default_value = "news")]
        kind: SourceKind,
        /// Outlet recorded on each document (default: the host of its URL).
        #[arg(long)]
        outlet: Option<String>,
    },
    /// Replay real documents as if they were arriving now, keeping their relative times: the
    /// articles and transcripts of DAY and the days before it, with social posts and undated
    /// pages mixed in, stored one by one when their time comes, so a running `praden serve`
    /// detects and queues them like live arrivals. Files are JSON lines as `praden import`
    /// reads them (gzip or not).
    Replay {
        /// The last day replayed (Bangkok), YYYY-MM-DD.
        #[arg(long, value_name = "YYYY-MM-DD")]
        day: String,
        /// Days replayed before DAY, so that it starts with stories already running.
        #[arg(long, default_value_t = 2)]
        days_before: u32,
        /// News archives (e.g. ../shared/data/corpus/thaigov-news-2020-2024h1.jsonl.gz).
        #[arg(long, value_name = "FILE")]
        news: Vec<PathBuf>,
        /// Official archives (a government site's own releases).
        #[arg(long, value_name = "FILE")]
        official: Vec<PathBuf>,
        /// Broadcast transcripts (e.g. ../shared/data/broadcast/thaikufah-radio-2020-2024h1.jsonl.gz).
        #[arg(long, value_name = "FILE")]
        broadcast: Vec<PathBuf>,
        /// Social posts without dates (e.g. ../shared/data/social/wisesight-messages.jsonl.gz).
        #[arg(long, value_name = "FILE")]
        social: Vec<PathBuf>,
        #[arg(long, default_value_t = 1500)]
        social_per_day: usize,
        /// Undated archive pages mixed in each day (as live pages without a date).
        #[arg(long, default_value_t = 10)]
        undated_per_day: usize,
        /// How many times faster than the original timeline (1: as it happened; 60: a day in
        /// 24 minutes, with the times between documents shrunk as much).
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// Which posts and minutes are drawn.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print the plan (one line per document: time, kind, title) and store nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Check the search index against the store, or repair it. `praden serve` does both at
    /// start by itself.
    Index {
        #[command(subcommand)]
        action: IndexCommand,
    },
}

#[derive(Subcommand)]
pub enum IndexCommand {
    /// Compare the store's document ids with the index's (up to the index's high-water mark)
    /// and list the differences; exits non-zero if there are any.
    Verify,
    /// Index what the store has and the index lacks, and remove what the index has and the
    /// store does not. Needs the index writer: stop a running server first (it repairs at
    /// start anyway).
    Repair,
    /// Merge the index into one segment, as after an import or a rebuild; for an index whose
    /// merge was skipped because its disk lacked room for the merged copy (the server warns).
    /// Needs the index writer: stop a running server first.
    Compact,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a person: admin, monitor or editor. The password is prompted for on a terminal, or
    /// read from the first line of standard input.
    Add {
        name: String,
        #[arg(long)]
        role: praden_core::Role,
        /// The name shown on pages (default: NAME), e.g. "สมชาย ใจดี".
        #[arg(long)]
        display_name: Option<String>,
        /// With --role agency: the agency or ministry the user speaks for, by its Thai name
        /// in the agency registry, e.g. "กรมการค้าภายใน" (a ministry sees its departments' issues too).
        #[arg(long)]
        agency: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password; the user's sessions end.
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Stop a user from logging in; their sessions end at once.
    Disable { name: String },
    /// Let a disabled user log in again.
    Enable { name: String },
    /// List the users and their roles.
    List,
}

#[derive(Subcommand)]
pub enum AgencyCommand {
    /// Add or update contacts from a CSV file (header agency,name,position,email,line_id, or
    /// in Thai หน่วยงาน,ชื่อ,ตำแหน่ง,อีเมล,ไลน์). Nothing is saved unless every line is good.
    Import { file: std::path::PathBuf },
    /// List the contacts, by agency.
    List,
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token for a machine and print it (shown this once).
    Create {
        name: String,
        /// consumer (reads approved issues), ingest (pushes social posts), or a person's role.
        #[arg(long)]
        role: praden_core::Role,
    },
    /// Revoke a token: it stops working at once.
    Revoke { name: String },
    /// List tokens with their role, creation, last use and revocation (never the tokens).
    List,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    // Loaded per command, so commands that need no configuration work without one.
    let config = || Config::load(cli.config.as_deref(), &|k| std::env::var(k).ok());
    match cli.command {
        Command::Serve => serve(config()?).await,
        Command::Brief {
            ref date,
            format,
            dry_run,
            no_deliver,
        } => brief(config()?, date, format, dry_run, no_deliver).await,
        Command::Assignment {
            ref date,
            json,
            dry_run,
            no_deliver,
        } => assignment(config()?, date, json, dry_run, no_deliver).await,
        Command::Kpi {
            ref period,
            ref by,
            ref format,
            ref output,
        } => kpi(config()?, period.as_deref(), by, format, output.as_deref()).await,
        Command::AssignmentMessage { ref date, json } => {
            let day = praden_core::thai_time::parse_date_any_era(date)?;
            let config = config()?;
            let store = praden_store::Store::connect(&config.database_url).await?;
            let text = praden_jobs::assignment::message_of_day(
                &store,
                &config.assignment.message,
                day,
                json,
            )
            .await;
            store.close().await;
            println!("{}", text?);
            Ok(())
        }
        Command::Ingest { once: true } => ingest_once(config()?).await,
        Command::Ingest { once: false } => ingest_forever(config()?).await,
        Command::Search {
            ref query,
            limit,
            json,
        } => search(config()?, query, limit, json),
        Command::SuggestAgency { ref registry } => suggest_agency(registry.as_deref()),
        Command::Tokenize { ref user_dict } => tokenize(user_dict.as_deref()),
        Command::Cluster { window_hours } => cluster(window_hours),
        Command::MatchClarification {
            ref input,
            explain,
            ref registry,
        } => crate::match_clarification::run(input.as_deref(), explain, registry.as_deref()),
        Command::User { ref action } => user(config()?, action).await,
        Command::Agency { ref action } => agency(config()?, action).await,
        Command::Token { ref action } => token(config()?, action).await,
        Command::Index {
            action: IndexCommand::Verify,
        } => index_verify(config()?).await,
        Command::Index {
            action: IndexCommand::Repair,
        } => index_repair(config()?).await,
        Command::Index {
            action: IndexCommand::Compact,
        } => index_compact(config()?).await,
        Command::Replay {
            ref day,
            days_before,
            ref news,
            ref official,
            ref broadcast,
            ref social,
            social_per_day,
            undated_per_day,
            speed,
            seed,
            dry_run,
        } => {
            anyhow::ensure!(
                speed.is_finite() && speed > 0.0,
                "--speed must be a positive number, not {speed}"
            );
            let day = praden_core::thai_time::parse_date_any_era(day)
                .map_err(|e| anyhow::anyhow!("--day {day}: {e}"))?;
            let mut inputs = Vec::new();
            for (files, kind) in [
                (news, SourceKind::News),
                (official, SourceKind::Official),
                (broadcast, SourceKind::Broadcast),
                (social, SourceKind::Social),
            ] {
                for file in files {
                    inputs.push(crate::replay::ReplayInput {
                        path: file.clone(),
                        options: ImportOptions {
                            source_id: default_source_id(file),
                            kind,
                            outlet: None,
                        },
                    });
                }
            }
            anyhow::ensure!(
                !inputs.is_empty(),
                "nothing to replay: give files with --news, --official, --broadcast or --social"
            );
            let options = crate::replay::ReplayOptions {
                day,
                days_before,
                social_per_day,
                undated_per_day,
                seed,
            };
            replay(config()?, &inputs, &options, speed, dry_run).await
        }
        Command::Import {
            ref file,
            ref source,
            kind,
            ref outlet,
        } => {
            let source_id = source.clone().unwrap_or_else(|| default_source_id(file));
            let options = ImportOptions {
                source_id,
                kind,
                outlet: outlet.clone(),
            };
            import(config()?, file, options).await
        }
    }
}

async fn agency(config: Config, action: &AgencyCommand) -> anyhow::Result<()> {
    let store = praden_store::Store::connect(&config.database_url).await?;
    let result = match action {
        AgencyCommand::Import { file } => crate::accounts::agency_import(&store, file).await,
        AgencyCommand::List => crate::accounts::agency_list(&store).await,
    };
    store.close().await;
    result
}

async fn user(config: Config, action: &UserCommand) -> anyhow::Result<()> {
    use crate::accounts::{self, PasswordFrom};
    let store = praden_store::Store::connect(&config.database_url).await?;
    let result = match action {
        UserCommand::Add {
            name,
            role,
            display_name,
            agency,
            password_stdin,
        } => {
            let from = PasswordFrom::choose(*password_stdin);
            let new = accounts::UserToAdd {
                name,
                role: *role,
                display_name: display_name.as_deref(),
                agency: agency.as_deref(),
            };
            accounts::user_add(&store, new, from).await
        }
        UserCommand::Passwd {
            name,
            password_stdin,
        } => accounts::user_passwd(&store, name, PasswordFrom::choose(*password_stdin)).await,
        UserCommand::Disable { name } => accounts::user_set_disabled(&store, name, true).await,
        UserCommand::Enable { name } => accounts::user_set_disabled(&store, name, false).await,
        UserCommand::List => accounts::user_list(&store).await,
    };
    store.close().await;
    result
}

async fn token(config: Config, action: &TokenCommand) -> anyhow::Result<()> {
    use crate::accounts;
    let store = praden_store::Store::connect(&config.database_url).await?;
    let result = match action {
        TokenCommand::Create { name, role } => accounts::token_create(&store, name, *role).await,
        TokenCommand::Revoke { name } => accounts::token_revoke(&store, name).await,
        TokenCommand::List => accounts::token_list(&store).await,
    };
    store.close().await;
    result
}

async fn brief(
    config: Config,
    date: &str,
    format: praden_jobs::brief_schedule::BriefFormat,
    dry_run: bool,
    no_deliver: bool,
) -> anyhow::Result<()> {
    use praden_jobs::brief_schedule::{on_demand, render};
    use praden_jobs::schedule::SystemClock;
    let slot = praden_core::thai_time::parse_date_any_era(date)?;
    let store = praden_store::Store::connect(&config.database_url).await?;
    let (brief, stored) = on_demand(&store, &config.brief, &SystemClock, slot, dry_run).await?;
    println!("{}", render(&brief, format));
    if let Some(stored) = stored {
        eprintln!(
            "stored as revision {} of the brief of {slot}{}",
            stored.revision,
            if stored.late { " (late)" } else { "" }
        );
        if !no_deliver {
            praden_jobs::delivery::Deliverer::for_brief(&config.brief, &config.user_agent())?
                .deliver_due(&store, &SystemClock)
                .await?;
        }
        let now = time::OffsetDateTime::now_utc();
        for d in store.briefs().deliveries(stored.id).await? {
            eprintln!("  {}", praden_jobs::delivery::describe(&d, now));
        }
    }
    store.close().await;
    Ok(())
}

async fn assignment(
    config: Config,
    date: &str,
    json: bool,
    dry_run: bool,
    no_deliver: bool,
) -> anyhow::Result<()> {
    use praden_jobs::schedule::SystemClock;
    let slot = praden_core::thai_time::parse_date_any_era(date)?;
    let store = praden_store::Store::connect(&config.database_url).await?;
    let (content, stored) =
        praden_jobs::assignment::on_demand(&store, &config.assignment, &SystemClock, slot, dry_run)
            .await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&content)?);
    } else {
        println!("{}", content.text);
    }
    if let Some(stored) = stored {
        eprintln!(
            "stored as revision {} of the assignment message of {slot}{}",
            stored.revision,
            if stored.late { " (late)" } else { "" }
        );
        if !no_deliver {
            praden_jobs::delivery::Deliverer::for_agencies(
                praden_store::PublicationKind::Assignment,
                &config.assignment,
                &config.user_agent(),
            )?
            .deliver_due(&store, &SystemClock)
            .await?;
        }
        let now = time::OffsetDateTime::now_utc();
        for d in store.assignments().deliveries(stored.id).await? {
            eprintln!("  {}", praden_jobs::delivery::describe(&d, now));
        }
    }
    store.close().await;
    Ok(())
}

async fn kpi(
    config: Config,
    period: Option<&str>,
    by: &str,
    format: &str,
    output: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use praden_core::kpi::Period;
    use praden_report::csv::Level;
    let today = praden_core::thai_time::to_bangkok(time::OffsetDateTime::now_utc()).date();
    let period = match period {
        Some(p) => Period::parse(p)?,
        None => Period::quarter_of(today),
    };
    let level = match (by, format) {
        ("ministry", _) => Level::Ministry,
        ("agency", _) => Level::Agency,
        ("issues", "csv") => Level::Issues,
        ("issues", _) => anyhow::bail!("--by issues goes with --format csv"),
        _ => anyhow::bail!("--by {by:?}: expected ministry, agency or issues"),
    };
    if !matches!(format, "table" | "csv" | "xlsx" | "json") {
        anyhow::bail!("--format {format:?}: expected table, csv, xlsx or json");
    }
    if format == "xlsx" && output.is_none() {
        anyhow::bail!("--format xlsx writes a workbook: name its file with --output FILE");
    }
    let store = praden_store::Store::connect(&config.database_url).await?;
    let gathered = praden_web::kpi::gather_from(
        &store,
        &config.kpi,
        None,
        period,
        &praden_web::kpi::Scope::default(),
    )
    .await;
    store.close().await;
    let g = gathered?;
    let kpi = &g.kpi;
    let rows = if by == "agency" {
        &kpi.by_agency
    } else {
        &kpi.by_ministry
    };
    let bytes: Vec<u8> = match format {
        "json" => {
            let mut text = serde_json::to_string_pretty(&serde_json::json!({
                "period": period.code(),
                "label_th": period.label_th(),
                "deadline_rule": config.kpi.rule_th,
                "closed": g.closed.iter().map(|c| c.quarter.period.code()).collect::<Vec<_>>(),
                "by": by,
                "total": kpi.total,
                "rows": rows,
                "issues": kpi.issues,
            }))?;
            text.push('\n');
            text.into_bytes()
        }
        "csv" => praden_report::csv::csv(kpi, level),
        "xlsx" => praden_report::xlsx::workbook(kpi, &period, &g.provenance(&config.kpi))?,
        _ => kpi_table(&g, rows, by == "agency").into_bytes(),
    };
    match output {
        Some(path) => std::fs::write(path, &bytes)
            .map_err(|e| anyhow::anyhow!("--output {}: {e}", path.display()))?,
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes)?;
        }
    }
    Ok(())
}

/// The KPI as a text table: one line per row, then the total.
fn kpi_table(
    g: &praden_web::kpi::Gathered,
    rows: &[praden_core::kpi::Row],
    by_agency: bool,
) -> String {
    let pct = |p: Option<f64>| p.map_or("—".to_string(), |p| format!("{p:.1}"));
    let mut table = vec![[
        if by_agency {
            "หน่วยงาน"
        } else {
            "กระทรวง"
        },
        "ประเด็น",
        "ทันกำหนด",
        "ล่าช้า",
        "ไม่ชี้แจง",
        "รอครบกำหนด",
        "ร้อยละทันกำหนด",
    ]
    .map(String::from)
    .to_vec()];
    let total = praden_core::kpi::Row {
        name: "รวม".into(),
        ministry: String::new(),
        figures: g.kpi.total.clone(),
    };
    for r in rows.iter().chain([&total]) {
        let f = &r.figures;
        table.push(vec![
            r.name.clone(),
            f.assigned.to_string(),
            f.in_time.to_string(),
            f.late.to_string(),
            f.not_clarified.to_string(),
            f.pending.to_string(),
            pct(f.percent_in_time),
        ]);
    }
    let mut out = format!("{}\n", g.period.label_th());
    for line in crate::accounts::columns(&table) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let app = Application::build(config).await?;
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    app.run(shutdown).await
}

async fn ingest_forever(config: Config) -> anyhow::Result<()> {
    let sources = app::load_sources(&config)?;
    let Parts { store, index } = Parts::open(&config).await?;
    let writer = index.start_writer(app::commit_policy(&config))?;
    let stored = Arc::new(Notify::new());
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    let follower = tokio::spawn(follow::follow(
        store.clone(),
        index.clone(),
        writer,
        stored.clone(),
        shutdown.clone(),
        config.index.verify_at_start,
        false,
    ));
    Ingester::with_limits(
        store.clone(),
        app::fetcher(&config)?,
        stored,
        app::ingest_limits(&config),
    )
    .on_node(config.node.clone())
    .run(sources, shutdown)
    .await;
    follower.await??;
    store.close().await;
    Ok(())
}

async fn ingest_once(config: Config) -> anyhow::Result<()> {
    let sources = app::load_sources(&config)?;
    let Parts { store, index } = Parts::open(&config).await?;
    let ingester = Ingester::with_limits(
        store.clone(),
        app::fetcher(&config)?,
        Arc::new(Notify::new()),
        app::ingest_limits(&config),
    );
    let results = ingester.poll_all_once(&sources).await;
    let mut failed = 0;
    for (id, result) in &results {
        match result {
            Ok(r) => {
                println!(
                    "{id}: {} items, {} new, {} already stored, {} skipped",
                    r.found,
                    r.new,
                    r.already_stored,
                    r.skipped.len()
                );
                for e in &r.skipped {
                    println!("  skipped {e}");
                }
            }
            Err(e) => {
                failed += 1;
                println!("{id}: FAILED: {e}");
            }
        }
    }
    index_new_documents(&config, &store, &index).await?;
    store.close().await;
    if failed > 0 {
        anyhow::bail!("{failed} of {} sources failed", results.len());
    }
    Ok(())
}

fn search(config: Config, query: &str, limit: usize, json: bool) -> anyhow::Result<()> {
    let index = SearchIndex::open_or_create(&config.index_dir())?;
    let results = index.search(query, limit)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&results)?);
        return Ok(());
    }
    let more = if results.total_exact {
        ""
    } else {
        "more than "
    };
    println!(
        "{more}{} documents match “{}”",
        results.total, results.query
    );
    for (i, hit) in results.hits.iter().enumerate() {
        let date = hit
            .published_at
            .as_deref()
            .and_then(|t| {
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
            })
            .map(|t| {
                praden_core::thai_time::format_thai_date_short(
                    praden_core::thai_time::to_bangkok(t).date(),
                )
            })
            .unwrap_or_else(|| "undated".into());
        println!(
            "\n{}. {}\n   {} · {} · {}",
            i + 1,
            hit.title,
            hit.outlet,
            hit.kind,
            date
        );
        if let Some(url) = &hit.url {
            println!("   {url}");
        }
        println!("   {}", strip_tags(&hit.snippet_html).replace('\n', " "));
    }
    Ok(())
}

async fn import(
    config: Config,
    file: &std::path::Path,
    options: ImportOptions,
) -> anyhow::Result<()> {
    let Parts { store, index } = Parts::open(&config).await?;
    let started = Instant::now();
    // The index follows the store while the import runs, as under `praden serve`: each
    // stored batch wakes it, so storing and indexing share the cores instead of taking
    // turns, and a crash at any point is repaired by the next catch-up.
    let stored = Arc::new(Notify::new());
    let done = CancellationToken::new();
    // Nobody waits for an imported document to be searchable within seconds; a commit is a
    // new segment to merge later, so an import commits by count, or after half a minute.
    let policy = app::commit_policy(&config);
    let policy = praden_index::CommitPolicy {
        max_delay: policy.max_delay.max(std::time::Duration::from_secs(30)),
        ..policy
    };
    let indexing = match index.start_writer(policy) {
        Ok(writer) => Some(tokio::spawn(follow::follow(
            store.clone(),
            index.clone(),
            writer,
            stored.clone(),
            done.clone(),
            false,
            true,
        ))),
        Err(IndexError::Locked { .. }) => {
            println!("a running praden process owns the index; it will index the new documents");
            None
        }
        Err(e) => return Err(e.into()),
    };
    // What the index holds grows as the follower commits; the bar shows the growth.
    let indexed_before = index.num_docs();
    let indexed_now = || index.num_docs().saturating_sub(indexed_before);
    let imported = import_file_showing(
        &store,
        file,
        &options,
        stored,
        indexing.is_some().then_some(&indexed_now as IndexedCount),
    )
    .await;
    done.cancel();
    let to_index = imported.as_ref().map_or(0, |r| r.inserted as u64);
    let followed = match indexing {
        Some(task) => Some(
            finish_indexing(task, to_index, &indexed_now)
                .await
                .context("the index follower panicked")?,
        ),
        None => None,
    };
    let report = imported?;
    let indexed = match followed {
        Some(result) => {
            result.context("indexing failed")?;
            // The follower has committed and stopped: read the index as it now is.
            index.reload()?;
            Some(indexed_now())
        }
        None => None,
    };
    println!("{}", report.summary(file, indexed, started.elapsed()));
    store.close().await;
    Ok(())
}

async fn replay(
    config: Config,
    inputs: &[crate::replay::ReplayInput],
    options: &crate::replay::ReplayOptions,
    speed: f64,
    dry_run: bool,
) -> anyhow::Result<()> {
    let plan = crate::replay::plan(inputs, options)?;
    let line = |at: time::OffsetDateTime, doc: &praden_core::NewDocument| {
        format!(
            "{} {:<9} {}",
            at.to_offset(praden_core::thai_time::BANGKOK)
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            doc.kind.as_str(),
            doc.title.chars().take(80).collect::<String>()
        )
    };
    if dry_run {
        for p in &plan {
            println!("{}", line(p.at, &p.doc));
        }
        return Ok(());
    }
    let (Some(first), Some(last)) = (plan.first(), plan.last()) else {
        println!("nothing dated on the replayed days");
        return Ok(());
    };
    let minutes = (last.at - first.at).as_seconds_f64() / 60.0 / speed;
    eprintln!(
        "replaying {} documents over {minutes:.1} minutes into {}; a running `praden serve` picks them up",
        plan.len(),
        config.database_url
    );
    let store = praden_store::Store::connect(&config.database_url).await?;
    let stored = crate::replay::run(&store, &plan, speed, |i, doc| {
        println!("{i:>6} {}", line(doc.fetched_at, doc));
    })
    .await;
    store.close().await;
    let stored = stored?;
    eprintln!(
        "{stored} documents stored ({} were already there)",
        plan.len() - stored
    );
    Ok(())
}

async fn index_verify(config: Config) -> anyhow::Result<()> {
    let Parts { store, index } = Parts::open(&config).await?;
    let found = follow::verify(&store, &index).await;
    store.close().await;
    let found = found?;
    println!("{}", found.describe());
    anyhow::ensure!(
        found.agrees(),
        "the index and the store disagree: run `praden index repair` (or restart `praden serve`)"
    );
    println!("the index agrees with the store");
    Ok(())
}

async fn index_compact(config: Config) -> anyhow::Result<()> {
    let Parts { store, index } = Parts::open(&config).await?;
    store.close().await;
    let policy = app::commit_policy(&config);
    let writer = match index.start_writer(policy) {
        Ok(w) => w,
        Err(IndexError::Locked { path }) => anyhow::bail!(
            "a running praden process owns the index in {path}: stop it and run `praden index \
             compact` again"
        ),
        Err(e) => return Err(e.into()),
    };
    // Asked after the writer started, which removed files no segment uses.
    let before = index.segment_count();
    let room = if before > 1 {
        index.room_for_full_merge(policy.disk_reserve)
    } else {
        Ok(())
    };
    let started = std::time::Instant::now();
    let merging = writer.compact().await?;
    writer.shutdown_after_merges().await?;
    if let Err((needed, available)) = room {
        anyhow::bail!(
            "the index is left in {before} segments: merging them needs {:.1} GB free on its \
             disk (a copy of the index, and {:.1} GB for the store beside it), and {:.1} GB \
             are free",
            needed as f64 / 1e9,
            policy.disk_reserve as f64 / 1e9,
            available as f64 / 1e9
        );
    }
    let after = SearchIndex::open_or_create(&config.index_dir())?.segment_count();
    if merging {
        println!(
            "merged {before} segments into {after} in {:.0} s",
            started.elapsed().as_secs_f64()
        );
    } else {
        println!("the index is in {after} segment(s); nothing to merge");
    }
    Ok(())
}

async fn index_repair(config: Config) -> anyhow::Result<()> {
    let Parts { store, index } = Parts::open(&config).await?;
    let writer = match index.start_writer(app::commit_policy(&config)) {
        Ok(w) => w,
        Err(IndexError::Locked { path }) => anyhow::bail!(
            "a running praden process owns the index in {path}; it checks and repairs the \
             index when it starts, or stop it and run `praden index repair` again"
        ),
        Err(e) => return Err(e.into()),
    };
    let caught_up = follow::catch_up(&store, &writer).await?;
    writer.compact_after_backlog(caught_up).await?;
    let found = follow::verify_and_repair(&store, &index, &writer).await?;
    println!("{}", found.describe());
    if caught_up > 0 {
        println!("indexed {caught_up} documents above the high-water mark");
    }
    if !found.agrees() {
        println!(
            "repaired: {} documents indexed again, {} removed",
            found.missing.len() + found.repeated.len(),
            found.extra.len()
        );
    }
    writer.shutdown_after_merges().await?;
    let after = follow::verify(&store, &index).await?;
    store.close().await;
    println!("{}", after.describe());
    anyhow::ensure!(after.agrees(), "the index still disagrees with the store");
    println!("the index agrees with the store");
    Ok(())
}

/// Brings the index up to date with the store, unless a running server owns the writer (it
/// then indexes the new documents itself). Returns how many were indexed here.
async fn index_new_documents(
    config: &Config,
    store: &praden_store::Store,
    index: &SearchIndex,
) -> anyhow::Result<Option<usize>> {
    let writer = match index.start_writer(app::commit_policy(config)) {
        Ok(w) => w,
        Err(IndexError::Locked { .. }) => {
            println!("a running praden process owns the index; it will index the new documents");
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    let n = follow::catch_up(store, &writer)
        .await
        .context("indexing failed")?;
    writer.compact_after_backlog(n).await?;
    writer.shutdown_after_merges().await?;
    Ok(Some(n))
}

fn tokenize(user_dict: Option<&std::path::Path>) -> anyhow::Result<()> {
    let segmenter = match user_dict {
        Some(path) => praden_thai::Segmenter::with_user_dict(path)?,
        None => praden_thai::Segmenter::new(),
    };
    let stdin = std::io::stdin();
    praden_thai::tokenize_stream(
        &segmenter,
        stdin.lock(),
        std::io::stdout().lock(),
        std::io::stderr().lock(),
    )?;
    Ok(())
}

fn suggest_agency(registry: Option<&std::path::Path>) -> anyhow::Result<()> {
    let suggester = match registry {
        Some(path) => Arc::new(praden_detect::AgencySuggester::new(
            &praden_detect::AgencyRegistry::load_with_extension(path)?,
        )?),
        None => praden_detect::AgencySuggester::shared_default()?,
    };
    let stdin = std::io::stdin();
    praden_detect::suggest_stream(
        &suggester,
        stdin.lock(),
        std::io::stdout().lock(),
        std::io::stderr().lock(),
    )?;
    Ok(())
}

fn cluster(window_hours: f64) -> anyhow::Result<()> {
    anyhow::ensure!(
        window_hours.is_finite() && window_hours > 0.0,
        "--window-hours must be a positive number of hours, got {window_hours}"
    );
    let config = praden_detect::ClusterConfig {
        window_hours,
        ..Default::default()
    };
    let mut clusterer = praden_detect::Clusterer::new(config);
    let stdin = std::io::stdin();
    praden_detect::cluster_stream(
        &mut clusterer,
        stdin.lock(),
        std::io::stdout().lock(),
        std::io::stderr().lock(),
    )?;
    Ok(())
}

fn default_source_id(file: &std::path::Path) -> String {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("import");
    let stem = name.split('.').next().unwrap_or(name);
    stem.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

async fn cancel_on_signal(token: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down");
    token.cancel();
}
