//! The tantivy tokenizer. Terms are the lowercased matching form of each content token;
//! spaces and punctuation are skipped; offsets point into the original text.
//!
//! Two flavours share the same segmentation:
//! * query time ([`ThaiTokenizer::new`], [`TOKENIZER_NAME`]): the plain token sequence;
//! * index time ([`ThaiTokenizer::for_indexing`], [`INDEX_TOKENIZER_NAME`]): the same
//!   sequence, plus the dictionary words inside each token, so a query รัฐบาล finds
//!   ทำเนียบรัฐบาล.
//!
//! Positions are character offsets in the text of the content tokens alone (spaces and
//! punctuation do not count), not token ordinals. A compound and its first sub-word
//! share a position and every other sub-word sits at its own offset, so:
//! * a phrase of plain tokens matches as usual (both sides number positions the same
//!   way, and tantivy builds phrase queries from the query tokens' positions);
//! * a query that segments into several tokens also matches inside a compound the
//!   document kept whole (อุตุ|นิยม|วิทยา inside กรมอุตุนิยมวิทยา);
//! * a sub-word is never adjacent to a token it is not adjacent to in the text.
//!
//! Phrase slop is therefore counted in characters.
//!
//! Compounds ([`Compounds`]): the segmenter splits many dictionary compounds the way the
//! gold standard does (ค่า|ไฟฟ้า, คณะ|รัฐมนตรี, กระทรวง|สาธารณสุข). Optionally a run of
//! adjacent tokens that spells a dictionary word also yields that word, at the first
//! token's position: the index adds it, and a query uses it instead of the run, so
//! ค่าไฟฟ้า is one term to look up rather than a phrase of two very common words whose
//! positions must be compared in every document holding both.

use std::collections::HashMap;

use tantivy_tokenizer_api::{Token, TokenStream, Tokenizer};

use crate::normalize::{fold_digits, is_matching_form, normalize};
use crate::segmenter::{Segmenter, Span};

/// Name to register the query-time tokenizer under.
pub const TOKENIZER_NAME: &str = "praden_thai";
/// Name to register the index-time tokenizer (with sub-words) under.
pub const INDEX_TOKENIZER_NAME: &str = "praden_thai_index";

/// Whether runs of tokens that spell a dictionary word also yield it (see the module
/// documentation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Compounds {
    /// The segmentation only.
    #[default]
    Off,
    /// Index time: every such word, besides the tokens.
    Added,
    /// Query time: the longest such word from the left replaces its tokens.
    Instead,
}

/// The most tokens a compound is looked for across.
const MAX_JOINED_TOKENS: usize = 4;

/// Thai tokenizer for tantivy. Cheap to clone: the dictionary is shared.
#[derive(Default)]
pub struct ThaiTokenizer {
    segmenter: Segmenter,
    index_sub_words: bool,
    compounds: Compounds,
    text_order: bool,
    // Reused between documents so tokenizing allocates only the term strings.
    spans: Vec<Span>,
    tokens: Vec<Token>,
    /// The term strings of the last document's tokens, refilled for the next one: an index
    /// token stream has several tokens a word, and allocating each term cost more than
    /// finding it.
    spare: Vec<String>,
    /// Sub-word byte ranges by token surface. Finding them costs a dictionary prefix search
    /// at every character, and news repeats its compounds (ทำเนียบรัฐบาล, คณะรัฐมนตรี) in
    /// nearly every article, so each distinct surface is searched once.
    sub_cache: SubWordCache,
}

/// Bounds the sub-word cache; when full it starts again (a long indexing run sees an
/// unbounded number of distinct tokens).
const SUB_CACHE_MAX: usize = 200_000;
/// A token shorter than this (in characters) holds no compound worth splitting: two
/// dictionary words need at least two characters each.
const MIN_COMPOUND_CHARS: usize = 4;
/// A token longer than this is not split into sub-words. The longest dictionary entries
/// (royal names, the anti-corruption commission's full name) are about 80 characters; a
/// longer token is a run the segmenter could not read (a pasted blob, 30,000 × ก), whose
/// "sub-words" are noise that cost time and index space.
const MAX_COMPOUND_CHARS: usize = 128;

/// A clone shares the dictionary but starts with empty scratch space and an empty cache:
/// tantivy clones tokenizers per segment writer and per query.
impl Clone for ThaiTokenizer {
    fn clone(&self) -> Self {
        Self::with_segmenter(self.segmenter.clone())
            .sub_words(self.index_sub_words)
            .compounds(self.compounds)
            .in_text_order(self.text_order)
    }
}

