//! Phrase matching that uses the `pairs` field (`pairs.rs`): the pieces `TopByKey::search_phrase`
//! is made of, and `PairedPhrase`, a tantivy query for a quoted phrase of common words that
//! matches and scores exactly as tantivy's `PhraseQuery` does, for the passes that take a
//! query (facets, date orders, filters of a story's documents). The editors' search page
//! always asks for facets, so its phrases take that way.

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{Bm25Weight, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::{IndexRecordOption, Term};
use tantivy::{DocId, DocSet, Score, SegmentReader, TantivyError, TERMINATED};

/// A word of a phrase, or a pair of its words, with its shift (its distance to the last one,
/// so that an occurrence is one position all of them share, as tantivy's phrase scorer
/// counts); a pair without a shift only narrows the documents.
pub(crate) struct Word {
    pub shift: Option<u32>,
    pub postings: SegmentPostings,
}

/// The words' and pairs' postings of `phrase` in one segment, or None when one of them is
/// not there (the phrase is not either). A phrase of two words that is one pair needs no
/// positions: only the pair is read. A longer phrase whose every two adjacent words make a
/// pair is matched on the pairs' positions instead of the words'.
pub(crate) fn postings(
    reader: &SegmentReader,
    phrase: &[(usize, Term)],
    pairs: &[Term],
) -> tantivy::Result<Option<Vec<Word>>> {
    // Each term to read with its shift; without one, its frequencies only.
    let wanted: Vec<(&Term, Option<u32>)> = if chained(phrase, pairs) {
        // Pair i starts where word i does; the last pair starts at the last but one word.
        let last = phrase[phrase.len() - 2].0;
        pairs
            .iter()
            .zip(phrase)
            .map(|(pair, (offset, _))| (pair, Some((last - offset) as u32)))
            .collect()
    } else {
        let last = phrase.iter().map(|(offset, _)| *offset).max().unwrap_or(0);
        let positional = !pair_alone(phrase, pairs);
        phrase
            .iter()
            .filter(|_| positional)
            .map(|(offset, term)| (term, Some((last - offset) as u32)))
            .chain(pairs.iter().map(|pair| (pair, None)))
            .collect()
    };
    let mut words = Vec::with_capacity(wanted.len());
    for (term, shift) in wanted {
        let option = match shift {
            Some(_) => IndexRecordOption::WithFreqsAndPositions,
            None => IndexRecordOption::WithFreqs,
        };
        match reader
            .inverted_index(term.field())?
            .read_postings(term, option)?
        {
            Some(postings) => words.push(Word { shift, postings }),
            None => return Ok(None),
        }
    }
    // The rarest word or pair leads.
    words.sort_by_key(|w| w.postings.doc_freq());
    Ok(Some(words))
}

/// Whether the phrase is two words that make one pair: the pair's frequency is then the
/// phrase's.
pub(crate) fn pair_alone(phrase: &[(usize, Term)], pairs: &[Term]) -> bool {
    phrase.len() == 2 && pairs.len() == 1
}

/// Whether the phrase has three or more words and every two adjacent ones make a pair
/// (`pairs::terms_of_phrase` gives one pair per such two, in order).
fn chained(phrase: &[(usize, Term)], pairs: &[Term]) -> bool {
    phrase.len() > 2 && pairs.len() + 1 == phrase.len()
}

/// Moves every word's postings to the first document at or after `doc` that all of them
/// hold (`TERMINATED` when there is none).
pub(crate) fn align(words: &mut [Word], mut doc: DocId) -> DocId {
    'again: while doc != TERMINATED {
        for Word { postings, .. } in words.iter_mut() {
            let at = if postings.doc() < doc {
                postings.seek(doc)
            } else {
                postings.doc()
            };
            if at != doc {
                doc = at;
                continue 'again;
            }
        }
        return doc;
    }
    TERMINATED
}

/// Position buffers, reused from one document to the next.
#[derive(Default)]
pub(crate) struct PhrasePositions {
    shared: Vec<u32>,
    next: Vec<u32>,
}

