//! What a poll of any format reports: the counts and item failures of `PollReport`, the
//! `PollError` that fails a poll as a whole, and `ItemError`, one item that could not be read.
//! Every format's adapter fills these in; the scheduler (`poll`) records them in the store.

/// One item that could not be read, or a problem of the fetched document as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemError {
    /// 1-based position of the item in the feed; 0 for a problem of the feed as a whole that
    /// did not stop the poll (see `PollReport::feed_problems`).
    pub position: usize,
    /// The item's id or link, as far as it has one.
    pub what: String,
    pub reason: String,
}

impl std::fmt::Display for ItemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.position {
            0 => write!(f, "{}: {}", self.what, self.reason),
            n => write!(f, "item {n} ({}): {}", self.what, self.reason),
        }
    }
}

impl std::error::Error for ItemError {}

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    #[error(transparent)]
    Feed(#[from] crate::feed::FeedError),
    #[error("storing the items failed: {0}")]
    Store(#[from] praden_store::StoreError),
    #[error("robots.txt disallows {0}")]
    Disallowed(String),
    #[error(transparent)]
    JsonApi(#[from] crate::social::SocialError),
    #[error(transparent)]
    Transcript(#[from] crate::transcript::TranscriptError),
    #[error(transparent)]
    Parse(#[from] crate::budget::ParseError),
}

/// What one poll of one source found.
#[derive(Debug, Default)]
pub struct PollReport {
    pub found: usize,
    pub new: usize,
    pub already_stored: usize,
    pub skipped: Vec<ItemError>,
    /// The server answered 304 to our validators: nothing was downloaded.
    pub not_modified: bool,
    /// Pages of summary-only feed items read for their full text.
    pub articles_fetched: usize,
    /// Items stored with their feed summary because their page could not be fetched or read.
    pub article_failures: Vec<ItemError>,
    /// Problems of the fetched feed or listing page as a whole that did not stop the poll:
    /// bytes not valid in its encoding, replaced with U+FFFD. Position 0, the URL as `what`;
    /// recorded and counted with the item failures, since the items' text may be damaged.
    pub feed_problems: Vec<ItemError>,
    /// New items left for the next poll: their pages were not fetched because the poll had
    /// used its `max_article_fetches`. They are not stored yet, so the next poll finds them.
    pub deferred: usize,
}

impl PollReport {
    /// The report of a poll answered 304: nothing was downloaded.
    pub(crate) fn not_modified() -> Self {
        Self {
            not_modified: true,
            ..Self::default()
        }
    }
}
