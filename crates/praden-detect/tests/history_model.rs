//! The history side of the suggester: title features, the classifier, the neighbour index and
//! the learned combination.

use praden_detect::history::{
    default_history, parse_history, title_terms, ClassifierParams, HistoryExample, LabelSource,
    TitleClassifier, TitleKnn,
};
use praden_detect::suggest::{fit_combiner, Combiner, FEATURE_NAMES};
use praden_detect::{AgencyRegistry, AgencySuggester, SuggestConfig};

fn row(date: &str, ministry: &str, title: &str) -> HistoryExample {
    HistoryExample {
        date: date.into(),
        ministry: ministry.into(),
        title: title.into(),
        source: LabelSource::Proposer,
        text: String::new(),
    }
}

#[test]
fn boilerplate_and_numbers_do_not_change_title_terms() {
    let plain = title_terms("โครงการก่อสร้างสวนสัตว์แห่งใหม่", true, None);
    let framed = title_terms("ขออนุมัติโครงการก่อสร้างสวนสัตว์แห่งใหม่ พ.ศ. 2565", true, None);
    assert_eq!(plain, framed);
    // Without stripping, the frame adds its own n-grams.
    assert_ne!(
        plain,
        title_terms("ขออนุมัติโครงการก่อสร้างสวนสัตว์แห่งใหม่ พ.ศ. 2565", false, None)
    );
    assert_ne!(plain, title_terms("โครงการก่อสร้างสะพานแห่งใหม่", true, None));
}

#[test]
fn classifier_learns_subjects_despite_a_shared_frame() {
    let mut rows = Vec::new();
    for i in 0..20 {
        rows.push(row(
            "2021-01-01",
            "สธ.",
            &format!("ขออนุมัติงบประมาณ โครงการวัคซีนป้องกันโรค ระยะที่ {i}"),
        ));
        rows.push(row(
            "2021-01-01",
            "คค.",
            &format!("ขออนุมัติงบประมาณ โครงการก่อสร้างทางหลวง ระยะที่ {i}"),
        ));
    }
    let m = TitleClassifier::train(&rows, &ClassifierParams::default());
    let lp = m.log_probs("ขออนุมัติงบประมาณ โครงการจัดหาวัคซีน");
    let ix = |c: &str| m.classes().iter().position(|x| x == c).unwrap();
    assert!(lp[ix("สธ.")] > lp[ix("คค.")], "{lp:?}");
    let lp = m.log_probs("โครงการก่อสร้างทางหลวงสายใหม่");
    assert!(lp[ix("คค.")] > lp[ix("สธ.")], "{lp:?}");
    let total: f64 = lp.iter().map(|p| p.exp()).sum();
    assert!((total - 1.0).abs() < 1e-3, "{total}");
}

#[test]
fn text_excerpts_teach_subject_words_no_title_has() {
    // The titles are the same for both ministries; only the texts say what each is about.
    let mut rows = Vec::new();
    for i in 0..20 {
        let title = format!("ขออนุมัติโครงการ ระยะที่ {i}");
        let mut health = row("2021-01-01", "สธ.", &title);
        health.text = format!("การฉีดวัคซีนป้องกันโรคไข้หวัดใหญ่ให้แก่ผู้สูงอายุ กลุ่มที่ {i}");
        let mut transport = row("2021-01-01", "คค.", &title);
        transport.text = format!("การก่อสร้างทางหลวงพิเศษระหว่างเมืองสายใหม่ ช่วงที่ {i}");
        rows.extend([health, transport]);
    }
    // In a history this small every text term is "common"; the cap is for real excerpts.
    let params = ClassifierParams {
        text_term_max_share: 1.0,
        ..ClassifierParams::default()
    };
    // P(สธ.) for a vaccine title minus P(สธ.) for a highway title: how well the model tells
    // the two subjects apart.
    let separation = |params: &ClassifierParams| {
        let m = TitleClassifier::train(&rows, params);
        let ix = m.classes().iter().position(|c| c == "สธ.").unwrap();
        let p = |title: &str| m.log_probs(title)[ix].exp();
        p("แผนการฉีดวัคซีนไข้หวัดใหญ่") - p("แผนการก่อสร้างทางหลวงพิเศษ")
    };
    let with_texts = separation(&params);
    let titles_only = separation(&ClassifierParams {
        text_documents: false,
        ..params.clone()
    });
    assert!(with_texts > 0.6, "{with_texts}");
    assert!(titles_only.abs() < 0.1, "{titles_only}");
}

#[test]
fn history_rows_take_an_optional_text_column() {
    let rows = parse_history(
        "2021-01-01\tสธ.\tproposer\tเรื่องหนึ่ง\n2021-01-02\tคค.\tmined\tเรื่องสอง\tข้อความ\n",
    )
    .unwrap();
    assert_eq!(rows[0].text, "");
    assert_eq!(rows[1].text, "ข้อความ");
    let err = parse_history("2021-01-01\tสธ.\tproposer\tเรื่อง\tข้อความ\tเกิน\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 1") && err.contains("found 6"), "{err}");
    // The embedded history carries its excerpts.
    let embedded = default_history().unwrap();
    assert!(embedded.iter().filter(|r| !r.text.is_empty()).count() > 3000);
}

