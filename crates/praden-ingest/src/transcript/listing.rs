//! HTTP listings of transcript files: an HTML index or a JSON list.

use super::*;

/// One entry of an HTTP listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingEntry {
    pub url: url::Url,
    /// The sidecar's URL, when the listing names one or has `STEM.json` beside the file.
    pub sidecar: Option<url::Url>,
    /// Sidecar fields given in the listing itself (a JSON listing's entry).
    pub inline: Option<Sidecar>,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum JsonEntry {
    Url(String),
    Object {
        url: String,
        sidecar: Option<String>,
        #[serde(flatten)]
        fields: Sidecar,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum JsonListing {
    List(Vec<JsonEntry>),
    Files { files: Vec<JsonEntry> },
}

pub(super) fn is_transcript(url: &url::Url) -> bool {
    url.path_segments()
        .and_then(|mut s| s.next_back())
        .is_some_and(|name| TranscriptFormat::of_file(name).is_some())
}

pub(super) fn sibling_json(url: &url::Url) -> url::Url {
    let mut out = url.clone();
    let path = url.path();
    let stem = path.rsplit_once('.').map(|(s, _)| s).unwrap_or(path);
    out.set_path(&format!("{stem}.json"));
    out
}

/// Reads a listing: a JSON array (or `{"files": [...]}`) of transcript URLs or of objects
/// `{"url", "sidecar"?, "channel"?, "programme"?, "air_start"?}`, or an HTML index page whose
/// links to `.vtt`/`.srt`/`.txt` files are the transcripts (with `STEM.json` as the sidecar
/// when it is linked too). URLs are resolved against the listing's.
pub fn read_listing(base: &url::Url, text: &str) -> Result<Vec<ListingEntry>, TranscriptError> {
    let err = |reason: String| TranscriptError::Listing {
        url: base.to_string(),
        reason,
    };
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        let listing: JsonListing = serde_json::from_str(trimmed)
            .map_err(|e| err(format!("not a list of transcript URLs or objects: {e}")))?;
        let entries = match listing {
            JsonListing::List(e) | JsonListing::Files { files: e } => e,
        };
        let mut out = Vec::new();
        for e in entries {
            let (url, sidecar, inline) = match e {
                JsonEntry::Url(u) => (u, None, None),
                JsonEntry::Object {
                    url,
                    sidecar,
                    fields,
                } => {
                    let inline = (fields != Sidecar::default()).then_some(fields);
                    (url, sidecar, inline)
                }
            };
            let url = base
                .join(&url)
                .map_err(|e| err(format!("{url:?} is not a URL: {e}")))?;
            let sidecar = match sidecar {
                Some(s) => Some(
                    base.join(&s)
                        .map_err(|e| err(format!("{s:?} is not a URL: {e}")))?,
                ),
                None if inline.is_none() => Some(sibling_json(&url)),
                None => None,
            };
            out.push(ListingEntry {
                url,
                sidecar,
                inline,
            });
        }
        return Ok(out);
    }
    let page = scraper::Html::parse_document(text);
    let links = scraper::Selector::parse("a[href]").expect("static selector");
    let hrefs: Vec<url::Url> = page
        .select(&links)
        .filter_map(|a| a.value().attr("href"))
        .filter_map(|h| base.join(h).ok())
        .collect();
    if hrefs.is_empty() && !trimmed.starts_with('<') {
        return Err(err("no links found".into()));
    }
    let mut out: Vec<ListingEntry> = Vec::new();
    for url in hrefs.iter().filter(|u| is_transcript(u)) {
        if out.iter().any(|e| &e.url == url) {
            continue;
        }
        let json = sibling_json(url);
        out.push(ListingEntry {
            url: url.clone(),
            sidecar: hrefs.contains(&json).then_some(json),
            inline: None,
        });
    }
    Ok(out)
}
