//! Feeds as real sites serve them, polled end to end into a SQLite store: damaged encodings
//! are kept and recorded, a feed whose items cannot be read fails its poll, and two outlets
//! listing one URL each keep their copy, linked. The fixtures are served from 127.0.0.1 by
//! the small server below; nothing leaves the machine.

use praden_ingest::{FetchConfig, Fetcher, IngestLimits, Ingester, Source};
use praden_store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A served page: its content type and body.
type Page = (String, Vec<u8>);

/// Serves `path → (content type, body)` over HTTP/1.1 on 127.0.0.1, one response per
/// connection.
#[derive(Clone, Default)]
struct Fixtures {
    pages: Arc<Mutex<HashMap<String, Page>>>,
    port: u16,
}

impl Fixtures {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let this = Fixtures {
            port: listener.local_addr().unwrap().port(),
            ..Fixtures::default()
        };
        let pages = this.pages.clone();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let pages = pages.clone();
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    let line = String::from_utf8_lossy(&request).into_owned();
                    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                    let page = pages.lock().unwrap().get(&path).cloned();
                    let (status, content_type, body) = match page {
                        Some((ct, body)) => ("200 OK", ct, body),
                        None => ("404 Not Found", "text/plain".into(), b"no".to_vec()),
                    };
                    let head = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = conn.write_all(head.as_bytes()).await;
                    let _ = conn.write_all(&body).await;
                    let _ = conn.shutdown().await;
                });
            }
        });
        this
    }

    fn set(&self, path: &str, content_type: &str, body: Vec<u8>) -> String {
        self.pages
            .lock()
            .unwrap()
            .insert(path.to_string(), (content_type.to_string(), body));
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/feeds/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// sources.toml entries: (id, outlet, url).
fn sources(entries: &[(&str, &str, &str)]) -> Vec<Source> {
    let text: String = entries
        .iter()
        .map(|(id, outlet, url)| {
            format!(
                "[[source]]\nid = \"{id}\"\nname = \"{id}\"\nkind = \"news\"\noutlet = \"{outlet}\"\n\
                 url = \"{url}\"\nformat = \"rss\"\ninterval = \"10m\"\n\
                 allow_private_network = true\nfetch_article = \"never\"\n\n"
            )
        })
        .collect();
    praden_ingest::sources::parse(&text, "sources.toml").unwrap()
}

async fn ingester() -> (tempfile::TempDir, Store, Ingester) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/praden.db", dir.path().display());
    let store = Store::connect(&url).await.unwrap();
    let fetcher = Fetcher::new(&FetchConfig {
        contact: "tests@praden.invalid".into(),
        timeout: Duration::from_secs(5),
        ..FetchConfig::default()
    })
    .unwrap();
    let ingester = Ingester::with_limits(
        store.clone(),
        fetcher,
        Arc::new(Default::default()),
        IngestLimits {
            max_concurrent: 2,
            host_gap: Duration::from_millis(1),
            ..IngestLimits::default()
        },
    );
    (dir, store, ingester)
}

#[tokio::test]
async fn a_stray_byte_in_a_utf8_feed_costs_one_character_and_is_recorded() {
    let server = Fixtures::start().await;
    let url = server.set(
        "/utf8.xml",
        "application/rss+xml",
        fixture("utf8-declared-stray-byte.xml"),
    );
    let (_dir, store, ingester) = ingester().await;
    let source = &sources(&[("utf8", "utf8", &url)])[0];
    let report = ingester.poll(source).await.unwrap();
    assert_eq!((report.found, report.new), (2, 2), "the items are kept");
    assert_eq!(report.feed_problems.len(), 1);
    let titles: Vec<String> = store
        .documents_after(0, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.doc.title)
        .collect();
    assert_eq!(
        titles,
        ["ครม. เห็นชอบมาตรการลดค่าไฟฟ้า", "น้ำท่วมเชียงใหม่\u{FFFD}"]
    );
    let state = store.source_state("utf8").await.unwrap().unwrap();
    assert_eq!(state.items_failed_last, 1);
    let last_error = state.last_error.unwrap();
    assert!(
        last_error.contains("1 byte was not valid in UTF-8") && last_error.contains("declared"),
        "{last_error}"
    );
    let failures = store.item_failures("utf8", 10).await.unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].item, url);
    // A clean poll clears the error.
    server.set(
        "/utf8.xml",
        "application/rss+xml",
        String::from_utf8_lossy(&fixture("utf8-declared-stray-byte.xml"))
            .replace('\u{FFFD}', "")
            .into_bytes(),
    );
    let again = ingester.poll(source).await.unwrap();
    assert!(again.feed_problems.is_empty());
    assert!(store
        .source_state("utf8")
        .await
        .unwrap()
        .unwrap()
        .last_error
        .is_none());
    store.close().await;
}

