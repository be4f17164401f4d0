//! Is a reported cabinet decision routine? The cabinet's meeting summaries file every item
//! under a section: law (กฎหมาย), economy and society (เศรษฐกิจ-สังคม), foreign affairs
//! (ต่างประเทศ) and appointments (แต่งตั้ง). The last two are the routine business of a
//! government — signing agreements, joint statements, visa arrangements for diplomats,
//! appointing officials and committees — which a Spokesman Office monitor almost never keeps
//! as an issue to clarify (1 of 27 and 2 of 34 such entries judged on issue 22's replayed
//! days), while they keep about half of the law items.
//!
//! The news releases that report a decision do not say which section it came from, so this
//! model reads it from the text: a multinomial logistic regression over the history
//! classifier's character n-grams ([`TitleClassifier`]), fitted at start-up on the cabinet
//! items of 2020–2022 with their published sections (`data/cabinet_sections.tsv.gz`, built by
//! `examples/build_cabinet_sections.rs`). `examples/routine_eval.rs` measures it on the items
//! of 2023–2024H1 and on the releases that report them. The criteria scorer uses it to tell a
//! decision the cabinet made from one the government must explain.

use std::io::Read;
use std::sync::{Arc, Mutex};

use crate::history::{ClassifierParams, HistoryExample, LabelSource, TitleClassifier};

/// The embedded training rows: `data/cabinet_sections.tsv`, gzipped.
pub const DEFAULT_SECTIONS_GZ: &[u8] = include_bytes!("../data/cabinet_sections.tsv.gz");

/// Characters of an item's text (after its title line) kept per training row: what a news
/// release's lead (the clusterer's 600 characters) can be compared with.
pub const SECTION_TEXT_CHARS: usize = 600;

/// The sections whose items are routine business.
pub const ROUTINE_SECTIONS: [&str; 2] = ["ต่างประเทศ", "แต่งตั้ง"];

#[derive(Debug, thiserror::Error)]
pub enum RoutineError {
    #[error("cabinet-sections line {line}: {msg}")]
    Parse { line: usize, msg: String },
    #[error("the embedded data/cabinet_sections.tsv.gz does not decompress: {0}")]
    Decompress(String),
    #[error("the cabinet-section rows hold no item of section {0}")]
    MissingSection(&'static str),
}

/// One cabinet item with the section it was published in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionRow {
    /// ISO date of the meeting summary.
    pub date: String,
    /// One of law, economy and society, foreign affairs, appointments (as [`normalize_section`]
    /// spells them).
    pub section: String,
    pub title: String,
    pub text: String,
}

/// The four sections as the summaries spell them, with the dash variants folded; `None` for
/// anything else.
pub fn normalize_section(section: &str) -> Option<&'static str> {
    let s: String = section.chars().filter(|c| !c.is_whitespace()).collect();
    match s.replace(['–', '—'], "-").as_str() {
        "กฎหมาย" => Some("กฎหมาย"),
        "เศรษฐกิจ-สังคม" => Some("เศรษฐกิจ-สังคม"),
        "ต่างประเทศ" => Some("ต่างประเทศ"),
        "แต่งตั้ง" => Some("แต่งตั้ง"),
        _ => None,
    }
}

/// The embedded rows.
pub fn default_sections() -> Result<Vec<SectionRow>, RoutineError> {
    let mut tsv = String::new();
    flate2::read::GzDecoder::new(DEFAULT_SECTIONS_GZ)
        .read_to_string(&mut tsv)
        .map_err(|e| RoutineError::Decompress(e.to_string()))?;
    parse_sections(&tsv)
}

/// Parses the TSV: date, section, title, text; `#` comments.
pub fn parse_sections(tsv: &str) -> Result<Vec<SectionRow>, RoutineError> {
    let mut out = Vec::new();
    for (i, line) in tsv.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |msg: String| RoutineError::Parse { line: i + 1, msg };
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() != 4 {
            return Err(err(format!(
                "expected 4 columns (date, section, title, text), found {}",
                cols.len()
            )));
        }
        let section = normalize_section(cols[1])
            // Not `{:?}`: it escapes Thai combining vowels.
            .ok_or_else(|| err(format!("unknown section \"{}\"", cols[1])))?;
        out.push(SectionRow {
            date: cols[0].to_string(),
            section: section.to_string(),
            title: cols[2].to_string(),
            text: cols[3].to_string(),
        });
    }
    Ok(out)
}

/// What the model makes of a decision's text.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutineVerdict {
    /// Probability that the decision belongs to a routine section (foreign affairs or
    /// appointments).
    pub probability: f64,
    /// The most probable section.
    pub section: String,
}

impl RoutineVerdict {
    /// More likely routine business than not.
    pub fn is_routine(&self) -> bool {
        self.probability >= 0.5
    }
}

/// Section classifier of cabinet decisions (see the module documentation).
#[derive(Debug, Clone)]
pub struct RoutineDecisionModel {
    classifier: TitleClassifier,
    /// Positions of [`ROUTINE_SECTIONS`] among the classifier's classes.
    routine: Vec<usize>,
}

