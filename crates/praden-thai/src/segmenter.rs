//! Word segmentation: the pre-pass cuts out everything that is not Thai, lindera's
//! Viterbi lattice over our Thai dictionary splits the Thai runs, and a merge pass
//! repairs what a dictionary cannot know (unknown words, character clusters, dotted
//! abbreviations, letters drawn out for emphasis).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lindera_dictionary::dictionary::{Dictionary, UserDictionary};
use lindera_dictionary::mode::Mode;
use lindera_dictionary::viterbi::{Lattice, WordId};

use crate::dictionary;
use crate::prepass::{self, SpanKind};
use crate::thai::{boundary_allowed, is_thai_consonant};

/// Errors from loading a [`Segmenter`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read user dictionary {path}: {source}")]
    ReadUserDict {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot compile user dictionary {path}: {message}")]
    CompileUserDict { path: PathBuf, message: String },
}

/// What a token is. Lets callers (the tokenizer, clustering) skip spaces and
/// punctuation without looking at characters again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A Thai word found in the dictionary.
    Word,
    /// Thai text no dictionary entry covers (names, slang, misspellings), merged into
    /// one token per run.
    Unknown,
    /// Digits, Thai or ASCII, with their separators.
    Number,
    /// A Latin word or code, URL or e-mail address.
    Latin,
    Emoji,
    /// Punctuation and other symbols.
    Symbol,
    /// A run of whitespace.
    Space,
}

impl TokenKind {
    /// Whether the token carries meaning for search and clustering.
    pub fn is_content(self) -> bool {
        !matches!(self, TokenKind::Space | TokenKind::Symbol)
    }
}

/// A token as a byte range of the segmented text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub kind: TokenKind,
}

/// Thai word segmenter. Cheap to clone (the dictionaries are shared); `Send + Sync`.
#[derive(Clone)]
pub struct Segmenter {
    user: Option<Arc<UserWords>>,
}

struct UserWords {
    dict: UserDictionary,
    /// Runs segmented with this dictionary (the system dictionary's are in `SYSTEM_RUNS`).
    runs: RunCache,
    /// The same entries, for finding sub-words at index time (lindera's user
    /// dictionary offers no prefix search).
    words: HashSet<String>,
    max_chars: usize,
}

/// The lattice sentence limit is u16::MAX characters; longer Thai runs (a page with no
/// spaces) are cut into windows of this many characters.
const WINDOW_CHARS: usize = 4096;
/// Tokens ending within this many characters of a window's end are recomputed with the
/// next window, so the cut never decides a word.
const WINDOW_OVERLAP_CHARS: usize = 128;

