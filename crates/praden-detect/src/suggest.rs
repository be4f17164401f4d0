//! Ranks the agencies that should clarify a story, combining explicit mentions, mandate
//! keywords and the cabinet history model.

use std::collections::HashMap;

use serde::Serialize;

use crate::error::SuggestError;
use crate::history::{
    parse_history, HistoryClassifier, HistoryExample, HistoryModel, LogisticModel,
    DEFAULT_HISTORY_TSV,
};
use crate::mention::{Mention, MentionKind, MentionMatcher};
use crate::normalize::{normalize, squeeze};
use crate::registry::{AgencyId, AgencyRegistry};

/// Weights of the evidence. Defaults were tuned on the validation slice of the training
/// period (see README), never on the test period.
#[derive(Debug, Clone)]
pub struct SuggestConfig {
    pub history_weight: f64,
    pub name_weight: f64,
    pub abbr_weight: f64,
    pub ambiguous_abbr_weight: f64,
    pub english_weight: f64,
    pub keyword_weight: f64,
    /// Evidence found in the body counts this much relative to the title.
    pub text_factor: f64,
    /// A name right after ระเบียบ/ประกาศ/กฎ/คำสั่ง names a legal instrument ("ระเบียบสำนัก
    /// นายกรัฐมนตรี ว่าด้วย…"), not the agency acting, so it counts this much.
    pub instrument_factor: f64,
    pub ngram_sizes: Vec<usize>,
    pub nb_alpha: f64,
    /// Softmax regression (true) or naive Bayes (false) for the history model.
    pub logistic: bool,
    /// Adds praden-thai word unigrams and bigrams to the softmax regression's features.
    pub word_features: bool,
    pub lr_epochs: usize,
    pub lr_rate: f32,
    pub lr_l2: f32,
    pub max_suggestions: usize,
}

