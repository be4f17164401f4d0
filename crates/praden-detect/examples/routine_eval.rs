//! Measures the routine-decision model (`src/routine.rs`), trained on the cabinet items of
//! 2020–2022, on what came after: the items of 2023–2024H1 and the thaigov.go.th releases that
//! report them (paired by the 8-gram labels of `cluster_eval`, among the releases that name
//! the cabinet).
//!
//!     cargo run --release -p praden-detect --example routine_eval [-- --show 20]

#[path = "common/auc.rs"]
mod auc;
#[path = "common/labels.rs"]
mod labels;

use auc::auc;

use labels::{build_labels, read_gz, CabinetItem, NewsItem, CABINET, CORPUS};
use praden_detect::routine::{normalize_section, RoutineDecisionModel, ROUTINE_SECTIONS};

const TEST_START: &str = "2023-01-01";

fn report(name: &str, scored: &[(bool, f64)]) {
    let at = |t: f64| {
        let tp = scored.iter().filter(|s| s.0 && s.1 >= t).count();
        let fp = scored.iter().filter(|s| !s.0 && s.1 >= t).count();
        let pos = scored.iter().filter(|s| s.0).count();
        format!(
            "at {t:.1}: routine found {tp} of {pos} ({:.3}), precision {:.3}, other items flagged {fp} of {} ({:.3})",
            tp as f64 / pos.max(1) as f64,
            tp as f64 / (tp + fp).max(1) as f64,
            scored.len() - pos,
            fp as f64 / (scored.len() - pos).max(1) as f64
        )
    };
    println!("{name}: n {}, AUC {:.3}", scored.len(), auc(scored));
    for t in [0.3, 0.5, 0.7] {
        println!("  {}", at(t));
    }
}

fn main() {
    let show: usize = std::env::args()
        .skip_while(|a| a != "--show")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let model = RoutineDecisionModel::shared_default().expect("embedded sections");
    // `--find TEXT`: the verdict on every release whose title holds TEXT, and nothing else.
    if let Some(find) = std::env::args().skip_while(|a| a != "--find").nth(1) {
        for n in read_gz::<NewsItem>(CORPUS) {
            let title = n.title.as_deref().unwrap_or("");
            if title.contains(&find) {
                let lead = praden_detect::cluster::content(title, n.body.as_deref().unwrap_or(""));
                let v = model.assess(title, lead);
                println!(
                    "{:.2} {} {} | {}",
                    v.probability,
                    v.section,
                    title,
                    lead.chars().take(200).collect::<String>()
                );
            }
        }
        return;
    }
    let cabinet: Vec<CabinetItem> = read_gz(CABINET);
    let section = |c: &CabinetItem| c.section.as_deref().and_then(normalize_section);
    let routine = |s: &str| ROUTINE_SECTIONS.contains(&s);

    // Items of the test period.
    let mut items = Vec::new();
    let (mut right, mut n) = (0usize, 0usize);
    for c in cabinet
        .iter()
        .filter(|c| c.meeting_pub_date.as_str() >= TEST_START)
    {
        let Some(s) = section(c) else { continue };
        let body = c
            .text
            .as_deref()
            .and_then(|t| t.split_once('\n'))
            .map_or("", |x| x.1);
        let v = model.assess(&c.title, body);
        right += usize::from(v.section == s);
        n += 1;
        items.push((routine(s), v.probability));
    }
    println!(
        "cabinet items {TEST_START} onward: most probable section right for {right} of {n} ({:.3})",
        right as f64 / n.max(1) as f64
    );
    report(
        "  routine (foreign affairs, appointments) vs law, economy and society",
        &items,
    );

    // Releases that report them.
    let dated: Vec<NewsItem> = read_gz::<NewsItem>(CORPUS)
        .into_iter()
        .filter(|n| n.pub_date.is_some())
        .collect();
    let labels = build_labels(&dated, &cabinet);
    let names_cabinet = |s: &Option<String>| {
        s.as_deref()
            .is_some_and(|s| s.contains("ครม") || s.contains("คณะรัฐมนตรี"))
    };
    let mut releases = Vec::new();
    let mut shown = Vec::new();
    for n in &dated {
        let Some(&item) = labels.gold.get(&n.id) else {
            continue;
        };
        let c = &cabinet[item];
        if c.meeting_pub_date.as_str() < TEST_START
            || !(names_cabinet(&n.title) || names_cabinet(&n.body))
        {
            continue;
        }
        let Some(s) = section(c) else { continue };
        let title = n.title.as_deref().unwrap_or("");
        let lead = praden_detect::cluster::content(title, n.body.as_deref().unwrap_or(""));
        let v = model.assess(title, lead);
        releases.push((routine(s), v.probability));
        shown.push((v.probability, s, title.chars().take(80).collect::<String>()));
    }
    report("releases reporting those items", &releases);
    shown.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (p, s, t) in shown.iter().take(show) {
        println!("  {p:.2} {s:14} {t}");
    }
}
