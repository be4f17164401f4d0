//! Experiment: merge an index's segments into N groups.
use std::time::Instant;
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = std::path::PathBuf::from(&args[0]);
    let groups: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    let index = tantivy::Index::open_in_dir(&dir).unwrap();
    praden_index::tokenizer::register(&index);
    let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 64 << 20).unwrap();
    writer.set_merge_policy(Box::new(tantivy::merge_policy::NoMergePolicy));
    let mut metas = index.searchable_segment_metas().unwrap();
    metas.sort_by_key(|m| std::cmp::Reverse(m.num_docs()));
    println!(
        "{} segments: {:?}",
        metas.len(),
        metas.iter().map(|m| m.num_docs()).collect::<Vec<_>>()
    );
    let total: u32 = metas.iter().map(|m| m.num_docs()).sum();
    let per = (total as usize).div_ceil(groups);
    let mut batches: Vec<Vec<tantivy::index::SegmentId>> = vec![Vec::new()];
    let mut acc = 0usize;
    for m in &metas {
        if acc >= per {
            batches.push(Vec::new());
            acc = 0;
        }
        batches.last_mut().unwrap().push(m.id());
        acc += m.num_docs() as usize;
    }
    for b in batches {
        if b.len() < 2 {
            continue;
        }
        let t = Instant::now();
        let r = writer.merge(&b).wait();
        println!(
            "merged {} segments in {:.0} s: {:?}",
            b.len(),
            t.elapsed().as_secs_f64(),
            r.map(|m| m.map(|m| m.num_docs()))
        );
    }
    writer.garbage_collect_files().wait().unwrap();
    writer.wait_merging_threads().unwrap();
}
