//! Ranks the agencies that should clarify a story. Every ministry-level unit gets a feature
//! vector — what the cabinet history says (a title classifier and the nearest past titles) and
//! what the title says outright (names, abbreviations, mandate keywords, each weighted by how
//! telling it has been in past titles) — and a linear score over it; the weights of that
//! combination are learned from the history itself ([`fit_combiner`]), not set by hand.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::error::SuggestError;
use crate::history::{
    default_history, ClassifierParams, HistoryExample, TitleClassifier, TitleKnn,
};
use crate::mention::{Mention, MentionKind, MentionMatcher};
use crate::normalize::{normalize, squeeze};
use crate::registry::{AgencyId, AgencyRegistry};

/// Number of features per ministry-level unit.
pub const FEATURES: usize = 12;

/// What each feature is, in order (also the names the eval prints the weights under).
pub const FEATURE_NAMES: [&str; FEATURES] = [
    "history_log_prob",
    "neighbour_similarity",
    "neighbour_rank",
    "history_rank",
    "name",
    "name_in_instrument",
    "abbreviation",
    "ambiguous_abbreviation",
    "english_name",
    "keyword",
    "first_named",
    "named",
];

// Indices into the feature vector.
const F_HISTORY: usize = 0;
const F_NEIGHBOUR: usize = 1;
const F_NEIGHBOUR_RANK: usize = 2;
const F_HISTORY_RANK: usize = 3;
const F_NAME: usize = 4;
const F_NAME_INSTRUMENT: usize = 5;
const F_ABBR: usize = 6;
const F_ABBR_AMBIGUOUS: usize = 7;
const F_ENGLISH: usize = 8;
const F_KEYWORD: usize = 9;
const F_FIRST: usize = 10;
const F_NAMED: usize = 11;
/// The features that count the title's own words about one agency (its "own evidence").
const MENTION_FEATURES: std::ops::Range<usize> = F_NAME..F_FIRST;

/// Log-probabilities are floored here: a ministry the history never saw is not infinitely
/// unlikely, and the floor keeps the linear score bounded.
const LOG_PROB_FLOOR: f64 = -20.0;

/// Weights of the linear combination, one per feature of [`FEATURE_NAMES`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Combiner {
    pub weights: [f64; FEATURES],
}

impl Default for Combiner {
    /// Fitted by [`fit_combiner`] (5 time-ordered folds) on the embedded `data/history.tsv.gz`,
    /// i.e. on cabinet items before 2023-01-01 only; `agency_eval` re-fits them from the
    /// training rows and says whether they still match.
    fn default() -> Self {
        Self {
            weights: [
                0.5454,  // history_log_prob
                0.1659,  // neighbour_similarity
                0.5374,  // neighbour_rank
                0.3795,  // history_rank
                0.3471,  // name
                -0.5403, // name_in_instrument
                0.1517,  // abbreviation
                -0.0070, // ambiguous_abbreviation
                -0.0839, // english_name
                0.5471,  // keyword
                0.9331,  // first_named
                0.8591,  // named
            ],
        }
    }
}

/// Settings of the suggester. The classifier settings and the neighbour count were chosen on
/// the validation slice of the training period (see README), never on the test period.
#[derive(Debug, Clone)]
pub struct SuggestConfig {
    pub classifier: ClassifierParams,
    /// Past titles looked at by the nearest-neighbour features.
    pub neighbours: usize,
    pub combiner: Combiner,
    /// Mentions in the body add `text_factor ×` the combiner's mention score of the body (the
    /// counts capped, so long bodies that repeat a name do not drown the title). Set by hand,
    /// not fitted: the cabinet history has no news bodies, and its resolution texts name the
    /// proposer outright ("ตามที่ … เสนอ"), which would teach the wrong lesson.
    pub text_factor: f64,
    pub max_suggestions: usize,
}

