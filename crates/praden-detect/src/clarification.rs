//! Does this official or news document carry the responsible agency's clarification (ชี้แจง)
//! of an assigned issue? Pure and explainable: three signals, each with its evidence.
//!
//! - **cue**: a clarification word (ชี้แจง, แจง, ไม่เป็นความจริง, ข่าวปลอม, ยืนยัน, …) in the
//!   title, or weaker, in the lead; "ประชุมชี้แจง" and its kin (briefings, budget hearings) do
//!   not count;
//! - **overlap**: the share of the issue title's content words (weighted: words every
//!   government story uses count less) found among the document's title and lead words, a
//!   compound also found as a substring, and a compound's parts giving partial credit;
//! - **agency**: the responsible agency (its name, an alias or abbreviation, or another unit of
//!   its ministry) named in the title or lead, and no credit when only another agency speaks.
//!
//! A document is segmented once ([`ClarificationMatcher::prepare_document`]) and an issue once
//! ([`ClarificationMatcher::prepare_issue`]); [`ClarificationMatcher::score`] then costs a few
//! hash lookups and substring searches over the lead, so every new document can be checked
//! against every open issue.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use praden_thai::Span;
use serde::Serialize;

use crate::cluster::{content, WordFeatures};
use crate::error::RegistryError;
use crate::mention::{MentionKind, MentionMatcher};
use crate::normalize::{normalize, squeeze};
use crate::registry::{AgencyId, AgencyRegistry};

/// The lead is the first this many characters of the body after the page furniture: the
/// clarification's subject and speaker come first in Thai official writing, and the rest of
/// a long body would only add chance matches.
const LEAD_CHARS: usize = 800;
/// How much of the body is searched for the key sentence ("ชี้แจงว่า …").
const EXCERPT_SEARCH_CHARS: usize = 2500;
const EXCERPT_CHARS: usize = 240;

/// Clarification cues and their strength. Matched on the whitespace-free matching form.
const CUES: &[(&str, f64)] = &[
    ("ไม่เป็นความจริง", 1.0),
    ("ชี้แจง", 1.0),
    ("แจง", 1.0),
    ("ข่าวปลอม", 0.9),
    ("ข่าวบิดเบือน", 0.9),
    ("ขอเรียนว่า", 0.9),
    ("ข้อเท็จจริง", 0.8),
    ("ไม่จริง", 0.8),
    ("ยืนยัน", 0.7),
    ("อย่าหลงเชื่อ", 0.7),
    ("ปฏิเสธ", 0.6),
    ("เคลียร์", 0.6),
    ("ตอบโต้", 0.5),
    ("โต้", 0.5),
];

/// Phrases in which a cue word does not announce a clarification: briefings on how to apply
/// a programme, and agencies explaining their budget to parliament.
const NOT_CUES: &[&str] = &[
    "ประชุมชี้แจง",
    "ชี้แจงแนวทาง",
    "ชี้แจงหลักเกณฑ์",
    "ชี้แจงงบประมาณ",
    "ชี้แจงรายละเอียดงบประมาณ",
    "ชี้แจงต่อคณะกรรมาธิการ",
    "คำชี้แจงงบประมาณ",
];

/// Document frequencies of words in government news (title and lead), built from the
/// thaigov.go.th articles of the tuning period by `examples/clarification_df.rs`. An issue's
/// word weighs by its rarity: "รัฐบาล" or "ประชาชน" matching says little about the topic.
const NEWS_DF: &str = include_str!("../data/news_df.tsv");
/// Words in fewer articles than this are not listed: they weigh fully.
pub const MIN_LISTED_DF: u32 = 20;

/// How monitors and agencies frame an issue ("กรณี …", "ข้อร้องเรียน …"): the frame says
/// nothing about the topic and clarifications of every topic repeat it, so it is taken out
/// of the issue's title before its words are counted. Longest first.
const FRAMES: &[&str] = &[
    "ข้อเรียกร้องให้",
    "ข้อร้องเรียน",
    "ข้อเรียกร้อง",
    "กระแสวิจารณ์",
    "เรียกร้องให้",
    "ข้อวิจารณ์",
    "ข้อสงสัย",
    "ข้อกังวล",
    "ร้องเรียน",
    "ประเด็น",
    "กรณี",
];

