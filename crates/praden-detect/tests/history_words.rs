use praden_detect::history::{word_ngrams, ClassifierParams};
use praden_detect::{AgencyRegistry, AgencySuggester, SuggestConfig};

#[test]
fn word_features_ignore_spacing_and_tell_subjects_apart() {
    let seg = praden_thai::Segmenter::new();
    let a = word_ngrams(&seg, "ร่างกฎกระทรวงการตรวจเรือ");
    let b = word_ngrams(&seg, "ร่างกฎกระทรวง การตรวจเรือ");
    let c = word_ngrams(&seg, "ร่างกฎกระทรวงการตรวจโรงงาน");
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!(!a.is_empty());
}

#[test]
fn suggester_with_word_features_still_ranks_a_named_ministry_first() {
    let registry = AgencyRegistry::load_default().unwrap();
    let history = praden_detect::history::default_history().unwrap();
    let config = SuggestConfig {
        classifier: ClassifierParams {
            word_features: true,
            // Segmenting every text excerpt would make this test slow and show nothing more.
            text_documents: false,
            ..Default::default()
        },
        ..Default::default()
    };
    let s = AgencySuggester::with_history(&registry, &history, config);
    let top = &s.suggest("กระทรวงสาธารณสุขเตือนไข้เลือดออกระบาด", "")[0];
    assert_eq!(top.ministry_abbr, "สธ.");
}
