//! Shared by the tests that need real articles: an application holding the first articles of
//! the thaigov corpus in ../shared.

use praden_core::SourceKind;
use praden_tests::{Db, RunningApp, TestEnv};
use std::io::{BufRead, Write};

const CORPUS: &str = "../../shared/data/corpus/thaigov-news-2020-2024h1.jsonl.gz";
pub const ARTICLES: usize = 400;

pub async fn app_with_real_articles() -> (TestEnv, RunningApp) {
    let env = TestEnv::new(Db::Sqlite).await.unwrap();
    env.write_sources(&[]);
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(CORPUS);
    let file = std::fs::File::open(&corpus).unwrap_or_else(|e| panic!("{}: {e}", corpus.display()));
    let lines = std::io::BufReader::new(flate2::read::MultiGzDecoder::new(file)).lines();
    let sample = env.dir.path().join("sample.jsonl");
    let mut out = std::fs::File::create(&sample).unwrap();
    for line in lines.take(ARTICLES) {
        writeln!(out, "{}", line.unwrap()).unwrap();
    }
    drop(out);
    let parts = praden::app::Parts::open(&env.config()).await.unwrap();
    let options = praden::import::ImportOptions {
        source_id: "thaigov".into(),
        kind: SourceKind::Official,
        outlet: None,
    };
    let report = praden::import::import_file(&parts.store, &sample, &options, Default::default())
        .await
        .unwrap();
    assert_eq!(report.inserted, ARTICLES);
    parts.store.close().await;
    drop(parts);
    let app = RunningApp::start(env.config()).await;
    app.wait_for_hits("รัฐบาล", 1).await;
    // The follower indexes in pages; wait until every article is searchable.
    loop {
        let (_, health) = app.get_json("/healthz").await;
        if health["indexed"] == ARTICLES as u64 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    (env, app)
}