/// Honorifics and ranks that start a speaker's name in Thai official prose.
const SPEAKER_STARTS: &[&str] = &[
    "นายแพทย์",
    "แพทย์หญิง",
    "นางสาว",
    "พลตำรวจ",
    "พันตำรวจ",
    "พล.ต.อ.",
    "พล.ต.ท.",
    "พล.ต.ต.",
    "พ.ต.อ.",
    "พ.ต.ท.",
    "พลเอก",
    "พล.อ.",
    "ดร.",
    "นพ.",
    "พญ.",
    "ศ.",
    "รศ.",
    "ผศ.",
    "นาย",
    "นาง",
];
/// Verbs after which the speaker's name ends.
const SPEAKER_VERBS: &[&str] = &["ชี้แจง", "กล่าว", "เปิดเผย", "ให้สัมภาษณ์", "ยืนยัน", "ระบุ", "แถลง"];
/// Where the clarification's key content starts.
const EXCERPT_MARKERS: &[&str] = &[
    "ขอชี้แจงว่า",
    "ชี้แจงว่า",
    "ขอเรียนว่า",
    "ยืนยันว่า",
    "ข้อเท็จจริง",
    "ขอชี้แจง",
    "ชี้แจง",
];

/// How the score is formed and when it is a match. Defaults tuned on the 2020–2022 part of
/// the labelled pairs (`tests/clarification/`), never on the held-out 2023–2024 part.
#[derive(Debug, Clone, PartialEq)]
pub struct ClarificationConfig {
    pub weight_overlap: f64,
    pub weight_cue: f64,
    pub weight_agency: f64,
    /// A match needs at least this score …
    pub threshold: f64,
    /// … and at least this weighted share of the issue's words in the document's title/lead.
    pub min_overlap: f64,
    /// Credit for an issue word found only in the lead (in the title it is 1).
    pub lead_word_credit: f64,
    /// Cue strength multiplier when the cue is in the lead, not the title.
    pub lead_cue_factor: f64,
    /// The least weight a very common word keeps (the rarest weigh 1).
    pub min_word_weight: f64,
}

impl Default for ClarificationConfig {
    fn default() -> Self {
        Self {
            weight_overlap: 0.55,
            weight_cue: 0.25,
            weight_agency: 0.20,
            threshold: 0.75,
            min_overlap: 0.50,
            lead_word_credit: 0.5,
            lead_cue_factor: 0.6,
            min_word_weight: 0.1,
        }
    }
}

/// Where in the document a piece of evidence was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    Title,
    Lead,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CueEvidence {
    /// The cue word as listed (e.g. "ชี้แจง").
    pub cue: &'static str,
    pub place: Place,
    /// The cue's strength times the place's factor, 0..1.
    pub strength: f64,
}

/// How the agency named in the document relates to the issue's agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyRelation {
    /// The issue's agency itself (name, alias or abbreviation).
    Same,
    /// Another unit of the same ministry (or the ministry of a department).
    SameMinistry,
    /// Only other agencies are named.
    Other,
    /// No agency is named.
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgencyEvidence {
    pub relation: AgencyRelation,
    /// The name or abbreviation as found, when one was.
    pub mentioned: Option<String>,
    pub place: Option<Place>,
    /// 0..1.
    pub score: f64,
}

/// The verdict on one (issue, document) pair, with what it rests on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClarificationMatch {
    pub is_match: bool,
    /// 0..1.
    pub score: f64,
    /// The strongest clarification cue, if any.
    pub cue: Option<CueEvidence>,
    /// Weighted share of the issue's words found in the title or lead, 0..1.
    pub overlap: f64,
    /// The issue's words found in the document.
    pub matched_terms: Vec<String>,
    /// The issue's words not found.
    pub missing_terms: Vec<String>,
    pub agency: AgencyEvidence,
    /// The clarification's key sentence, if one follows "ชี้แจงว่า" or the like; else the lead.
    pub excerpt: Option<String>,
    /// Who gave the statement, if the lead names a person before "กล่าว", "ชี้แจง", ….
    pub speaker: Option<String>,
}

