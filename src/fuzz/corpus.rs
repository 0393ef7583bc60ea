//! The corpus folder: every failing input saved as a small self-describing JSON file (the rule
//! and finding, the case and seeds, each request's method path and body in base64), which
//! `lpconform replay FILE` resends.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::families::FuzzInput;
use super::live::FuzzFinding;

/// The `format` every finding file declares.
pub const FORMAT: &str = "lpconform-fuzz-finding";
/// Bumped when a field changes meaning; older readers refuse newer files.
pub const FORMAT_VERSION: u32 = 1;

/// A finding file, as written and read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingFile {
    pub format: String,
    pub format_version: u32,
    pub rule: String,
    pub severity: String,
    /// `family#index`, or `batch-N` when no single case reproduced the finding alone.
    pub case: String,
    pub family: String,
    /// The run's seed: `lpconform fuzz --seed SEED` makes the same cases.
    pub seed: u64,
    /// What was fuzzed: the target URL, or `embedded` and the embedded orchestrator's flags.
    pub target: String,
    /// The finding: where, what was expected, what was seen.
    pub path: String,
    pub expected: String,
    pub actual: String,
    /// Sent in this order, each followed by a well-formed GetOrchestrator.
    pub requests: Vec<SavedRequest>,
}

/// One request of a finding file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedRequest {
    pub case: String,
    pub family: String,
    pub case_seed: u64,
    /// The HTTP/2 `:path`, e.g. `/net.Orchestrator/Ping`.
    pub method: String,
    pub body_len: usize,
    pub body_base64: String,
}

/// Why a finding file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("cannot write {}: {problem}", path.display())]
    Write { path: PathBuf, problem: String },
    #[error("{}: {problem}", path.display())]
    Read { path: PathBuf, problem: String },
}

impl FindingFile {
    pub fn new(found: &FuzzFinding, seed: u64, target: &str) -> Self {
        Self {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            rule: found.rule.id.to_string(),
            severity: found.rule.severity.to_string(),
            case: found.case.clone(),
            family: found.family.clone(),
            seed,
            target: target.to_string(),
            path: found.finding.path.clone(),
            expected: found.finding.expected.clone(),
            actual: found.finding.actual.clone(),
            requests: found
                .inputs
                .iter()
                .map(|input| SavedRequest {
                    case: input.case.clone(),
                    family: input.family.clone(),
                    case_seed: input.case_seed,
                    method: input.path.clone(),
                    body_len: input.body.len(),
                    body_base64: BASE64.encode(&input.body),
                })
                .collect(),
        }
    }

    /// `RPC-006-end-session-token-2-seed42.json`: rule, case and seed, so runs do not collide.
    pub fn file_name(&self) -> String {
        let case: String = (self.case.chars())
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' })
            .collect();
        format!("{}-{case}-seed{}.json", self.rule, self.seed)
    }

    /// The requests to resend.
    pub fn inputs(&self) -> Result<Vec<FuzzInput>, String> {
        self.requests
            .iter()
            .enumerate()
            .map(|(position, request)| {
                let body = BASE64
                    .decode(&request.body_base64)
                    .map_err(|error| format!("requests[{position}].body_base64: not base64: {error}"))?;
                if body.len() != request.body_len {
                    return Err(format!(
                        "requests[{position}]: body_len says {} bytes, body_base64 holds {}",
                        request.body_len,
                        body.len()
                    ));
                }
                if !request.method.starts_with('/') {
                    return Err(format!(
                        "requests[{position}].method: {:?} is not an HTTP/2 path such as /net.Orchestrator/Ping",
                        request.method
                    ));
                }
                Ok(FuzzInput {
                    case: request.case.clone(),
                    family: request.family.clone(),
                    case_seed: request.case_seed,
                    path: request.method.clone(),
                    body: Bytes::from(body),
                })
            })
            .collect()
    }
}

/// Writes `file` into `directory` (made if missing) and returns its path.
pub fn save(directory: &Path, file: &FindingFile) -> Result<PathBuf, CorpusError> {
    let path = directory.join(file.file_name());
    let problem = |problem: String| CorpusError::Write {
        path: path.clone(),
        problem,
    };
    std::fs::create_dir_all(directory).map_err(|error| problem(error.to_string()))?;
    let mut text = serde_json::to_string_pretty(file).map_err(|error| problem(error.to_string()))?;
    text.push('\n');
    std::fs::write(&path, text).map_err(|error| problem(error.to_string()))?;
    Ok(path)
}

/// Reads a finding file; errors say where in it the problem is.
pub fn load(path: &Path) -> Result<(FindingFile, Vec<FuzzInput>), CorpusError> {
    let problem = |problem: String| CorpusError::Read {
        path: path.to_path_buf(),
        problem,
    };
    let text = crate::input_file::read_input_file(path).map_err(problem)?;
    let file: FindingFile = serde_json::from_str(&text).map_err(|error| problem(error.to_string()))?;
    if file.format != FORMAT {
        return Err(problem(format!(
            "format is {:?}, expected {FORMAT:?}: not a finding file of lpconform fuzz",
            file.format
        )));
    }
    if file.format_version != FORMAT_VERSION {
        return Err(problem(format!(
            "format_version {} is not {FORMAT_VERSION}, the version this lpconform reads",
            file.format_version
        )));
    }
    if file.requests.is_empty() {
        return Err(problem("requests is empty: nothing to replay".to_string()));
    }
    let inputs = file.inputs().map_err(problem)?;
    Ok((file, inputs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{rule, Finding};

    fn finding() -> FuzzFinding {
        FuzzFinding {
            rule: rule("RPC-006").unwrap(),
            finding: Finding::new("end-session-token#2.message", "no internals", "panicked at src/x.rs:1"),
            case: "end-session-token#2".into(),
            family: "end-session-token".into(),
            inputs: vec![FuzzInput {
                case: "end-session-token#2".into(),
                family: "end-session-token".into(),
                case_seed: u64::MAX,
                path: "/net.Orchestrator/EndTranscodingSession".into(),
                body: Bytes::from_static(&[0x0a, 0x02, 0x0a, 0x00, 0xff]),
            }],
        }
    }

    #[test]
    fn files_round_trip() {
        let directory = tempfile::tempdir().unwrap();
        let file = FindingFile::new(&finding(), 42, "https://127.0.0.1:8935");
        let path = save(&directory.path().join("nested"), &file).unwrap();
        assert!(path.ends_with("RPC-006-end-session-token-2-seed42.json"), "{path:?}");
        let (loaded, inputs) = load(&path).unwrap();
        assert_eq!(loaded, file);
        assert_eq!(inputs, finding().inputs);
    }

    #[test]
    fn damaged_files_are_refused_with_the_reason() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("bad.json");
        let mut file = FindingFile::new(&finding(), 1, "embedded");
        file.requests[0].body_len = 4;
        std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
        let error = load(&path).unwrap_err().to_string();
        assert!(error.contains("body_len says 4 bytes"), "{error}");
        std::fs::write(&path, "{\"format\": 1}").unwrap();
        let error = load(&path).unwrap_err().to_string();
        assert!(error.contains("bad.json") && error.contains("line 1"), "{error}");
        file.requests[0].body_len = 5;
        file.format_version = 2;
        std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
        assert!(load(&path).unwrap_err().to_string().contains("format_version 2"));
    }
}
