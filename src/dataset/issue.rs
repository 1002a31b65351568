//! Problems found while loading, kept beside the samples so reports can account for every input.

use std::fmt;

use serde::Serialize;

/// What went wrong, for grouping in summaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    /// A folder name or manifest value that is not a known label.
    UnknownLabel,
    /// An attack whose species the dataset does not tell: it is scored as species `unknown`.
    UnknownAttackType,
    /// The same path listed again; the first listing is kept.
    Duplicate,
    /// A path that leaves the dataset root.
    OutsideRoot,
    /// A listed file that is not on disk: kept, so scoring records it as a `missing_file` non-response.
    MissingFile,
    /// A file name or manifest line that is not valid UTF-8.
    NonUtf8,
    /// A value that cannot be read: bad face box, malformed line, file name not in the dataset's scheme, ...
    BadValue,
    /// An image the folder layout pattern does not fit.
    LayoutMismatch,
    /// Files skipped because they are not images of a supported type.
    NotAnImage,
    /// A problem with a dataset's index or split files.
    Index,
    /// A sub-folder or entry that cannot be listed or examined (permissions, I/O error); the rest is loaded.
    Unreadable,
}

impl IssueKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueKind::UnknownLabel => "unknown_label",
            IssueKind::UnknownAttackType => "unknown_attack_type",
            IssueKind::Duplicate => "duplicate",
            IssueKind::OutsideRoot => "outside_root",
            IssueKind::MissingFile => "missing_file",
            IssueKind::NonUtf8 => "non_utf8",
            IssueKind::BadValue => "bad_value",
            IssueKind::LayoutMismatch => "layout_mismatch",
            IssueKind::NotAnImage => "not_an_image",
            IssueKind::Index => "index",
            IssueKind::Unreadable => "unreadable",
        }
    }
}

/// Whether a presentation was lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Nothing known to be a presentation was lost: the sample is loaded, possibly with less information
    /// (species `unknown`, no face box, ...), or what was skipped is not an image.
    Warning,
    /// An input that should have been a sample is not loaded.
    Error,
}

/// Ordered by kind, severity, location, message: the order reports list them in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Issue {
    pub kind: IssueKind,
    pub severity: Severity,
    /// Where: `manifest.csv:12`, a folder `spoof/`, or a sample path.
    pub location: String,
    /// What was found and how to fix it.
    pub message: String,
}

impl Issue {
    pub fn warning(kind: IssueKind, location: impl Into<String>, message: impl Into<String>) -> Issue {
        Issue { kind, severity: Severity::Warning, location: location.into(), message: message.into() }
    }

    pub fn error(kind: IssueKind, location: impl Into<String>, message: impl Into<String>) -> Issue {
        Issue { kind, severity: Severity::Error, location: location.into(), message: message.into() }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{severity} [{}] {}: {}", self.kind.as_str(), self.location, self.message)
    }
}