thread_local! {
    /// A lattice is big scratch space; one per thread avoids reallocating per call
    /// and keeps `segment(&self)` lock-free.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

#[derive(Default)]
struct Scratch {
    lattice: Lattice,
    offsets: Vec<(usize, WordId)>,
    raw: Vec<Span>,
    view: String,
    view_map: Vec<u32>,
}

impl Default for Segmenter {
    fn default() -> Self {
        Self::new()
    }
}

impl Segmenter {
    /// The segmenter with the built-in dictionary (word list, TNC frequencies, TUD
    /// training counts and the domain lexicon dict/domain_th.txt).
    pub fn new() -> Self {
        dictionary::system();
        Segmenter { user: None }
    }

    /// Adds the entries of a plain-text word list (one entry a line, `#` comments,
    /// like dict/domain_th.txt) on top of the built-in dictionary.
    pub fn with_user_dict(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::ReadUserDict {
            path: path.to_path_buf(),
            source,
        })?;
        Self::with_user_words(&text).map_err(|e| match e {
            Error::CompileUserDict { message, .. } => Error::CompileUserDict {
                path: path.to_path_buf(),
                message,
            },
            other => other,
        })
    }

    /// Like [`Segmenter::with_user_dict`], from the list's text.
    pub fn with_user_words(list: &str) -> Result<Self, Error> {
        let mut seg = Self::new();
        let dict = dictionary::user_dictionary(list).map_err(|e| Error::CompileUserDict {
            path: PathBuf::new(),
            message: e.to_string(),
        })?;
        if let Some(dict) = dict {
            let words: HashSet<String> = list
                .lines()
                .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
                .filter(|w| !w.is_empty() && !w.contains(char::is_whitespace))
                .collect();
            let max_chars = words.iter().map(|w| w.chars().count()).max().unwrap_or(0);
            seg.user = Some(Arc::new(UserWords {
                dict,
                runs: RunCache::default(),
                words,
                max_chars,
            }));
        }
        Ok(seg)
    }

    /// Splits `text` into tokens. Concatenating them gives back `text` exactly; every
    /// whitespace run is a token of its own.
    pub fn segment<'a>(&self, text: &'a str) -> Vec<&'a str> {
        let mut spans = Vec::new();
        self.segment_spans(text, &mut spans);
        spans.iter().map(|s| &text[s.start..s.end]).collect()
    }

    /// Appends the tokens of `text` to `out` as byte spans (with their kind). Reusing
    /// `out` across calls avoids allocation in loops.
    pub fn segment_spans(&self, text: &str, out: &mut Vec<Span>) {
        let dict = dictionary::system();
        SCRATCH.with(|scratch| {
            let scratch = &mut *scratch.borrow_mut();
            prepass::scan(text, |span| {
                let kind = match span.kind {
                    SpanKind::Thai => {
                        self.segment_thai(dict, scratch, text, span.start, span.end, out);
                        return;
                    }
                    SpanKind::Space => TokenKind::Space,
                    SpanKind::Number => TokenKind::Number,
                    SpanKind::Latin => TokenKind::Latin,
                    SpanKind::Emoji => TokenKind::Emoji,
                    SpanKind::Symbol => TokenKind::Symbol,
                };
                out.push(Span {
                    start: span.start,
                    end: span.end,
                    kind,
                });
            });
        });
    }

    /// Calls `f(end)` (a byte offset) for every dictionary word that starts at the start of
    /// `text` and ends on a character-cluster boundary: the compounds that a run of tokens
    /// may spell.
    pub fn words_at_start(&self, text: &str, mut f: impl FnMut(usize)) {
        let dict = &dictionary::system().prefix_dictionary;
        let chars: Vec<char> = text.chars().collect();
        let end_of = |n: usize| chars[..n].iter().map(|c| c.len_utf8()).sum::<usize>();
        let cut_ok = |k: usize| k == chars.len() || boundary_allowed(chars[k - 1], chars[k]);
        for (_, n) in dict.common_prefix_search(&chars) {
            if n > 0 && cut_ok(n) {
                f(end_of(n));
            }
        }
        if let Some(user) = &self.user {
            for n in 1..=user.max_chars.min(chars.len()) {
                let end = end_of(n);
                if cut_ok(n) && user.words.contains(&text[..end]) {
                    f(end);
                }
            }
        }
    }

    /// Calls `f(start, end)` for every dictionary word strictly inside `word` that
    /// starts and ends on character-cluster boundaries: the parts of a compound such as
    /// รัฐบาล in ทำเนียบรัฐบาล.
    pub fn sub_words(&self, word: &str, mut f: impl FnMut(usize, usize)) {
        let dict = &dictionary::system().prefix_dictionary;
        let chars: Vec<char> = word.chars().collect();
        if chars.len() < 2 {
            return;
        }
        let mut byte_at = Vec::with_capacity(chars.len() + 1);
        let mut b = 0;
        for c in &chars {
            byte_at.push(b);
            b += c.len_utf8();
        }
        byte_at.push(b);
        let cut_ok =
            |k: usize| k == 0 || k == chars.len() || boundary_allowed(chars[k - 1], chars[k]);
        for i in 0..chars.len() {
            if !cut_ok(i) {
                continue;
            }
            for (_, n) in dict.common_prefix_search(&chars[i..]) {
                let j = i + n;
                if (i, j) != (0, chars.len()) && cut_ok(j) {
                    f(byte_at[i], byte_at[j]);
                }
            }
            if let Some(user) = &self.user {
                for n in 1..=user.max_chars.min(chars.len() - i) {
                    let j = i + n;
                    if (i, j) != (0, chars.len())
                        && cut_ok(j)
                        && user.words.contains(&word[byte_at[i]..byte_at[j]])
                    {
                        f(byte_at[i], byte_at[j]);
                    }
                }
            }
        }
    }

    /// Segments the Thai run `text[start..end]`, from the cache when it was seen before.
    fn segment_thai(
        &self,
        dict: &Dictionary,
        s: &mut Scratch,
        text: &str,
        start: usize,
        end: usize,
        out: &mut Vec<Span>,
    ) {
        let run = &text[start..end];
        let cache = match &self.user {
            Some(user) => &user.runs,
            None => &*SYSTEM_RUNS,
        };
        if run.len() > CACHED_RUN_BYTES {
            return self.segment_run(dict, s, text, start, end, out);
        }
        if cache.get(run, start, out) {
            return;
        }
        let from = out.len();
        self.segment_run(dict, s, text, start, end, out);
        cache.put(run, start, &out[from..]);
    }

    fn segment_run(
        &self,
        dict: &Dictionary,
        s: &mut Scratch,
        text: &str,
        start: usize,
        end: usize,
        out: &mut Vec<Span>,
    ) {
        let run = &text[start..end];
        let repaired = build_view(run, &mut s.view, &mut s.view_map);
        let view: &str = if repaired { &s.view } else { run };

        s.raw.clear();
        let mode = Mode::Normal;
        let user = self.user.as_ref().map(|u| &u.dict.dict);
        let mut pos = 0;
        while pos < view.len() {
            let rest = &view[pos..];
            let (window, last) = match rest.char_indices().nth(WINDOW_CHARS) {
                Some((cut, _)) => (&rest[..safe_cut(rest, cut)], false),
                None => (rest, true),
            };
            s.lattice.set_text(
                &dict.prefix_dictionary,
                &user,
                &dict.character_definition,
                &dict.unknown_dictionary,
                &dict.connection_cost_matrix,
                window,
                &mode,
                None,
                false,
            );
            s.lattice.tokens_offset_into(&mut s.offsets);
            // Only tokens well before the window's end are final, unless it is the last.
            let keep_until = if last {
                window.len()
            } else {
                let back = window
                    .char_indices()
                    .rev()
                    .nth(WINDOW_OVERLAP_CHARS)
                    .map_or(0, |(b, _)| b);
                back
            };
            let mut committed = pos;
            for (k, &(tok_start, id)) in s.offsets.iter().enumerate() {
                let tok_end = s.offsets.get(k + 1).map_or(window.len(), |o| o.0);
                if tok_end > keep_until && k > 0 {
                    break;
                }
                let kind = if id.is_unknown() {
                    TokenKind::Unknown
                } else {
                    TokenKind::Word
                };
                s.raw.push(Span {
                    start: pos + tok_start,
                    end: pos + tok_end,
                    kind,
                });
                committed = pos + tok_end;
            }
            if s.offsets.is_empty() {
                // Cannot happen with a THAI unknown category, but never loop forever.
                s.raw.push(Span {
                    start: pos,
                    end: pos + window.len(),
                    kind: TokenKind::Unknown,
                });
                committed = pos + window.len();
            }
            pos = committed;
        }

        merge_pass(view, &mut s.raw);
        for span in &s.raw {
            let (a, b) = if repaired {
                (
                    s.view_map[span.start] as usize,
                    s.view_map[span.end] as usize,
                )
            } else {
                (span.start, span.end)
            };
            out.push(Span {
                start: start + a,
                end: start + b,
                kind: span.kind,
            });
        }
    }
}

