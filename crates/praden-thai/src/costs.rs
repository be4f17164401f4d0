// Shared by build.rs (through `include!`) and the library, so the system dictionary
// and user dictionaries loaded at run time price words on the same scale.
//
// Word cost = SCALE * (-ln p(w) + TOKEN_BONUS + NOT_IN_TRAIN_PENALTY?), where p(w) mixes the
// counts of w in the TUD training split with TNC frequencies rescaled to the size of that
// split (times TNC_WEIGHT), plus a pseudo-count for words only the word list knows.
// The three constants were chosen by cross-validation on tud-train (first 80% to estimate,
// last 20% to score), never on the dev sets.

/// Costs are stored as i16 in lindera, so nats are scaled to hundredths.
pub(crate) const COST_SCALE: f64 = 100.0;
/// Weight of the TNC frequency list relative to the TUD training counts.
pub(crate) const TNC_WEIGHT: f64 = 30.0;
/// Pseudo-count of a word that only the word list (words_th.txt) knows.
pub(crate) const WORDLIST_PSEUDO_COUNT: f64 = 1e-3;
/// Added to every word: a negative value favours more, shorter words. The gold data
/// (TUD, wisesight) splits compounds that a plain unigram model keeps whole.
pub(crate) const TOKEN_BONUS: f64 = -4.0;
/// Added to words never seen in the TUD training split: most such words in the TNC list
/// are compounds the gold standard writes as two words.
pub(crate) const NOT_IN_TRAIN_PENALTY: f64 = 6.0;
/// Cost of one Thai character that no dictionary word covers (nats, before scaling).
/// Unknown characters are merged into one token afterwards; a high price keeps them a
/// last resort.
pub(crate) const UNKNOWN_CHAR_COST: f64 = 10.0;
/// Cost (nats) of a domain-lexicon or user-dictionary entry the corpus statistics do not
/// already price: like a word seen once in training, so it beats a split into fragments.
pub(crate) const DOMAIN_WORD_COST: f64 = 10.5;
