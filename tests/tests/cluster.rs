//! Three `praden serve` processes on one PostgreSQL database (issue 28), polling twelve local
//! feeds on three hosts, with detection, approvals and a feed subscriber. The process running
//! the detector is killed with SIGKILL mid-run and restarted later. Afterwards: every item
//! the feeds showed is stored exactly once; no feed was fetched more often than its interval
//! allows and no host got two requests at once or closer than the gap, across processes; the
//! detector ran on one process at a time and was taken over within 30 s; no story has two
//! candidates; the feed has every event and the subscriber got each; and every process's
//! index holds exactly the store's documents (checked without the repair at start).
//!
//! PostgreSQL only (SQLite serves one process); skipped without PRADEN_TEST_POSTGRES_URL.
//! `harness = false`: the same executable runs the processes (`cluster::run_as_node_if_asked`).

use praden_tests::cluster::{self, ClusterEnv, Node, Outlets, Receiver};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

const INTERVAL: Duration = Duration::from_secs(15);
const HOST_GAP: Duration = Duration::from_secs(1);

fn main() {
    cluster::run_as_node_if_asked();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ran = rt.block_on(three_processes_share_the_work_and_survive_a_kill());
    if ran {
        println!("test three_processes_share_the_work_and_survive_a_kill ... ok");
    }
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// Approves up to `n` pending candidates through `node`; returns how many.
async fn approve(client: &reqwest::Client, node: &Node, token: &str, n: usize) -> usize {
    let list: serde_json::Value = match client
        .get(node.url(&format!("/api/v1/candidates?status=pending&limit={n}")))
        .bearer_auth(token)
        .send()
        .await
    {
        Ok(r) => r.json().await.unwrap_or_default(),
        Err(_) => return 0,
    };
    let mut approved = 0;
    for c in list["candidates"].as_array().into_iter().flatten() {
        let r = client
            .post(node.url(&format!("/api/v1/candidates/{}/approve", c["id"])))
            .bearer_auth(token)
            .json(&serde_json::json!({"version": c["version"], "agency": "สำนักนายกรัฐมนตรี"}))
            .send()
            .await
            .unwrap();
        if r.status() == 201 {
            approved += 1;
        } else {
            eprintln!("approving {} answered {}", c["id"], r.status());
        }
    }
    approved
}

async fn wait_until_up(client: &reqwest::Client, nodes: &[&Node]) {
    let deadline = Instant::now() + Duration::from_secs(120);
    for node in nodes {
        while node.health(client).await.is_none() {
            assert!(
                Instant::now() < deadline,
                "node {} never answered",
                node.name
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

async fn three_processes_share_the_work_and_survive_a_kill() -> bool {
    let Some(db) = praden_store::testing::TestPostgres::create().await else {
        println!("PRADEN_TEST_POSTGRES_URL is not set: the cluster test is skipped");
        return false;
    };
    let store = praden_store::Store::connect(db.url()).await.unwrap();
    let outlets = Outlets::start(store.clone(), 12, 3, Duration::from_secs(6), 10).await;
    let receiver = Receiver::start().await;
    let env = ClusterEnv {
        root: tempfile::tempdir().unwrap(),
        database_url: db.url().to_string(),
        extra_env: [
            ("PRADEN_INGEST_HOST_GAP", "1s".to_string()),
            // The index must be whole by following alone, not by the repair at start.
            ("PRADEN_INDEX_VERIFY_AT_START", "false".into()),
            ("PRADEN_INDEX_COMMIT_INTERVAL", "1s".into()),
            (
                "PRADEN_FEED_WEBHOOKS",
                format!(
                    "[{{name = \"assignment-system\", url = \"{}\", secret_env = \"CLUSTER_HOOK_SECRET\"}}]",
                    receiver.url
                ),
            ),
            ("CLUSTER_HOOK_SECRET", "s3cret-for-the-test".into()),
            ("PRADEN_FEED_WEBHOOK_BACKOFF", "1s".into()),
            ("PRADEN_LOG", "warn,praden_jobs::lease=info".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
    };
    std::fs::write(env.sources_file(), outlets.sources_toml("15s")).unwrap();
    let token = cluster::praden(
        &env,
        &["token", "create", "--role", "monitor", "cluster-test"],
    )
    .lines()
    .rfind(|l| !l.trim().is_empty())
    .unwrap()
    .trim()
    .to_string();
    let client = reqwest::Client::new();

    let mut nodes: BTreeMap<&str, Node> = ["a", "b", "c"]
        .into_iter()
        .map(|n| (n, Node::start(&env, n)))
        .collect();
    wait_until_up(&client, &nodes.values().collect::<Vec<_>>()).await;
    println!("three nodes up");

    // Phase 1: all three.
    tokio::time::sleep(Duration::from_secs(25)).await;
    let mut approved = 0;
    let holder = loop {
        let mut found = None;
        for (name, node) in &nodes {
            if node
                .leases(&client)
                .await
                .contains(&"job:detector".to_string())
            {
                found = Some(*name);
            }
        }
        if let Some(h) = found {
            break h;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    approved += approve(&client, &nodes[holder], &token, 3).await;

    // The power cut.
    let killed_at = unix_now();
    nodes.get_mut(holder).unwrap().kill9();
    println!("killed node {holder} (it ran the detector)");
    let survivors: Vec<&str> = nodes.keys().copied().filter(|n| *n != holder).collect();
    let taken = Instant::now();
    let successor = 'waiting: loop {
        for name in &survivors {
            if nodes[name]
                .leases(&client)
                .await
                .contains(&"job:detector".to_string())
            {
                break 'waiting *name;
            }
        }
        assert!(
            taken.elapsed() < Duration::from_secs(60),
            "no survivor took the detector over"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let takeover = unix_now() - killed_at;
    println!("node {successor} took the detector over after {takeover:.1} s");
    tokio::time::sleep(Duration::from_secs(8)).await;
    approved += approve(&client, &nodes[successor], &token, 3).await;

    // The killed node comes back.
    tokio::time::sleep(Duration::from_secs(5)).await;
    nodes.insert(holder, Node::start(&env, holder));
    wait_until_up(&client, &[&nodes[holder]]).await;
    tokio::time::sleep(Duration::from_secs(20)).await;
    approved += approve(&client, &nodes[holder], &token, 2).await;

    // The feed, and every event pushed to the subscriber before the nodes stop.
    let feed: serde_json::Value = client
        .get(nodes[holder].url("/api/v1/issues/approved?limit=500"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events: Vec<i64> = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    let pushed_by = Instant::now() + Duration::from_secs(60);
    while !events.iter().all(|s| receiver.seqs().contains(s)) && Instant::now() < pushed_by {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // What the feeds showed is final once the polls in progress have stored it.
    outlets.close();
    tokio::time::sleep(Duration::from_secs(3)).await;
    for node in nodes.values_mut() {
        assert!(
            node.stop(Duration::from_secs(60)),
            "node {} did not stop cleanly",
            node.name
        );
    }
    outlets.stop();

    // Every item shown stored exactly once, and nothing else.
    let served = outlets.served();
    let served_keys: Vec<String> = served.iter().cloned().collect();
    let stored = store.existing_item_keys(&served_keys).await.unwrap();
    let missing: Vec<_> = served
        .difference(&stored.into_iter().collect())
        .cloned()
        .collect();
    assert!(
        missing.is_empty(),
        "items shown but never stored: {missing:?}"
    );
    assert_eq!(
        store.count_documents().await.unwrap() as usize,
        served.len()
    );

    // Polling shared: no feed more often than its interval (less the 10% jitter), one
    // request at a time per host and `host_gap` apart, whichever process asked.
    let fetches = outlets.fetches();
    let gaps = cluster::shortest_gaps(&fetches);
    let shortest = gaps.values().min().copied().unwrap();
    let floor = INTERVAL.mul_f64(0.9) - Duration::from_millis(500);
    assert!(
        shortest >= floor,
        "a feed was fetched {shortest:?} after its previous fetch (at least {floor:?} allowed): {gaps:?}"
    );
    let overlapping = fetches.iter().filter(|f| f.concurrent > 0).count();
    assert_eq!(overlapping, 0, "requests to one host at the same time");
    let host_gap = cluster::shortest_host_gap(&fetches).unwrap();
    assert!(
        host_gap + Duration::from_millis(50) >= HOST_GAP,
        "two requests to one host {host_gap:?} apart"
    );

    // The detector: one runner at a time, taken over within 30 s.
    let mut starts: Vec<(f64, &str)> = nodes
        .iter()
        .flat_map(|(name, n)| {
            n.job_starts("detector")
                .into_iter()
                .map(move |t| (t, *name))
        })
        .collect();
    starts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let before: BTreeSet<&str> = starts
        .iter()
        .filter(|(t, _)| *t < killed_at)
        .map(|(_, n)| *n)
        .collect();
    let after: BTreeSet<&str> = starts
        .iter()
        .filter(|(t, _)| *t >= killed_at)
        .map(|(_, n)| *n)
        .collect();
    assert_eq!(
        before,
        BTreeSet::from([holder]),
        "detector runners before the kill: {starts:?}"
    );
    assert_eq!(
        after,
        BTreeSet::from([successor]),
        "detector runners after the kill: {starts:?}"
    );
    assert!(
        takeover <= 30.0,
        "the detector was taken over after {takeover:.1} s"
    );

    // One candidate per story: no story's title in two candidates.
    let list: serde_json::Value = client_after_stop_candidates(&store).await;
    let mut seen: BTreeMap<String, i64> = BTreeMap::new();
    let mut candidates = 0;
    for (id, titles) in list.as_object().unwrap() {
        candidates += 1;
        for t in titles.as_array().unwrap() {
            let t = t.as_str().unwrap().to_string();
            if let Some(other) = seen.insert(t.clone(), id.parse().unwrap()) {
                assert_eq!(other.to_string(), *id, "story {t:?} has two candidates");
            }
        }
    }
    assert!(
        candidates > 0 && approved > 0,
        "detection made {candidates} candidates, {approved} approved"
    );

    // The feed has every event without a gap, and the subscriber got each.
    assert_eq!(events, (1..=events.len() as i64).collect::<Vec<_>>());
    assert!(
        events.len() >= approved,
        "{approved} approvals, {} events",
        events.len()
    );
    let got: BTreeSet<i64> = receiver.seqs().into_iter().collect();
    let lost: Vec<_> = events.iter().filter(|s| !got.contains(s)).collect();
    assert!(
        lost.is_empty(),
        "events never pushed to the subscriber: {lost:?}"
    );

    // Every process's index holds exactly the store's documents.
    let place = store.last_document_place().await.unwrap();
    for name in nodes.keys() {
        let (agrees, out) = cluster::verify_index(&env, name);
        assert!(agrees, "node {name}'s index: {out}");
        assert!(
            out.contains(&format!("up to place {place};")),
            "node {name}'s index is not up to the store's place {place}: {out}"
        );
    }
    let mut by_node: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &fetches {
        *by_node.entry(f.node.as_str()).or_default() += 1;
    }
    println!("fetches by node: {by_node:?}");
    assert!(by_node.len() == 3, "every node polled: {by_node:?}");
    let pushes = receiver.seqs();
    println!(
        "{} items stored from {} fetches; shortest feed gap {:.1} s, host gap {} ms; \
         detector taken over in {takeover:.1} s; {candidates} candidates, {} events, {} pushes \
         ({} repeated); three indexes at place {place}",
        served.len(),
        fetches.len(),
        shortest.as_secs_f64(),
        host_gap.as_millis(),
        events.len(),
        pushes.len(),
        pushes.len() - got.len(),
    );
    store.close().await;
    true
}

/// Each candidate's documents' titles, by candidate id, read from the store.
async fn client_after_stop_candidates(store: &praden_store::Store) -> serde_json::Value {
    let filter = praden_store::CandidateFilter {
        statuses: praden_core::review::CandidateStatus::ALL.to_vec(),
        limit: 1000,
        offset: 0,
    };
    let mut out = serde_json::Map::new();
    for c in store
        .candidates(&filter, time::OffsetDateTime::now_utc())
        .await
        .unwrap()
    {
        let titles: Vec<String> = store
            .candidate_documents(c.id)
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.doc.title)
            .collect();
        out.insert(c.id.to_string(), serde_json::json!(titles));
    }
    serde_json::Value::Object(out)
}
