//! Snapshot expectations: the normalized, redacted view of an answer, pinned
//! in a file per target profile and compared on every run. Files use insta's
//! `.snap` format, so `cargo insta review` accepts or rejects the `.snap.new`
//! files a changed run leaves behind.

use std::path::{Path, PathBuf};

use serde_norway::{Mapping, Value};

use crate::capability;
use crate::input_file::read_input_file;
use crate::observe::NewerField;
use crate::proto::net::OrchestratorInfo;
use crate::view::InfoView;

/// Stands in for values that change every call or with load.
pub const VARIABLE: &str = "[variable]";
/// Stands in for the address the harness dialled.
pub const TARGET: &str = "[target]";

/// The snapshot text of an answer: the readable view with per-call values
/// (session, ticket randomness, expirations), AI prices and live capacities
/// replaced, since the capability matrix treats those as variable while
/// transcoding prices are exact.
pub fn snapshot_view(info: &OrchestratorInfo, newer: &[NewerField], target: &str) -> String {
    let mut view = serde_norway::to_value(InfoView::with_newer_fields(info, newer)).unwrap_or(Value::Null);
    if view.get("transcoder").and_then(Value::as_str) == Some(target) {
        set(&mut view, &["transcoder"], TARGET);
    }
    for field in ["session_id", "expiration"] {
        set(&mut view, &["auth_token", field], VARIABLE);
    }
    for field in [
        "seed",
        "recipient_rand_hash",
        "expiration_block",
        "creation_round",
        "creation_round_block_hash",
    ] {
        set(&mut view, &["ticket_params", field], VARIABLE);
    }
    if let Some(Value::Sequence(prices)) = view.get_mut("capabilities_prices") {
        for price in prices {
            set(price, &["wei_per_pixel"], VARIABLE);
        }
    }
    if let Some(Value::Mapping(capacities)) = view.get_mut("capabilities").and_then(|c| c.get_mut("capacities")) {
        for (label, capacity) in capacities.iter_mut() {
            if label.as_str().is_some_and(is_ai_label) {
                *capacity = Value::from(VARIABLE);
            }
        }
    }
    if let Some(Value::Mapping(pipelines)) = view.get_mut("capabilities").and_then(|c| c.get_mut("models")) {
        for models in pipelines.values_mut().filter_map(Value::as_mapping_mut) {
            for model in models.values_mut() {
                set(model, &["capacity_in_use"], VARIABLE);
            }
        }
    }
    if let Some(Value::Sequence(hardware)) = view.get_mut("hardware") {
        for gpus in hardware
            .iter_mut()
            .filter_map(|entry| entry.get_mut("gpus"))
            .filter_map(Value::as_mapping_mut)
        {
            for gpu in gpus.values_mut() {
                set(gpu, &["memory_free"], VARIABLE);
            }
        }
    }
    serde_norway::to_string(&view).unwrap_or_else(|error| format!("# view could not be rendered: {error}\n"))
}

/// Capability labels read `name (number)`.
fn is_ai_label(label: &str) -> bool {
    let number = label.rsplit_once('(').and_then(|(_, rest)| rest.strip_suffix(')'));
    number
        .and_then(|number| number.parse::<u32>().ok())
        .and_then(capability::lookup)
        .is_some_and(|known| known.is_ai())
}

/// Replaces the value at `path` when it exists.
fn set(value: &mut Value, path: &[&str], replacement: &str) {
    let mut current = value;
    for key in path {
        match current.get_mut(*key) {
            Some(next) => current = next,
            None => return,
        }
    }
    if !current.is_null() {
        *current = Value::from(replacement);
    }
}

