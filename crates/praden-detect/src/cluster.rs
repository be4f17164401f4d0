//! Online story clustering: every incoming document (news, social, broadcast, official) joins a
//! story within a sliding time window, or starts one.
//!
//! Documents become sparse TF-IDF vectors over Thai content words (praden-thai's segmenter,
//! stop words removed; document frequencies are those of the current window). A new document
//! links to the story of its nearest neighbour in the window when their cosine similarity,
//! decayed by the time between them, reaches `link_threshold`: single-link by nearest
//! neighbour, found through an inverted index so only documents sharing a term are scored.
//! When the document is also close to another story (`merge_threshold`), the two stories have
//! converged and are merged; the older id survives and the merge is reported.
//!
//! Determinism: no hash-map iteration order decides anything; ties go to the earlier document
//! or the smaller story id. Same input order, same output.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;

use praden_core::SourceKind;
use praden_thai::{Segmenter, Span, TokenKind};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Stop words (PyThaiNLP, CC0; see data/README.md). Function words carry no topic.
const STOPWORDS: &str = include_str!("../data/stopwords_th.txt");

/// Knobs of the clusterer. Defaults were chosen on the development period of the labelled
/// set (see README.md), never on its test period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClusterConfig {
    /// Documents older than this (relative to the newest one seen) leave the window; a story
    /// with no document in the window is closed.
    pub window_hours: f64,
    /// Decayed cosine similarity needed to join the nearest neighbour's story.
    pub link_threshold: f32,
    /// Decayed similarity to a second story at which the two stories are merged.
    pub merge_threshold: f32,
    /// Cosine similarity to a story's centroid (the sum of its documents' vectors) needed to
    /// join it, besides the link to one of its documents: a story grows by what is about it
    /// as a whole, so it cannot chain from topic to topic through one document at a time.
    pub centroid_threshold: f32,
    /// Cosine similarity between two stories' centroids needed to merge them: a merge is
    /// justified by what the stories share, not by the one document that bridges them.
    pub merge_centroid_threshold: f32,
    /// Undecayed cosine similarity at which a document is a near-duplicate of its neighbour
    /// (syndicated copy, re-post): it counts as one article but adds its outlet.
    pub duplicate_threshold: f32,
    /// Similarity halves every this many hours between two documents.
    pub half_life_hours: f64,
    /// Terms kept per document (the highest TF-IDF weights).
    pub max_terms: usize,
    /// Characters of the body used: news leads carry the story, and segmentation is the
    /// dominant cost.
    pub body_chars: usize,
    /// Term-frequency multiplier for words of the title.
    pub title_weight: f32,
    /// Terms in more than this fraction of the window's documents are not used to look for
    /// neighbours (their postings are long and their weight low).
    pub max_df_fraction: f32,
    /// ...but only once the window holds this many documents.
    pub min_window_for_df_cut: usize,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            window_hours: 72.0,
            link_threshold: 0.30,
            merge_threshold: 0.45,
            centroid_threshold: 0.2,
            merge_centroid_threshold: 0.3,
            duplicate_threshold: 0.85,
            half_life_hours: 48.0,
            max_terms: 30,
            body_chars: 600,
            title_weight: 2.0,
            max_df_fraction: 0.02,
            min_window_for_df_cut: 400,
        }
    }
}

/// A document as the clusterer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterDoc {
    pub id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub published_at: OffsetDateTime,
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub outlet: String,
    pub kind: SourceKind,
    #[serde(default)]
    pub url: Option<String>,
}

/// A story id; stable while the story grows. Shown as `s` followed by a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StoryId(pub u64);

impl fmt::Display for StoryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s{}", self.0)
    }
}

impl Serialize for StoryId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Two converged stories became one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoryMerge {
    pub kept: StoryId,
    pub absorbed: StoryId,
    /// The document whose arrival showed the convergence.
    pub by_doc: String,
    pub similarity: f32,
}

