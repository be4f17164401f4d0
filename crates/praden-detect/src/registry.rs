//! The curated agency registry: a plain TSV file (`data/agencies.tsv`) embedded in the binary,
//! optionally extended at run time by a user file in the same format.

use std::collections::HashMap;
use std::path::Path;

use crate::error::RegistryError;
use crate::normalize::normalize;

/// The registry shipped with the crate; see `data/README.md` for where it came from.
pub const DEFAULT_REGISTRY_TSV: &str = include_str!("../data/agencies.tsv");

const COLUMNS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AgencyKind {
    Ministry,
    Department,
    PublicOrg,
    StateEnterprise,
    Committee,
    /// Courts, constitutional organs, parliament: they answer to no ministry, so they are
    /// their own "ministry level".
    Independent,
    Other,
}

impl AgencyKind {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "ministry" => Self::Ministry,
            "department" => Self::Department,
            "public_org" => Self::PublicOrg,
            "state_enterprise" => Self::StateEnterprise,
            "committee" => Self::Committee,
            "independent" => Self::Independent,
            "other" => Self::Other,
            _ => return None,
        })
    }

    /// Ministries and independent organs are the units the ministry-level evaluation and the
    /// per-ministry KPI reports count in.
    pub fn is_top_level(self) -> bool {
        matches!(self, Self::Ministry | Self::Independent)
    }
}

/// An abbreviation as written in the registry; `ambiguous` when the same string also names
/// another agency or is an everyday word or unit (e.g. กก. is also "kilogram").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Abbreviation {
    pub text: String,
    pub ambiguous: bool,
}