/// What comparing a case's answer with its snapshot found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotStatus {
    Matched,
    /// Written because of `--update-snapshots`.
    Recorded,
    /// No snapshot exists for this profile yet; a `.snap.new` was left for review.
    Missing,
    /// Differs from the recorded one; the unified diff, recorded first.
    Changed {
        diff: String,
    },
    /// The recorded snapshot exists but cannot be read (permissions, not UTF-8, too large, not a
    /// regular file), or `--update-snapshots` cannot write it: a problem of the run, which
    /// judges nothing of the orchestrator (exit 2).
    Unreadable {
        problem: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotCheck {
    pub name: String,
    pub path: PathBuf,
    pub status: SnapshotStatus,
}

impl SnapshotCheck {
    /// Whether the check failed on lpconform's side (a harness error), not on the answer.
    pub fn unreadable(&self) -> bool {
        matches!(self.status, SnapshotStatus::Unreadable { .. })
    }
}

/// Snapshots of one target profile: `<suites>/snapshots/<profile>/<suite>__<name>.snap`.
#[derive(Debug, Clone)]
pub struct SnapshotStore {
    pub directory: PathBuf,
    /// Record instead of compare.
    pub update: bool,
    /// What a recorded file's header names besides its case: the profile, and the protocol and
    /// OpenAPI files the run used, so a reviewer knows what the snapshot was taken against.
    pub info: Mapping,
}

/// A profile name (`--profile`) as given, when it names one directory inside the snapshots
/// directory: not empty, `.` or `..`, and without a path separator, so `--update-snapshots` never
/// writes outside that directory.
pub fn profile_name(name: &str) -> Result<String, String> {
    let one_directory = !matches!(name, "" | "." | "..") && !name.contains(['/', '\\', '\0']);
    if one_directory {
        Ok(name.to_string())
    } else {
        Err(
            "a profile names one directory inside the snapshots directory: not empty, `.` or `..`, \
             and without `/` or `\\`"
                .into(),
        )
    }
}

impl SnapshotStore {
    pub fn new(suites: &Path, profile: &str, update: bool) -> Self {
        Self::under(&suites.join("snapshots"), profile, update)
    }

    /// Snapshots kept apart from the suites (`--snapshots DIR`), e.g. those a release
    /// pipeline recorded for the previous release: `<root>/<profile>/<suite>__<name>.snap`.
    pub fn under(root: &Path, profile: &str, update: bool) -> Self {
        let mut info = Mapping::new();
        info.insert("profile".into(), profile.into());
        Self {
            directory: root.join(profile),
            update,
            info,
        }
    }

    /// Names the protocol and OpenAPI document of the run in recorded headers.
    pub fn with_sources(mut self, proto: &str, openapi: &str) -> Self {
        self.info.insert("proto".into(), proto.into());
        self.info.insert("openapi".into(), openapi.into());
        self
    }

    /// Compares `content` with the snapshot named `suite__name`, or records it.
    pub fn check(&self, suite: &str, name: &str, expression: &str, content: &str) -> SnapshotCheck {
        let file_name = format!("{suite}__{name}");
        let path = self.directory.join(format!("{file_name}.snap"));
        let pending = self.directory.join(format!("{file_name}.snap.new"));
        let status = if self.update {
            match write(&path, expression, &self.info, content) {
                Ok(()) => {
                    let _ = std::fs::remove_file(&pending);
                    SnapshotStatus::Recorded
                }
                Err(error) => SnapshotStatus::Unreadable {
                    problem: format!("cannot record {}: {error}", path.display()),
                },
            }
        } else {
            match read_input_file(&path) {
                Err(_) if !path.exists() => {
                    let _ = write(&pending, expression, &self.info, content);
                    SnapshotStatus::Missing
                }
                Err(problem) => SnapshotStatus::Unreadable {
                    problem: format!("{}: {problem}", path.display()),
                },
                Ok(recorded) if body(&recorded) == content => {
                    let _ = std::fs::remove_file(&pending);
                    SnapshotStatus::Matched
                }
                Ok(recorded) => {
                    let _ = write(&pending, expression, &self.info, content);
                    SnapshotStatus::Changed {
                        diff: unified_diff(body(&recorded), content),
                    }
                }
            }
        };
        SnapshotCheck {
            name: name.to_string(),
            path,
            status,
        }
    }
}

/// insta's layout: a YAML header between `---` lines, then the snapshot.
fn write(path: &Path, expression: &str, info: &Mapping, content: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut header = Mapping::new();
    header.insert("source".into(), "lpconform run".into());
    header.insert("expression".into(), expression.into());
    header.insert("info".into(), info.clone().into());
    let header = serde_norway::to_string(&header).unwrap_or_default();
    std::fs::write(path, format!("---\n{header}---\n{content}"))
}

/// The snapshot without its header.
fn body(file: &str) -> &str {
    file.strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map_or(file, |(_, body)| body)
}

fn unified_diff(recorded: &str, current: &str) -> String {
    similar::TextDiff::from_lines(recorded, current)
        .unified_diff()
        .context_radius(2)
        .header("recorded", "current")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::net::{AuthToken, PriceInfo};

    #[test]
    fn a_profile_is_one_directory_inside_the_snapshots_directory() {
        for good in ["orch.example-8935", "release 0.9.1", "..hidden", "a..b"] {
            assert_eq!(profile_name(good).as_deref(), Ok(good));
        }
        for bad in ["", ".", "..", "../../escape", "a/b", "/etc", "a\\b", "a\0b"] {
            assert!(profile_name(bad).is_err(), "{bad:?}");
        }
    }

    fn info() -> OrchestratorInfo {
        OrchestratorInfo {
            transcoder: "https://127.0.0.1:40000".into(),
            price_info: Some(PriceInfo {
                price_per_unit: 1000,
                pixels_per_unit: 1,
                ..Default::default()
            }),
            capabilities_prices: vec![PriceInfo {
                price_per_unit: 7,
                pixels_per_unit: 1,
                capability: 33,
                constraint: "model".into(),
            }],
            auth_token: Some(AuthToken {
                token: b"very secret".to_vec(),
                session_id: "session-1".into(),
                expiration: 1_900_000_000,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn per_call_values_and_ai_prices_are_variable_transcoding_prices_exact() {
        let view = snapshot_view(&info(), &[], "https://127.0.0.1:40000");
        assert!(view.contains("transcoder: '[target]'"), "{view}");
        assert!(view.contains("wei_per_pixel: 1000/1"), "{view}");
        assert!(!view.contains("7/1"), "{view}");
        assert!(!view.contains("session-1") && !view.contains("1900000000"), "{view}");
        assert!(!view.contains("very secret"), "{view}");
    }

    #[test]
    fn records_matches_and_reports_changes_with_a_diff() {
        let dir = tempfile::tempdir().unwrap();
        let recorder = SnapshotStore::new(dir.path(), "profile", true);
        let checker = SnapshotStore::new(dir.path(), "profile", false);
        assert_eq!(
            checker.check("s", "n", "s::n", "a: 1\n").status,
            SnapshotStatus::Missing
        );
        assert!(dir.path().join("snapshots/profile/s__n.snap.new").exists());
        assert_eq!(
            recorder.check("s", "n", "s::n", "a: 1\n").status,
            SnapshotStatus::Recorded
        );
        assert!(!dir.path().join("snapshots/profile/s__n.snap.new").exists());
        assert_eq!(
            checker.check("s", "n", "s::n", "a: 1\n").status,
            SnapshotStatus::Matched
        );
        let SnapshotStatus::Changed { diff } = checker.check("s", "n", "s::n", "a: 2\n").status else {
            panic!("a change must be reported");
        };
        assert!(diff.contains("-a: 1") && diff.contains("+a: 2"), "{diff}");
        let file = std::fs::read_to_string(dir.path().join("snapshots/profile/s__n.snap")).unwrap();
        assert!(
            file.starts_with("---\nsource: lpconform run\nexpression: s::n\ninfo:\n  profile: profile\n---\na: 1\n"),
            "{file}"
        );
    }

    #[test]
    fn a_snapshot_that_cannot_be_read_or_recorded_is_a_problem_of_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let checker = SnapshotStore::new(dir.path(), "profile", false);
        let profile = dir.path().join("snapshots/profile");
        std::fs::create_dir_all(&profile).unwrap();
        std::fs::write(profile.join("s__n.snap"), b"---\n---\na: \xff\n").unwrap();
        let SnapshotStatus::Unreadable { problem } = checker.check("s", "n", "s::n", "a: 1\n").status else {
            panic!("a snapshot that is not UTF-8 is not a change of the orchestrator's answer");
        };
        assert!(problem.contains("s__n.snap: cannot read: not UTF-8 text"), "{problem}");
        std::fs::remove_file(profile.join("s__n.snap")).unwrap();
        std::fs::create_dir(profile.join("s__n.snap")).unwrap();
        let recorder = SnapshotStore::new(dir.path(), "profile", true);
        let SnapshotStatus::Unreadable { problem } = recorder.check("s", "n", "s::n", "a: 1\n").status else {
            panic!("a snapshot that cannot be written is not a change of the orchestrator's answer");
        };
        assert!(problem.starts_with("cannot record "), "{problem}");
    }

    #[test]
    fn the_header_names_the_files_the_run_used_and_is_not_compared() {
        let dir = tempfile::tempdir().unwrap();
        let recorder = SnapshotStore::new(dir.path(), "p", true).with_sources("proto/lp_rpc.proto", "openapi/o.yaml");
        recorder.check("s", "n", "s::n", "a: 1\n");
        let file = std::fs::read_to_string(dir.path().join("snapshots/p/s__n.snap")).unwrap();
        assert!(
            file.contains("info:\n  profile: p\n  proto: proto/lp_rpc.proto\n  openapi: openapi/o.yaml\n---\n"),
            "{file}"
        );
        let elsewhere = SnapshotStore::new(dir.path(), "p", false).with_sources("built-in lp_rpc.proto", "x.yaml");
        assert_eq!(
            elsewhere.check("s", "n", "s::n", "a: 1\n").status,
            SnapshotStatus::Matched
        );
    }
}