#[test]
fn nearest_titles_come_best_first() {
    let rows = vec![
        row(
            "2021-01-01",
            "กต.",
            "ผลการประชุมรัฐมนตรีต่างประเทศอาเซียน ครั้งที่ 54",
        ),
        row("2021-01-01", "คค.", "โครงการรถไฟความเร็วสูงเชื่อมสามสนามบิน"),
        row("2021-01-01", "สธ.", "แผนปฏิบัติการควบคุมยาสูบแห่งชาติ"),
    ];
    let knn = TitleKnn::train(&rows);
    let n = knn.nearest("ผลการประชุมรัฐมนตรีต่างประเทศอาเซียน ครั้งที่ 55", 2);
    assert_eq!(n[0].ministry, "กต.");
    assert!(n[0].similarity > 0.8, "{n:?}");
    assert!(n.windows(2).all(|w| w[0].similarity >= w[1].similarity));
    let same = knn.nearest("โครงการรถไฟความเร็วสูงเชื่อมสามสนามบิน", 1);
    assert!((same[0].similarity - 1.0).abs() < 1e-4, "{same:?}");
    assert!(knn.nearest("", 3).is_empty());
}

/// The shipped weights must be what the documented procedure gives on the shipped history;
/// if the history, the features or the classifier change, re-fit and update
/// `Combiner::default` (agency_eval prints the new weights).
#[test]
fn shipped_combiner_is_the_one_fitted_on_the_embedded_history() {
    let registry = AgencyRegistry::load_default().unwrap();
    let history = default_history().unwrap();
    let fitted = fit_combiner(&registry, &history, &SuggestConfig::default(), 5);
    let shipped = Combiner::default();
    for ((name, f), s) in FEATURE_NAMES
        .iter()
        .zip(fitted.weights)
        .zip(shipped.weights)
    {
        assert!(
            (f - s).abs() < 2e-3,
            "{name}: fitted {f:.4}, shipped {s:.4}"
        );
    }
    // What the weights must mean: history and naming count for a ministry.
    assert!(fitted.weights[0] > 0.0 && fitted.weights[11] > 0.0);
}

#[test]
fn history_file_rejects_an_unknown_label_source() {
    let err =
        parse_history("2021-01-01\tสธ.\tproposer\tเรื่องหนึ่ง\n2021-01-02\tสธ.\tguess\tเรื่องสอง\n")
            .unwrap_err()
            .to_string();
    assert!(
        err.contains("line 2") && err.contains("label_source"),
        "{err}"
    );
}

#[test]
fn a_keyword_the_history_contradicts_counts_for_less() {
    // ทุ่นระเบิด is a defence keyword. In one history it never occurs; in the other every
    // title with it was proposed by foreign affairs, so the keyword should carry less.
    let registry = AgencyRegistry::load_default().unwrap();
    let neutral: Vec<HistoryExample> = (0..20)
        .flat_map(|i| {
            [
                row("2021-01-01", "กต.", &format!("การเยือนต่างประเทศ ครั้งที่ {i}")),
                row("2021-01-01", "กห.", &format!("การจัดหายุทโธปกรณ์ ระยะที่ {i}")),
            ]
        })
        .collect();
    let mut contradicting = neutral.clone();
    for i in 0..20 {
        contradicting.push(row(
            "2021-01-01",
            "กต.",
            &format!("รายงานการประชุมอนุสัญญาห้ามทุ่นระเบิด ครั้งที่ {i}"),
        ));
    }
    let keyword = FEATURE_NAMES.iter().position(|n| *n == "keyword").unwrap();
    let title = "การทำลายทุ่นระเบิดสังหารบุคคล";
    let defence_keyword = |history: &[HistoryExample]| {
        let s = AgencySuggester::with_history(&registry, history, SuggestConfig::default());
        let unit = s.unit_codes().iter().position(|c| *c == "กห.").unwrap();
        (s.unit_features(title)[unit][keyword], s.suggest(title, ""))
    };
    let (alone, _) = defence_keyword(&neutral);
    let (contradicted, suggestions) = defence_keyword(&contradicting);
    assert!(alone > 0.0, "{alone}");
    assert!(contradicted < alone / 2.0, "{contradicted} vs {alone}");
    // The reason says what the history showed.
    let reasons: Vec<&String> = suggestions.iter().flat_map(|s| &s.reasons).collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("ทุ่นระเบิด") && r.contains("เสนอ 0 จาก 20 เรื่อง")),
        "{reasons:?}"
    );
}

#[test]
fn the_fit_repeats_exactly_for_one_shuffle_seed_and_moves_with_another() {
    // The shipped model is fitted at start-up: it must be the model that was measured.
    let mut rows = Vec::new();
    for i in 0..30 {
        rows.push(row(
            "2021-01-01",
            "สธ.",
            &format!("โครงการวัคซีนและโรงพยาบาล ระยะที่ {i}"),
        ));
        rows.push(row(
            "2021-01-01",
            "คค.",
            &format!("โครงการทางหลวงและโรงพยาบาล ช่วงที่ {i}"),
        ));
        rows.push(row(
            "2021-01-01",
            "ศธ.",
            &format!("โครงการโรงเรียนและทางหลวง รุ่นที่ {i}"),
        ));
    }
    let fit = |seed: u64| {
        let params = ClassifierParams {
            shuffle_seed: seed,
            ..ClassifierParams::default()
        };
        TitleClassifier::train(&rows, &params).log_probs("โครงการโรงพยาบาลริมทางหลวง")
    };
    assert_eq!(fit(42), fit(42));
    assert_ne!(fit(42), fit(7));
}
