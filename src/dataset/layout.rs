//! Folder layout patterns (`--layout '{label}/{attack_type}/{device}/**'`): which folder level of a dataset
//! holds the label, the attack type and metadata.
//!
//! A pattern describes folders only; the image's file name is never part of it. Segments:
//! `{label}` (required, once), `{attack_type}` (at most once, after `{label}`; bona fide trees have no such
//! level, so it is skipped for them), `{name}` (folder name becomes metadata column `name`), `*` (one folder,
//! ignored), `**` (any deeper folders, last only) and literal names (must match exactly, so they filter).

use std::collections::BTreeMap;

use anyhow::{Result, bail, ensure};

use super::{Issue, IssueKind, Label};

/// The layout used without `--layout`: label folders, attack-type folders under the attack label, and
/// anything deeper recursed into but not read.
pub const DEFAULT_LAYOUT: &str = "{label}/{attack_type}/**";

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Label,
    AttackType,
    Meta(String),
    Any,
    Rest,
    Literal(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    segments: Vec<Segment>,
}

/// Where an image sits according to a layout.
#[derive(Debug, PartialEq, Eq)]
pub struct Placement {
    pub label: Label,
    /// `None` for attacks with no attack-type folder (a warning is in `notes`); always `None` for bona fide.
    pub species: Option<String>,
    pub meta: BTreeMap<String, String>,
    /// Warnings about this image, located at its folder and worded for many images at once.
    pub notes: Vec<Issue>,
}

impl Layout {
    pub fn parse(text: &str) -> Result<Layout> {
        let mut segments = Vec::new();
        for part in text.trim().trim_matches('/').split('/') {
            let segment = parse_segment(part).map_err(|e| anyhow::anyhow!("layout `{text}`: {e}"))?;
            ensure!(
                !segments.contains(&segment) || matches!(segment, Segment::Any | Segment::Literal(_)),
                "layout `{text}`: `{part}` appears twice"
            );
            ensure!(!segments.contains(&Segment::Rest), "layout `{text}`: `**` must be the last segment");
            ensure!(
                segment != Segment::AttackType || segments.contains(&Segment::Label),
                "layout `{text}`: `{{attack_type}}` must come after `{{label}}` (bona fide trees have no attack-type level)"
            );
            segments.push(segment);
        }
        ensure!(segments.contains(&Segment::Label), "layout `{text}` has no `{{label}}` segment: it is required");
        Ok(Layout { segments })
    }

    /// Places an image given its folders (`dirs`, from the dataset root, file name excluded). The error is
    /// an issue saying why the image is not loaded, located at the folder where the layout stopped fitting.
    pub fn place(&self, dirs: &[&str]) -> Result<Placement, Issue> {
        let mut label = None;
        let mut placement =
            Placement { label: Label::BonaFide, species: None, meta: BTreeMap::new(), notes: Vec::new() };
        let mut depth = 0;
        for (k, segment) in self.segments.iter().enumerate() {
            if *segment == Segment::AttackType && label == Some(Label::BonaFide) {
                continue;
            }
            if *segment == Segment::Rest {
                depth = dirs.len();
                break;
            }
            let Some(&dir) = dirs.get(depth) else {
                if label.is_none() {
                    return Err(misfit(IssueKind::UnknownLabel, dirs, "images here are above any label folder", ""));
                }
                note_unreached(&self.segments[k..], dirs, &mut placement.notes)?;
                break;
            };
            let folder = &dirs[..=depth];
            match segment {
                Segment::Label => {
                    label = Some(Label::parse(dir).ok_or_else(|| {
                        let message = format!("folder `{dir}` is not a known label ({})", Label::accepted());
                        misfit(IssueKind::UnknownLabel, folder, &message, "rename it, or list its images in a manifest")
                    })?);
                }
                Segment::AttackType => placement.species = Some(dir.to_owned()),
                Segment::Meta(name) => {
                    placement.meta.insert(name.clone(), dir.to_owned());
                }
                Segment::Literal(want) if want != dir => {
                    let message = format!("folder `{dir}` is where the layout wants `{want}`");
                    return Err(misfit(IssueKind::LayoutMismatch, folder, &message, "fix --layout if they belong"));
                }
                Segment::Literal(_) | Segment::Any | Segment::Rest => {}
            }
            depth += 1;
        }
        if depth < dirs.len() {
            let message = "images here are deeper than the layout";
            return Err(misfit(
                IssueKind::LayoutMismatch,
                &dirs[..depth],
                message,
                "end --layout with `/**` to accept them",
            ));
        }
        // `{label}` is required and precedes `**`, so the loop has either read it or returned.
        placement.label = label.ok_or_else(|| misfit(IssueKind::UnknownLabel, dirs, "no label folder", ""))?;
        if placement.label == Label::Attack && placement.species.is_none() {
            placement.notes.push(Issue::warning(
                IssueKind::UnknownAttackType,
                folder_location(dirs),
                "attack images with no attack-type folder above them: species `unknown`; move them into a folder \
                 named after their attack type, at the `{attack_type}` level of the layout",
            ));
        }
        Ok(placement)
    }
}

