//! The Thai system dictionary, compiled by build.rs from dict/ and embedded in the
//! binary, and user dictionaries compiled from plain word lists at load time.

use std::sync::OnceLock;

use lindera_dictionary::builder::DictionaryBuilder;
use lindera_dictionary::dictionary::character_definition::CharacterDefinition;
use lindera_dictionary::dictionary::connection_cost_matrix::ConnectionCostMatrix;
use lindera_dictionary::dictionary::metadata::Metadata;
use lindera_dictionary::dictionary::prefix_dictionary::PrefixDictionary;
use lindera_dictionary::dictionary::unknown_dictionary::UnknownDictionary;
use lindera_dictionary::dictionary::{Dictionary, UserDictionary};
use lindera_dictionary::LinderaResult;

macro_rules! dict_file {
    ($name:literal) => {
        include_bytes!(concat!(env!("OUT_DIR"), "/thai-dict/", $name))
    };
}

static CHAR_DEF: &[u8] = dict_file!("char_def.bin");
// Aligned so the matrix is read in place instead of being copied.
static MATRIX: &[u8] =
    lindera_dictionary::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/thai-dict/matrix.mtx"));
static TRIE: &[u8] = dict_file!("dict.trie");
static VALS_IDX: &[u8] = dict_file!("dict.valsidx");
static VALS: &[u8] = dict_file!("dict.vals");
static WORDS_IDX: &[u8] = dict_file!("dict.wordsidx");
static WORDS: &[u8] = dict_file!("dict.words");
static UNKNOWN: &[u8] = dict_file!("unk.bin");
static METADATA: &[u8] = dict_file!("metadata.json");

/// The system dictionary is immutable, so every Segmenter in the process shares one.
pub(crate) fn system() -> &'static Dictionary {
    static DICT: OnceLock<Dictionary> = OnceLock::new();
    DICT.get_or_init(|| {
        load_embedded()
            .expect("the embedded dictionary was built by build.rs from dict/ and must load")
    })
}

fn load_embedded() -> LinderaResult<Dictionary> {
    let metadata = Metadata::load(METADATA)?;
    metadata.validate_format_version()?;
    Ok(Dictionary {
        prefix_dictionary: PrefixDictionary::load(TRIE, VALS_IDX, VALS, WORDS_IDX, WORDS)?.into(),
        connection_cost_matrix: ConnectionCostMatrix::load(MATRIX)?.into(),
        character_definition: CharacterDefinition::load(CHAR_DEF)?.into(),
        unknown_dictionary: UnknownDictionary::load(UNKNOWN)?.into(),
        metadata: metadata.into(),
    })
}

/// Compiles a plain word list (one entry a line, '#' comments, same format as
/// dict/domain_th.txt) into a lindera user dictionary priced like domain entries.
pub(crate) fn user_dictionary(list: &str) -> LinderaResult<Option<UserDictionary>> {
    let cost = (crate::costs::DOMAIN_WORD_COST * crate::costs::COST_SCALE).round() as i16;
    let mut csv = String::new();
    for line in list.lines() {
        let word = line
            .split('#')
            .next()
            .unwrap_or("")
            .trim()
            .trim_start_matches('\u{FEFF}');
        // Whitespace never reaches the lattice and a comma would break the CSV row.
        if word.is_empty() || word.contains(char::is_whitespace) || word.contains(',') {
            continue;
        }
        csv.push_str(word);
        csv.push_str(&format!(",0,0,{cost},U\n"));
    }
    if csv.is_empty() {
        return Ok(None);
    }
    let metadata = Metadata::load(METADATA)?;
    DictionaryBuilder::new(metadata)
        .build_user_dict_from_reader(csv.as_bytes())
        .map(Some)
}