impl Default for SuggestConfig {
    fn default() -> Self {
        Self {
            classifier: ClassifierParams::default(),
            neighbours: 5,
            combiner: Combiner::default(),
            text_factor: 1.0,
            max_suggestions: 5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgencySuggestion {
    pub name_th: String,
    /// Display abbreviation; empty when the agency has none.
    pub abbr: String,
    /// Abbreviation of the ministry-level unit the agency belongs to (its own for ministries).
    pub ministry_abbr: String,
    /// Relative confidence in [0, 1] (softmax over the candidates).
    pub score: f64,
    /// Human-readable evidence behind the score, strongest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

const INSTRUMENT_PREFIXES: [&str; 5] = ["ระเบียบ", "ประกาศ", "กฎ", "คำสั่ง", "ข้อบังคับ"];

#[derive(Debug, Clone)]
pub struct AgencySuggester {
    registry: AgencyRegistry,
    matcher: MentionMatcher,
    classifier: TitleClassifier,
    knn: TitleKnn,
    /// Ministry-level units, in registry order.
    units: Vec<AgencyId>,
    unit_index: HashMap<AgencyId, usize>,
    /// classifier class index -> unit index.
    class_unit: Vec<Option<usize>>,
    /// What the history says about each registry pattern seen in past titles, by agency then
    /// pattern (so a lookup needs no allocation).
    past: HashMap<AgencyId, HashMap<String, PastRecord>>,
    config: SuggestConfig,
}

/// Mention features of one agency (or, summed, of one unit) with the reasons behind them.
#[derive(Default, Clone)]
struct Evidence {
    features: [f64; FEATURES],
    reasons: Vec<(f64, String)>,
    /// Byte position of the first explicit mention (for `first_named`).
    first: Option<usize>,
}

/// Features of every unit for one title, plus what the reasons need.
struct Scored {
    features: Vec<[f64; FEATURES]>,
    /// Mention evidence per agency named in the title.
    own: HashMap<AgencyId, Evidence>,
    /// unit index -> (rank among units by the classifier, best neighbour (similarity, title)).
    history_rank: Vec<usize>,
    neighbour: Vec<Option<(f64, String)>>,
}

impl AgencySuggester {
    /// Suggester with the embedded history and default settings.
    pub fn new(registry: &AgencyRegistry) -> Result<Self, SuggestError> {
        let history = default_history()?;
        Ok(Self::with_history(
            registry,
            &history,
            SuggestConfig::default(),
        ))
    }

    /// The suggester of [`AgencySuggester::new`] on the embedded registry, built once per
    /// process and shared: fitting the history model on its texts takes seconds, and the
    /// detector, the CLI and the tests all want the same immutable model.
    pub fn shared_default() -> Result<Arc<Self>, SuggestError> {
        static SHARED: Mutex<Option<Arc<AgencySuggester>>> = Mutex::new(None);
        // Held while building, so concurrent callers wait for one build instead of each
        // starting their own.
        let mut slot = SHARED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = slot.as_ref() {
            return Ok(s.clone());
        }
        let built = Arc::new(Self::new(&AgencyRegistry::load_default()?)?);
        *slot = Some(built.clone());
        Ok(built)
    }

    pub fn with_history(
        registry: &AgencyRegistry,
        history: &[HistoryExample],
        config: SuggestConfig,
    ) -> Self {
        let classifier = TitleClassifier::train(history, &config.classifier);
        let knn = TitleKnn::train(history);
        let units: Vec<AgencyId> = registry.top_level_ids().collect();
        let unit_index: HashMap<AgencyId, usize> =
            units.iter().enumerate().map(|(i, &id)| (id, i)).collect();
        let class_unit = classifier
            .classes()
            .iter()
            .map(|c| unit_of_code(registry, &unit_index, c))
            .collect();
        let matcher = MentionMatcher::new(registry);
        let past = past_records(registry, &matcher, history, &unit_index);
        Self {
            registry: registry.clone(),
            matcher,
            classifier,
            knn,
            units,
            unit_index,
            class_unit,
            past,
            config,
        }
    }

    pub fn registry(&self) -> &AgencyRegistry {
        &self.registry
    }

    pub fn config(&self) -> &SuggestConfig {
        &self.config
    }

    pub fn classifier(&self) -> &TitleClassifier {
        &self.classifier
    }

    /// Agencies best first. `text` may be empty.
    pub fn suggest(&self, title: &str, text: &str) -> Vec<AgencySuggestion> {
        let (title, text) = (&without_speakers(title), &without_speakers(text));
        let w = &self.config.combiner.weights;
        let scored = self.score_title(title);
        let mut totals: Vec<f64> = scored.features.iter().map(|f| dot(w, f)).collect();
        let mut unit_reasons: Vec<Vec<(f64, String)>> = vec![Vec::new(); self.units.len()];

        let mut own = scored.own;
        if !text.trim().is_empty() {
            let body = self.mentions(text, "เนื้อหา");
            let mut body_units: Vec<Evidence> = vec![Evidence::default(); self.units.len()];
            for (&id, ev) in &body {
                if let Some(u) = self.unit_of(id) {
                    add_evidence(&mut body_units[u], ev);
                }
            }
            let first = first_named_unit(&body_units);
            for (u, ev) in body_units.iter_mut().enumerate() {
                finish_unit(ev, first == Some(u));
                totals[u] += self.config.text_factor * dot(w, &ev.features).max(0.0);
            }
            let factor = self.config.text_factor;
            for (id, ev) in body {
                let e = own.entry(id).or_default();
                e.reasons
                    .extend(ev.reasons.into_iter().map(|(s, r)| (s * factor, r)));
            }
        }

        for (&id, ev) in &own {
            if let Some(u) = self.unit_of(id) {
                unit_reasons[u].extend(ev.reasons.iter().cloned());
            }
        }
        if !title.trim().is_empty() {
            for (u, &rank) in scored.history_rank.iter().enumerate() {
                if rank < 3 {
                    unit_reasons[u].push((
                        -(rank as f64),
                        format!(
                            "{HISTORY_REASON}เรื่องที่คล้ายกันในมติ ครม. ที่ผ่านมาจัดให้เป็นอันดับ {} จาก {} กระทรวง",
                            rank + 1,
                            self.classifier.classes().len()
                        ),
                    ));
                }
            }
            for (u, n) in scored.neighbour.iter().enumerate() {
                if let Some((sim, past)) = n {
                    if scored.features[u][F_NEIGHBOUR_RANK] >= 0.5 {
                        let short: String = past.chars().take(90).collect();
                        let ellipsis = if short.len() < past.len() { "…" } else { "" };
                        unit_reasons[u].push((
                            -3.0 - (1.0 - sim),
                            format!(
                                "{HISTORY_REASON}คล้ายเรื่องเสนอ ครม. ที่ผ่านมา ({sim:.2}): {short}{ellipsis}"
                            ),
                        ));
                    }
                }
            }
        }

        // Ministries are ranked by their totals; within a ministry the agency with the strongest
        // own evidence is listed first, so "กรมควบคุมโรค" leads when it is named but a bare
        // keyword hit on a department never outranks a ministry named outright.
        let mut order: Vec<usize> = (0..self.units.len()).collect();
        order.sort_by(|&a, &b| totals[b].total_cmp(&totals[a]).then(a.cmp(&b)));
        let max = order.first().map_or(0.0, |&u| totals[u]);
        let sum: f64 = totals.iter().map(|t| (t - max).exp()).sum();
        let own_score = |ev: &Evidence| dot_range(w, &ev.features, MENTION_FEATURES);
        let mut out = Vec::new();
        for u in order {
            if out.len() >= self.config.max_suggestions {
                break;
            }
            let score = (totals[u] - max).exp() / sum;
            let tid = self.units[u];
            let own_top = own.get(&tid).map_or(0.0, own_score);
            let best_dept = own
                .iter()
                .filter(|(&id, ev)| {
                    id != tid && self.unit_of(id) == Some(u) && own_score(ev) > own_top
                })
                .max_by(|a, b| own_score(a.1).total_cmp(&own_score(b.1)).then(b.0.cmp(a.0)));
            if let Some((&did, ev)) = best_dept {
                let mut reasons = ev.reasons.clone();
                reasons.extend(
                    unit_reasons[u]
                        .iter()
                        .filter(|r| r.1.starts_with(HISTORY_REASON))
                        .cloned(),
                );
                out.push(self.suggestion(did, score, reasons));
                if out.len() >= self.config.max_suggestions {
                    break;
                }
            }
            out.push(self.suggestion(tid, score, unit_reasons[u].clone()));
        }
        out
    }

    /// Feature vector of every ministry-level unit for `title`, in the order of
    /// [`AgencySuggester::unit_codes`]. Used by [`fit_combiner`] and by the eval.
    pub fn unit_features(&self, title: &str) -> Vec<[f64; FEATURES]> {
        self.score_title(title).features
    }

    /// `ministry_abbr` of each unit, in the order of [`AgencySuggester::unit_features`].
    pub fn unit_codes(&self) -> Vec<&str> {
        self.units
            .iter()
            .map(|&id| self.registry.get(id).ministry_abbr())
            .collect()
    }

    fn score_title(&self, title: &str) -> Scored {
        let n = self.units.len();
        let mut features = vec![[0.0; FEATURES]; n];
        let mut history_rank = vec![usize::MAX; n];
        let mut neighbour: Vec<Option<(f64, String)>> = vec![None; n];
        if !title.trim().is_empty() {
            for f in features.iter_mut() {
                f[F_HISTORY] = LOG_PROB_FLOOR;
            }
            let lp = self.classifier.log_probs(title);
            for (c, &p) in lp.iter().enumerate() {
                if let Some(u) = self.class_unit[c] {
                    features[u][F_HISTORY] = p.max(LOG_PROB_FLOOR);
                }
            }
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&a, &b| {
                features[b][F_HISTORY]
                    .total_cmp(&features[a][F_HISTORY])
                    .then(a.cmp(&b))
            });
            for (r, &u) in order.iter().enumerate() {
                features[u][F_HISTORY_RANK] = 1.0 / (1.0 + r as f64);
                history_rank[u] = r;
            }
            let mut ranked = 0usize;
            for nb in self.knn.nearest(title, self.config.neighbours) {
                let Some(u) = unit_of_code(&self.registry, &self.unit_index, nb.ministry) else {
                    continue;
                };
                // Neighbours come best first, so a unit's first one is its best.
                if neighbour[u].is_none() {
                    features[u][F_NEIGHBOUR] = nb.similarity;
                    features[u][F_NEIGHBOUR_RANK] = 1.0 / (1.0 + ranked as f64);
                    ranked += 1;
                    neighbour[u] = Some((nb.similarity, nb.title.to_string()));
                }
            }
        }
        let own = self.mentions(title, "หัวเรื่อง");
        let mut units: Vec<Evidence> = vec![Evidence::default(); n];
        for (&id, ev) in &own {
            if let Some(u) = self.unit_of(id) {
                add_evidence(&mut units[u], ev);
            }
        }
        let first = first_named_unit(&units);
        for (u, ev) in units.iter_mut().enumerate() {
            finish_unit(ev, first == Some(u));
            features[u][F_NAME..].copy_from_slice(&ev.features[F_NAME..]);
        }
        Scored {
            features,
            own,
            history_rank,
            neighbour,
        }
    }

    fn unit_of(&self, id: AgencyId) -> Option<usize> {
        let code = self.registry.get(id).ministry_abbr();
        unit_of_code(&self.registry, &self.unit_index, code)
    }

    fn suggestion(
        &self,
        id: AgencyId,
        score: f64,
        mut reasons: Vec<(f64, String)>,
    ) -> AgencySuggestion {
        let a = self.registry.get(id);
        reasons.sort_by(|x, y| y.0.total_cmp(&x.0));
        let mut seen: Vec<String> = Vec::new();
        reasons.retain(|r| {
            let fresh = !seen.contains(&r.1);
            seen.push(r.1.clone());
            fresh
        });
        AgencySuggestion {
            name_th: a.name_th.clone(),
            abbr: a.abbr_str().to_string(),
            ministry_abbr: a.ministry_abbr().to_string(),
            score,
            reasons: reasons.into_iter().take(6).map(|r| r.1).collect(),
        }
    }

    /// Mention features per agency named in `text`, with reasons weighted by the combiner.
    fn mentions(&self, text: &str, place: &str) -> HashMap<AgencyId, Evidence> {
        let w = &self.config.combiner.weights;
        let squeezed = squeeze(&normalize(text));
        let mut out: HashMap<AgencyId, Evidence> = HashMap::new();
        for m in self.matcher.find(text) {
            let (feature, amount) = mention_feature(&m, &squeezed);
            let past = self
                .past
                .get(&m.agency)
                .and_then(|p| p.get(m.matched.as_str()));
            let amount = past.map_or(amount, |p| p.adjust(amount));
            let e = out.entry(m.agency).or_default();
            e.features[feature] += amount;
            if !matches!(m.kind, MentionKind::Keyword | MentionKind::AbbrAmbiguous) {
                e.features[F_NAMED] = 1.0;
                if e.first.is_none_or(|p| m.position < p) {
                    e.first = Some(m.position);
                }
            }
            let record = past.map_or(String::new(), |p| {
                format!(
                    " (กระทรวงนี้เสนอ {} จาก {} เรื่องที่ ครม. พิจารณาซึ่งมีคำนี้)",
                    p.hits, p.titles
                )
            });
            e.reasons.push((
                w[feature] * amount,
                format!("{place}{}: {}{record}", m.kind.label_th(), m.matched),
            ));
        }
        for e in out.values_mut() {
            clamp_counts(&mut e.features);
        }
        out
    }
}

/// Every history reason starts so (they are kept for a department listed before its ministry).
const HISTORY_REASON: &str = "ประวัติ: ";

/// `text` without the government's spokesmen who speak in it: "นายชัย โฆษกประจำสำนัก
/// นายกรัฐมนตรี เปิดเผยว่า รัฐบาลเตรียมลดค่าไฟฟ้า" is about electricity, whoever announces it.
/// The office of the PM's or the government's spokesman is left out of everything the
/// suggestion reads — names, keywords and the history model's n-grams. A ministry's own
/// spokesman is kept: a ministry speaks on its own mandate.
pub fn without_speakers(text: &str) -> String {
    const ROLE: &str = "โฆษก";
    const OFFICES: &[&str] = &[
        "สำนักนายกรัฐมนตรี",
        "สำนักนายกฯ",
        "นายกรัฐมนตรี",
        "นายกฯ",
        "รัฐบาล",
        "ฯ",
    ];
    if !text.contains(ROLE) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(ROLE) {
        out.push_str(&rest[..at]);
        let mut after = &rest[at + ROLE.len()..];
        after = after.strip_prefix("ประจำ").unwrap_or(after);
        let office_len = OFFICES
            .iter()
            .find(|o| after.starts_with(**o))
            .map_or(0, |o| o.len());
        out.push_str(ROLE);
        rest = &after[office_len..];
    }
    out.push_str(rest);
    out
}

/// A registry pattern's record in the history: in how many past titles it was found, and in
/// how many of those its agency's ministry was the proposer.
#[derive(Debug, Clone, Copy)]
struct PastRecord {
    titles: u32,
    hits: u32,
    /// `hits / titles` over the same share for all patterns of its kind (1 = as telling as
    /// the average name, or keyword, …).
    lift: f64,
}

/// How many past titles a pattern needs before its record outweighs its prior amount.
const PAST_SMOOTHING: f64 = 3.0;

impl PastRecord {
    /// The mention amount moves from its prior (1 for a name, longer-is-more-specific for a
    /// keyword) to the pattern's lift as the history sees it more often. Curated keywords vary
    /// a lot: "ทางพิเศษ" nearly always means the transport ministry, while "งบกลาง" and
    /// "มติคณะรัฐมนตรี" are in titles every ministry proposes, and a short one such as "โค"
    /// matches inside "โครงการ". Keywords the history knows well also matter less, since the
    /// title classifier has learned them already; the length prior stays for the rest.
    fn adjust(&self, prior: f64) -> f64 {
        let n = f64::from(self.titles);
        (PAST_SMOOTHING * prior + n * self.lift) / (PAST_SMOOTHING + n)
    }
}

/// Index of the ministry-level unit with this code (`ministry_abbr`), if the registry has it.
fn unit_of_code(
    registry: &AgencyRegistry,
    unit_index: &HashMap<AgencyId, usize>,
    code: &str,
) -> Option<usize> {
    registry
        .top_level(code)
        .and_then(|id| unit_index.get(&id).copied())
}

/// Every pattern the matcher finds in the history titles, with its record, by agency.
fn past_records(
    registry: &AgencyRegistry,
    matcher: &MentionMatcher,
    history: &[HistoryExample],
    unit_index: &HashMap<AgencyId, usize>,
) -> HashMap<AgencyId, HashMap<String, PastRecord>> {
    let unit_of = |ministry: &str| unit_of_code(registry, unit_index, ministry);
    let mut seen: HashMap<(AgencyId, String), (MentionKind, u32, u32)> = HashMap::new();
    for e in history {
        let Some(gold) = unit_of(&e.ministry) else {
            continue;
        };
        let mut mentions = matcher.find(&e.title);
        mentions.sort_by(|a, b| (a.agency, &a.matched).cmp(&(b.agency, &b.matched)));
        mentions.dedup_by(|a, b| a.agency == b.agency && a.matched == b.matched);
        for m in mentions {
            let hit = unit_of(registry.get(m.agency).ministry_abbr()) == Some(gold);
            let c = seen.entry((m.agency, m.matched)).or_insert((m.kind, 0, 0));
            c.1 += 1;
            c.2 += u32::from(hit);
        }
    }
    let mut by_kind: HashMap<MentionKind, (u32, u32)> = HashMap::new();
    for &(kind, titles, hits) in seen.values() {
        let k = by_kind.entry(kind).or_default();
        k.0 += titles;
        k.1 += hits;
    }
    let mut out: HashMap<AgencyId, HashMap<String, PastRecord>> = HashMap::new();
    for ((agency, pattern), (kind, titles, hits)) in seen {
        let (all, all_hits) = by_kind[&kind];
        let rate = (f64::from(all_hits) / f64::from(all)).max(1e-3);
        let lift = f64::from(hits) / f64::from(titles) / rate;
        out.entry(agency)
            .or_default()
            .insert(pattern, PastRecord { titles, hits, lift });
    }
    out
}

/// The feature a mention feeds and by how much.
fn mention_feature(m: &Mention, squeezed: &str) -> (usize, f64) {
    match m.kind {
        MentionKind::NameTh => {
            // A name right after ระเบียบ/ประกาศ/กฎ/คำสั่ง names a legal instrument
            // ("ระเบียบสำนักนายกรัฐมนตรี ว่าด้วย…"), not the agency acting.
            let before = &squeezed[..m.position.min(squeezed.len())];
            let instrument = INSTRUMENT_PREFIXES
                .iter()
                .any(|p| before.ends_with(p) || before.ends_with(&format!("ร่าง{p}")));
            (
                if instrument {
                    F_NAME_INSTRUMENT
                } else {
                    F_NAME
                },
                1.0,
            )
        }
        MentionKind::Abbr => (F_ABBR, 1.0),
        // Split between the agencies sharing the abbreviation.
        MentionKind::AbbrAmbiguous => (F_ABBR_AMBIGUOUS, 1.0 / m.shared_by as f64),
        MentionKind::NameEn => (F_ENGLISH, 1.0),
        // Longer keywords are more specific; shared ones are split between their agencies.
        MentionKind::Keyword => (
            F_KEYWORD,
            (m.matched.chars().count() as f64).sqrt() / m.shared_by as f64,
        ),
    }
}

/// Repeating a name does not make it twice as telling; the caps keep one long title from
/// dominating the linear score.
fn clamp_counts(f: &mut [f64; FEATURES]) {
    for i in [F_NAME, F_NAME_INSTRUMENT, F_ABBR, F_ENGLISH] {
        f[i] = f[i].min(2.0);
    }
    f[F_KEYWORD] = f[F_KEYWORD].min(6.0);
}

fn add_evidence(unit: &mut Evidence, agency: &Evidence) {
    for i in MENTION_FEATURES {
        unit.features[i] += agency.features[i];
    }
    unit.features[F_NAMED] = unit.features[F_NAMED].max(agency.features[F_NAMED]);
    if let Some(p) = agency.first {
        if unit.first.is_none_or(|q| p < q) {
            unit.first = Some(p);
        }
    }
}

/// The unit whose agency is named first (names and unambiguous abbreviations only).
fn first_named_unit(units: &[Evidence]) -> Option<usize> {
    units
        .iter()
        .enumerate()
        .filter_map(|(u, e)| e.first.map(|p| (p, u)))
        .min()
        .map(|(_, u)| u)
}

fn finish_unit(unit: &mut Evidence, first: bool) {
    clamp_counts(&mut unit.features);
    if first {
        unit.features[F_FIRST] = 1.0;
    }
}

fn dot(w: &[f64; FEATURES], f: &[f64; FEATURES]) -> f64 {
    w.iter().zip(f).map(|(a, b)| a * b).sum()
}

fn dot_range(w: &[f64; FEATURES], f: &[f64; FEATURES], r: std::ops::Range<usize>) -> f64 {
    r.map(|i| w[i] * f[i]).sum()
}

/// Learns the combiner weights from `history` alone by cross-fitting: the rows (in date
/// order) are cut into `folds` consecutive blocks; each block's features come from a model
/// trained on the other blocks, so the classifier and neighbour features look as they will
/// on unseen titles. The weights then maximise the likelihood of the true unit under a
/// softmax over units (conditional logit, small L2), fitted by full-batch Adam.
pub fn fit_combiner(
    registry: &AgencyRegistry,
    history: &[HistoryExample],
    config: &SuggestConfig,
    folds: usize,
) -> Combiner {
    let folds = folds.max(2);
    let n = history.len();
    let mut rows: Vec<(Vec<[f64; FEATURES]>, usize)> = Vec::with_capacity(n);
    for fold in 0..folds {
        let (a, b) = (fold * n / folds, (fold + 1) * n / folds);
        let train: Vec<HistoryExample> =
            history[..a].iter().chain(&history[b..]).cloned().collect();
        let s = AgencySuggester::with_history(registry, &train, config.clone());
        let codes = s.unit_codes();
        for e in &history[a..b] {
            let Some(gold) = codes.iter().position(|c| *c == e.ministry) else {
                continue;
            };
            rows.push((s.unit_features(&e.title), gold));
        }
    }
    Combiner {
        weights: fit_conditional_logit(&rows, 1e-3, 600),
    }
}

fn fit_conditional_logit(
    rows: &[(Vec<[f64; FEATURES]>, usize)],
    l2: f64,
    iterations: i32,
) -> [f64; FEATURES] {
    let mut w = [0.0; FEATURES];
    let (mut m1, mut m2) = ([0.0; FEATURES], [0.0; FEATURES]);
    let (b1, b2, step) = (0.9f64, 0.999f64, 0.05);
    let mut scores = Vec::new();
    for it in 1..=iterations {
        let mut grad = [0.0; FEATURES];
        for (units, gold) in rows {
            scores.clear();
            scores.extend(units.iter().map(|f| dot(&w, f)));
            let max = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let z: f64 = scores.iter().map(|s| (s - max).exp()).sum();
            for (u, f) in units.iter().enumerate() {
                let p = (scores[u] - max).exp() / z - if u == *gold { 1.0 } else { 0.0 };
                for j in 0..FEATURES {
                    grad[j] += p * f[j];
                }
            }
        }
        for j in 0..FEATURES {
            let g = grad[j] / rows.len().max(1) as f64 + l2 * w[j];
            m1[j] = b1 * m1[j] + (1.0 - b1) * g;
            m2[j] = b2 * m2[j] + (1.0 - b2) * g * g;
            let mh = m1[j] / (1.0 - b1.powi(it));
            let vh = m2[j] / (1.0 - b2.powi(it));
            w[j] -= step * mh / (vh.sqrt() + 1e-8);
        }
    }
    w
}