impl ThaiTokenizer {
    /// Query-time tokenizer: the plain segmentation.
    pub fn new() -> Self {
        Self::with_segmenter(Segmenter::new())
    }

    /// Index-time tokenizer: also emits the sub-words of compounds.
    pub fn for_indexing() -> Self {
        Self::with_segmenter(Segmenter::new()).sub_words(true)
    }

    /// Wraps a segmenter, e.g. one loaded with a user dictionary.
    pub fn with_segmenter(segmenter: Segmenter) -> Self {
        ThaiTokenizer {
            segmenter,
            index_sub_words: false,
            compounds: Compounds::Off,
            text_order: false,
            spans: Vec::new(),
            tokens: Vec::new(),
            spare: Vec::new(),
            sub_cache: SubWordCache::default(),
        }
    }

    /// Switches sub-word emission on (index time) or off (query time).
    pub fn sub_words(mut self, on: bool) -> Self {
        self.index_sub_words = on;
        self
    }

    /// Switches compounds on, for the index or for queries (see [`Compounds`]).
    pub fn compounds(mut self, compounds: Compounds) -> Self {
        self.compounds = compounds;
        self
    }

    /// Gives the tokens in the order of their offsets in the text. Sub-words otherwise
    /// follow the compound they come from, and a consumer that assumes growing
    /// offsets (tantivy's snippets) breaks on them.
    pub fn in_text_order(mut self, on: bool) -> Self {
        self.text_order = on;
        self
    }

    /// Fills `tokens` with the token stream of `text`; used by `token_stream` and by
    /// callers that want the terms without tantivy.
    pub fn tokens(&mut self, text: &str) -> &[Token] {
        self.spans.clear();
        self.spare.extend(self.tokens.drain(..).map(|t| t.text));
        self.segmenter.segment_spans(text, &mut self.spans);
        let spare = &mut self.spare;
        let mut make_term = |surface: &str| {
            let mut t = spare.pop().unwrap_or_default();
            term_text_into(surface, &mut t);
            t
        };
        let mut position = 0;
        // Indices of the segmentation's own tokens (not sub-words) in `tokens`.
        let mut plain: Vec<usize> = Vec::new();
        for span in &self.spans {
            if !span.kind.is_content() {
                continue;
            }
            let surface = &text[span.start..span.end];
            let term = make_term(surface);
            if term.is_empty() {
                continue;
            }
            let width = surface.chars().count();
            plain.push(self.tokens.len());
            self.tokens.push(Token {
                offset_from: span.start,
                offset_to: span.end,
                position,
                text: term,
                position_length: width,
            });
            if self.index_sub_words && (MIN_COMPOUND_CHARS..=MAX_COMPOUND_CHARS).contains(&width) {
                // Ranges come sorted by start, so the character offset of each is counted
                // on from the last one: linear in the token, however many sub-words.
                let (mut byte, mut chars) = (0, 0);
                for &(a, b) in sub_word_ranges(&self.segmenter, &mut self.sub_cache, surface) {
                    let (a, b) = (a as usize, b as usize);
                    chars += surface[byte..a].chars().count();
                    byte = a;
                    let sub = &surface[a..b];
                    self.tokens.push(Token {
                        offset_from: span.start + a,
                        offset_to: span.start + b,
                        position: position + chars,
                        text: make_term(sub),
                        position_length: sub.chars().count(),
                    });
                }
            }
            position += width;
        }
        if self.compounds != Compounds::Off {
            let found = compounds_of(&self.segmenter, text, &self.tokens, &plain, &mut make_term);
            match self.compounds {
                Compounds::Added if !found.is_empty() => {
                    // tantivy stores a term's positions as deltas and needs them in order
                    // within a document; a compound found here may also occur earlier or
                    // later as a sub-word. The tokens are in position order already (a
                    // sub-word lies inside its token) and so are the compounds: merged, a
                    // compound goes after the tokens at its position, as a stable sort would
                    // put it.
                    let tokens = std::mem::take(&mut self.tokens);
                    let mut merged = Vec::with_capacity(tokens.len() + found.len());
                    let mut compounds = found.into_iter().map(|(_, _, t)| t).peekable();
                    for t in tokens {
                        while let Some(c) = compounds.next_if(|c| c.position < t.position) {
                            merged.push(c);
                        }
                        merged.push(t);
                    }
                    merged.extend(compounds);
                    self.tokens = merged;
                }
                Compounds::Added => {}
                _ => self.tokens = replace_runs(&self.tokens, &plain, found),
            }
        }
        if self.text_order {
            self.tokens
                .sort_by_key(|t| (t.offset_from, std::cmp::Reverse(t.offset_to)));
        }
        &self.tokens
    }
}

