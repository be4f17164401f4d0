//! How long the 09:30 brief takes to generate with a full review window.
//!
//!     cargo bench -p praden-tests --bench brief_generation -- [DOCS] [CANDIDATES] [APPROVED]
//!
//! Loads DOCS (default 50,000) real Thai articles from ../shared's thaigov corpus into a fresh
//! store (SQLite in a temporary directory; also PostgreSQL when PRADEN_TEST_POSTGRES_URL is
//! set), all dated within the last three days, and groups them into CANDIDATES (default 500)
//! review-queue candidates of equal size, APPROVED (default 50) of which monitors approved
//! since the previous brief. Then it times generation as the scheduler does it — gathering
//! from the store (issues, top candidates, coverage documents, social engagement), building
//! the brief and rendering the LINE messages, Markdown and JSON — with the default 10 and
//! with all pending candidates listed, and prints the median and worst of 7 runs each.
//! The target is 2 s. (`generate`, which the scheduler calls, is `gather` then `build`.)

use praden_core::review::{
    AgencyProposal, AgencyRef, Criterion, CriterionRecord, KindCounts, Proposal,
};
use praden_core::{NewDocument, SourceKind};
use praden_jobs::brief_schedule::gather;
use praden_store::testing::TestPostgres;
use praden_store::{Approval, DecisionContext, Store};
use std::io::BufRead;
use std::path::Path;
use std::time::Instant;
use time::macros::datetime;
use time::{Date, Duration, OffsetDateTime};

const CORPUS: &str = "../../shared/data/corpus/thaigov-news-2020-2024h1.jsonl.gz";
const RUNS: usize = 7;
/// 09:30 Bangkok on the bench's day.
const NOW: OffsetDateTime = datetime!(2026-11-23 09:30 +7);

fn arg(i: usize, default: usize) -> usize {
    std::env::args()
        .filter(|a| !a.starts_with('-'))
        .nth(i)
        .map(|a| a.replace('_', "").parse().expect("a whole number"))
        .unwrap_or(default)
}

/// `n` articles: the corpus in order, started again from the top when it runs out (it has
/// about 48,000 with a title and a body; each document gets its own URL anyway).
fn read_corpus(n: usize) -> Vec<(String, String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(CORPUS);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader = std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file));
    let mut out = Vec::with_capacity(n);
    for line in reader.lines() {
        if out.len() == n {
            break;
        }
        let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        let (title, body) = (text("title"), text("body"));
        if title.is_empty() || body.is_empty() {
            continue;
        }
        out.push((text("url"), title, body));
    }
    let distinct = out.len();
    assert!(distinct > 0, "{} has no usable article", path.display());
    for i in distinct..n {
        out.push(out[i % distinct].clone());
    }
    if distinct < n {
        println!("  the corpus has {distinct} usable articles; the rest are repeated");
    }
    out
}

fn agency() -> AgencyRef {
    AgencyRef {
        name_th: "สำนักนายกรัฐมนตรี".into(),
        abbr: "นร.".into(),
        ministry_abbr: "นร.".into(),
        ministry_th: "สำนักนายกรัฐมนตรี".into(),
        name_en: String::new(),
    }
}