/// Where a document went.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assignment {
    pub doc_id: String,
    pub story: StoryId,
    pub new_story: bool,
    /// The document this one nearly duplicates, if any.
    pub duplicate_of: Option<String>,
    /// Decayed similarity to the nearest neighbour; 0 when no document in the window reaches
    /// the link threshold before decay.
    pub similarity: f32,
    pub merges: Vec<StoryMerge>,
}

/// Document counts per source kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct KindCounts {
    pub news: usize,
    pub social: usize,
    pub broadcast: usize,
    pub official: usize,
}

impl KindCounts {
    fn add(&mut self, kind: SourceKind, n: usize) {
        match kind {
            SourceKind::News => self.news += n,
            SourceKind::Social => self.social += n,
            SourceKind::Broadcast => self.broadcast += n,
            SourceKind::Official => self.official += n,
        }
    }

    pub fn get(&self, kind: SourceKind) -> usize {
        match kind {
            SourceKind::News => self.news,
            SourceKind::Social => self.social,
            SourceKind::Broadcast => self.broadcast,
            SourceKind::Official => self.official,
        }
    }
}

/// A document of a story, with the text the criteria look at.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryMember {
    pub doc_id: String,
    pub published_at: OffsetDateTime,
    pub outlet: String,
    pub kind: SourceKind,
    pub title: String,
    /// The first characters of the body (`ClusterConfig::body_chars`).
    pub lead: String,
    pub url: Option<String>,
    pub duplicate_of: Option<String>,
    /// Arrival order; breaks ties deterministically.
    seq: u64,
    terms: Vec<(u32, f32)>,
}

/// A story: documents about one event or issue.
#[derive(Debug, Clone, PartialEq)]
pub struct Story {
    pub id: StoryId,
    pub first_seen: OffsetDateTime,
    pub last_seen: OffsetDateTime,
    /// Distinct articles: near-duplicates count once.
    pub articles: usize,
    pub outlets: BTreeSet<String>,
    pub kinds: KindCounts,
    /// In arrival order.
    pub members: Vec<StoryMember>,
    /// Ids of the stories merged into this one.
    pub merged_from: Vec<StoryId>,
    centroid: HashMap<u32, f32>,
    /// Squared length of `centroid`, kept up to date as documents join.
    centroid_norm_sq: f32,
}

impl Story {
    /// The member whose terms best match the story as a whole; social posts only when the
    /// story has nothing else, since their "titles" are fragments of the post.
    pub fn representative(&self) -> &StoryMember {
        let edited = self
            .members
            .iter()
            .any(|m| m.kind != SourceKind::Social && !m.title.trim().is_empty());
        let mut best: Option<(&StoryMember, f32)> = None;
        for m in &self.members {
            if edited && (m.kind == SourceKind::Social || m.title.trim().is_empty()) {
                continue;
            }
            let score: f32 = m
                .terms
                .iter()
                .map(|(t, w)| w * self.centroid.get(t).copied().unwrap_or(0.0))
                .sum();
            // Strictly greater: the earliest member wins ties.
            if best.is_none_or(|(_, s)| score > s) {
                best = Some((m, score));
            }
        }
        best.map(|(m, _)| m).unwrap_or(&self.members[0])
    }

    /// Cosine similarity of a unit-length term vector to the story's centroid.
    fn centroid_cosine(&self, terms: &[(u32, f32)]) -> f32 {
        if self.centroid_norm_sq <= 0.0 {
            return 0.0;
        }
        let dot: f32 = terms
            .iter()
            .map(|(t, w)| w * self.centroid.get(t).copied().unwrap_or(0.0))
            .sum();
        dot / self.centroid_norm_sq.sqrt()
    }

    /// Cosine similarity of two stories' centroids.
    fn centroids_cosine(&self, other: &Story) -> f32 {
        let (small, large) = if self.centroid.len() <= other.centroid.len() {
            (self, other)
        } else {
            (other, self)
        };
        let norms = (self.centroid_norm_sq * other.centroid_norm_sq).sqrt();
        if norms <= 0.0 {
            return 0.0;
        }
        let dot: f32 = small
            .centroid
            .iter()
            .map(|(t, w)| w * large.centroid.get(t).copied().unwrap_or(0.0))
            .sum();
        dot / norms
    }

