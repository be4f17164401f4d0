use praden_core::{Document, NewDocument, SourceKind};
use praden_index::{CommitPolicy, IndexError, SearchIndex};
use std::time::Duration;
use time::macros::datetime;

fn doc(id: i64, title: &str, body: &str) -> Document {
    Document {
        id,
        doc: NewDocument::new(praden_core::DocumentParts {
            source_id: "matichon",
            kind: SourceKind::News,
            outlet: "มติชน",
            url: Some(&format!("https://www.matichon.co.th/news/{id}")),
            item_id: None,
            title,
            body,
            published_at: Some(datetime!(2024-03-05 09:30 +7)),
            fetched_at: datetime!(2024-03-05 03:00 UTC),
        })
        .unwrap(),
    }
}

fn corpus() -> Vec<Document> {
    vec![
        doc(
            1,
            "ครม. เห็นชอบมาตรการลดค่าไฟฟ้า",
            "ที่ประชุมคณะรัฐมนตรีมีมติเห็นชอบลดค่าไฟฟ้า 3 เดือน ช่วยประชาชน 20 ล้านครัวเรือน",
        ),
        doc(
            2,
            "กรมอุตุนิยมวิทยาเตือนพายุฤดูร้อน",
            "พายุฤดูร้อนจะเข้าภาคเหนือ ประชาชนระวังอันตราย PM2.5 สูง",
        ),
        doc(
            3,
            "นายกฯ ลงพื้นที่น้ำท่วม",
            "นายกรัฐมนตรีเดินทางจากทำเนียบรัฐบาลไปตรวจน้ำท่วมจังหวัดเชียงใหม่",
        ),
    ]
}

#[tokio::test]
async fn thai_words_are_found_inside_unsegmented_text() {
    let index = SearchIndex::in_memory().unwrap();
    let writer = index.start_writer(CommitPolicy::default()).unwrap();
    writer.add_through(corpus(), 3).await.unwrap();
    assert_eq!(writer.commit().await.unwrap(), 3);

    let ids = |q: &str| -> Vec<i64> {
        let mut ids: Vec<i64> = index
            .search(q, 10)
            .unwrap()
            .hits
            .iter()
            .map(|h| h.doc_id)
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids("ไฟฟ้า"), [1]);
    assert_eq!(ids("รัฐบาล"), [3], "a word inside the compound ทำเนียบรัฐบาล");
    assert_eq!(ids("อุตุนิยมวิทยา"), [2], "a word inside กรมอุตุนิยมวิทยา");
    assert_eq!(ids("กรมอุตุนิยมวิทยา"), [2]);
    assert_eq!(ids("\"พายุฤดูร้อน\""), [2], "a phrase");
    assert!(
        ids("\"ฤดูร้อนพายุ\"").is_empty(),
        "the words of a phrase in the wrong order"
    );
    assert_eq!(ids("๒๐ ล้าน"), [1], "Thai digits match ASCII digits");
    assert_eq!(ids("พายุ"), [2]);
    assert_eq!(ids("pm2.5"), [2]);
    assert_eq!(ids("ประชาชน"), [1, 2]);
    assert_eq!(ids("ประชาชน -พายุ"), [1]);
    assert!(ids("ฟุตบอล").is_empty());

    let hit = &index.search("น้ำท่วม", 10).unwrap().hits[0];
    assert_eq!(hit.title, "นายกฯ ลงพื้นที่น้ำท่วม");
    assert_eq!(hit.outlet, "มติชน");
    assert_eq!(hit.published_at.as_deref(), Some("2024-03-05T02:30:00Z"));
    assert!(hit.snippet_html.contains("<b>"), "{}", hit.snippet_html);
    writer.shutdown().await.unwrap();
}

#[tokio::test]
async fn bad_queries_are_reported_not_panicked() {
    let index = SearchIndex::in_memory().unwrap();
    assert!(matches!(
        index.search("   ", 10),
        Err(IndexError::BadQuery { .. })
    ));
    assert!(matches!(
        index.search("nosuchfield:x", 10),
        Err(IndexError::BadQuery { .. })
    ));
}

