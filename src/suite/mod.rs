//! Scripted suites: YAML files of cases, each naming the calls to make, the
//! outcome each call must have, the rules to evaluate on what came back and
//! an optional snapshot. Loading validates everything up front so a broken
//! suite is a located error before any call is made.

use crate::input_file::read_input_file;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;

use crate::capability;
use crate::protocol::Protocol;
use crate::rules;

mod scripted;
mod standard;
pub use scripted::{AnswerCheck, Expectation, ScriptedCall};
pub use standard::standard_case;

/// The suites shipped in `suites/`, built in so a binary run outside the
/// repository has them too.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("suites/discovery.yaml", include_str!("../../suites/discovery.yaml")),
    ("suites/identity.yaml", include_str!("../../suites/identity.yaml")),
    ("suites/sessions.yaml", include_str!("../../suites/sessions.yaml")),
    ("suites/pricing.yaml", include_str!("../../suites/pricing.yaml")),
    (
        "suites/capabilities.yaml",
        include_str!("../../suites/capabilities.yaml"),
    ),
    ("suites/robustness.yaml", include_str!("../../suites/robustness.yaml")),
    ("suites/openapi.yaml", include_str!("../../suites/openapi.yaml")),
];

/// A suite file: one area's cases.
#[derive(Debug, Clone)]
pub struct Suite {
    /// The file's stem, e.g. `discovery`; cases are named `suite::case`.
    pub name: String,
    pub path: PathBuf,
    pub description: String,
    pub cases: Vec<Case>,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub id: String,
    pub description: String,
    pub mode: CaseMode,
    pub steps: Vec<Step>,
    /// Rule IDs to evaluate on the case's observation.
    pub rules: Vec<&'static str>,
    pub snapshot: Option<String>,
}

impl Case {
    /// `suite::case`, the name tests and reports use.
    pub fn full_name(&self, suite: &Suite) -> String {
        format!("{}::{}", suite.name, self.id)
    }
}

/// When a case applies, by the modes detected for (or forced on) the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseMode {
    All,
    Onchain,
    Offchain,
    Transcoding,
    Ai,
}