    /// The best representative headline.
    pub fn title(&self) -> String {
        let m = self.representative();
        let t = m.title.trim();
        if t.is_empty() {
            truncate_chars(m.lead.trim(), 120)
        } else {
            t.to_string()
        }
    }

    /// A short Thai summary: the lead sentences of the representative document.
    pub fn summary(&self) -> String {
        let m = self.representative();
        lead_summary(&m.title, &m.lead, 280)
    }
}

/// Lead sentences of `lead` up to about `max_chars`, skipping the lines that repeat the title
/// and short page furniture (dates, "พิมพ์") that government pages put first.
pub fn lead_summary(title: &str, lead: &str, max_chars: usize) -> String {
    let title = title.trim();
    let mut out = String::new();
    for line in lead.lines().map(str::trim) {
        if line.is_empty() || line == title || line.chars().count() < 30 {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(line);
        if out.chars().count() >= max_chars / 2 {
            break;
        }
    }
    if out.is_empty() {
        out = lead.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    if out.chars().count() > max_chars {
        // Thai separates phrases with spaces: cut at the last space before the limit.
        let cut = truncate_chars(&out, max_chars);
        let cut = match cut.rfind(' ') {
            Some(i) if i > cut.len() / 2 => cut[..i].to_string(),
            _ => cut,
        };
        out = format!("{cut}…");
    }
    out
}

/// The body from its first line of content: an edited page often opens with furniture — the
/// date, "พิมพ์", the headline once or twice (thaigov.go.th: half of its first 600
/// characters) — which would crowd the story's own words out of the lead. A document without a
/// title (a post) is all content.
/// How much longer than the title a printed headline may be: thaigov.go.th cuts titles short,
/// and its headline lines run up to ~150 characters past them; a line longer still is a lead
/// paragraph that opens with the title's words.
const HEADLINE_EXTRA_CHARS: usize = 200;

pub fn content<'a>(title: &str, body: &'a str) -> &'a str {
    let clean = |s: &'a str| s.trim().trim_matches('\u{200B}').trim();
    let title = title.trim().trim_matches('\u{200B}').trim();
    if title.is_empty() {
        return body;
    }
    let mut rest = body;
    while let Some((raw, after)) = rest.split_once('\n') {
        let line = clean(raw);
        if line.is_empty() || line.chars().count() < 30 || title.contains(line) {
            rest = after;
            continue;
        }
        let Some(at) = raw.find(title) else {
            break;
        };
        // The headline as the page prints it may be cut short in the title, or carry the
        // outlet's prefix: it starts or ends with the title, or adds little to it.
        let extra = line.chars().count().saturating_sub(title.chars().count());
        let printed = extra <= HEADLINE_EXTRA_CHARS / 4
            || ((line.starts_with(title) || line.ends_with(title))
                && extra <= HEADLINE_EXTRA_CHARS);
        if printed {
            rest = after;
            continue;
        }
        // A paragraph that quotes the title ("วันนี้ … โฆษกรัฐบาลเผยว่า <title> โดยที่ประชุม
        // คณะรัฐมนตรีมีมติ …"): what follows the title is the story — skipping the whole line
        // lost the decision it reports (issue 22) —, the preamble (date, speaker) and the
        // repeated title are not.
        rest = &rest[at + title.len()..];
        break;
    }
    // Nothing but furniture: keep the body as it was.
    if rest.trim().is_empty() {
        body
    } else {
        rest
    }
}

fn truncate_chars(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
    }
}

/// Turns text into content words: segmentation, digit folding, stop words and one-character
/// words and numbers removed, Latin lower-cased.
pub struct WordFeatures {
    segmenter: Segmenter,
    stop: HashSet<&'static str>,
}

impl Default for WordFeatures {
    fn default() -> Self {
        Self::new()
    }
}