impl Default for SuggestConfig {
    fn default() -> Self {
        Self {
            history_weight: 0.5,
            name_weight: 4.0,
            abbr_weight: 4.0,
            ambiguous_abbr_weight: 0.3,
            english_weight: 4.0,
            keyword_weight: 0.2,
            text_factor: 0.3,
            instrument_factor: 0.1,
            ngram_sizes: vec![2, 3, 4],
            nb_alpha: 0.01,
            logistic: true,
            word_features: false,
            lr_epochs: 20,
            lr_rate: 4.0,
            lr_l2: 1e-6,
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
    history: HistoryClassifier,
    /// history class index -> top-level agency id.
    class_agency: Vec<Option<AgencyId>>,
    config: SuggestConfig,
}

#[derive(Default)]
struct Evidence {
    score: f64,
    reasons: Vec<(f64, String)>,
}

impl AgencySuggester {
    /// Suggester with the embedded history and default weights.
    pub fn new(registry: &AgencyRegistry) -> Result<Self, SuggestError> {
        let history = parse_history(DEFAULT_HISTORY_TSV)?;
        Ok(Self::with_history(
            registry,
            &history,
            SuggestConfig::default(),
        ))
    }

    pub fn with_history(
        registry: &AgencyRegistry,
        history: &[HistoryExample],
        config: SuggestConfig,
    ) -> Self {
        let model = if config.logistic {
            HistoryClassifier::Logistic(LogisticModel::train_with_words(
                history,
                &config.ngram_sizes,
                config.word_features,
                config.lr_epochs,
                config.lr_rate,
                config.lr_l2,
            ))
        } else {
            HistoryClassifier::NaiveBayes(HistoryModel::train(
                history,
                &config.ngram_sizes,
                config.nb_alpha,
            ))
        };
        let class_agency = model
            .classes()
            .iter()
            .map(|c| registry.top_level(c))
            .collect();
        Self {
            registry: registry.clone(),
            matcher: MentionMatcher::new(registry),
            history: model,
            class_agency,
            config,
        }
    }

    pub fn registry(&self) -> &AgencyRegistry {
        &self.registry
    }

    pub fn config(&self) -> &SuggestConfig {
        &self.config
    }

    /// Agencies best first. `text` may be empty.
    pub fn suggest(&self, title: &str, text: &str) -> Vec<AgencySuggestion> {
        let mut own: HashMap<AgencyId, Evidence> = HashMap::new();
        self.add_mentions(title, 1.0, "title", &mut own);
        if !text.trim().is_empty() {
            // Long bodies repeat names; damp them so the body informs without drowning the title.
            let mut body: HashMap<AgencyId, Evidence> = HashMap::new();
            self.add_mentions(text, 1.0, "text", &mut body);
            for (id, ev) in body {
                let e = own.entry(id).or_default();
                e.score += self.config.text_factor * ev.score.ln_1p();
                e.reasons.extend(
                    ev.reasons
                        .into_iter()
                        .map(|(w, r)| (w * self.config.text_factor, r)),
                );
            }
        }

        // Ministry-level totals: history plus the evidence of every agency in the ministry.
        let hist = if title.trim().is_empty() {
            vec![0.0; self.class_agency.len()]
        } else {
            self.history.scores(title)
        };
        let floor = hist.iter().cloned().fold(0.0, f64::min);
        let mut top: HashMap<AgencyId, Evidence> = HashMap::new();
        for id in self.registry.top_level_ids() {
            top.insert(
                id,
                Evidence {
                    score: self.config.history_weight * floor,
                    reasons: Vec::new(),
                },
            );
        }
        let mut order: Vec<(usize, f64)> = hist.iter().cloned().enumerate().collect();
        order.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (rank, (class, h)) in order.iter().enumerate() {
            if let Some(id) = self.class_agency[*class] {
                let e = top.entry(id).or_default();
                e.score = self.config.history_weight * h;
                if rank < 3 && !title.trim().is_empty() {
                    e.reasons.push((
                        -(rank as f64),
                        format!(
                            "history: similar cabinet titles ranked it #{} of {} ministries",
                            rank + 1,
                            order.len()
                        ),
                    ));
                }
            }
        }
        for (&id, ev) in &own {
            let Some(t) = self.top_of(id) else { continue };
            let e = top.entry(t).or_default();
            e.score += ev.score;
            e.reasons.extend(ev.reasons.iter().cloned());
        }

        // Ministries are ranked by their totals; within a ministry the agency with the strongest
        // own evidence is listed first, so "กรมควบคุมโรค" leads when it is named but a bare
        // keyword hit on a department never outranks a ministry named outright.
        let mut ministries: Vec<(AgencyId, f64)> =
            top.iter().map(|(&id, e)| (id, e.score)).collect();
        ministries.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let max = ministries.first().map_or(0.0, |m| m.1);
        let total: f64 = ministries.iter().map(|m| (m.1 - max).exp()).sum();
        let mut out = Vec::new();
        for (tid, s) in ministries {
            if out.len() >= self.config.max_suggestions {
                break;
            }
            let score = (s - max).exp() / total;
            let own_top = own.get(&tid).map_or(0.0, |e| e.score);
            let best_dept = own
                .iter()
                .filter(|(&id, ev)| id != tid && ev.score > own_top && self.top_of(id) == Some(tid))
                .max_by(|a, b| a.1.score.total_cmp(&b.1.score).then(b.0.cmp(a.0)));
            let history_reasons: Vec<(f64, String)> = top[&tid]
                .reasons
                .iter()
                .filter(|r| r.1.starts_with("history"))
                .cloned()
                .collect();
            if let Some((&did, ev)) = best_dept {
                let mut reasons = ev.reasons.clone();
                reasons.extend(history_reasons);
                out.push(self.suggestion(did, score, reasons));
                if out.len() >= self.config.max_suggestions {
                    break;
                }
            }
            out.push(self.suggestion(tid, score, top[&tid].reasons.clone()));
        }
        out
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

    fn top_of(&self, id: AgencyId) -> Option<AgencyId> {
        self.registry
            .top_level(self.registry.get(id).ministry_abbr())
    }

    fn add_mentions(
        &self,
        text: &str,
        factor: f64,
        place: &str,
        into: &mut HashMap<AgencyId, Evidence>,
    ) {
        let squeezed = squeeze(&normalize(text));
        for m in self.matcher.find(text) {
            let w = factor * self.mention_weight(&m, &squeezed);
            if w <= 0.0 {
                continue;
            }
            let e = into.entry(m.agency).or_default();
            e.score += w;
            e.reasons
                .push((w, format!("{place} {}: {}", m.kind.label(), m.matched)));
        }
    }

    fn mention_weight(&self, m: &Mention, squeezed: &str) -> f64 {
        let c = &self.config;
        match m.kind {
            MentionKind::NameTh => {
                let before = &squeezed[..m.position.min(squeezed.len())];
                if INSTRUMENT_PREFIXES
                    .iter()
                    .any(|p| before.ends_with(p) || before.ends_with(&format!("ร่าง{p}")))
                {
                    c.name_weight * c.instrument_factor
                } else {
                    c.name_weight
                }
            }
            MentionKind::Abbr => c.abbr_weight,
            MentionKind::AbbrAmbiguous => c.ambiguous_abbr_weight / m.shared_by as f64,
            MentionKind::NameEn => c.english_weight,
            // Longer keywords are more specific; shared ones are split between their agencies.
            MentionKind::Keyword => {
                c.keyword_weight * (m.matched.chars().count() as f64).sqrt() / m.shared_by as f64
            }
        }
    }
}