impl ThaiTokenizer {
    /// For each byte range of `text` in `ranges`, whether [`tokens`](Self::tokens) gives a
    /// token with exactly that range. Cheaper than the token stream with sub-words and
    /// compounds (about half the time goes to those): `text` is only segmented, and just
    /// the tokens a range falls on are split into sub-words or joined into compounds. The
    /// snippet highlighter asks it whether a substring that spells a query term is a word
    /// of the text there.
    pub fn has_tokens_at(&mut self, text: &str, ranges: &[(usize, usize)]) -> Vec<bool> {
        self.spans.clear();
        self.segmenter.segment_spans(text, &mut self.spans);
        let plain: Vec<(usize, usize)> = self
            .spans
            .iter()
            .filter(|s| s.kind.is_content())
            .map(|s| (s.start, s.end))
            .filter(|&(a, b)| {
                let surface = &text[a..b];
                (is_matching_form(surface) && !surface.is_empty()) || !term_text(surface).is_empty()
            })
            .collect();
        ranges
            .iter()
            .map(|&(start, end)| {
                let i = plain.partition_point(|&(_, to)| to <= start);
                let Some(&(from, to)) = plain.get(i).filter(|(from, _)| *from <= start) else {
                    return false;
                };
                if (from, to) == (start, end) {
                    return true;
                }
                if end <= to {
                    let surface = &text[from..to];
                    return self.index_sub_words
                        && (MIN_COMPOUND_CHARS..=MAX_COMPOUND_CHARS)
                            .contains(&surface.chars().count())
                        && sub_word_ranges(&self.segmenter, &mut self.sub_cache, surface)
                            .contains(&((start - from) as u32, (end - from) as u32));
                }
                if start != from || self.compounds != Compounds::Added {
                    return false;
                }
                // As `compounds_of` joins: the run of adjacent tokens from this one, and a
                // dictionary word of it that ends where a later token ends.
                let mut last = i;
                while last + 1 < plain.len()
                    && last + 1 - i < MAX_JOINED_TOKENS
                    && plain[last + 1].0 == plain[last].1
                {
                    last += 1;
                }
                if !(i + 1..=last).any(|b| plain[b].1 == end) {
                    return false;
                }
                let mut found = false;
                self.segmenter
                    .words_at_start(&text[from..plain[last].1], |e| found |= from + e == end);
                found
            })
            .collect()
    }
}

impl ThaiTokenizer {
    /// `has_tokens_at`, segmenting only `context` characters either side of each range (of
    /// ranges sorted by start) instead of all of `text`. The segmentation of a stretch of
    /// text is settled by the words around it: with 48 characters the answers were
    /// `has_tokens_at`'s at all but 5 of 753,905 places of real text (the test
    /// `has_tokens_near_mostly_agrees`), for a fraction of the segmenting on long texts.
    pub fn has_tokens_near(
        &mut self,
        text: &str,
        ranges: &[(usize, usize)],
        context: usize,
    ) -> Vec<bool> {
        let back = |at: usize| {
            text[..at]
                .char_indices()
                .rev()
                .nth(context.saturating_sub(1))
                .map_or(0, |(i, _)| i)
        };
        let forward = |at: usize| {
            text[at..]
                .char_indices()
                .nth(context)
                .map_or(text.len(), |(i, _)| at + i)
        };
        let mut answers = Vec::with_capacity(ranges.len());
        let mut i = 0;
        while i < ranges.len() {
            let start = back(ranges[i].0);
            let mut end = forward(ranges[i].1);
            let mut j = i + 1;
            // Ranges whose windows overlap share one.
            while j < ranges.len() && back(ranges[j].0) < end {
                end = end.max(forward(ranges[j].1));
                j += 1;
            }
            let inside: Vec<(usize, usize)> = ranges[i..j]
                .iter()
                .map(|&(a, b)| (a - start, b - start))
                .collect();
            answers.extend(self.has_tokens_at(&text[start..end], &inside));
            i = j;
        }
        answers
    }
}