impl WordFeatures {
    pub fn new() -> Self {
        WordFeatures {
            segmenter: Segmenter::new(),
            stop: STOPWORDS
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect(),
        }
    }

    pub fn segmenter(&self) -> &Segmenter {
        &self.segmenter
    }

    /// Whether `word` (in matching form) is on the stop-word list.
    pub fn is_stop(&self, word: &str) -> bool {
        self.stop.contains(word)
    }

    /// Calls `f` with every content word of `text`.
    pub fn words(&self, text: &str, spans: &mut Vec<Span>, mut f: impl FnMut(&str)) {
        let text = praden_thai::matching_form(text);
        spans.clear();
        self.segmenter.segment_spans(&text, spans);
        for s in spans.iter() {
            let w = &text[s.start..s.end];
            match s.kind {
                TokenKind::Word | TokenKind::Unknown
                    if w.chars().nth(1).is_some() && !self.stop.contains(w) =>
                {
                    f(w)
                }
                TokenKind::Latin if w.len() > 1 => f(&w.to_lowercase()),
                _ => {}
            }
        }
    }
}

struct WindowDoc {
    seq: u64,
    time: OffsetDateTime,
    story: StoryId,
    doc_id: String,
    /// Every distinct term (for document frequencies).
    all_terms: Vec<u32>,
    /// The kept, weighted terms (in the postings).
    terms: Vec<(u32, f32)>,
}

/// The online clusterer. Feed documents in time order with [`Clusterer::add`].
pub struct Clusterer {
    config: ClusterConfig,
    features: WordFeatures,
    vocab: HashMap<String, u32>,
    df: Vec<u32>,
    postings: Vec<VecDeque<(u64, f32)>>,
    window: VecDeque<WindowDoc>,
    next_seq: u64,
    stories: BTreeMap<StoryId, Story>,
    /// Absorbed story → the story it now belongs to (always one hop).
    redirect: HashMap<StoryId, StoryId>,
    next_story: u64,
    newest: Option<OffsetDateTime>,
    // Scratch space reused across calls.
    spans: Vec<Span>,
    acc: Vec<f32>,
    touched: Vec<usize>,
    adds_since_sweep: usize,
}

impl Clusterer {
    pub fn new(config: ClusterConfig) -> Self {
        Self::with_features(config, WordFeatures::new())
    }

