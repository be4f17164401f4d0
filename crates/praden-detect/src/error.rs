use thiserror::Error;

#[derive(Debug, Error)]
pub enum RegistryError {
    #[error("{origin}:{line}: {msg}")]
    Parse {
        origin: String,
        line: usize,
        msg: String,
    },
    #[error("agency {agency:?} names parent {parent:?}, which is not a ministry in the registry")]
    UnknownParent { agency: String, parent: String },
    #[error("two top-level units share the code {0:?}")]
    DuplicateTopLevel(String),
    #[error("cannot read registry extension {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

#[derive(Debug, Error)]
pub enum HistoryError {
    #[error("history line {line}: {msg}")]
    Parse { line: usize, msg: String },
    #[error("the embedded history data/history.tsv.gz does not decompress: {0}")]
    Decompress(String),
}

#[derive(Debug, Error)]
pub enum SuggestError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    History(#[from] HistoryError),
}

#[derive(Debug, Error)]
pub enum PolicyError {
    #[error("policy list line {line}: {msg}")]
    Parse { line: usize, msg: String },
}