/// Every run of 2–`MAX_JOINED_TOKENS` adjacent plain tokens (no space between them) that
/// spells a dictionary word: (first, last) indices into `plain`, and the joined token.
fn compounds_of(
    segmenter: &Segmenter,
    text: &str,
    tokens: &[Token],
    plain: &[usize],
    term: &mut impl FnMut(&str) -> String,
) -> Vec<(usize, usize, Token)> {
    let mut found = Vec::new();
    for a in 0..plain.len() {
        let first = &tokens[plain[a]];
        let mut last = a;
        while last + 1 < plain.len()
            && last + 1 - a < MAX_JOINED_TOKENS
            && tokens[plain[last + 1]].offset_from == tokens[plain[last]].offset_to
        {
            last += 1;
        }
        if last == a {
            continue;
        }
        let run = &text[first.offset_from..tokens[plain[last]].offset_to];
        segmenter.words_at_start(run, |end| {
            let end = first.offset_from + end;
            let Some(b) = (a + 1..=last).find(|&b| tokens[plain[b]].offset_to == end) else {
                return; // ends inside a token, or is the first token itself
            };
            let surface = &text[first.offset_from..end];
            found.push((
                a,
                b,
                Token {
                    offset_from: first.offset_from,
                    offset_to: end,
                    position: first.position,
                    text: term(surface),
                    position_length: surface.chars().count(),
                },
            ));
        });
    }
    found
}

/// The plain tokens with each run that spells a compound replaced by it, the longest from
/// the left first.
fn replace_runs(
    tokens: &[Token],
    plain: &[usize],
    found: Vec<(usize, usize, Token)>,
) -> Vec<Token> {
    let mut out = Vec::with_capacity(plain.len());
    let mut a = 0;
    while a < plain.len() {
        match found
            .iter()
            .filter(|(first, _, _)| *first == a)
            .max_by_key(|(_, last, _)| *last)
        {
            Some((_, last, joined)) => {
                out.push(joined.clone());
                a = last + 1;
            }
            None => {
                out.push(tokens[plain[a]].clone());
                a += 1;
            }
        }
    }
    out
}

/// Sub-word character ranges per compound surface, so each compound is split once.
type SubWordCache = HashMap<Box<str>, Box<[(u32, u32)]>, rustc_hash::FxBuildHasher>;

/// The distinct sub-word ranges of `surface`, from the cache or found and cached.
fn sub_word_ranges<'c>(
    segmenter: &Segmenter,
    cache: &'c mut SubWordCache,
    surface: &str,
) -> &'c [(u32, u32)] {
    if !cache.contains_key(surface) {
        if cache.len() >= SUB_CACHE_MAX {
            cache.clear();
        }
        let mut ranges: Vec<(u32, u32)> = Vec::new();
        segmenter.sub_words(surface, |a, b| ranges.push((a as u32, b as u32)));
        // The system and user dictionaries may both hold a word.
        ranges.sort_unstable();
        ranges.dedup();
        cache.insert(surface.into(), ranges.into_boxed_slice());
    }
    &cache[surface]
}

/// [`term_text`] into `out`, reusing its allocation.
fn term_text_into(surface: &str, out: &mut String) {
    out.clear();
    if is_matching_form(surface) {
        out.push_str(surface);
        out.make_ascii_lowercase();
    } else {
        out.push_str(&term_text(surface));
    }
}

/// Lowercased matching form of one token.
fn term_text(surface: &str) -> String {
    if is_matching_form(surface) {
        // Only ASCII and Thai: only ASCII letters have case (the common path, kept cheap:
        // `char::is_uppercase` is a table search for every Thai letter).
        let mut term = surface.to_string();
        term.make_ascii_lowercase();
        return term;
    }
    let term = fold_digits(normalize(surface)).trim().to_string();
    if term.chars().any(char::is_uppercase) {
        term.to_lowercase()
    } else {
        term
    }
}

/// The token stream handed to tantivy.
pub struct ThaiTokenStream<'a> {
    tokens: &'a mut Vec<Token>,
    index: usize,
    /// Returned by `token()` before the first `advance()` or on an empty stream.
    empty: Token,
}

impl<'a> ThaiTokenStream<'a> {
    /// A stream over tokens made elsewhere (the index's tokenizers reuse a document's
    /// tokens across its fields).
    pub fn over(tokens: &'a mut Vec<Token>) -> Self {
        ThaiTokenStream {
            tokens,
            index: 0,
            empty: Token::default(),
        }
    }
}

impl Tokenizer for ThaiTokenizer {
    type TokenStream<'a> = ThaiTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ThaiTokenStream<'a> {
        self.tokens(text);
        ThaiTokenStream::over(&mut self.tokens)
    }
}

impl TokenStream for ThaiTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.index < self.tokens.len() {
            self.index += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        match self.index.checked_sub(1) {
            Some(i) => &self.tokens[i],
            None => &self.empty,
        }
    }

    fn token_mut(&mut self) -> &mut Token {
        match self.index.checked_sub(1) {
            Some(i) => &mut self.tokens[i],
            None => &mut self.empty,
        }
    }
}