#[tokio::test]
async fn the_high_water_mark_survives_reopening_and_readding_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    assert_eq!(index.high_water_mark().unwrap(), 0);
    let writer = index.start_writer(CommitPolicy::default()).unwrap();
    writer.add_through(corpus(), 3).await.unwrap();
    assert_eq!(writer.shutdown().await.unwrap(), 3);
    drop(index);

    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    assert_eq!(index.high_water_mark().unwrap(), 3);
    assert_eq!(index.num_docs(), 3);
    // Catching up again from an older mark (as after a crash) duplicates nothing.
    let writer = index.start_writer(CommitPolicy::default()).unwrap();
    writer.add_through(corpus(), 3).await.unwrap();
    writer.shutdown().await.unwrap();
    assert_eq!(index.num_docs(), 3);
    assert_eq!(index.search("ไฟฟ้า", 10).unwrap().total, 1);
}

/// Waits (up to 20 s) until `n` documents are visible without anyone committing explicitly.
async fn wait_for_docs(index: &SearchIndex, n: u64) {
    let mut waited = Duration::ZERO;
    while index.num_docs() < n && waited < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += Duration::from_millis(50);
    }
}

#[tokio::test]
async fn commits_happen_on_their_own_after_the_delay() {
    let index = SearchIndex::in_memory().unwrap();
    let policy = CommitPolicy {
        max_delay: Duration::from_millis(100),
        ..CommitPolicy::default()
    };
    let writer = index.start_writer(policy).unwrap();
    writer.add_through(corpus(), 3).await.unwrap();
    // No explicit commit: the policy's delay must make the documents visible.
    wait_for_docs(&index, 3).await;
    assert_eq!(index.num_docs(), 3);
    assert_eq!(index.high_water_mark().unwrap(), 3);
    writer.shutdown().await.unwrap();
}

#[tokio::test]
async fn commits_happen_on_their_own_after_enough_documents() {
    let index = SearchIndex::in_memory().unwrap();
    let policy = CommitPolicy {
        max_docs: 2,
        max_delay: Duration::from_secs(3600),
        ..CommitPolicy::default()
    };
    let writer = index.start_writer(policy).unwrap();
    writer.add_through(corpus(), 3).await.unwrap();
    wait_for_docs(&index, 3).await;
    assert_eq!(index.num_docs(), 3);
    writer.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_second_writer_is_refused_while_the_first_runs() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    let first = index.start_writer(CommitPolicy::default()).unwrap();
    let other = SearchIndex::open_or_create(dir.path()).unwrap();
    assert!(matches!(
        other.start_writer(CommitPolicy::default()),
        Err(IndexError::Locked { .. })
    ));
    first.shutdown().await.unwrap();
    other
        .start_writer(CommitPolicy::default())
        .unwrap()
        .shutdown()
        .await
        .unwrap();
}

/// An index on disk whose writer calls `compact_backlog` documents a backlog, holding three
/// batches of the corpus under new store ids, each committed: at least three segments (one
/// per commit and writer thread that had documents).
async fn three_segments(
    compact_backlog: usize,
) -> (
    tempfile::TempDir,
    SearchIndex,
    praden_index::IndexWriterHandle,
) {
    three_segments_with(CommitPolicy {
        compact_backlog,
        ..CommitPolicy::default()
    })
    .await
}

async fn three_segments_with(
    policy: CommitPolicy,
) -> (
    tempfile::TempDir,
    SearchIndex,
    praden_index::IndexWriterHandle,
) {
    let made = segments_with(policy, 3).await;
    assert!(made.1.segment_count() >= 3, "{}", made.1.segment_count());
    made
}

/// An index on disk that `batches` commits of the three test documents (new ids each time)
/// made; a writer of one thread makes one segment a commit.
async fn segments_with(
    policy: CommitPolicy,
    batches: i64,
) -> (
    tempfile::TempDir,
    SearchIndex,
    praden_index::IndexWriterHandle,
) {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    let writer = index.start_writer(policy).unwrap();
    for batch in 0..batches {
        let docs = corpus()
            .into_iter()
            .map(|d| doc(d.id + 3 * batch, &d.doc.title, &d.doc.body))
            .collect();
        writer.add_through(docs, 3 * (batch + 1)).await.unwrap();
        writer.commit().await.unwrap();
    }
    (dir, index, writer)
}

