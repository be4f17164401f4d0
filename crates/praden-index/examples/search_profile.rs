//! Per-query cost of the search phases on an existing index, one thread, no HTTP.
//!
//!     cargo run --release -p praden-index --example search_profile -- INDEX_DIR [ROUNDS] [QUERY...]
//!
//! With `PRADEN_PROFILE_NO_PAIRS=1`, quoted phrases are matched by positions alone, as before
//! the `pairs` field.
use praden_index::{SearchIndex, SearchRequest, SortOrder};
use std::time::Instant;
use time::macros::datetime;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = std::path::PathBuf::from(&args[0]);
    let rounds: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let mut index = SearchIndex::open_or_create(&dir).unwrap();
    if std::env::var("PRADEN_PROFILE_NO_PAIRS").is_ok_and(|v| v == "1") {
        index = index.without_phrase_pairs();
    }
    println!("{} docs", index.num_docs());
    let r = |q: &str| SearchRequest {
        query: q.into(),
        limit: 20,
        snippets: true,
        ..Default::default()
    };
    let mut reqs: Vec<(String, SearchRequest)> = [
        "รัฐบาล",
        "วัคซีน",
        "น้ำท่วม",
        "ค่าไฟฟ้า",
        "เกษตรกร",
        "นายกรัฐมนตรี",
        "ท่องเที่ยว",
        "ฝุ่น PM2.5",
        "ราคา น้ำมัน",
        "โควิด ผู้ป่วย",
        "คณะรัฐมนตรี งบประมาณ",
        "\"ค่าครองชีพ\"",
        "\"ทำเนียบรัฐบาล\"",
        "\"กระทรวงสาธารณสุข\"",
    ]
    .iter()
    .map(|q| (q.to_string(), r(q)))
    .collect();
    let mut x = r("ภัยแล้ง");
    x.from = Some(datetime!(2023-01-01 0:00 +7));
    x.until = Some(datetime!(2024-01-01 0:00 +7));
    reqs.push(("ภัยแล้ง 2566".into(), x));
    let mut x = r("ข้าว");
    x.kinds = vec!["news".into()];
    reqs.push(("ข้าว kind=news".into(), x));
    let mut x = r("โครงการ");
    x.kinds = vec!["social".into(), "broadcast".into()];
    reqs.push(("โครงการ kind=social,broadcast".into(), x));
    let mut x = r("ประชาชน");
    x.sort = SortOrder::Newest;
    reqs.push(("ประชาชน newest".into(), x));
    let mut x = r("เศรษฐกิจ");
    x.sort = SortOrder::Newest;
    x.from = Some(datetime!(2022-06-01 0:00 +7));
    x.until = Some(datetime!(2022-07-01 0:00 +7));
    reqs.push(("เศรษฐกิจ 2565-06 newest".into(), x));
    let mut x = r("ไทย");
    x.facets = true;
    reqs.push(("ไทย facets".into(), x));
    // Extra queries from the command line, e.g. field-restricted variants.
    for q in args.iter().skip(2) {
        reqs.push((q.clone(), r(q)));
    }

    let time = |req: &SearchRequest| {
        let mut best = f64::MAX;
        let mut total = 0;
        for _ in 0..rounds {
            let t = Instant::now();
            let res = index.search_with(req).unwrap();
            best = best.min(t.elapsed().as_secs_f64() * 1000.0);
            total = res.total;
        }
        (best, total)
    };
    println!(
        "{:<32} {:>9} {:>8} {:>8} {:>8} {:>8}",
        "query", "total", "full", "nosnip", "limit1", "facets"
    );
    let (mut sum_full, mut sum_nosnip) = (0.0, 0.0);
    for (name, req) in &reqs {
        let (full, total) = time(req);
        let mut n = req.clone();
        n.snippets = false;
        let (nosnip, _) = time(&n);
        let mut l = n.clone();
        l.limit = 1;
        let (limit1, _) = time(&l);
        let mut f = n.clone();
        f.facets = true;
        let (facets, _) = time(&f);
        sum_full += full;
        sum_nosnip += nosnip;
        println!("{name:<32} {total:>9} {full:>8.2} {nosnip:>8.2} {limit1:>8.2} {facets:>8.2}");
    }
    println!(
        "mean ms: full {:.2}, without snippets {:.2}",
        sum_full / reqs.len() as f64,
        sum_nosnip / reqs.len() as f64
    );
}