#[tokio::test]
async fn a_feed_that_lists_items_but_yields_none_fails_its_poll() {
    let server = Fixtures::start().await;
    let url = server.set(
        "/none.xml",
        "application/rss+xml",
        fixture("items-none-readable.xml"),
    );
    let (_dir, store, ingester) = ingester().await;
    let source = &sources(&[("broken", "broken", &url)])[0];
    let err = ingester.poll(source).await.unwrap_err();
    assert!(err.to_string().contains("lists 2 items"), "{err}");
    let state = store.source_state("broken").await.unwrap().unwrap();
    assert_eq!(state.consecutive_failures, 1);
    assert!(state.last_success_at.is_none());
    assert!(state
        .last_error
        .unwrap()
        .contains("none of them could be read"));
    store.close().await;
}

#[tokio::test]
async fn feeds_feed_rs_rejects_or_misreads_are_stored() {
    let server = Fixtures::start().await;
    let entries = [
        ("tis", "tis620-undeclared-no-version.xml", 2),
        ("heise", "rss090.xml", 3),
        ("rdf", "rss10-items-without-link.xml", 3),
        ("c1", "windows-1252-c1.xml", 2),
        ("fr", "latin1-undeclared.xml", 1),
        ("ja", "shift-jis-undeclared.xml", 1),
    ];
    let urls: Vec<String> = entries
        .iter()
        .map(|(id, file, _)| server.set(&format!("/{id}.xml"), "text/xml", fixture(file)))
        .collect();
    let config: Vec<_> = entries
        .iter()
        .zip(&urls)
        .map(|((id, _, _), url)| (*id, *id, url.as_str()))
        .collect();
    let (_dir, store, ingester) = ingester().await;
    for (source, (id, _, expected)) in sources(&config).iter().zip(&entries) {
        let report = ingester.poll(source).await.unwrap();
        assert_eq!((report.found, report.new), (*expected, *expected), "{id}");
        assert!(
            report.skipped.is_empty() && report.feed_problems.is_empty(),
            "{id}"
        );
        // Polling again stores nothing: every item, linkless ones included, has a stable key.
        let again = ingester.poll(source).await.unwrap();
        assert_eq!((again.new, again.already_stored), (0, *expected), "{id}");
    }
    let text: String = store
        .documents_after(0, 100)
        .await
        .unwrap()
        .iter()
        .map(|d| format!("{}\n{}\n", d.doc.title, d.doc.body))
        .collect();
    for expected in [
        "นายกฯ สั่งการกระทรวงสาธารณสุขรับมือฝุ่น",
        "Rechenzentren brauchen mehr Strom",
        "No link, an rdf:about",
        "Raw byte: don’t stop",
        "La criminalité liée aux drogues en hausse",
        "東京で桜が満開になりました",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    store.close().await;
}

#[tokio::test]
async fn two_outlets_listing_one_url_each_keep_a_copy_linked_to_the_first() {
    let server = Fixtures::start().await;
    let item = |body: &str| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title>\
             <item><title>ครม. เห็นชอบลดค่าไฟฟ้า</title><link>https://gov.example/news/1?utm_source=x</link>\
             <description>{body}</description></item></channel></rss>"
        )
        .into_bytes()
    };
    let gov = server.set(
        "/gov.xml",
        "application/rss+xml",
        item("คณะรัฐมนตรีมีมติเห็นชอบมาตรการลดค่าไฟฟ้าสามเดือน"),
    );
    let aggregator = server.set("/agg.xml", "application/rss+xml", item("สรุปข่าว"));
    let (_dir, store, ingester) = ingester().await;
    let sources = sources(&[
        ("gov", "gov", &gov),
        ("agg", "aggregator", &aggregator),
        // A second feed of the same outlet: one document per outlet, not per feed.
        ("gov-politics", "gov", &gov),
    ]);
    let polled = |i: usize| ingester.poll(&sources[i]);
    assert_eq!(polled(0).await.unwrap().new, 1);
    let agg = polled(1).await.unwrap();
    assert_eq!(
        (agg.new, agg.already_stored),
        (1, 0),
        "the aggregator's copy"
    );
    let same_outlet = polled(2).await.unwrap();
    assert_eq!((same_outlet.new, same_outlet.already_stored), (0, 1));
    let docs = store.documents_after(0, 10).await.unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0].doc.item_key, "https://gov.example/news/1");
    assert_eq!(
        docs[1].doc.item_key,
        "https://gov.example/news/1#outlet=aggregator"
    );
    assert_eq!(
        docs[1].doc.url.as_deref(),
        Some("https://gov.example/news/1?utm_source=x")
    );
    let copies: Vec<_> = store
        .copies_of(docs[1].id)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.outlet)
        .collect();
    assert_eq!(copies, ["gov", "aggregator"]);
    // Re-polling every source stores nothing new.
    for source in &sources {
        let again = ingester.poll(source).await.unwrap();
        assert_eq!((again.new, again.already_stored), (0, 1), "{}", source.id);
    }
    assert_eq!(store.count_documents().await.unwrap(), 2);
    store.close().await;
}