impl Abbreviation {
    fn parse(raw: &str) -> Self {
        match raw.strip_prefix('~') {
            Some(rest) => Self {
                text: normalize(rest),
                ambiguous: true,
            },
            None => Self {
                text: normalize(raw),
                ambiguous: false,
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct Agency {
    /// Display abbreviation (None when the agency has no established one).
    pub abbr: Option<Abbreviation>,
    pub kind: AgencyKind,
    /// Display abbreviation of the ministry-level parent; None for top-level units.
    pub parent: Option<String>,
    pub name_th: String,
    pub aliases_th: Vec<String>,
    /// Further abbreviations and acronyms, beyond `abbr`.
    pub abbrs: Vec<Abbreviation>,
    pub names_en: Vec<String>,
    pub keywords: Vec<String>,
}

impl Agency {
    /// Display abbreviation, or "" when there is none.
    pub fn abbr_str(&self) -> &str {
        self.abbr.as_ref().map_or("", |a| a.text.as_str())
    }

    /// Every abbreviation, display one first.
    pub fn all_abbrs(&self) -> impl Iterator<Item = &Abbreviation> {
        self.abbr.iter().chain(self.abbrs.iter())
    }

    /// The code of the ministry-level unit: the parent's abbreviation, the agency's own
    /// abbreviation when it is top level, or its Thai name when a top-level unit has none.
    pub fn ministry_abbr(&self) -> &str {
        match &self.parent {
            Some(p) => p,
            None if !self.abbr_str().is_empty() => self.abbr_str(),
            None => &self.name_th,
        }
    }
}

/// Index into [`AgencyRegistry::agencies`].
pub type AgencyId = usize;

#[derive(Debug, Clone)]
pub struct AgencyRegistry {
    agencies: Vec<Agency>,
    /// ministry_abbr -> id of the top-level agency.
    top_level: HashMap<String, AgencyId>,
}

impl AgencyRegistry {
    /// The registry embedded in the binary.
    pub fn load_default() -> Result<Self, RegistryError> {
        Self::from_tsv(DEFAULT_REGISTRY_TSV)
    }

    /// The embedded registry extended by a user file in the same TSV format. A user row whose
    /// `name_th` equals an embedded row replaces it, so local corrections need no code change.
    pub fn load_with_extension(path: &Path) -> Result<Self, RegistryError> {
        let extra = std::fs::read_to_string(path).map_err(|source| RegistryError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let mut rows = parse_rows(DEFAULT_REGISTRY_TSV, "embedded")?;
        for row in parse_rows(&extra, &path.display().to_string())? {
            match rows.iter().position(|r| r.name_th == row.name_th) {
                Some(i) => rows[i] = row,
                None => rows.push(row),
            }
        }
        Self::from_agencies(rows)
    }

    pub fn from_tsv(tsv: &str) -> Result<Self, RegistryError> {
        Self::from_agencies(parse_rows(tsv, "registry")?)
    }

    fn from_agencies(agencies: Vec<Agency>) -> Result<Self, RegistryError> {
        let mut top_level = HashMap::new();
        for (id, a) in agencies.iter().enumerate() {
            if a.kind.is_top_level()
                && top_level
                    .insert(a.ministry_abbr().to_string(), id)
                    .is_some()
            {
                return Err(RegistryError::DuplicateTopLevel(
                    a.ministry_abbr().to_string(),
                ));
            }
        }
        for a in &agencies {
            if let Some(p) = &a.parent {
                match top_level.get(p) {
                    Some(&pid) if agencies[pid].kind == AgencyKind::Ministry => {}
                    _ => {
                        return Err(RegistryError::UnknownParent {
                            agency: a.name_th.clone(),
                            parent: p.clone(),
                        })
                    }
                }
            }
        }
        Ok(Self {
            agencies,
            top_level,
        })
    }

    pub fn agencies(&self) -> &[Agency] {
        &self.agencies
    }

    pub fn get(&self, id: AgencyId) -> &Agency {
        &self.agencies[id]
    }

    /// The top-level agency (ministry or independent organ) with this ministry code.
    pub fn top_level(&self, ministry_abbr: &str) -> Option<AgencyId> {
        self.top_level.get(ministry_abbr).copied()
    }

    pub fn top_level_ids(&self) -> impl Iterator<Item = AgencyId> + '_ {
        self.agencies
            .iter()
            .enumerate()
            .filter(|(_, a)| a.kind.is_top_level())
            .map(|(i, _)| i)
    }

    /// Agencies whose abbreviations include `abbr` (exact, after normalisation).
    pub fn by_abbr(&self, abbr: &str) -> Vec<AgencyId> {
        let abbr = normalize(abbr);
        self.agencies
            .iter()
            .enumerate()
            .filter(|(_, a)| a.all_abbrs().any(|x| x.text == abbr))
            .map(|(i, _)| i)
            .collect()
    }
}

fn split_list(field: &str) -> Vec<String> {
    field
        .split('|')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(normalize)
        .collect()
}

fn parse_rows(tsv: &str, source: &str) -> Result<Vec<Agency>, RegistryError> {
    let mut out = Vec::new();
    for (i, line) in tsv.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |msg: String| RegistryError::Parse {
            origin: source.to_string(),
            line: line_no,
            msg,
        };
        let cols: Vec<&str> = line.split('\t').map(str::trim).collect();
        if cols.len() != COLUMNS {
            return Err(bad(format!(
                "expected {COLUMNS} tab-separated columns, found {}",
                cols.len()
            )));
        }
        let kind =
            AgencyKind::parse(cols[1]).ok_or_else(|| bad(format!("unknown kind {:?}", cols[1])))?;
        if cols[3].is_empty() {
            return Err(bad("empty name_th".into()));
        }
        let abbr = match cols[0] {
            "" => return Err(bad("empty abbr (write '-' when there is none)".into())),
            "-" => None,
            raw => Some(Abbreviation::parse(raw)),
        };
        let parent = (!cols[2].is_empty()).then(|| normalize(cols[2]));
        if kind.is_top_level() == parent.is_some() {
            return Err(bad(
                "ministries and independent organs have no parent; every other kind needs one"
                    .into(),
            ));
        }
        out.push(Agency {
            abbr,
            kind,
            parent,
            name_th: normalize(cols[3]),
            aliases_th: split_list(cols[4]),
            abbrs: cols[5]
                .split('|')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(Abbreviation::parse)
                .collect(),
            names_en: split_list(cols[6]),
            keywords: split_list(cols[7]),
        });
    }
    Ok(out)
}