/// A document segmented once, to be scored against many issues.
#[derive(Debug, Clone)]
pub struct PreparedDocument {
    /// Content words of the title and of the lead.
    title_words: HashSet<String>,
    lead_words: HashSet<String>,
    /// Whitespace-free, lower-cased matching forms, for compounds and agency names.
    title_form: String,
    lead_form: String,
    cue: Option<CueEvidence>,
    /// Non-keyword agency mentions: (agency, place, matched text).
    mentions: Vec<(AgencyId, Place, String)>,
    excerpt: Option<String>,
    speaker: Option<String>,
}

impl PreparedDocument {
    pub fn cue(&self) -> Option<&CueEvidence> {
        self.cue.as_ref()
    }
    pub fn excerpt(&self) -> Option<&str> {
        self.excerpt.as_deref()
    }
    pub fn speaker(&self) -> Option<&str> {
        self.speaker.as_deref()
    }
}

#[derive(Debug, Clone)]
struct Term {
    word: String,
    weight: f64,
    /// Dictionary words inside a compound, for partial credit.
    parts: Vec<String>,
}

/// An issue (title and responsible agency) prepared once.
#[derive(Debug, Clone)]
pub struct PreparedIssue {
    terms: Vec<Term>,
    /// Registry agencies the agency field names.
    agencies: Vec<AgencyId>,
    /// Their ministry codes.
    ministries: Vec<String>,
    /// The agency field's matching form, for agencies the registry does not know.
    agency_form: String,
}

pub struct ClarificationMatcher {
    features: WordFeatures,
    registry: Arc<AgencyRegistry>,
    mentions: MentionMatcher,
    config: ClarificationConfig,
    /// Word → number of articles, and the number of articles.
    df: HashMap<&'static str, u32>,
    docs: u32,
}

impl ClarificationMatcher {
    pub fn new(registry: Arc<AgencyRegistry>, config: ClarificationConfig) -> Self {
        Self {
            features: WordFeatures::new(),
            mentions: MentionMatcher::new(&registry),
            registry,
            config,
            df: parse_df(NEWS_DF).0,
            docs: parse_df(NEWS_DF).1,
        }
    }

    /// 0..1: how much finding `word` in a document says about its topic (inverse document
    /// frequency, scaled so that an unlisted word weighs 1).
    fn weight(&self, word: &str) -> f64 {
        let Some(&df) = self.df.get(word) else {
            // Unlisted two-letter words are mostly fragments of names the dictionary lacks.
            return if word.chars().count() <= 2 { 0.5 } else { 1.0 };
        };
        let n = f64::from(self.docs) + 1.0;
        let idf = (n / (f64::from(df) + 1.0)).ln();
        let cap = (n / (f64::from(MIN_LISTED_DF) + 1.0)).ln();
        (idf / cap).clamp(self.config.min_word_weight, 1.0)
    }

    /// The embedded registry and the tuned defaults.
    pub fn with_defaults() -> Result<Self, RegistryError> {
        Ok(Self::new(
            Arc::new(AgencyRegistry::load_default()?),
            ClarificationConfig::default(),
        ))
    }

