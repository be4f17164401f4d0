//! A review queue as detection would leave it, for the page tests.

use praden_core::review::{
    AgencyProposal, AgencyRef, Criterion, CriterionRecord, KindCounts, Proposal,
};
use praden_core::{DocumentParts, NewDocument, SourceKind};
use time::{Duration, OffsetDateTime};

pub fn agency(name: &str, abbr: &str) -> AgencyProposal {
    AgencyProposal {
        agency: AgencyRef {
            name_th: name.into(),
            abbr: abbr.into(),
            ministry_abbr: abbr.into(),
            ministry_th: name.into(),
            name_en: String::new(),
        },
        score: 1.0,
        reasons: Vec::new(),
    }
}

/// Candidate `i` of the seeded queue: even ones are social stories that fired public
/// interest, proposed for the Ministry of Commerce; odd ones news for the Ministry of Public
/// Health. Scores fall with `i`; candidate `i` was first seen `i` hours ago.
pub fn seeded(i: usize, now: OffsetDateTime) -> Proposal {
    let social = i.is_multiple_of(2);
    let first_seen = now - Duration::hours(i as i64);
    Proposal {
        title: format!("ประเด็นทดสอบที่ {i}"),
        summary: String::new(),
        score: 0.9 - i as f64 / 1000.0,
        criteria: vec![CriterionRecord {
            criterion: Criterion::PublicInterest,
            score: if social { 0.8 } else { 0.1 },
            evidence: Vec::new(),
        }],
        misleading: None,
        agencies: vec![if social {
            agency("กระทรวงพาณิชย์", "พณ.")
        } else {
            agency("กระทรวงสาธารณสุข", "สธ.")
        }],
        deadline_days: 1,
        deadline_rule: "default".into(),
        outlets: vec!["มติชน".into()],
        links: Vec::new(),
        counts: KindCounts {
            news: i64::from(!social),
            social: i64::from(social),
            ..KindCounts::default()
        },
        articles: 1,
        first_seen,
        last_seen: first_seen,
        public_matter: None,
    }
}

/// Writes `n` candidates as detection would, each covering one document: `seeded(i)`.
pub async fn seed_queue(store: &praden_store::Store, n: usize, now: OffsetDateTime) {
    for i in 0..n {
        let url = format!("https://matichon.test/{i}");
        let doc = NewDocument::new(DocumentParts {
            source_id: "t",
            kind: SourceKind::News,
            outlet: "มติชน",
            url: Some(&url),
            item_id: None,
            title: &format!("ข่าวที่ {i}"),
            body: "เนื้อข่าว",
            published_at: Some(now),
            fetched_at: now,
        })
        .unwrap();
        let ids = store.insert_documents(&[doc]).await.unwrap().inserted;
        store
            .upsert_proposal(&ids, &seeded(i, now), 2.0, now)
            .await
            .unwrap();
    }
}