/// The image's folders ended before the layout did: placeholders left get no value (a warning; a missing
/// attack type is reported with the other attacks that have none), a literal left means the image is
/// outside what the layout selects.
fn note_unreached(rest: &[Segment], dirs: &[&str], notes: &mut Vec<Issue>) -> Result<(), Issue> {
    for segment in rest {
        match segment {
            Segment::Literal(want) => {
                let message = format!("images here are above the `{want}` folder of the layout");
                return Err(misfit(IssueKind::LayoutMismatch, dirs, &message, "fix --layout if they belong"));
            }
            Segment::Meta(name) => notes.push(Issue::warning(
                IssueKind::LayoutMismatch,
                folder_location(dirs),
                format!("images here are above the `{{{name}}}` level of the layout: no `{name}` value"),
            )),
            Segment::AttackType | Segment::Label | Segment::Any | Segment::Rest => {}
        }
    }
    Ok(())
}

fn parse_segment(part: &str) -> Result<Segment> {
    let segment = match part {
        "" => bail!("empty segment (`//`)"),
        "*" => Segment::Any,
        "**" => Segment::Rest,
        "{label}" => Segment::Label,
        "{attack_type}" => Segment::AttackType,
        _ => match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => {
                ensure!(
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "`{part}`: a placeholder name is letters, digits and `_`"
                );
                Segment::Meta(name.to_owned())
            }
            None => {
                ensure!(
                    !part.contains(['{', '}', '*']),
                    "`{part}`: placeholders and `*` must be whole segments (between `/`)"
                );
                Segment::Literal(part.to_owned())
            }
        },
    };
    Ok(segment)
}

/// An issue for an image the layout does not place, worded for every image of the folder.
fn misfit(kind: IssueKind, folder: &[&str], what: &str, fix: &str) -> Issue {
    let message = if fix.is_empty() { format!("{what}; not loaded") } else { format!("{what}; not loaded: {fix}") };
    Issue::error(kind, folder_location(folder), message)
}