    /// One matcher per process (the registry and segmenter are built once).
    pub fn shared_default() -> Result<&'static Self, RegistryError> {
        static SHARED: OnceLock<ClarificationMatcher> = OnceLock::new();
        if let Some(m) = SHARED.get() {
            return Ok(m);
        }
        let built = Self::with_defaults()?;
        Ok(SHARED.get_or_init(|| built))
    }

    pub fn config(&self) -> &ClarificationConfig {
        &self.config
    }

    fn words(&self, text: &str, spans: &mut Vec<Span>) -> Vec<String> {
        let mut out = Vec::new();
        self.features
            .words(text, spans, |w| out.push(w.to_string()));
        out
    }

    pub fn prepare_document(&self, title: &str, body: &str) -> PreparedDocument {
        let mut spans = Vec::new();
        let lead = lead_of(title, body);
        let title_form = form(title);
        let lead_form = form(lead);
        let cue = find_cue(&title_form)
            .map(|(cue, s)| CueEvidence {
                cue,
                place: Place::Title,
                strength: s,
            })
            .or_else(|| {
                find_cue(&lead_form).map(|(cue, s)| CueEvidence {
                    cue,
                    place: Place::Lead,
                    strength: s * self.config.lead_cue_factor,
                })
            });
        let mut mentions = Vec::new();
        for (place, text) in [(Place::Title, title), (Place::Lead, lead)] {
            for m in self.mentions.find(text) {
                if m.kind != MentionKind::Keyword {
                    mentions.push((m.agency, place, m.matched));
                }
            }
        }
        let search = truncate_chars(content(title, body), EXCERPT_SEARCH_CHARS);
        PreparedDocument {
            title_words: self.words(title, &mut spans).into_iter().collect(),
            lead_words: self.words(lead, &mut spans).into_iter().collect(),
            title_form,
            lead_form,
            cue,
            mentions,
            excerpt: excerpt(search).or_else(|| {
                let l = normalize(truncate_chars(lead, EXCERPT_CHARS));
                (!l.is_empty()).then_some(l)
            }),
            speaker: speaker(lead),
        }
    }

    pub fn prepare_issue(&self, title: &str, agency: &str) -> PreparedIssue {
        let mut spans = Vec::new();
        let agency_form = form(agency);
        let mut seen = HashSet::new();
        let mut terms = Vec::new();
        let mut title = praden_thai::matching_form(title);
        for f in FRAMES {
            title = title.replace(f, " ");
        }
        for w in self.words(&title, &mut spans) {
            // A monitor may write the agency or "ชี้แจง" into the issue's title; neither says
            // what the issue is about.
            let is_cue = CUES.iter().any(|(c, _)| *c == w);
            let in_agency = !agency_form.is_empty() && agency_form.contains(&w);
            if is_cue || in_agency || !seen.insert(w.clone()) {
                continue;
            }
            let weight = self.weight(&w);
            let mut parts = Vec::new();
            self.features.segmenter().sub_words(&w, |s, e| {
                let p = &w[s..e];
                if p.chars().count() >= 2
                    && !self.features.is_stop(p)
                    && self.weight(p) >= 0.3
                    && !parts.iter().any(|x: &String| x == p)
                {
                    parts.push(p.to_string());
                }
            });
            terms.push(Term {
                word: w,
                weight,
                parts,
            });
        }
        let mut agencies: Vec<AgencyId> = self
            .mentions
            .find(agency)
            .into_iter()
            .filter(|m| m.kind != MentionKind::Keyword)
            .map(|m| m.agency)
            .collect();
        agencies.sort_unstable();
        agencies.dedup();
        let mut ministries: Vec<String> = agencies
            .iter()
            .map(|&id| self.registry.get(id).ministry_abbr().to_string())
            .collect();
        ministries.sort();
        ministries.dedup();
        PreparedIssue {
            terms,
            agencies,
            ministries,
            agency_form,
        }
    }

    pub fn score(&self, issue: &PreparedIssue, doc: &PreparedDocument) -> ClarificationMatch {
        let c = &self.config;
        let (mut got, mut total) = (0.0, 0.0);
        let mut matched_terms = Vec::new();
        let mut missing_terms = Vec::new();
        for t in &issue.terms {
            total += t.weight;
            let long = t.word.chars().count() >= 4;
            let credit = if doc.title_words.contains(&t.word)
                || (long && doc.title_form.contains(&t.word))
            {
                1.0
            } else if doc.lead_words.contains(&t.word) || (long && doc.lead_form.contains(&t.word))
            {
                c.lead_word_credit
            } else if !t.parts.is_empty() {
                // A compound the document spells differently: half credit by its parts.
                let found = t
                    .parts
                    .iter()
                    .filter(|p| {
                        doc.title_form.contains(p.as_str()) || doc.lead_form.contains(p.as_str())
                    })
                    .count();
                0.5 * found as f64 / t.parts.len() as f64
            } else {
                0.0
            };
            got += t.weight * credit;
            if credit > 0.0 {
                matched_terms.push(t.word.clone());
            } else {
                missing_terms.push(t.word.clone());
            }
        }
        let overlap = if total > 0.0 { got / total } else { 0.0 };
        let agency = self.agency_evidence(issue, doc);
        let cue_strength = doc.cue.as_ref().map_or(0.0, |c| c.strength);
        let score = (c.weight_overlap * overlap
            + c.weight_cue * cue_strength
            + c.weight_agency * agency.score)
            / (c.weight_overlap + c.weight_cue + c.weight_agency);
        let is_match = doc.cue.is_some() && overlap >= c.min_overlap && score >= c.threshold;
        ClarificationMatch {
            is_match,
            score: (score * 1e4).round() / 1e4,
            cue: doc.cue.clone(),
            overlap: (overlap * 1e4).round() / 1e4,
            matched_terms,
            missing_terms,
            agency,
            excerpt: doc.excerpt.clone(),
            speaker: doc.speaker.clone(),
        }
    }

    fn agency_evidence(&self, issue: &PreparedIssue, doc: &PreparedDocument) -> AgencyEvidence {
        let ev = |relation, mentioned: Option<String>, place, score| AgencyEvidence {
            relation,
            mentioned,
            place,
            score,
        };
        let best = |want: &dyn Fn(AgencyId) -> bool, place: Place| {
            doc.mentions
                .iter()
                .find(|(id, p, _)| *p == place && want(*id))
        };
        let raw = issue.agency_form.chars().count() >= 6;
        for (place, hay, s) in [
            (Place::Title, &doc.title_form, 1.0),
            (Place::Lead, &doc.lead_form, 0.85),
        ] {
            // The agency as the monitor wrote it, which also covers agencies the registry
            // lacks; short strings (abbreviations) only through the registry's
            // boundary-aware matcher.
            if raw && hay.contains(&issue.agency_form) {
                return ev(
                    AgencyRelation::Same,
                    Some(issue.agency_form.clone()),
                    Some(place),
                    s,
                );
            }
            if let Some((_, _, text)) = best(&|id| issue.agencies.contains(&id), place) {
                return ev(AgencyRelation::Same, Some(text.clone()), Some(place), s);
            }
        }
        for (place, s) in [(Place::Title, 0.7), (Place::Lead, 0.6)] {
            let same_ministry = |id: AgencyId| {
                let m = self.registry.get(id).ministry_abbr();
                issue.ministries.iter().any(|x| x == m)
            };
            if let Some((_, _, text)) = best(&same_ministry, place) {
                return ev(
                    AgencyRelation::SameMinistry,
                    Some(text.clone()),
                    Some(place),
                    s,
                );
            }
        }
        match doc
            .mentions
            .iter()
            .min_by_key(|(_, p, _)| *p != Place::Title)
        {
            Some((_, place, text)) => {
                ev(AgencyRelation::Other, Some(text.clone()), Some(*place), 0.0)
            }
            None => ev(AgencyRelation::None, None, None, 0.3),
        }
    }

    /// Prepares both sides and scores them: for one-off checks. To check many issues against
    /// a document, prepare it once and call [`ClarificationMatcher::score`].
    pub fn match_pair(
        &self,
        issue_title: &str,
        agency: &str,
        doc_title: &str,
        doc_body: &str,
    ) -> ClarificationMatch {
        let issue = self.prepare_issue(issue_title, agency);
        let doc = self.prepare_document(doc_title, doc_body);
        self.score(&issue, &doc)
    }
}

