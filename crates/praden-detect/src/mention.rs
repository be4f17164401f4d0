//! Finds explicit agency evidence in text: full Thai names, abbreviations, English names and
//! mandate keywords. Pure: built once from the registry, then `find` allocates only its output.

use std::collections::HashMap;

use crate::normalize::{has_thai, is_thai_consonant, is_thai_letter, normalize, squeeze};
use crate::registry::{AgencyId, AgencyRegistry};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MentionKind {
    NameTh,
    Abbr,
    /// An abbreviation that also means something else (another agency, a unit such as กก.).
    AbbrAmbiguous,
    NameEn,
    Keyword,
}

impl MentionKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::NameTh => "name",
            Self::Abbr => "abbreviation",
            Self::AbbrAmbiguous => "ambiguous abbreviation",
            Self::NameEn => "English name",
            Self::Keyword => "keyword",
        }
    }

    /// How reasons shown to monitors name the kind (Thai, after the place: "หัวเรื่องระบุชื่อ").
    pub fn label_th(self) -> &'static str {
        match self {
            Self::NameTh => "ระบุชื่อ",
            Self::Abbr => "ระบุชื่อย่อ",
            Self::AbbrAmbiguous => "ระบุชื่อย่อที่ใช้ร่วมกันหลายหน่วยงาน",
            Self::NameEn => "ระบุชื่อภาษาอังกฤษ",
            Self::Keyword => "มีคำสำคัญตามภารกิจ",
        }
    }
}

/// Which form of the text a pattern is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Space {
    /// Whitespace removed: Thai names and keywords, spaced inconsistently in the wild.
    Squeezed,
    /// Normalised with single spaces: abbreviations, whose boundaries need the spaces.
    Spaced,
    /// Lower-cased normalised text: English names and ASCII keywords.
    Lower,
}

#[derive(Debug, Clone)]
struct Pattern {
    text: String,
    space: Space,
    kind: MentionKind,
    agencies: Vec<AgencyId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    pub agency: AgencyId,
    pub kind: MentionKind,
    /// The matched pattern as written in the registry (normalised).
    pub matched: String,
    /// Number of agencies sharing this pattern (keywords are often shared).
    pub shared_by: usize,
    /// Byte offset in the matched form of the text; only useful for ordering.
    pub position: usize,
}

/// Multi-pattern matcher indexed by the first two characters of each pattern, which is
/// selective enough for Thai (where most names start with กระทรวง/กรม/สำนักงาน) while staying
/// dependency-free.
#[derive(Debug, Clone)]
pub struct MentionMatcher {
    patterns: Vec<Pattern>,
    index: [HashMap<(char, char), Vec<usize>>; 3],
}

fn space_slot(space: Space) -> usize {
    match space {
        Space::Squeezed => 0,
        Space::Spaced => 1,
        Space::Lower => 2,
    }
}

/// Abbreviations with fewer than two Thai consonants (พ. for กรมการแพทย์) collide with dates
/// and units far too often to be matched; they stay display-only.
fn matchable_abbr(text: &str) -> bool {
    if has_thai(text) {
        text.chars().filter(|&c| is_thai_consonant(c)).count() >= 2
    } else {
        text.chars().filter(|c| c.is_ascii_alphanumeric()).count() >= 2
    }
}

