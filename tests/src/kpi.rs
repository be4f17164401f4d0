//! Assigned issues for the KPI's page tests and benchmark, from real cabinet resolutions
//! (../shared/data/cabinet: each resolution's title, and the ministry that proposed it as
//! the responsible agency — or one of its departments in the agency registry), approved at
//! random Bangkok times over a span of days and answered the ways agencies answer: mostly in
//! time, some late by a day to a few weeks, some never; a few withdrawn.

use flate2::read::GzDecoder;
use praden_core::review::AgencyRef;
use praden_store::testing::KpiSeed;
use std::io::BufRead;
use std::path::PathBuf;
use time::{Date, Duration, OffsetDateTime, Time, UtcOffset};

pub const CABINET: &str = "../../shared/data/cabinet/cabinet-resolutions-2020-2024h1.jsonl.gz";

/// (title, proposing ministry) of every resolution that names its proposer.
pub fn cabinet_resolutions() -> Vec<(String, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(CABINET);
    let file = std::fs::File::open(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (../shared beside the repository)", path.display()));
    std::io::BufReader::new(GzDecoder::new(file))
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(&l.expect("a line")).expect("JSON"))
        .filter_map(|v| {
            Some((
                v["title"].as_str()?.to_string(),
                v["proposer"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// `n` issues approved between the Bangkok days `first` and `last`, their agencies from the
/// registry `agencies` (what praden's monitors choose from). About 62% in time, 20% late
/// (1 to 21 days), 13% never clarified, 5% withdrawn; 1 to 3 days to clarify.
pub fn cabinet_issues(
    n: usize,
    first: Date,
    last: Date,
    seed: u64,
    agencies: &[AgencyRef],
) -> Vec<KpiSeed> {
    // Monitors assign issues to the registry's agencies: a resolution whose proposer is not
    // spelt as a registry ministry (the summaries have typos) is left out.
    let resolutions: Vec<(String, String)> = cabinet_resolutions()
        .into_iter()
        .filter(|(_, proposer)| agencies.iter().any(|a| &a.ministry_th == proposer))
        .collect();
    let mut rng = praden::replay::Rng(seed);
    let days = (last - first).whole_days().max(0) as usize + 1;
    let bangkok = UtcOffset::from_hms(7, 0, 0).expect("UTC+7");
    (0..n)
        .map(|_| {
            let (title, proposer) = &resolutions[rng.below(resolutions.len())];
            // The ministry itself or, half the time, one of its own (the registry lists the
            // ministry with itself as its ministry).
            let family: Vec<&AgencyRef> = agencies
                .iter()
                .filter(|a| &a.ministry_th == proposer)
                .collect();
            let agency = if rng.below(2) == 0 {
                family[rng.below(family.len())].clone()
            } else {
                family
                    .iter()
                    .find(|a| a.name_th == *proposer)
                    .copied()
                    .unwrap_or(family[0])
                    .clone()
            };
            let day = first + Duration::days(rng.below(days) as i64);
            let minute = rng.below(9 * 60) as u16;
            let approved_at = day
                .with_time(
                    Time::from_hms(8 + (minute / 60) as u8, (minute % 60) as u8, 0)
                        .expect("a time"),
                )
                .assume_offset(bangkok);
            let deadline_days = 1 + rng.below(3) as u32;
            let roll = rng.below(100);
            let withdrawn = roll >= 95;
            let report = match roll {
                0..=61 => Some(rng.below(deadline_days as usize + 1) as i64),
                62..=81 => Some(i64::from(deadline_days) + 1 + rng.below(21) as i64),
                _ => None,
            }
            .map(|after_days| {
                let at: OffsetDateTime =
                    approved_at + Duration::days(after_days) + Duration::hours(2);
                (at, 1 + rng.below(3))
            });
            KpiSeed {
                title: title.clone(),
                agency,
                approved_at,
                deadline_days,
                withdrawn,
                report,
            }
        })
        .collect()
}

/// The agency registry praden ships, as monitors choose from it.
pub fn registry_agencies() -> Vec<AgencyRef> {
    let registry = praden_detect::AgencyRegistry::load_default().expect("the embedded registry");
    praden_detect::agency_refs(&registry)
}