/// [`ClarificationMatcher::match_pair`] with the process-wide default matcher.
pub fn match_clarification(
    issue_title: &str,
    agency: &str,
    doc_title: &str,
    doc_body: &str,
) -> Result<ClarificationMatch, RegistryError> {
    Ok(
        ClarificationMatcher::shared_default()?.match_pair(
            issue_title,
            agency,
            doc_title,
            doc_body,
        ),
    )
}

/// The part of a document the matcher reads besides its title: the body from its first line
/// of content (page furniture and the repeated headline skipped), at most [`LEAD_CHARS`]
/// characters.
pub fn lead_of<'a>(title: &str, body: &'a str) -> &'a str {
    truncate_chars(content(title, body), LEAD_CHARS)
}

/// `(word → articles, articles)` from the `word<TAB>count` lines of [`NEWS_DF`]; the
/// `#docs` line gives the number of articles, other `#` lines are comments.
fn parse_df(tsv: &'static str) -> (HashMap<&'static str, u32>, u32) {
    let mut map = HashMap::new();
    let mut docs = 0;
    for line in tsv.lines() {
        let Some((word, n)) = line.split_once('\t') else {
            continue;
        };
        let Ok(n) = n.trim().parse::<u32>() else {
            continue;
        };
        if word == "#docs" {
            docs = n;
        } else if !word.starts_with('#') {
            map.insert(word, n);
        }
    }
    (map, docs.max(1))
}