/// Thai runs (the text between spaces, digits and Latin) longer than this are segmented
/// every time: long runs seldom repeat, and each would take much of the cache.
const CACHED_RUN_BYTES: usize = 240;
/// Runs a cache shard holds before it starts again.
const RUNS_PER_SHARD: usize = 8_192;
const SHARDS: usize = 16;

/// Segmentations of the Thai runs seen lately. A run's segmentation depends on the run
/// alone, and runs repeat: over 20,000 government news articles 37% of the Thai text is in
/// runs seen before (names, titles, set phrases), and a document is segmented more than
/// once on its way in (its fingerprint, then its index terms), so the second time costs a
/// lookup instead of a lattice. Bounded: a full shard is emptied (about 25 MB in all at most).
static SYSTEM_RUNS: std::sync::LazyLock<RunCache> = std::sync::LazyLock::new(RunCache::default);

type RunSpans = Box<[(u32, u32, TokenKind)]>;

#[derive(Default)]
struct RunCache {
    shards: [std::sync::Mutex<HashMap<Box<str>, RunSpans, rustc_hash::FxBuildHasher>>; SHARDS],
}

impl RunCache {
    fn shard(
        &self,
        run: &str,
    ) -> &std::sync::Mutex<HashMap<Box<str>, RunSpans, rustc_hash::FxBuildHasher>> {
        use std::hash::BuildHasher;
        let h = rustc_hash::FxBuildHasher.hash_one(run) as usize;
        &self.shards[h % SHARDS]
    }

    /// Appends the cached spans of `run`, placed at `start`; false if it is not cached.
    fn get(&self, run: &str, start: usize, out: &mut Vec<Span>) -> bool {
        let shard = self.shard(run).lock().unwrap_or_else(|e| e.into_inner());
        let Some(spans) = shard.get(run) else {
            return false;
        };
        out.extend(spans.iter().map(|&(a, b, kind)| Span {
            start: start + a as usize,
            end: start + b as usize,
            kind,
        }));
        true
    }

