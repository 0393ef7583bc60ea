//! The corpus folder: every failing input saved as a small self-describing JSON file (the rule
//! and finding, the case and seeds, each request's method path and body in base64, a long
//! trailing run of one byte as the byte and its count), which `lpconform replay FILE` resends.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::families::FuzzInput;
use super::live::FuzzFinding;
use crate::escape::json_pretty;
use crate::input_file::MAX_INPUT_FILE_BYTES;
use crate::transport::GRPC_MESSAGE_LIMIT;

/// The `format` every finding file declares.
pub const FORMAT: &str = "lpconform-fuzz-finding";
/// Bumped when a field is added or changes meaning; older readers refuse newer files. Version 2
/// added `body_fill`: a file is written as version 1 when no request has one, so that older
/// readers still read it.
pub const FORMAT_VERSION: u32 = 2;

/// A trailing run of one byte at least this long is saved as `body_fill`, not in base64.
const FILL_AT_LEAST: usize = 64 * 1024;
/// The largest body a file may hold: the largest the oversized family makes.
const MAX_BODY_BYTES: usize = 2 * GRPC_MESSAGE_LIMIT;
/// The most body bytes a file may hold in all, so that replaying one, whatever counts its fills
/// claim, holds a bounded amount in memory.
const MAX_BODY_BYTES_IN_ALL: usize = 256 << 20;

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
    /// The whole body's length, `body_fill` included.
    pub body_len: usize,
    pub body_base64: String,
    /// What follows the base64 bytes: an oversized body is 4 to 8 MiB of one byte, which in
    /// base64 would make a file larger than `lpconform replay` reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_fill: Option<BodyFill>,
}

/// `count` times `byte`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodyFill {
    pub byte: u8,
    pub count: usize,
}

/// Why a finding file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("cannot write {}: {problem}", path.display())]
    Write { path: PathBuf, problem: String },
    #[error("{}: {problem}", path.display())]
    Read { path: PathBuf, problem: String },
    /// Not written: `lpconform replay` would refuse it (a batch of many large cases).
    #[error("not saved: {problem}")]
    TooLarge { problem: String },
}

impl FindingFile {
    pub fn new(found: &FuzzFinding, seed: u64, target: &str) -> Self {
        let requests: Vec<SavedRequest> = (found.inputs.iter())
            .map(|input| {
                let (encoded, body_fill) = split_fill(&input.body);
                SavedRequest {
                    case: input.case.clone(),
                    family: input.family.clone(),
                    case_seed: input.case_seed,
                    method: input.path.clone(),
                    body_len: input.body.len(),
                    body_base64: BASE64.encode(encoded),
                    body_fill,
                }
            })
            .collect();
        let has_fills = requests.iter().any(|request| request.body_fill.is_some());
        Self {
            format: FORMAT.to_string(),
            format_version: if has_fills { FORMAT_VERSION } else { 1 },
            rule: found.rule.id.to_string(),
            severity: found.rule.severity.to_string(),
            case: found.case.clone(),
            family: found.family.clone(),
            seed,
            target: target.to_string(),
            path: found.finding.path.clone(),
            expected: found.finding.expected.clone(),
            actual: found.finding.actual.clone(),
            requests,
        }
    }

    /// `RPC-006-end-session-token-2-seed42.json`: rule, case and seed, so runs do not collide.
    pub fn file_name(&self) -> String {
        let case: String = (self.case.chars())
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' })
            .collect();
        format!("{}-{case}-seed{}.json", self.rule, self.seed)
    }