impl MentionMatcher {
    pub fn new(registry: &AgencyRegistry) -> Self {
        let mut by_key: HashMap<(String, u8, MentionKind), Vec<AgencyId>> = HashMap::new();
        let mut add = |text: String, space: Space, kind: MentionKind, id: AgencyId| {
            if text.chars().count() < 2 {
                return;
            }
            let entry = by_key
                .entry((text, space_slot(space) as u8, kind))
                .or_default();
            if !entry.contains(&id) {
                entry.push(id);
            }
        };
        for (id, a) in registry.agencies().iter().enumerate() {
            for name in std::iter::once(&a.name_th).chain(a.aliases_th.iter()) {
                add(squeeze(name), Space::Squeezed, MentionKind::NameTh, id);
            }
            for ab in a.all_abbrs() {
                if !matchable_abbr(&ab.text) {
                    continue;
                }
                let kind = if ab.ambiguous {
                    MentionKind::AbbrAmbiguous
                } else {
                    MentionKind::Abbr
                };
                add(ab.text.clone(), Space::Spaced, kind, id);
            }
            for en in &a.names_en {
                add(en.to_lowercase(), Space::Lower, MentionKind::NameEn, id);
            }
            for kw in &a.keywords {
                if has_thai(kw) {
                    add(squeeze(kw), Space::Squeezed, MentionKind::Keyword, id);
                } else {
                    add(kw.to_lowercase(), Space::Lower, MentionKind::Keyword, id);
                }
            }
        }
        let mut patterns = Vec::with_capacity(by_key.len());
        let mut index: [HashMap<(char, char), Vec<usize>>; 3] = Default::default();
        let mut keys: Vec<_> = by_key.into_iter().collect();
        // Deterministic order, so equal-length ties resolve the same way on every run.
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        for ((text, slot, kind), agencies) in keys {
            let space = [Space::Squeezed, Space::Spaced, Space::Lower][slot as usize];
            let mut it = text.chars();
            let key = (it.next().unwrap_or(' '), it.next().unwrap_or(' '));
            index[slot as usize]
                .entry(key)
                .or_default()
                .push(patterns.len());
            patterns.push(Pattern {
                text,
                space,
                kind,
                agencies,
            });
        }
        Self { patterns, index }
    }

    /// All mentions in `text`, leftmost-longest and non-overlapping within each text form, so
    /// กรมทางหลวงชนบท is not also counted as กรมทางหลวง and a keyword inside a matched name
    /// does not count twice.
    pub fn find(&self, text: &str) -> Vec<Mention> {
        let spaced = normalize(text);
        let squeezed = squeeze(&spaced);
        let lower = spaced.to_lowercase();
        let mut out = Vec::new();
        for (space, hay) in [
            (Space::Squeezed, &squeezed),
            (Space::Spaced, &spaced),
            (Space::Lower, &lower),
        ] {
            self.find_in(space, hay, &mut out);
        }
        out
    }

    fn find_in(&self, space: Space, hay: &str, out: &mut Vec<Mention>) {
        let index = &self.index[space_slot(space)];
        let mut pos_iter = hay.char_indices().peekable();
        let mut blocked_until = 0;
        while let Some((pos, c)) = pos_iter.next() {
            if pos < blocked_until {
                continue;
            }
            let next = pos_iter.peek().map_or(' ', |&(_, n)| n);
            let Some(cands) = index.get(&(c, next)) else {
                continue;
            };
            let rest = &hay[pos..];
            let best = cands
                .iter()
                .map(|&p| &self.patterns[p])
                .filter(|p| rest.starts_with(p.text.as_str()) && boundary_ok(p, hay, pos))
                .max_by_key(|p| (p.text.len(), p.kind != MentionKind::Keyword));
            if let Some(p) = best {
                blocked_until = pos + p.text.len();
                for &agency in &p.agencies {
                    out.push(Mention {
                        agency,
                        kind: p.kind,
                        matched: p.text.clone(),
                        shared_by: p.agencies.len(),
                        position: pos,
                    });
                }
            }
        }
    }
}

fn boundary_ok(p: &Pattern, hay: &str, pos: usize) -> bool {
    let before = hay[..pos].chars().next_back();
    let mut after = hay[pos + p.text.len()..].chars();
    let (a1, a2) = (after.next(), after.next());
    let ascii_word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    match p.space {
        Space::Squeezed => true,
        Space::Lower => {
            // English names and acronyms are whole words.
            let first_word = p
                .text
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric());
            let last_word = p
                .text
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric());
            !(first_word && ascii_word(before) || last_word && ascii_word(a1))
        }
        Space::Spaced => {
            if has_thai(&p.text) {
                // A Thai abbreviation starts a token ("(สธ.)", " สธ.", "รมว.สธ.") and is not the
                // head of a longer dotted one (พ. in พ.ศ., ก.พ. in ก.พ.ร., ตร. in ตร.ม.).
                let starts_token =
                    !before.is_some_and(|c| is_thai_letter(c) || c.is_ascii_alphanumeric());
                let longer =
                    p.text.ends_with('.') && a1.is_some_and(is_thai_consonant) && a2 == Some('.');
                starts_token && !longer
            } else {
                // ASCII acronyms (BOI, DSI) are case-sensitive whole words.
                !ascii_word(before) && !ascii_word(a1)
            }
        }
    }
}