    fn put(&self, run: &str, start: usize, spans: &[Span]) {
        let relative: RunSpans = spans
            .iter()
            .map(|s| ((s.start - start) as u32, (s.end - start) as u32, s.kind))
            .collect();
        let mut shard = self.shard(run).lock().unwrap_or_else(|e| e.into_inner());
        if shard.len() >= RUNS_PER_SHARD {
            shard.clear();
        }
        shard.insert(run.into(), relative);
    }
}

/// Moves a window cut back to a character-cluster boundary.
fn safe_cut(rest: &str, mut cut: usize) -> usize {
    let mut prev = rest[..cut].chars().next_back();
    let mut next = rest[cut..].chars().next();
    while let (Some(p), Some(n)) = (prev, next) {
        if boundary_allowed(p, n) || cut <= p.len_utf8() {
            break;
        }
        cut -= p.len_utf8();
        next = Some(p);
        prev = rest[..cut].chars().next_back();
    }
    cut
}

/// Rewrites a Thai run into the form the dictionary knows, recording for every byte of
/// the rewritten text where it came from, so tokens map back onto the original bytes:
/// a letter repeated three or more times for emphasis (มากกกก) counts once, เเ reads as
/// แ, ํา as ำ, and a doubled mark as one. Returns false (and leaves the buffers
/// unused) when nothing needs rewriting, which is the usual case.
fn build_view(run: &str, view: &mut String, map: &mut Vec<u32>) -> bool {
    let chars: Vec<(usize, char)> = run.char_indices().collect();
    let needs = chars.windows(2).any(|w| {
        let (a, b) = (w[0].1, w[1].1);
        (a == b && (a == 'เ' || crate::thai::is_dependent(a)))
            || (a == '\u{0E4D}' && b == '\u{0E32}')
    }) || chars
        .windows(3)
        .any(|w| w[0].1 == w[1].1 && w[1].1 == w[2].1);
    if !needs {
        return false;
    }
    view.clear();
    map.clear();
    let mut i = 0;
    while i < chars.len() {
        let (off, c) = chars[i];
        let mut run_len = 1;
        while i + run_len < chars.len() && chars[i + run_len].1 == c {
            run_len += 1;
        }
        let (out_char, consumed) = if run_len >= 3 || (run_len == 2 && crate::thai::is_dependent(c))
        {
            (c, run_len)
        } else if c == 'เ' && run_len == 2 {
            ('แ', 2)
        } else if c == '\u{0E4D}' && chars.get(i + 1).map(|x| x.1) == Some('\u{0E32}') {
            ('\u{0E33}', 2)
        } else {
            (c, 1)
        };
        view.push(out_char);
        map.extend(std::iter::repeat_n(off as u32, out_char.len_utf8()));
        i += consumed;
    }
    map.push(run.len() as u32);
    true
}

/// Repairs the lattice's path where the dictionary cannot know better:
/// * never split a Thai character cluster (a vowel or tone mark from its consonant);
/// * one unknown word, not a run of unknown letters;
/// * a consonant-only abbreviation keeps its dot (รพ., น.);
/// * a letter repeated for emphasis stays with its word (เธออ).
fn merge_pass(view: &str, spans: &mut Vec<Span>) {
    let mut w = 0;
    for r in 0..spans.len() {
        let cur = spans[r];
        if w > 0 {
            let prev = spans[w - 1];
            let p_text = &view[prev.start..prev.end];
            let c_text = &view[cur.start..cur.end];
            let last = p_text.chars().next_back().unwrap_or(' ');
            let first = c_text.chars().next().unwrap_or(' ');
            let both_unknown = prev.kind == TokenKind::Unknown && cur.kind == TokenKind::Unknown;
            let abbrev_dot = c_text == "."
                && p_text.chars().count() <= 5
                && p_text.chars().all(is_thai_consonant);
            let emphasis = cur.kind == TokenKind::Unknown && c_text.chars().all(|c| c == last);
            if abbrev_dot {
                spans[w - 1].end = cur.end;
                continue;
            }
            if !boundary_allowed(last, first) || both_unknown || emphasis {
                spans[w - 1].end = cur.end;
                spans[w - 1].kind = TokenKind::Unknown;
                continue;
            }
        }
        spans[w] = cur;
        w += 1;
    }
    spans.truncate(w);
}