    /// The requests to resend; their sizes are checked before any body is made.
    pub fn inputs(&self) -> Result<Vec<FuzzInput>, String> {
        check_sizes(&self.requests)?;
        self.requests
            .iter()
            .enumerate()
            .map(|(position, request)| {
                let mut body = BASE64
                    .decode(&request.body_base64)
                    .map_err(|error| format!("requests[{position}].body_base64: not base64: {error}"))?;
                let fill = request.body_fill.map_or(0, |fill| fill.count);
                if body.len().checked_add(fill) != Some(request.body_len) {
                    return Err(format!(
                        "requests[{position}]: body_len says {} bytes, body_base64 holds {} and body_fill {fill}",
                        request.body_len,
                        body.len()
                    ));
                }
                if let Some(BodyFill { byte, count }) = request.body_fill {
                    if self.format_version < 2 {
                        return Err(format!(
                            "requests[{position}].body_fill: a version 2 field in a format_version {} file",
                            self.format_version
                        ));
                    }
                    body.resize(body.len() + count, byte);
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

/// Bounds the bodies `requests` would make, before any is made: each no larger than the
/// fuzzer makes, and a bounded amount in all.
fn check_sizes(requests: &[SavedRequest]) -> Result<(), String> {
    let mut in_all = 0usize;
    for (position, request) in requests.iter().enumerate() {
        if request.body_len > MAX_BODY_BYTES {
            return Err(format!(
                "requests[{position}].body_len: {} bytes, more than the {} MiB of the largest body lpconform fuzz makes",
                request.body_len,
                MAX_BODY_BYTES >> 20
            ));
        }
        in_all += request.body_len;
        if in_all > MAX_BODY_BYTES_IN_ALL {
            return Err(format!(
                "requests[{position}]: the bodies up to here are {} MiB, more than the {} MiB a finding file may hold",
                in_all.div_ceil(1 << 20),
                MAX_BODY_BYTES_IN_ALL >> 20
            ));
        }
    }
    Ok(())
}

/// `body` as the bytes to write in base64 and, when it ends in a long run of one byte, that run.
fn split_fill(body: &[u8]) -> (&[u8], Option<BodyFill>) {
    let Some(&byte) = body.last() else {
        return (body, None);
    };
    let count = body.iter().rev().take_while(|&&each| each == byte).count();
    if count < FILL_AT_LEAST {
        return (body, None);
    }
    (&body[..body.len() - count], Some(BodyFill { byte, count }))
}

/// Writes `file` into `directory` (made if missing) and returns its path; a file larger than
/// [`load`] reads is not written.
pub fn save(directory: &Path, file: &FindingFile) -> Result<PathBuf, CorpusError> {
    let path = directory.join(file.file_name());
    let problem = |problem: String| CorpusError::Write {
        path: path.clone(),
        problem,
    };
    check_sizes(&file.requests).map_err(|problem| CorpusError::TooLarge { problem })?;
    // The finding's `actual` is the target's text: carried as `\u` escapes, never raw.
    let mut text = json_pretty(file).map_err(|error| problem(error.to_string()))?;
    text.push('\n');
    if text.len() as u64 > MAX_INPUT_FILE_BYTES {
        return Err(CorpusError::TooLarge {
            problem: format!(
                "its {} requests are {} MiB of file, more than the {} MiB replay reads",
                file.requests.len(),
                text.len().div_ceil(1 << 20),
                MAX_INPUT_FILE_BYTES >> 20
            ),
        });
    }
    std::fs::create_dir_all(directory).map_err(|error| problem(error.to_string()))?;
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
    if !(1..=FORMAT_VERSION).contains(&file.format_version) {
        return Err(problem(format!(
            "format_version {} is not 1 to {FORMAT_VERSION}, the versions this lpconform reads",
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
    fn the_targets_text_is_saved_escaped_and_read_back_as_it_was() {
        let directory = tempfile::tempdir().unwrap();
        let mut file = FindingFile::new(&finding(), 7, "embedded");
        file.actual = "status \u{202e}evil\u{85}\u{fffe}\u{1b}[2J".into();
        let path = save(directory.path(), &file).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(['\u{202e}', '\u{85}', '\u{fffe}', '\u{1b}']), "{text:?}");
        assert!(text.contains("\\u202e") && text.contains("\\ufffe"), "{text}");
        assert_eq!(load(&path).unwrap().0, file);
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
        file.format_version = FORMAT_VERSION + 1;
        std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
        let error = load(&path).unwrap_err().to_string();
        assert!(
            error.contains(&format!("format_version {}", FORMAT_VERSION + 1)),
            "{error}"
        );
    }

    /// One near-limit body of the oversized family: a start, then one byte up to 8 MiB.
    fn oversized(fill: u8) -> FuzzFinding {
        let mut found = finding();
        let mut body = b"\x0a\x02\x0a\x00\xc2\x3e\xfe\xff\xff\x03".to_vec();
        body.resize(8 << 20, fill);
        found.inputs[0].body = Bytes::from(body);
        found
    }

    #[test]
    fn a_long_trailing_run_is_saved_as_its_byte_and_count() {
        let directory = tempfile::tempdir().unwrap();
        for fill in [0x00, 0x41, 0xff] {
            let file = FindingFile::new(&oversized(fill), 1, "embedded");
            assert_eq!(
                file.requests[0].body_fill,
                Some(BodyFill {
                    byte: fill,
                    count: (8 << 20) - 10
                })
            );
            let path = save(directory.path(), &file).unwrap();
            assert!(
                std::fs::metadata(&path).unwrap().len() < 4096,
                "the 8 MiB body is a few bytes of file"
            );
            let (_, inputs) = load(&path).unwrap();
            assert_eq!(inputs, oversized(fill).inputs);
        }
        // A short run stays in base64, and a body of one byte throughout is all fill.
        let short = FindingFile::new(&finding(), 1, "embedded");
        assert_eq!(short.requests[0].body_fill, None);
        let mut all_fill = oversized(7);
        all_fill.inputs[0].body = Bytes::from(vec![7; FILL_AT_LEAST]);
        let file = FindingFile::new(&all_fill, 1, "embedded");
        assert_eq!(file.requests[0].body_base64, "");
        assert_eq!(file.inputs().unwrap(), all_fill.inputs);
    }

    /// Older readers read version 1 only: a file needs version 2 only for its fills.
    #[test]
    fn files_without_fills_are_version_1_and_fills_need_version_2() {
        let directory = tempfile::tempdir().unwrap();
        let file = FindingFile::new(&finding(), 1, "embedded");
        assert_eq!(file.format_version, 1);
        let path = save(directory.path(), &file).unwrap();
        assert!(!std::fs::read_to_string(&path).unwrap().contains("body_fill"));
        assert_eq!(load(&path).unwrap().1, finding().inputs);

        let mut filled = FindingFile::new(&oversized(0), 1, "embedded");
        assert_eq!(filled.format_version, FORMAT_VERSION);
        filled.format_version = 1;
        let error = filled.inputs().unwrap_err();
        assert_eq!(
            error,
            "requests[0].body_fill: a version 2 field in a format_version 1 file"
        );
    }

    /// A batch of large bodies that do not end in a run would make a file `load` refuses.
    #[test]
    fn a_file_too_large_to_replay_is_not_written() {
        let directory = tempfile::tempdir().unwrap();
        let mut found = finding();
        let varied: Vec<u8> = (0..1 << 20).map(|position: u32| (position % 251) as u8).collect();
        found.inputs = vec![
            FuzzInput {
                body: Bytes::from(varied),
                ..finding().inputs[0].clone()
            };
            7
        ];
        let error = save(
            &directory.path().join("corpus"),
            &FindingFile::new(&found, 1, "embedded"),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "not saved: its 7 requests are 10 MiB of file, more than the 8 MiB replay reads"
        );
        assert!(!directory.path().join("corpus").exists());
        // Bodies made of fills are a small file, but no more of them than a replay may hold.
        let mut file = FindingFile::new(&oversized(0), 1, "embedded");
        file.requests = vec![file.requests[0].clone(); 33];
        let error = save(directory.path(), &file).unwrap_err();
        assert_eq!(
            error.to_string(),
            "not saved: requests[32]: the bodies up to here are 264 MiB, more than the 256 MiB a \
             finding file may hold"
        );
    }

    /// Fill counts are the file's word: they are bounded before any body is made.
    #[test]
    fn fills_larger_than_any_body_are_refused_before_they_are_made() {
        let mut file = FindingFile::new(&oversized(0), 1, "embedded");
        let request = file.requests[0].clone();
        for count in [usize::MAX - 10, 1 << 40, (8 << 20) - 9] {
            file.requests = vec![SavedRequest {
                body_len: count + 10,
                body_fill: Some(BodyFill { byte: 0, count }),
                ..request.clone()
            }];
            let error = file.inputs().unwrap_err();
            assert!(error.starts_with("requests[0].body_len: "), "{error}");
        }
        file.requests = vec![request; 33];
        let error = file.inputs().unwrap_err();
        assert!(error.starts_with("requests[32]: the bodies up to here are"), "{error}");
    }
}