impl RoutineDecisionModel {
    /// The model fitted on the embedded rows, built once per process.
    pub fn shared_default() -> Result<Arc<Self>, RoutineError> {
        static SHARED: Mutex<Option<Arc<RoutineDecisionModel>>> = Mutex::new(None);
        // Held while building, so concurrent callers wait for one build.
        let mut slot = SHARED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = slot.as_ref() {
            return Ok(m.clone());
        }
        let built = Arc::new(Self::fit(&default_sections()?)?);
        *slot = Some(built.clone());
        Ok(built)
    }

    /// Fits the model on `rows`, each read as its title followed by its text.
    pub fn fit(rows: &[SectionRow]) -> Result<Self, RoutineError> {
        for s in ROUTINE_SECTIONS {
            if !rows.iter().any(|r| r.section == s) {
                return Err(RoutineError::MissingSection(s));
            }
        }
        let examples: Vec<HistoryExample> = rows
            .iter()
            .map(|r| HistoryExample {
                date: r.date.clone(),
                ministry: r.section.clone(),
                title: document(&r.title, &r.text),
                source: LabelSource::Proposer,
                text: String::new(),
            })
            .collect();
        // One document per item, title and text together, as a release's title and lead are
        // read; the history classifier's other settings.
        let params = ClassifierParams {
            text_documents: false,
            ..ClassifierParams::default()
        };
        let classifier = TitleClassifier::train(&examples, &params);
        let routine = ROUTINE_SECTIONS
            .iter()
            .filter_map(|s| classifier.classes().iter().position(|c| c == s))
            .collect();
        Ok(Self {
            classifier,
            routine,
        })
    }

    /// The verdict on a decision reported as `title` and `lead` (either may be empty).
    pub fn assess(&self, title: &str, lead: &str) -> RoutineVerdict {
        let probs: Vec<f64> = self
            .classifier
            .log_probs(&document(title, lead))
            .into_iter()
            .map(f64::exp)
            .collect();
        let probability = self.routine.iter().map(|&i| probs[i]).sum::<f64>().min(1.0);
        let best = (0..probs.len())
            .max_by(|&a, &b| probs[a].total_cmp(&probs[b]))
            .unwrap_or(0);
        RoutineVerdict {
            probability,
            section: self.classifier.classes()[best].clone(),
        }
    }
}

/// The text the model reads: the title and the first [`SECTION_TEXT_CHARS`] characters after.
fn document(title: &str, text: &str) -> String {
    let mut s = String::with_capacity(title.len() + 1 + SECTION_TEXT_CHARS * 3);
    s.push_str(title);
    s.push(' ');
    s.extend(text.chars().take(SECTION_TEXT_CHARS));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_fold_their_dashes_and_bad_rows_are_named() {
        assert_eq!(normalize_section("เศรษฐกิจ – สังคม"), Some("เศรษฐกิจ-สังคม"));
        assert_eq!(normalize_section("เศรษฐกิจ - สังคม"), Some("เศรษฐกิจ-สังคม"));
        assert_eq!(normalize_section("อื่น ๆ"), None);
        let rows = parse_sections("# c\n2022-01-04\tแต่งตั้ง\tt\tx\n").unwrap();
        assert_eq!(rows[0].section, "แต่งตั้ง");
        let e = parse_sections("2022-01-04\tอื่น\tt\tx\n").unwrap_err();
        assert!(e.to_string().contains("line 1") && e.to_string().contains("อื่น"));
        assert!(parse_sections("2022-01-04\tแต่งตั้ง\tt\n").is_err());
    }

    #[test]
    fn routine_business_reads_as_routine_and_a_price_measure_does_not() {
        let m = RoutineDecisionModel::shared_default().unwrap();
        let appointment = m.assess(
            "ครม. มีมติอนุมัติแต่งตั้งข้าราชการพลเรือนสามัญ ตำแหน่งประเภทบริหารระดับสูง",
            "คณะรัฐมนตรีมีมติอนุมัติแต่งตั้งข้าราชการพลเรือนสามัญ ให้ดำรงตำแหน่งรองปลัดกระทรวง",
        );
        assert!(appointment.is_routine(), "{appointment:?}");
        let agreement = m.assess(
            "ครม. เห็นชอบร่างบันทึกความเข้าใจว่าด้วยความร่วมมือด้านการท่องเที่ยวระหว่างไทยกับต่างประเทศ",
            "คณะรัฐมนตรีเห็นชอบร่างบันทึกความเข้าใจ และอนุมัติให้รัฐมนตรีว่าการกระทรวงการต่างประเทศลงนาม",
        );
        assert!(agreement.is_routine(), "{agreement:?}");
        let prices = m.assess(
            "ครม. อนุมัติลดภาษีสรรพสามิตน้ำมันดีเซล ลิตรละ 2 บาท ช่วยค่าครองชีพประชาชน",
            "คณะรัฐมนตรีมีมติเห็นชอบร่างกฎกระทรวงลดอัตราภาษีสรรพสามิตน้ำมันดีเซล เพื่อบรรเทาภาระค่าครองชีพ",
        );
        assert!(!prices.is_routine(), "{prices:?}");
    }
}