#[tokio::test]
async fn a_backlog_is_merged_into_one_segment_that_finds_what_the_segments_found() {
    let (dir, index, writer) = three_segments(6).await;
    let before = index.search("น้ำท่วม", 10).unwrap();
    // Fewer documents than a backlog: left to tantivy's policy.
    assert!(!writer.compact_after_backlog(5).await.unwrap());
    assert!(writer.compact_after_backlog(9).await.unwrap());
    // A command that exits waits for the merge.
    writer.shutdown_after_merges().await.unwrap();

    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    assert_eq!(index.segment_count(), 1);
    assert_eq!(index.num_docs(), 9);
    assert_eq!(index.high_water_mark().unwrap(), 9);
    let after = index.search("น้ำท่วม", 10).unwrap();
    let ids = |r: &praden_index::SearchResults| {
        let mut ids: Vec<i64> = r.hits.iter().map(|h| h.doc_id).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&after), vec![3, 6, 9]);
    assert_eq!(ids(&after), ids(&before));
}

#[tokio::test]
async fn a_backlog_stays_in_segments_when_its_disk_lacks_room_for_the_merged_copy() {
    // No disk has this much free beside the index's copy.
    let (dir, index, writer) = three_segments_with(CommitPolicy {
        compact_backlog: 6,
        disk_reserve: u64::MAX / 2,
        ..CommitPolicy::default()
    })
    .await;
    let segments = index.segment_count();
    let before = index.search("น้ำท่วม", 10).unwrap();
    assert!(!writer.compact_after_backlog(9).await.unwrap());
    writer.shutdown_after_merges().await.unwrap();

    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    assert_eq!(index.segment_count(), segments);
    assert_eq!(index.num_docs(), 9);
    let after = index.search("น้ำท่วม", 10).unwrap();
    assert_eq!(after.total, before.total);
    assert_eq!(after.total, 3);
}

#[tokio::test]
async fn tantivys_own_merges_wait_for_disk_room() {
    // Ten segments of one size: tantivy's policy merges eight of a size together.
    let policy = |disk_reserve| CommitPolicy {
        threads: 1,
        compact_backlog: usize::MAX,
        disk_reserve,
        ..CommitPolicy::default()
    };
    let segments_after = |dir: &tempfile::TempDir| {
        SearchIndex::open_or_create(dir.path())
            .unwrap()
            .segment_count()
    };
    let (dir, _index, writer) = segments_with(policy(0), 10).await;
    writer.shutdown_after_merges().await.unwrap();
    let merged = segments_after(&dir);
    assert!(
        merged < 10,
        "with room the policy merges: {merged} segments"
    );

    // No disk has this much free beside the segments' copy.
    let (dir, _index, writer) = segments_with(policy(u64::MAX / 2), 10).await;
    writer.shutdown_after_merges().await.unwrap();
    assert_eq!(segments_after(&dir), 10);
    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    assert_eq!(index.num_docs(), 30);
    assert_eq!(index.search("น้ำท่วม", 100).unwrap().total, 10);
}

#[tokio::test]
async fn a_compaction_asked_for_merges_whatever_was_indexed() {
    // No catch-up would count as a backlog here.
    let (dir, _index, writer) = three_segments(usize::MAX).await;
    assert!(!writer.compact_after_backlog(9).await.unwrap());
    assert!(writer.compact().await.unwrap());
    writer.shutdown_after_merges().await.unwrap();
    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    assert_eq!(index.segment_count(), 1);
    assert_eq!(index.num_docs(), 9);
    assert_eq!(index.search("น้ำท่วม", 10).unwrap().total, 3);
}

#[tokio::test]
async fn documents_that_are_a_small_part_of_the_index_are_no_backlog() {
    let (dir, index, writer) = three_segments(1).await;
    let segments = index.segment_count();
    // 2 of 9 documents are under a quarter of the index.
    assert!(!writer.compact_after_backlog(2).await.unwrap());
    writer.shutdown_after_merges().await.unwrap();
    assert_eq!(
        SearchIndex::open_or_create(dir.path())
            .unwrap()
            .segment_count(),
        segments
    );
}