    pub fn with_features(config: ClusterConfig, features: WordFeatures) -> Self {
        Clusterer {
            config,
            features,
            vocab: HashMap::new(),
            df: Vec::new(),
            postings: Vec::new(),
            window: VecDeque::new(),
            next_seq: 0,
            stories: BTreeMap::new(),
            redirect: HashMap::new(),
            next_story: 1,
            newest: None,
            spans: Vec::new(),
            acc: Vec::new(),
            touched: Vec::new(),
            adds_since_sweep: 0,
        }
    }

    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }

    /// Documents currently in the window.
    pub fn window_len(&self) -> usize {
        self.window.len()
    }

    /// The open stories (with a document in the window), by id.
    pub fn stories(&self) -> impl Iterator<Item = &Story> {
        self.stories.values()
    }

    /// The story now holding `id` (following merges), if still open.
    pub fn story(&self, id: StoryId) -> Option<&Story> {
        self.stories.get(&self.resolve(id))
    }

    /// Follows merges: the id under which a story known as `id` lives now.
    pub fn resolve(&self, id: StoryId) -> StoryId {
        self.redirect.get(&id).copied().unwrap_or(id)
    }

    /// Assigns `doc` to a story. Documents should arrive in time order; one that is older
    /// than the newest seen is still clustered, but the window is measured from the newest.
    pub fn add(&mut self, doc: ClusterDoc) -> Assignment {
        let now = match self.newest {
            Some(t) if t > doc.published_at => t,
            _ => doc.published_at,
        };
        self.newest = Some(now);
        self.expire(now);

        let lead = truncate_chars(content(&doc.title, &doc.body), self.config.body_chars);
        let (all_terms, terms) = self.vectorize(&doc.title, &lead);

        // Score every window document sharing a kept term (inverted index).
        let n = self.window.len();
        let front_seq = self.window.front().map_or(self.next_seq, |d| d.seq);
        self.acc.clear();
        self.acc.resize(n, 0.0);
        self.touched.clear();
        let df_cut = if n >= self.config.min_window_for_df_cut {
            (self.config.max_df_fraction * n as f32).max(1.0) as u32
        } else {
            u32::MAX
        };
        for &(t, w) in &terms {
            if self.df[t as usize] > df_cut {
                continue;
            }
            for &(seq, w2) in &self.postings[t as usize] {
                let i = (seq - front_seq) as usize;
                if self.acc[i] == 0.0 {
                    self.touched.push(i);
                }
                self.acc[i] += w * w2;
            }
        }

        // Best decayed similarity per story, and the nearest document overall.
        let mut per_story: BTreeMap<StoryId, (f32, usize)> = BTreeMap::new();
        let mut nearest: Option<(f32, f32, usize)> = None; // (decayed, raw, index)
        self.touched.sort_unstable();
        for &i in &self.touched {
            let raw = self.acc[i];
            // Decay only lowers similarity: a pair below the link threshold before decay can
            // neither link nor merge, and skipping it keeps large windows fast.
            if raw < self.config.link_threshold {
                continue;
            }
            let other = &self.window[i];
            let hours = ((doc.published_at - other.time).as_seconds_f64() / 3600.0).abs();
            let decayed = raw * 0.5f64.powf(hours / self.config.half_life_hours) as f32;
            let story = self
                .redirect
                .get(&other.story)
                .copied()
                .unwrap_or(other.story);
            let e = per_story.entry(story).or_insert((decayed, i));
            if decayed > e.0 {
                *e = (decayed, i);
            }
            if nearest.is_none_or(|(d, _, _)| decayed > d) {
                nearest = Some((decayed, raw, i));
            }
        }

        let similarity = nearest.map_or(0.0, |(d, _, _)| d);
        let duplicate_of = nearest
            .filter(|&(_, raw, _)| raw >= self.config.duplicate_threshold)
            .map(|(_, _, i)| self.window[i].doc_id.clone());

        // The story to join: the best-linked one (by its nearest document) that the new
        // document is also about as a whole (its centroid). A near-duplicate always joins the
        // story of the text it copies.
        let mut linked: Vec<(StoryId, f32)> = per_story
            .iter()
            .filter(|(_, (s, _))| *s >= self.config.link_threshold)
            .map(|(id, (s, _))| (*id, *s))
            .collect();
        linked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let joined = match &duplicate_of {
            Some(_) => nearest.map(|(_, _, i)| self.resolve(self.window[i].story)),
            None => linked.iter().map(|(id, _)| *id).find(|id| {
                self.stories
                    .get(id)
                    .is_some_and(|s| s.centroid_cosine(&terms) >= self.config.centroid_threshold)
            }),
        };

        let mut merges = Vec::new();
        let (story_id, new_story) = if let Some(mut target) = joined {
            // Stories close enough to merge, best first (ties: smaller id).
            let close: Vec<(StoryId, f32)> = linked
                .iter()
                .copied()
                .filter(|(_, s)| *s >= self.config.merge_threshold)
                .collect();
            for (other, sim) in close {
                // An earlier merge of this loop may have absorbed `other` (into `target`).
                let other = self.resolve(other);
                if other == target {
                    continue;
                }
                let shared = match (self.stories.get(&target), self.stories.get(&other)) {
                    (Some(a), Some(b)) => a.centroids_cosine(b),
                    _ => continue,
                };
                if shared < self.config.merge_centroid_threshold {
                    continue;
                }
                let (kept, absorbed) = self.older_first(target, other);
                self.merge(kept, absorbed);
                merges.push(StoryMerge {
                    kept,
                    absorbed,
                    by_doc: doc.id.clone(),
                    similarity: sim,
                });
                target = kept;
            }
            (target, false)
        } else {
            let id = StoryId(self.next_story);
            self.next_story += 1;
            (id, true)
        };

        self.insert(doc, lead, story_id, duplicate_of.clone(), all_terms, terms);
        Assignment {
            doc_id: self
                .window
                .back()
                .map(|d| d.doc_id.clone())
                .unwrap_or_default(),
            story: story_id,
            new_story,
            duplicate_of,
            similarity,
            merges,
        }
    }

    /// Content words of title and lead → (all distinct term ids, kept weighted terms).
    fn vectorize(&mut self, title: &str, lead: &str) -> (Vec<u32>, Vec<(u32, f32)>) {
        let mut tf: BTreeMap<String, f32> = BTreeMap::new();
        let mut spans = std::mem::take(&mut self.spans);
        let tw = self.config.title_weight;
        self.features.words(title, &mut spans, |w| {
            *tf.entry(w.to_string()).or_insert(0.0) += tw;
        });
        self.features.words(lead, &mut spans, |w| {
            *tf.entry(w.to_string()).or_insert(0.0) += 1.0;
        });
        self.spans = spans;

        let n = self.window.len() as f32;
        let mut all = Vec::with_capacity(tf.len());
        let mut weighted = Vec::with_capacity(tf.len());
        for (word, f) in tf {
            let id = match self.vocab.get(&word) {
                Some(&id) => id,
                None => {
                    let id = self.df.len() as u32;
                    self.vocab.insert(word, id);
                    self.df.push(0);
                    self.postings.push(VecDeque::new());
                    id
                }
            };
            let df = self.df[id as usize] as f32;
            let idf = ((n + 1.0) / (df + 1.0)).ln() + 1.0;
            all.push(id);
            weighted.push((id, (1.0 + f.ln()) * idf));
        }
        weighted.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        weighted.truncate(self.config.max_terms);
        let norm = weighted.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (_, w) in &mut weighted {
                *w /= norm;
            }
        }
        (all, weighted)
    }

    fn insert(
        &mut self,
        doc: ClusterDoc,
        lead: String,
        story_id: StoryId,
        duplicate_of: Option<String>,
        all_terms: Vec<u32>,
        terms: Vec<(u32, f32)>,
    ) {
        let seq = self.next_seq;
        self.next_seq += 1;
        for &t in &all_terms {
            self.df[t as usize] += 1;
        }
        for &(t, w) in &terms {
            self.postings[t as usize].push_back((seq, w));
        }
        let story = self.stories.entry(story_id).or_insert_with(|| Story {
            id: story_id,
            first_seen: doc.published_at,
            last_seen: doc.published_at,
            articles: 0,
            outlets: BTreeSet::new(),
            kinds: KindCounts::default(),
            members: Vec::new(),
            merged_from: Vec::new(),
            centroid: HashMap::new(),
            centroid_norm_sq: 0.0,
        });
        story.first_seen = story.first_seen.min(doc.published_at);
        story.last_seen = story.last_seen.max(doc.published_at);
        if duplicate_of.is_none() {
            story.articles += 1;
        }
        if !doc.outlet.is_empty() {
            story.outlets.insert(doc.outlet.clone());
        }
        story.kinds.add(doc.kind, 1);
        for &(t, w) in &terms {
            let c = story.centroid.entry(t).or_insert(0.0);
            // |c + w|² − |c|² for this coordinate.
            story.centroid_norm_sq += 2.0 * *c * w + w * w;
            *c += w;
        }
        story.members.push(StoryMember {
            doc_id: doc.id.clone(),
            published_at: doc.published_at,
            outlet: doc.outlet,
            kind: doc.kind,
            title: doc.title,
            lead,
            url: doc.url,
            duplicate_of,
            seq,
            terms: terms.clone(),
        });
        self.window.push_back(WindowDoc {
            seq,
            time: doc.published_at,
            story: story_id,
            doc_id: doc.id,
            all_terms,
            terms,
        });
    }

    /// (older, newer): the story seen first keeps its id; ties go to the smaller id.
    fn older_first(&self, a: StoryId, b: StoryId) -> (StoryId, StoryId) {
        let key = |id: StoryId| (self.stories[&id].first_seen, id);
        if key(a) <= key(b) {
            (a, b)
        } else {
            (b, a)
        }
    }

    fn merge(&mut self, kept: StoryId, absorbed: StoryId) {
        let Some(gone) = self.stories.remove(&absorbed) else {
            return;
        };
        for &old in &gone.merged_from {
            self.redirect.insert(old, kept);
        }
        self.redirect.insert(absorbed, kept);
        let story = self.stories.get_mut(&kept).expect("kept story is open");
        story.first_seen = story.first_seen.min(gone.first_seen);
        story.last_seen = story.last_seen.max(gone.last_seen);
        story.articles += gone.articles;
        story.outlets.extend(gone.outlets);
        for kind in SourceKind::ALL {
            story.kinds.add(kind, gone.kinds.get(kind));
        }
        for (t, w) in gone.centroid {
            let c = story.centroid.entry(t).or_insert(0.0);
            story.centroid_norm_sq += 2.0 * *c * w + w * w;
            *c += w;
        }
        story.members.extend(gone.members);
        story.members.sort_by_key(|m| m.seq);
        story.merged_from.extend(gone.merged_from);
        story.merged_from.push(absorbed);
    }

    fn expire(&mut self, now: OffsetDateTime) {
        let cutoff = now - time::Duration::seconds_f64(self.config.window_hours * 3600.0);
        while self.window.front().is_some_and(|d| d.time < cutoff) {
            let d = self.window.pop_front().expect("checked");
            for &t in &d.all_terms {
                self.df[t as usize] -= 1;
            }
            for &(t, _) in &d.terms {
                let front = self.postings[t as usize].pop_front();
                debug_assert_eq!(front.map(|p| p.0), Some(d.seq));
            }
        }
        // Closing stories costs a pass over all of them; do it now and then.
        self.adds_since_sweep += 1;
        if self.adds_since_sweep >= 256 {
            self.adds_since_sweep = 0;
            let closed: Vec<StoryId> = self
                .stories
                .values()
                .filter(|s| s.last_seen < cutoff)
                .map(|s| s.id)
                .collect();
            for id in closed {
                if let Some(s) = self.stories.remove(&id) {
                    for old in s.merged_from {
                        self.redirect.remove(&old);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::content;

    #[test]
    fn the_printed_headline_is_skipped_but_a_lead_that_quotes_the_title_is_kept() {
        let title = "ครม. อนุมัติงบกลางช่วยผู้ประสบอุทกภัย";
        // thaigov.go.th: date, "พิมพ์", the headline printed in full (the title cut short).
        let page = format!(
            "วันอังคารที่ 26 กันยายน 2566\nพิมพ์\n{title} วงเงิน 2,000 ล้านบาท ใน 12 จังหวัดภาคเหนือ\nนายกรัฐมนตรีลงพื้นที่"
        );
        assert_eq!(content(title, &page), "นายกรัฐมนตรีลงพื้นที่");
        // An outlet's prefix before the headline.
        let prefixed = format!("ข่าวทำเนียบ - {title}\nเนื้อข่าว");
        assert_eq!(content(title, &prefixed), "เนื้อข่าว");
        // The first paragraph quotes the title: what follows it is the lead, with the decision.
        let lead = format!(
            "วันนี้ (26 ก.ย. 66) โฆษกรัฐบาลเปิดเผยว่า {title} โดยที่ประชุมคณะรัฐมนตรีมีมติเห็นชอบตามที่กระทรวงมหาดไทยเสนอ\nรายละเอียด"
        );
        assert_eq!(
            content(title, &lead),
            " โดยที่ประชุมคณะรัฐมนตรีมีมติเห็นชอบตามที่กระทรวงมหาดไทยเสนอ\nรายละเอียด"
        );
    }
}