/// One call and the outcome it must have.
#[derive(Debug, Clone)]
pub struct Step {
    pub call: CallSpec,
    pub expect: ExpectedOutcome,
    /// gRPC status code name the error must carry (`Unknown`, `InvalidArgument` …).
    pub code: Option<tonic::Code>,
    /// Pattern the error message (or nothing, for `ok`) must match.
    pub message: Option<Regex>,
    /// Checks on a scripted call's answer (`answer:`), by field path.
    pub answer: Vec<AnswerCheck>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CallSpec {
    GetOrchestrator(DiscoveryRequest),
    Ping {
        value: PingValue,
    },
    EndSession {
        token: TokenChoice,
    },
    /// `GET /orchestrator/info`: the discovery answer as JSON, for the OpenAPI rules.
    InfoJson,
    /// One signed discovery per AI model the case's discovery answer prices (or lists), naming
    /// it as gateways do, and one naming them all when there are several (PRICE-009).
    PerModelDiscovery,
    /// GetOrchestrator to each of the answer's `nodes`, only when the run has `--follow-nodes`.
    FollowNodes,
    /// Any unary method of the loaded proto, by name (`call:`).
    Scripted(ScriptedCall),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryRequest {
    pub signature: SignatureChoice,
    pub address: AddressChoice,
    /// Capability numbers to request; `None` sends no Capabilities message.
    pub capabilities: Option<Vec<u32>>,
    pub ignore_capacity_check: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatureChoice {
    /// `eth_sign` by the gateway key over its own address.
    Valid,
    /// Made by another key.
    Forged,
    /// No signature at all.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AddressChoice {
    Gateway,
    /// 19 bytes.
    Short,
    /// 21 bytes.
    Long,
    Empty,
    /// 20 zero bytes, as off-chain go-livepeer gateways send (with an empty signature).
    Zero,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PingValue {
    /// 32 fresh random bytes.
    Random,
    Fixed(Vec<u8>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenChoice {
    /// The token from the case's discovery answer.
    Issued,
    /// A token the orchestrator cannot have issued.
    Forged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExpectedOutcome {
    /// An answer.
    Ok,
    /// A gRPC error status (not a transport failure or timeout).
    Error,
    /// Either, as long as it is an answer or a status within the deadline. For `get_info_json`,
    /// any refusal within the deadline (an HTTP status, a reset stream, a body that is not JSON).
    Any,
}

/// Why a suite was refused, located in its file.
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}:{column}: {message}")]
pub struct SuiteError {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

// The file as written. Unknown keys are errors everywhere.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuite {
    #[serde(default)]
    description: String,
    cases: Vec<RawCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    id: String,
    description: String,
    #[serde(default = "all_modes")]
    mode: CaseMode,
    calls: Vec<RawStep>,
    #[serde(default)]
    rules: Vec<String>,
    #[serde(default)]
    snapshot: Option<String>,
}

fn all_modes() -> CaseMode {
    CaseMode::All
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    #[serde(default)]
    get_orchestrator: Option<RawDiscovery>,
    #[serde(default)]
    ping: Option<RawPing>,
    #[serde(default)]
    end_session: Option<RawEndSession>,
    #[serde(default)]
    get_info_json: Option<RawInfoJson>,
    #[serde(default)]
    get_orchestrator_per_model: Option<RawInfoJson>,
    #[serde(default)]
    follow_nodes: Option<RawInfoJson>,
    #[serde(default)]
    call: Option<scripted::RawScriptedCall>,
    #[serde(default)]
    answer: Option<std::collections::BTreeMap<String, scripted::RawAnswerCheck>>,
    #[serde(default = "expect_ok")]
    expect: ExpectedOutcome,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

fn expect_ok() -> ExpectedOutcome {
    ExpectedOutcome::Ok
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDiscovery {
    #[serde(default = "valid_signature")]
    signature: SignatureChoice,
    #[serde(default = "gateway_address")]
    address: AddressChoice,
    #[serde(default)]
    capabilities: Option<Vec<String>>,
    #[serde(default, rename = "ignoreCapacityCheck")]
    ignore_capacity_check: bool,
}

fn valid_signature() -> SignatureChoice {
    SignatureChoice::Valid
}

fn gateway_address() -> AddressChoice {
    AddressChoice::Gateway
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPing {
    /// `random` or 0x-hex bytes.
    #[serde(default = "random_ping")]
    value: String,
}

fn random_ping() -> String {
    "random".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEndSession {
    token: TokenChoice,
}

/// `get_info_json: {}` (likewise `get_orchestrator_per_model`, `follow_nodes`) takes no parameters.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInfoJson {}

/// Whether `directory` holds at least one suite file, so it can stand in for the built-in suites.
pub fn holds_suites(directory: &Path) -> bool {
    std::fs::read_dir(directory).is_ok_and(|entries| {
        entries.filter_map(|entry| entry.ok()).any(|entry| {
            entry
                .path()
                .extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
        })
    })
}

/// Loads every `.yaml` suite under `path` (or the one file `path` names), sorted by name,
/// checking scripted calls against the loaded `proto`.
pub fn load(path: &Path, proto: &Protocol) -> Result<Vec<Suite>, SuiteError> {
    let files = if path.is_dir() {
        let entries = std::fs::read_dir(path).map_err(|error| file_error(path, format!("cannot read: {error}")))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|file| file.extension().is_some_and(|ext| ext == "yaml" || ext == "yml"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(file_error(path, "holds no .yaml suite files".into()));
        }
        files
    } else {
        vec![path.to_path_buf()]
    };
    files
        .iter()
        .map(|file| {
            let text = read_input_file(file).map_err(|problem| file_error(file, problem))?;
            parse(&text, file, proto)
        })
        .collect()
}

/// The built-in suites.
pub fn built_in() -> Vec<Suite> {
    BUILT_IN
        .iter()
        .map(|(path, text)| {
            parse(text, Path::new(path), Protocol::built_in_ref()).expect("the shipped suites are valid")
        })
        .collect()
}

fn file_error(path: &Path, message: String) -> SuiteError {
    SuiteError {
        path: path.to_path_buf(),
        line: 1,
        column: 1,
        message,
    }
}

/// Parses one suite file's text; `path` names it in errors and gives the suite its name.
/// Scripted calls are checked against `proto`.
pub fn parse(text: &str, path: &Path, proto: &Protocol) -> Result<Suite, SuiteError> {
    let raw: RawSuite = serde_norway::from_str(text).map_err(|error| {
        let location = error.location();
        SuiteError {
            path: path.to_path_buf(),
            line: location.as_ref().map_or(1, |l| l.line()),
            column: location.as_ref().map_or(1, |l| l.column()),
            message: strip_location(&error.to_string()),
        }
    })?;
    let name = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or("suite")
        .to_string();
    let locate = |needle: &str, message: String| {
        let (line, column) = find(text, needle);
        SuiteError {
            path: path.to_path_buf(),
            line,
            column,
            message,
        }
    };
    if raw.cases.is_empty() {
        return Err(locate("cases", "cases: list at least one case".into()));
    }
    let mut cases: Vec<Case> = Vec::new();
    for raw_case in raw.cases {
        let at_case = format!("id: {}", raw_case.id);
        let case_error = |message: String| locate(&at_case, format!("case `{}`: {message}", raw_case.id));
        if !is_identifier(&raw_case.id) {
            return Err(case_error(
                "id must be lower_snake_case (it becomes a test name)".into(),
            ));
        }
        if cases.iter().any(|case| case.id == raw_case.id) {
            return Err(case_error("id is used twice in this suite".into()));
        }
        if raw_case.calls.is_empty() {
            return Err(case_error("calls: list at least one call".into()));
        }
        let steps = raw_case
            .calls
            .into_iter()
            .enumerate()
            .map(|(index, step)| {
                step_from(step, proto).map_err(|problem| {
                    let message = format!("case `{}`: calls[{index}]: {}", raw_case.id, problem.message);
                    match &problem.needle {
                        Some(needle) => {
                            let (line, column) = find_after(text, &at_case, needle);
                            SuiteError {
                                path: path.to_path_buf(),
                                line,
                                column,
                                message,
                            }
                        }
                        None => locate(&at_case, message),
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let rules = rule_ids(&raw_case.rules).map_err(|message| case_error(format!("rules: {message}")))?;
        if let Some(snapshot) = &raw_case.snapshot {
            if !is_identifier(snapshot) {
                return Err(case_error("snapshot: the name must be lower_snake_case".into()));
            }
        }
        cases.push(Case {
            id: raw_case.id,
            description: raw_case.description,
            mode: raw_case.mode,
            steps,
            rules,
            snapshot: raw_case.snapshot,
        });
    }
    Ok(Suite {
        name,
        path: path.to_path_buf(),
        description: raw.description,
        cases,
    })
}

/// Why a step was refused, and where in the case to point (the first occurrence of `needle`
/// after the case starts; `None` points at the case).
struct StepProblem {
    needle: Option<String>,
    message: String,
}

impl From<String> for StepProblem {
    fn from(message: String) -> Self {
        StepProblem { needle: None, message }
    }
}

impl From<&str> for StepProblem {
    fn from(message: &str) -> Self {
        message.to_string().into()
    }
}

impl From<scripted::Problem> for StepProblem {
    fn from(problem: scripted::Problem) -> Self {
        StepProblem {
            needle: Some(problem.needle),
            message: problem.message,
        }
    }
}

fn step_from(raw: RawStep, proto: &Protocol) -> Result<Step, StepProblem> {
    let calls = [
        raw.get_orchestrator.is_some(),
        raw.ping.is_some(),
        raw.end_session.is_some(),
        raw.get_info_json.is_some(),
        raw.get_orchestrator_per_model.is_some(),
        raw.follow_nodes.is_some(),
        raw.call.is_some(),
    ];
    if calls.iter().filter(|present| **present).count() != 1 {
        return Err(
            "name exactly one of get_orchestrator, ping, end_session, get_info_json, get_orchestrator_per_model, \
             follow_nodes, call"
                .into(),
        );
    }
    if raw.answer.is_some() && raw.call.is_none() {
        return Err(StepProblem {
            needle: Some("answer".into()),
            message: "answer: checks the answer of a `call:` step; the other calls are judged by rules".into(),
        });
    }
    let call = if let Some(discovery) = raw.get_orchestrator {
        let capabilities = match discovery.capabilities {
            None => None,
            Some(names) => Some(
                names
                    .iter()
                    .map(|name| capability_number(name))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|message| format!("get_orchestrator.capabilities: {message}"))?,
            ),
        };
        CallSpec::GetOrchestrator(DiscoveryRequest {
            signature: discovery.signature,
            address: discovery.address,
            capabilities,
            ignore_capacity_check: discovery.ignore_capacity_check,
        })
    } else if let Some(ping) = raw.ping {
        let value = if ping.value == "random" {
            PingValue::Random
        } else {
            let digits = ping.value.strip_prefix("0x").unwrap_or(&ping.value);
            PingValue::Fixed(
                hex::decode(digits).map_err(|_| format!("ping.value: {:?} is neither `random` nor hex", ping.value))?,
            )
        };
        CallSpec::Ping { value }
    } else if let Some(end_session) = raw.end_session {
        CallSpec::EndSession {
            token: end_session.token,
        }
    } else if raw.get_info_json.is_some() {
        CallSpec::InfoJson
    } else if raw.get_orchestrator_per_model.is_some() {
        CallSpec::PerModelDiscovery
    } else if raw.follow_nodes.is_some() {
        CallSpec::FollowNodes
    } else if let Some(call) = raw.call {
        CallSpec::Scripted(scripted::scripted_call(call, proto)?)
    } else {
        return Err("name a call".into());
    };
    let answer = match (&call, raw.answer) {
        (CallSpec::Scripted(scripted), Some(checks)) => scripted::answer_checks(checks, &scripted.method.output())?,
        _ => Vec::new(),
    };
    let code = raw
        .code
        .map(|name| status_code(&name).ok_or_else(|| format!("code: {name:?} is not a gRPC status code name")))
        .transpose()?;
    let message = raw
        .message
        .map(|pattern| Regex::new(&pattern).map_err(|error| format!("message: not a valid pattern: {error}")))
        .transpose()?;
    if raw.expect == ExpectedOutcome::Ok && (code.is_some() || message.is_some()) {
        return Err("code and message describe an error; set `expect: error`".into());
    }
    if raw.expect != ExpectedOutcome::Ok && !answer.is_empty() {
        return Err(StepProblem {
            needle: Some("answer".into()),
            message: "answer: checks need an answer; set `expect: ok`".into(),
        });
    }
    Ok(Step {
        call,
        expect: raw.expect,
        code,
        message,
        answer,
    })
}

/// A capability by number or by the name `lpconform rules` and reports show.
fn capability_number(name: &str) -> Result<u32, String> {
    match crate::integer::parse::<u32>(name) {
        Ok(number) => return Ok(number),
        Err(crate::integer::IntegerError::NotAnInteger) => {}
        Err(overflow) => return Err(format!("capability number {name} is {overflow}")),
    }
    capability::KNOWN
        .iter()
        .find(|known| known.name.eq_ignore_ascii_case(name))
        .map(|known| known.number)
        .ok_or_else(|| format!("unknown capability {name:?} (use a number or a name such as \"H.264\" or \"llm\")"))
}

fn rule_ids(names: &[String]) -> Result<Vec<&'static str>, String> {
    if names.iter().any(|name| name == "all") {
        return Ok(rules::catalog().iter().map(|rule| rule.id).collect());
    }
    names
        .iter()
        .map(|name| {
            rules::rule(name)
                .map(|rule| rule.id)
                .ok_or_else(|| format!("unknown rule ID `{name}` (see `lpconform rules`)"))
        })
        .collect()
}

fn status_code(name: &str) -> Option<tonic::Code> {
    use tonic::Code;
    const CODES: &[Code] = &[
        Code::Ok,
        Code::Cancelled,
        Code::Unknown,
        Code::InvalidArgument,
        Code::DeadlineExceeded,
        Code::NotFound,
        Code::AlreadyExists,
        Code::PermissionDenied,
        Code::ResourceExhausted,
        Code::FailedPrecondition,
        Code::Aborted,
        Code::OutOfRange,
        Code::Unimplemented,
        Code::Internal,
        Code::Unavailable,
        Code::DataLoss,
        Code::Unauthenticated,
    ];
    CODES.iter().copied().find(|code| format!("{code:?}") == name)
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && text.starts_with(|c: char| c.is_ascii_lowercase())
}

/// 1-based line and column of the first occurrence of `needle`, or the file start.
fn find(text: &str, needle: &str) -> (usize, usize) {
    text.lines()
        .enumerate()
        .find_map(|(index, line)| line.find(needle).map(|column| (index + 1, column + 1)))
        .unwrap_or((1, 1))
}

/// 1-based line and column of the first occurrence of `needle` at or after the first line
/// holding `start` (a case's `id: …`), else of `start`.
fn find_after(text: &str, start: &str, needle: &str) -> (usize, usize) {
    let (first, _) = find(text, start);
    text.lines()
        .enumerate()
        .skip(first - 1)
        .find_map(|(index, line)| line.find(needle).map(|column| (index + 1, column + 1)))
        .unwrap_or_else(|| find(text, start))
}

/// serde_norway appends " at line L column C"; the error shows them up front.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(cut) => message[..cut].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests;