/// The matching form without whitespace and lower-cased: what cues, compounds and agency
/// names are searched in.
fn form(text: &str) -> String {
    squeeze(&praden_thai::matching_form(text)).to_lowercase()
}

fn truncate_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The strongest cue in `form`, skipping occurrences inside a [`NOT_CUES`] phrase.
fn find_cue(form: &str) -> Option<(&'static str, f64)> {
    let blocked: Vec<(usize, usize)> = NOT_CUES
        .iter()
        .flat_map(|p| form.match_indices(p).map(|(i, m)| (i, i + m.len())))
        .collect();
    let mut best: Option<(&'static str, f64)> = None;
    for &(cue, strength) in CUES {
        if best.is_some_and(|(_, s)| s >= strength) {
            continue;
        }
        let free = form
            .match_indices(cue)
            .any(|(i, m)| !blocked.iter().any(|&(s, e)| i >= s && i + m.len() <= e));
        if free {
            best = Some((cue, strength));
        }
    }
    best
}

/// The sentence after "ชี้แจงว่า" (or the like), cut at a phrase boundary.
fn excerpt(text: &str) -> Option<String> {
    let text = normalize(text);
    let start = EXCERPT_MARKERS
        .iter()
        .find_map(|m| text.find(m).map(|i| i + m.len()))?;
    let rest = text[start..].trim_start_matches([' ', ':', '“', '"']);
    let cut = truncate_chars(rest, EXCERPT_CHARS);
    let cut = if cut.len() < rest.len() {
        match cut.rfind(' ') {
            Some(i) if i > cut.len() / 2 => &cut[..i],
            _ => cut,
        }
    } else {
        cut
    };
    let cut = cut.trim();
    (cut.chars().count() >= 10).then(|| cut.to_string())
}

/// The first "<honorific> name position … <verb>" in the lead: the person from the honorific
/// to the verb, at most 120 characters.
fn speaker(lead: &str) -> Option<String> {
    let text = normalize(lead);
    let mut verbs: Vec<usize> = SPEAKER_VERBS
        .iter()
        .flat_map(|v| text.match_indices(v).map(|(i, _)| i))
        // ดังกล่าว is "the said", not "said".
        .filter(|&i| !text[..i].ends_with("ดัง"))
        .collect();
    verbs.sort_unstable();
    verbs.into_iter().find_map(|verb_at| {
        let before = &text[..verb_at];
        let window_start = before.char_indices().rev().nth(119).map_or(0, |(i, _)| i);
        // The honorific nearest the verb that starts a phrase (after a space or at the
        // start); นายก… is the Prime Minister's title, not a name.
        let start = SPEAKER_STARTS
            .iter()
            .filter_map(|h| {
                before
                    .match_indices(h)
                    .map(|(i, _)| i)
                    .filter(|&i| i >= window_start)
                    .filter(|&i| i == 0 || before[..i].ends_with(' '))
                    .filter(|&i| !before[i..].starts_with("นายก"))
                    .last()
            })
            .max()?;
        let who = before[start..].trim();
        (who.chars().count() >= 3).then(|| who.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Debug output escapes Thai vowel marks; JSON shows them as written.
    fn show(m: &ClarificationMatch) -> String {
        serde_json::to_string_pretty(m).unwrap_or_default()
    }

    fn matcher() -> &'static ClarificationMatcher {
        ClarificationMatcher::shared_default().expect("the embedded registry loads")
    }

    // Real thaigov.go.th article, 31 Jan 2022 (ชี้แจงประเด็นสำคัญ), shortened.
    const PHAK_TITLE: &str = "พณ. ชี้แจงข้อร้องเรียนผักกาดขาวราคาตกต่ำจนเกษตรกรต้องตัดทิ้ง";
    const PHAK_BODY: &str = "วันจันทร์ที่ 31 มกราคม 2565\nพิมพ์\nพณ. ชี้แจงข้อร้องเรียนผักกาดขาวราคาตกต่ำจนเกษตรกรต้องตัดทิ้ง\nกรมการค้าภายใน เผยผลผลิตผักกาดขาวปลีมีจำนวนมากจากสภาพอากาศที่เอื้ออำนาย ขณะที่การบริโภคชะลอตัว แต่ทั้งนี้ได้เร่งแก้ปัญหาเบื้องต้น และเตรียมใช้กลไกสัญญาข้อตกลงล่วงหน้า เพื่อไม่ให้เกิดปัญหาดังกล่าวอีก\nวันที่ 30 มกราคม 2565 นายวัฒนศักย์ เสือเอี่ยม อธิบดีกรมการค้าภายใน กระทรวงพาณิชย์ ชี้แจงกรณีโซเชียลมีเดียเผยแพร่คลิปการทำลายผักกาดขาว กว่าสองแสน กก. ของชาวม้งรายหนึ่ง ใน จ.แม่ฮ่องสอน เพราะไม่มีตลาดรับซื้อ และราคาเหลือเพียง กก.ละ 1 บาท";

    // Real thaigov.go.th article, 20 Jun 2021 (ชี้แจงประเด็นสำคัญ), shortened.
    const PHANG_TITLE: &str = "มท. ชี้แจงกรณีการบังคับใช้ผังเมืองรวม จังหวัดชัยภูมิ ให้เป็นพื้นที่อุตสาหกรรม";
    const PHANG_BODY: &str = "วันอาทิตย์ที่ 20 มิถุนายน 2564\nพิมพ์\nมท. ชี้แจงกรณีการบังคับใช้ผังเมืองรวม จังหวัดชัยภูมิ ให้เป็นพื้นที่อุตสาหกรรม\nกรมโยธาธิการและผังเมือง เผยสภาพการณ์จังหวัดชัยภูมิเปลี่ยนแปลง ทำให้การใช้บังคับผังเมืองรวมจังหวัดชัยภูมิไม่สอดคล้องกับแนวทางการพัฒนาพื้นที่ ยืนยันการแก้ไขผังเมืองเป็นไปตามขั้นตอนของกฎหมาย\nวันที่ 20 มิถุนายน 2564 นายพรพจน์ เพ็ญพาส อธิบดีกรมโยธาธิการและผังเมือง กล่าวชี้แจงกรณีการบังคับใช้ผังเมืองรวมจังหวัดชัยภูมิ ให้เป็นพื้นที่อุตสาหกรรม";

    #[test]
    fn a_clarification_matches_its_issue() {
        let m = matcher().match_pair(
            "เกษตรกรตัดทิ้งผักกาดขาว เหตุราคาตกต่ำไม่มีตลาดรับซื้อ",
            "กระทรวงพาณิชย์",
            PHAK_TITLE,
            PHAK_BODY,
        );
        assert!(m.is_match, "{}", show(&m));
        assert_eq!(m.cue.as_ref().map(|c| c.place), Some(Place::Title));
        assert_eq!(m.agency.relation, AgencyRelation::Same);
        assert!(m.matched_terms.iter().any(|t| t == "ผัก"), "{}", show(&m));
        assert!(m.overlap > 0.9, "{}", show(&m));
        assert_eq!(
            m.speaker.as_deref(),
            Some("นายวัฒนศักย์ เสือเอี่ยม อธิบดีกรมการค้าภายใน กระทรวงพาณิชย์")
        );
        assert!(m.excerpt.is_some());
    }

    #[test]
    fn the_same_clarification_does_not_match_an_unrelated_issue() {
        let m = matcher().match_pair(
            "ผังเมืองรวมชัยภูมิเปิดทางพื้นที่อุตสาหกรรม ชาวบ้านค้าน",
            "กระทรวงมหาดไทย",
            PHAK_TITLE,
            PHAK_BODY,
        );
        assert!(!m.is_match, "{}", show(&m));
        let right = matcher().match_pair(
            "ผังเมืองรวมชัยภูมิเปิดทางพื้นที่อุตสาหกรรม ชาวบ้านค้าน",
            "กระทรวงมหาดไทย",
            PHANG_TITLE,
            PHANG_BODY,
        );
        assert!(right.is_match, "{}", show(&right));
        assert!(right.score > m.score + 0.2);
    }

    #[test]
    fn plain_news_on_the_same_topic_without_a_cue_does_not_match() {
        // The same topic reported as news (no ชี้แจง, แจง, ยืนยัน … anywhere).
        let title = "พาณิชย์ลงพื้นที่แม่ฮ่องสอน รับซื้อผักกาดขาวช่วยเกษตรกร";
        let body = "พิมพ์\nพาณิชย์ลงพื้นที่แม่ฮ่องสอน รับซื้อผักกาดขาวช่วยเกษตรกร\nกระทรวงพาณิชย์ ร่วมกับห้างค้าปลีก ลงพื้นที่อำเภอแม่แจ่มและแม่ฮ่องสอน รับซื้อผักกาดขาวจากเกษตรกรที่ราคาตกต่ำ กว่า 200 ตัน เพื่อกระจายขายในกรุงเทพมหานคร";
        let m = matcher().match_pair(
            "เกษตรกรตัดทิ้งผักกาดขาว เหตุราคาตกต่ำไม่มีตลาดรับซื้อ",
            "กระทรวงพาณิชย์",
            title,
            body,
        );
        assert!(m.cue.is_none(), "{}", show(&m));
        assert!(!m.is_match, "{}", show(&m));
        assert!(m.overlap > 0.3, "the topic is the same: {}", show(&m));
    }

    #[test]
    fn another_agencys_clarification_scores_lower() {
        let issue = "เกษตรกรตัดทิ้งผักกาดขาว เหตุราคาตกต่ำไม่มีตลาดรับซื้อ";
        let right = matcher().match_pair(issue, "กระทรวงพาณิชย์", PHAK_TITLE, PHAK_BODY);
        let title = "กษ. ชี้แจงกรณีเกษตรกรตัดทิ้งผักกาดขาว แนะปรับการปลูก";
        let body = "พิมพ์\nกษ. ชี้แจงกรณีเกษตรกรตัดทิ้งผักกาดขาว แนะปรับการปลูก\nกรมส่งเสริมการเกษตร กระทรวงเกษตรและสหกรณ์ ชี้แจงว่า ผลผลิตผักกาดขาวล้นตลาดเพราะปลูกพร้อมกัน แนะนำเกษตรกรวางแผนการปลูกร่วมกับสำนักงานเกษตรจังหวัด";
        let other = matcher().match_pair(issue, "กระทรวงพาณิชย์", title, body);
        assert_eq!(
            other.agency.relation,
            AgencyRelation::Other,
            "{}",
            show(&other)
        );
        assert!(
            other.score < right.score,
            "{} vs {}",
            show(&other),
            show(&right)
        );
    }

    #[test]
    fn an_abbreviation_or_a_department_counts_as_the_agency() {
        let issue = matcher().prepare_issue("ผังเมืองรวมชัยภูมิ พื้นที่อุตสาหกรรม", "มท.");
        let doc = matcher().prepare_document(PHANG_TITLE, PHANG_BODY);
        let m = matcher().score(&issue, &doc);
        assert_eq!(m.agency.relation, AgencyRelation::Same, "{}", show(&m));
        let issue = matcher().prepare_issue("ผังเมืองรวมชัยภูมิ พื้นที่อุตสาหกรรม", "กรมโยธาธิการและผังเมือง");
        let m = matcher().score(&issue, &doc);
        assert_eq!(m.agency.relation, AgencyRelation::Same, "{}", show(&m));
    }

    #[test]
    fn the_embedded_frequencies_parse_and_weigh_common_words_less() {
        let (df, docs) = parse_df(NEWS_DF);
        let listed = NEWS_DF
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .count();
        assert_eq!(
            df.len(),
            listed,
            "every line of data/news_df.tsv is word<TAB>count"
        );
        assert!(docs > 1000, "the #docs line is present: {docs}");
        let m = matcher();
        assert!(m.weight("รัฐบาล") < 0.5, "{}", m.weight("รัฐบาล"));
        assert!(m.weight("ผักกาดขาว") > 0.9);
    }

    #[test]
    fn a_briefing_is_not_a_clarification() {
        assert_eq!(find_cue(&form("ประชุมชี้แจงแนวทางการตรวจราชการ ประจำปี")), None);
        assert_eq!(
            find_cue(&form("สธ. ยืนยัน ข่าวนี้ไม่เป็นความจริง")).map(|c| c.0),
            Some("ไม่เป็นความจริง")
        );
    }
}