async fn load(
    store: &Store,
    docs: &[(String, String, String)],
    candidates: usize,
    approved: usize,
) {
    let started = Instant::now();
    let window = Duration::hours(72);
    let mut ids = Vec::with_capacity(docs.len());
    for (chunk_no, chunk) in docs.chunks(1000).enumerate() {
        let batch: Vec<NewDocument> = chunk
            .iter()
            .enumerate()
            .map(|(i, (url, title, body))| {
                let n = chunk_no * 1000 + i;
                // Spread over the window, oldest first; a URL of its own (canonical URLs drop
                // fragments, not query parameters), as the corpus is repeated to reach DOCS.
                let at = NOW - window + window * (n as f64 / docs.len() as f64);
                NewDocument::new(praden_core::DocumentParts {
                    source_id: "thaigov",
                    kind: SourceKind::Official,
                    outlet: "thaigov.go.th",
                    url: Some(&format!(
                        "{url}{}bench={n}",
                        if url.contains('?') { '&' } else { '?' }
                    )),
                    item_id: None,
                    title,
                    body,
                    published_at: Some(at),
                    fetched_at: at,
                })
                .unwrap()
            })
            .collect();
        ids.extend(store.insert_documents(&batch).await.unwrap().inserted);
    }
    let per = ids.len() / candidates;
    for c in 0..candidates {
        let members = &ids[c * per..(c + 1) * per];
        let (_, title, body) = &docs[c * per];
        let proposal = Proposal {
            title: title.chars().take(120).collect(),
            summary: body.chars().skip(40).take(280).collect(),
            score: 1.0 - c as f64 / candidates as f64,
            criteria: vec![
                CriterionRecord {
                    criterion: Criterion::GovernmentPolicy,
                    score: 0.7,
                    evidence: vec!["นโยบาย".into()],
                },
                CriterionRecord {
                    criterion: Criterion::MediaAttention,
                    score: 0.55,
                    evidence: vec![],
                },
            ],
            misleading: None,
            agencies: vec![AgencyProposal {
                agency: agency(),
                score: 0.8,
                reasons: vec![],
            }],
            deadline_days: 1,
            deadline_rule: "default".into(),
            outlets: vec!["thaigov.go.th".into()],
            links: vec![],
            counts: KindCounts {
                official: per as i64,
                ..KindCounts::default()
            },
            articles: per as i64,
            first_seen: NOW - window,
            last_seen: NOW,
            public_matter: None,
        };
        let outcome = store
            .upsert_proposal(members, &proposal, 2.0, NOW - Duration::hours(1))
            .await
            .unwrap();
        // Every (candidates/approved)-th candidate was approved yesterday evening.
        if approved > 0
            && c % (candidates / approved).max(1) == 0
            && c / (candidates / approved).max(1) < approved
        {
            store
                .approve_candidate(
                    outcome.candidate_id,
                    1,
                    &Approval {
                        title: proposal.title.clone(),
                        agency: agency(),
                        deadline_days: 2,
                        source: "thaigov.go.th".into(),
                    },
                    &DecisionContext {
                        actor: "bench".into(),
                        request_id: None,
                        now: NOW - Duration::hours(12),
                    },
                )
                .await
                .unwrap();
        }
    }
    println!(
        "  loaded {} documents into {candidates} candidates ({per} each) in {:.1} s",
        ids.len(),
        started.elapsed().as_secs_f64()
    );
}

async fn time_generation(store: &Store, slot: Date, top: usize) {
    let mut times = Vec::new();
    let mut sizes = (0, 0, 0, 0);
    for _ in 0..RUNS {
        let started = Instant::now();
        let input = gather(store, slot, NOW, NOW, false, top).await.unwrap();
        let gathered = started.elapsed().as_secs_f64();
        let brief = praden_brief::build(&input);
        let messages = praden_brief::line_messages(&brief);
        let markdown = praden_brief::markdown(&brief);
        let json = serde_json::to_string(&brief).unwrap();
        times.push((started.elapsed().as_secs_f64(), gathered));
        sizes = (
            brief.counts.approved as usize,
            brief.pending.len(),
            messages.len(),
            markdown.len() + json.len(),
        );
    }
    times.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (median, gathered) = times[RUNS / 2];
    println!(
        "  top_candidates = {top:>3}: median {median:.3} s (store {gathered:.3} s, build and \
         render {:.3} s), worst {:.3} s over {RUNS} runs ({} approved + {} pending items, \
         {} LINE messages, {} KiB Markdown+JSON)",
        median - gathered,
        times[RUNS - 1].0,
        sizes.0,
        sizes.1,
        sizes.2,
        sizes.3 / 1024
    );
}

async fn bench(
    name: &str,
    store: Store,
    docs: &[(String, String, String)],
    candidates: usize,
    approved: usize,
) {
    println!("{name}:");
    load(&store, docs, candidates, approved).await;
    let slot = praden_core::thai_time::to_bangkok(NOW).date();
    time_generation(&store, slot, 10).await;
    time_generation(&store, slot, candidates).await;
    store.close().await;
}

#[tokio::main]
async fn main() {
    let docs_n = arg(1, 50_000);
    let candidates = arg(2, 500);
    let approved = arg(3, 50).min(candidates);
    println!(
        "brief generation: {docs_n} documents, {candidates} candidates, {approved} approved \
         since the previous brief ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let started = Instant::now();
    let docs = read_corpus(docs_n);
    println!(
        "  read the corpus in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/praden.db", dir.path().display());
    bench(
        "SQLite",
        Store::connect(&url).await.unwrap(),
        &docs,
        candidates,
        approved,
    )
    .await;
    if let Some(pg) = TestPostgres::create().await {
        let store = Store::connect(pg.url()).await.unwrap();
        bench("PostgreSQL", store, &docs, candidates, approved).await;
    }
}