impl PhrasePositions {
    /// How often the phrase occurs in the document all `words` are on: the number of
    /// (shifted) positions every word has; with the words' postings left out (a pair alone),
    /// the pair's frequency.
    pub fn count(&mut self, words: &mut [Word]) -> u32 {
        let mut positional = words
            .iter_mut()
            .filter_map(|w| Some((w.shift?, &mut w.postings)));
        let Some((shift, first)) = positional.next() else {
            return words
                .iter()
                .map(|w| w.postings.term_freq())
                .min()
                .unwrap_or(0);
        };
        first.positions_with_offset(shift, &mut self.shared);
        for (shift, postings) in positional {
            if self.shared.is_empty() {
                break;
            }
            postings.positions_with_offset(shift, &mut self.next);
            let next = &self.next;
            let mut j = 0;
            self.shared.retain(|&p| {
                while j < next.len() && next[j] < p {
                    j += 1;
                }
                j < next.len() && next[j] == p
            });
        }
        self.shared.len() as u32
    }
}

/// A quoted phrase whose adjacent common words have pairs (`pairs::terms_of_phrase`).
#[derive(Clone, Debug)]
pub(crate) struct PairedPhrase {
    /// The words of `text` with their offsets, in offset order.
    pub phrase: Vec<(usize, Term)>,
    pub pairs: Vec<Term>,
}

impl Query for PairedPhrase {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let terms: Vec<Term> = self.phrase.iter().map(|(_, t)| t.clone()).collect();
        let bm25 = match scoring {
            EnableScoring::Enabled {
                statistics_provider,
                ..
            } => Some(Bm25Weight::for_terms(statistics_provider, &terms)?),
            EnableScoring::Disabled { .. } => None,
        };
        Ok(Box::new(PairedPhraseWeight {
            query: self.clone(),
            bm25,
        }))
    }

    /// The words, as a phrase query gives them (for highlighting).
    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for (_, term) in &self.phrase {
            visitor(term, true);
        }
    }
}

struct PairedPhraseWeight {
    query: PairedPhrase,
    bm25: Option<Bm25Weight>,
}

impl Weight for PairedPhraseWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let Some(words) = postings(reader, &self.query.phrase, &self.query.pairs)? else {
            return Ok(Box::new(EmptyScorer));
        };
        // As tantivy's phrase weight: the text field's norms when scoring, else constant.
        let field = self.query.phrase[0].1.field();
        let fieldnorms = match &self.bm25 {
            Some(_) => reader.fieldnorms_readers().get_field(field)?,
            None => None,
        }
        .unwrap_or_else(|| FieldNormReader::constant(reader.max_doc(), 1));
        let mut scorer = PairedPhraseScorer {
            words,
            positions: PhrasePositions::default(),
            bm25: self.bm25.as_ref().map(|w| w.boost_by(boost)),
            fieldnorms,
            doc: 0,
            occurrences: 0,
        };
        let first = scorer.words[0].postings.doc();
        scorer.doc = scorer.find(first);
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "document #({doc}) does not match"
            )));
        }
        Ok(Explanation::new("phrase (adjacent pairs)", scorer.score()))
    }
}

struct PairedPhraseScorer {
    words: Vec<Word>,
    positions: PhrasePositions,
    bm25: Option<Bm25Weight>,
    fieldnorms: FieldNormReader,
    doc: DocId,
    occurrences: u32,
}

impl PairedPhraseScorer {
    /// The first document at or after `doc` where the phrase occurs.
    fn find(&mut self, mut doc: DocId) -> DocId {
        loop {
            doc = align(&mut self.words, doc);
            if doc == TERMINATED {
                return TERMINATED;
            }
            self.occurrences = self.positions.count(&mut self.words);
            if self.occurrences > 0 {
                return doc;
            }
            doc = self.words[0].postings.advance();
        }
    }
}

impl DocSet for PairedPhraseScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        let next = self.words[0].postings.advance();
        self.doc = self.find(next);
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        let lead = &mut self.words[0].postings;
        let at = if lead.doc() < target {
            lead.seek(target)
        } else {
            lead.doc()
        };
        self.doc = self.find(at);
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.words[0].postings.size_hint()
    }
}

impl Scorer for PairedPhraseScorer {
    fn score(&mut self) -> Score {
        match &self.bm25 {
            Some(bm25) => bm25.score(self.fieldnorms.fieldnorm_id(self.doc), self.occurrences),
            None => 1.0,
        }
    }
}