/// `a/b/` for folders `[a, b]`, `./` for the dataset root.
fn folder_location(folder: &[&str]) -> String {
    if folder.is_empty() { "./".to_owned() } else { format!("{}/", folder.join("/")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(layout: &str, path: &str) -> Result<Placement, Issue> {
        let dirs: Vec<&str> = path.split('/').collect();
        Layout::parse(layout).unwrap().place(&dirs[..dirs.len() - 1])
    }

    #[test]
    fn default_is_label_then_attack_type_then_anything() {
        let live = place(DEFAULT_LAYOUT, "live/s1/deep/a.jpg").unwrap();
        assert_eq!((live.label, live.species, live.notes.len()), (Label::BonaFide, None, 0));
        let attack = place(DEFAULT_LAYOUT, "spoof/print/deep/a.jpg").unwrap();
        assert_eq!((attack.label, attack.species.as_deref(), attack.notes.len()), (Label::Attack, Some("print"), 0));
    }

    #[test]
    fn placeholders_become_metadata_and_bona_fide_skips_attack_type() {
        let layout = "{label}/{attack_type}/{device}/*/**";
        let attack = place(layout, "spoof/replay/phone/ignored/x/a.jpg").unwrap();
        assert_eq!(attack.species.as_deref(), Some("replay"));
        assert_eq!(attack.meta, BTreeMap::from([("device".to_owned(), "phone".to_owned())]));
        let live = place(layout, "real/laptop/ignored/a.jpg").unwrap();
        assert_eq!((live.label, live.meta["device"].as_str()), (Label::BonaFide, "laptop"));
    }

    #[test]
    fn shallow_images_are_kept_with_warnings() {
        let attack = place(DEFAULT_LAYOUT, "spoof/a.jpg").unwrap();
        assert_eq!((attack.species, attack.notes[0].kind), (None, IssueKind::UnknownAttackType));
        assert_eq!(attack.notes[0].location, "spoof/");
        let live = place("{label}/{attack_type}/{device}/**", "live/a.jpg").unwrap();
        assert_eq!(live.notes.len(), 1);
        assert!(live.notes[0].message.contains("no `device` value"), "{}", live.notes[0].message);
    }

    #[test]
    fn attacks_without_attack_type_level_are_unknown() {
        let attack = place("{label}/{subject}/**", "fake/s01/a.jpg").unwrap();
        assert_eq!((attack.species, attack.notes[0].kind), (None, IssueKind::UnknownAttackType));
    }

    #[test]
    fn misfits_say_where_and_why() {
        let unknown = place(DEFAULT_LAYOUT, "Live2/x/a.jpg").unwrap_err();
        assert_eq!((unknown.kind, unknown.location.as_str()), (IssueKind::UnknownLabel, "Live2/"));
        assert!(unknown.message.contains("`Live2` is not a known label"));
        let top = place(DEFAULT_LAYOUT, "a.jpg").unwrap_err();
        assert_eq!((top.kind, top.location.as_str()), (IssueKind::UnknownLabel, "./"));
        let literal = place("{label}/*/frames/**", "live/s1/crops/a.jpg").unwrap_err();
        assert_eq!((literal.kind, literal.location.as_str()), (IssueKind::LayoutMismatch, "live/s1/crops/"));
        let above_literal = place("{label}/*/frames/**", "live/s1/a.jpg").unwrap_err();
        assert!(above_literal.message.contains("above the `frames` folder"));
        let deep = place("{label}/{attack_type}", "spoof/print/more/a.jpg").unwrap_err();
        assert_eq!((deep.kind, deep.location.as_str()), (IssueKind::LayoutMismatch, "spoof/print/"));
        assert!(deep.message.contains("/**"));
    }

    #[test]
    fn bad_patterns_are_refused_with_the_reason() {
        for (pattern, reason) in [
            ("{device}/**", "no `{label}`"),
            ("", "empty segment"),
            ("{label}//x", "empty segment"),
            ("{label}/**/{device}", "`**` must be the last"),
            ("{attack_type}/{label}", "must come after `{label}`"),
            ("{label}/{d}/{d}", "appears twice"),
            ("{label}/{a b}", "letters, digits"),
            ("{label}/img*", "whole segments"),
            ("{label}/{device", "whole segments"),
        ] {
            let err = Layout::parse(pattern).unwrap_err().to_string();
            assert!(err.contains(reason), "`{pattern}`: {err}");
        }
        assert!(Layout::parse("/{label}/*/*/").is_ok());
    }
}
