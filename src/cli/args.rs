//! Flag definitions. Names of flags that mirror go-livepeer's keep its spelling.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, FromArgMatches, Parser, Subcommand, ValueEnum};

use super::RunError;
use crate::integer;
use crate::reference::faults::Fault;
use crate::rules::ModeOverrides;
use crate::transport::{Scheme, Target, TransportOptions, GRPC_MESSAGE_LIMIT};

#[derive(Debug, Parser)]
#[command(
    name = "lpconform",
    version,
    about = "Conformance and fuzz test harness for Livepeer orchestrators"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Probe an orchestrator (or, without --target, the embedded reference one).
    Run(Box<RunArgs>),
    /// Serve the embedded reference orchestrator until interrupted.
    Serve(Box<ServeArgs>),
    /// List the rule catalog.
    Rules(RulesArgs),
    /// Prove every rule fires: run the embedded orchestrator with each fault.
    Selftest(SelftestArgs),
    /// Check the OpenAPI document against the protocol, with no target.
    Spec(SpecArgs),
    /// Send hostile requests and check the orchestrator stays up, in time and discreet.
    Fuzz(Box<FuzzArgs>),
    /// Resend an input saved by `lpconform fuzz` and judge it again.
    Replay(Box<ReplayArgs>),
    /// Run the suites against many orchestrators at once, a table row per target.
    Sweep(Box<SweepArgs>),
    /// Compare JSON reports of runs or sweeps: rule verdicts, capabilities, prices, models,
    /// versions; exit 1 when something got worse.
    Compare(CompareArgs),
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Print Markdown (as in docs/rules.md) instead of a table.
    #[arg(long)]
    pub markdown: bool,
}

#[derive(Debug, Args)]
pub struct SelftestArgs {
    /// Deadline for each call; the stalling fault must exceed it.
    #[arg(long, default_value = "2s", value_parser = duration_flag)]
    pub call_timeout: Duration,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub checks: CheckArgs,
    /// Record snapshots instead of comparing them.
    #[arg(long)]
    pub update_snapshots: bool,
    /// Directory of snapshot sets, one per profile. Default: `snapshots/` beside the suites.
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
    /// Name of the snapshot set (suites/snapshots/PROFILE). Default: derived
    /// from the target, or from the embedded orchestrator's configuration.
    #[arg(long, env = "LPCONFORM_PROFILE", value_name = "NAME", value_parser = crate::snapshot::profile_name)]
    pub profile: Option<String>,
    /// Force a mode instead of detecting it from the answers (repeatable).
    #[arg(long = "mode", value_enum, value_name = "MODE")]
    pub modes: Vec<ModeFlag>,
    /// Sign discovery through a go-livepeer remote signer (`http://host:port`, its
    /// POST /sign-orchestrator-info): the funded gateway identity an on-chain orchestrator
    /// needs, without handing its key to the harness. Instead of --gateway-key.
    #[arg(long, value_name = "URL", conflicts_with = "gateway_key")]
    pub remote_signer: Option<String>,
    /// Also send GetOrchestrator to each of the orchestrator's `nodes` (URI-004). Without it
    /// no node is ever dialled.
    #[arg(long)]
    pub follow_nodes: bool,
    /// YAML list of rule failures accepted for now (rule, optional case, reason, optional
    /// until date): they are reported as known failures and do not fail the run; an entry that
    /// no longer fails, or whose until date has passed, fails the run as stale.
    #[arg(long, value_name = "FILE")]
    pub known_failures: Option<PathBuf>,
    /// Write the run's rule failures to FILE as a known-failures list. To update a list, name it
    /// here and as --known-failures: its entries stay as written, fixed ones are removed, new
    /// failures added. Any other existing FILE is refused.
    #[arg(long, value_name = "FILE")]
    pub record_known_failures: Option<PathBuf>,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub reference: ReferenceArgs,
}

/// `--proto`, the same in every command that calls or compares with the protocol.
#[derive(Debug, Args)]
pub struct ProtoArgs {
    /// Directory or .proto file to load the protocol from at run time, no rebuild needed: every
    /// call is made and every answer walked with it, so fields it names beyond the built-in
    /// lp_rpc.proto show by name in reports and snapshots, fields it lacks are SPEC-003, suites'
    /// `call:` steps may name any of its methods, and `fuzz` derives a family for each request
    /// field. Default: ./proto when present, else the descriptors built into the binary.
    #[arg(long, value_name = "PATH")]
    pub proto: Option<PathBuf>,
}

impl ProtoArgs {
    /// `--proto` when given, as command-line words.
    pub fn command_line(&self) -> Vec<String> {
        let ProtoArgs { proto } = self;
        proto
            .iter()
            .flat_map(|path| ["--proto".to_string(), path.display().to_string()])
            .collect()
    }
}

/// What to check and with what: shared by `run` and `sweep`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// File holding the gateway's secp256k1 private key as hex. Default: a
    /// random key per run. The key itself may instead be given in
    /// LPCONFORM_GATEWAY_KEY. It is never printed.
    #[arg(long, value_name = "FILE")]
    pub gateway_key: Option<PathBuf>,
    #[command(flatten)]
    pub proto: ProtoArgs,
    /// OpenAPI 3.0 document the SPEC rules judge by, YAML or JSON. Default:
    /// ./openapi/orchestrator.yaml when present, else the copy built into the binary.
    #[arg(long, value_name = "FILE")]
    pub openapi: Option<PathBuf>,
    /// What the orchestrator was configured with (`--expect`); its help is made from the keys'
    /// table, `expect::KEYS`.
    #[arg(long = "expect", value_name = "KEY=VALUE", help = expect_help(false), long_help = expect_help(true))]
    pub expect: Vec<String>,
    /// Fail on should-rules too.
    #[arg(long)]
    pub strict: bool,
    /// Suite file or directory. Default: ./suites when present, else the built-in suites.
    #[arg(long, value_name = "PATH")]
    pub suite: Option<PathBuf>,
    /// Run only cases whose `suite::case` name contains this text.
    #[arg(long, value_name = "PATTERN")]
    pub case: Option<String>,
}

/// The `--expect` help from the keys' table: their names (`-h`), or each with its value (`--help`).
fn expect_help(long: bool) -> String {
    let keys = if long {
        format!(":\n{}\n", crate::expect::key_table())
    } else {
        format!(": {}. ", crate::expect::key_list())
    };
    format!(
        "What the orchestrator was configured with, in go-livepeer's flag names (repeatable, keys \
         case-insensitive){keys}`run` without --target: the embedded orchestrator's configuration. `sweep`: for \
         every target; a target's own `expect` entry wins for the keys it sets."
    )
}

/// Where the run's results go besides the exit code.
#[derive(Debug, Args)]
#[command(next_help_heading = "Reports")]
pub struct ReportArgs {
    /// What to print on stdout: the report for people, or the JSON report
    /// whose schema docs/report-json.md documents.
    #[arg(long, value_enum, default_value_t = ReportFormat::Terminal, value_name = "FORMAT")]
    pub format: ReportFormat,
    /// Also write a JUnit XML report to FILE, for CI: one testsuite per suite,
    /// one testcase per case and per (case, rule ID).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write a self-contained HTML report to FILE: the capability matrix
    /// of the target and the findings.
    #[arg(long = "report-html", value_name = "FILE")]
    pub report_html: Option<PathBuf>,
    /// Also write the JSON report (as `--format json` prints it) to FILE, so one
    /// run can give people the terminal report and tools the JSON.
    #[arg(long = "report-json", value_name = "FILE")]
    pub report_json: Option<PathBuf>,
}

/// The report printed on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Readable text, coloured on a terminal unless NO_COLOR is set.
    Terminal,
    /// The versioned JSON report (`format_version: 2`).
    Json,
}

/// A mode forced from the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeFlag {
    Onchain,
    Offchain,
    Transcoding,
    NoTranscoding,
    Ai,
    NoAi,
}

impl ModeFlag {
    /// The forced modes; two flags that force one mode both ways are an error, not "last wins".
    pub fn overrides(flags: &[ModeFlag]) -> Result<ModeOverrides, RunError> {
        let mut overrides = ModeOverrides::default();
        for flag in flags {
            let (mode, forced, opposite) = match flag {
                ModeFlag::Onchain => (&mut overrides.onchain, true, ModeFlag::Offchain),
                ModeFlag::Offchain => (&mut overrides.onchain, false, ModeFlag::Onchain),
                ModeFlag::Transcoding => (&mut overrides.transcoding, true, ModeFlag::NoTranscoding),
                ModeFlag::NoTranscoding => (&mut overrides.transcoding, false, ModeFlag::Transcoding),
                ModeFlag::Ai => (&mut overrides.ai, true, ModeFlag::NoAi),
                ModeFlag::NoAi => (&mut overrides.ai, false, ModeFlag::Ai),
            };
            if *mode == Some(!forced) {
                return Err(RunError::Usage(format!(
                    "--mode {} and --mode {} contradict each other: give one of them",
                    opposite.name(),
                    flag.name()
                )));
            }
            *mode = Some(forced);
        }
        Ok(overrides)
    }

    /// The flag's value as typed.
    fn name(self) -> String {
        self.to_possible_value()
            .map_or_else(|| format!("{self:?}"), |value| value.get_name().to_string())
    }
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// Orchestrator to test: https://host:port (TLS) or http://host:port (h2c).
    /// Without it, the embedded reference orchestrator is started in-process.
    /// The embedded orchestrator's flags are refused with it: they would be ignored.
    #[arg(long, env = "LPCONFORM_TARGET", value_name = "URL")]
    pub target: Option<String>,
    /// Verify the target's TLS certificate against this PEM CA instead of
    /// accepting any certificate (as gateways do).
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    #[command(flatten)]
    pub deadlines: DeadlineArgs,
}

impl ConnectArgs {
    /// The flags given, as command-line words that reach the same target the same way (the
    /// embedded orchestrator's flags are [`ReferenceArgs::command_line`]).
    pub fn command_line(&self) -> Vec<String> {
        let ConnectArgs { target, ca, deadlines } = self;
        let mut words = Vec::new();
        if let Some(target) = target {
            words.extend(["--target".to_string(), target.clone()]);
        }
        if let Some(ca) = ca {
            words.extend(["--ca".to_string(), ca.display().to_string()]);
        }
        words.extend(deadlines.command_line());
        words
    }

    pub fn transport_options(&self) -> TransportOptions {
        self.deadlines.transport_options(self.ca.clone())
    }

    /// `--target` parsed, `None` for the embedded orchestrator. `--ca` verifies a TLS
    /// certificate, so it needs an `https://` target: anywhere else it would be ignored.
    pub fn target(&self) -> Result<Option<Target>, RunError> {
        let target = match &self.target {
            Some(text) => Some(Target::parse(text)?),
            None => None,
        };
        if let Some(ca) = &self.ca {
            let why = match &target {
                None => "the embedded orchestrator's certificate is made afresh each run".to_string(),
                Some(target) if target.scheme() == Scheme::Http => format!("{target} is h2c, without TLS"),
                Some(_) => return Ok(target),
            };
            return Err(RunError::Usage(format!(
                "--ca {}: a CA verifies the certificate of an https:// --target, and {why}",
                ca.display()
            )));
        }
        Ok(target)
    }
}

/// Deadlines and the decode cap, the same for every command that dials an orchestrator.
#[derive(Debug, Args)]
pub struct DeadlineArgs {
    /// Deadline for TCP connect, TLS and HTTP/2 setup.
    #[arg(long, default_value = shown_duration(TransportOptions::DEFAULT_CONNECT_TIMEOUT), value_parser = duration_flag)]
    pub connect_timeout: Duration,
    /// Deadline for each call (RPC-003).
    #[arg(long, default_value = shown_duration(TransportOptions::DEFAULT_CALL_TIMEOUT), value_parser = duration_flag)]
    pub call_timeout: Duration,
    /// Largest response the harness decodes, in bytes.
    #[arg(long, default_value_t = GRPC_MESSAGE_LIMIT, value_parser = integer::flag::<usize>)]
    pub max_decode_bytes: usize,
}

impl DeadlineArgs {
    /// The flags given that differ from the defaults, as command-line words, so a replay or rerun
    /// line makes its calls under the same deadlines and cap. Destructured: a new field must be
    /// listed here to compile.
    pub fn command_line(&self) -> Vec<String> {
        let DeadlineArgs {
            connect_timeout,
            call_timeout,
            max_decode_bytes,
        } = self;
        let Some(default) = defaults::<DeadlineArgs>() else {
            return Vec::new();
        };
        let mut words = Vec::new();
        let duration = |duration: &Duration| shown_duration(*duration);
        if *connect_timeout != default.connect_timeout {
            words.extend(["--connect-timeout".to_string(), duration(connect_timeout)]);
        }
        if *call_timeout != default.call_timeout {
            words.extend(["--call-timeout".to_string(), duration(call_timeout)]);
        }
        if *max_decode_bytes != default.max_decode_bytes {
            words.extend(["--max-decode-bytes".to_string(), max_decode_bytes.to_string()]);
        }
        words
    }

    pub fn transport_options(&self, ca_file: Option<PathBuf>) -> TransportOptions {
        TransportOptions {
            connect_timeout: self.connect_timeout,
            call_timeout: self.call_timeout,
            max_decode_bytes: self.max_decode_bytes,
            ca_file,
        }
    }
}

/// The longest duration a flag takes. tonic refuses deadlines past 99 999 999 hours (and panics
/// on them); a year is far beyond any useful deadline or fuzz run, so anything longer is a typo.
const LONGEST_DURATION: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// Parses a duration flag (`10s`, `1m 30s`), refusing zero and anything over [`LONGEST_DURATION`].
/// A duration as duration flags take it (`5s`).
fn shown_duration(duration: Duration) -> String {
    humantime::format_duration(duration).to_string()
}

pub fn duration_flag(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text).map_err(|error| error.to_string())?;
    if duration.is_zero() {
        return Err("must be longer than zero".into());
    }
    if duration > LONGEST_DURATION {
        return Err("longer than 365 days, the longest duration lpconform takes".into());
    }
    Ok(duration)
}

/// Configuration of the embedded reference orchestrator, spelled like go-livepeer's flags
/// (single-dash spellings are accepted too). `serve` with none of them is go-livepeer with
/// no `-network` (off-chain software transcoding); `run` without a target starts the fullest
/// profile instead (on chain, transcoding and AI, funding the run's own gateway key).
#[derive(Debug, Args)]
#[command(next_help_heading = "Embedded orchestrator (when no --target)")]
pub struct ReferenceArgs {
    /// `-serviceAddr HOST:PORT`, advertised as `https://HOST:PORT` in OrchestratorInfo.transcoder;
    /// `none` advertises no URI. A full URI (the old --serviceURI) is taken as it is.
    /// Default: the URL it listens on.
    #[arg(long = "serviceAddr", alias = "serviceURI", value_name = "ADDR")]
    pub service_addr: Option<String>,
    /// Transcoding price in wei per pixelsPerUnit pixels (go-livepeer reads it on chain only).
    #[arg(long = "pricePerUnit", default_value_t = 1000, value_parser = integer::flag::<i64>)]
    pub price_per_unit: i64,
    #[arg(long = "pixelsPerUnit", default_value_t = 1, value_parser = integer::flag::<i64>)]
    pub pixels_per_unit: i64,
    /// Per-gateway transcoding prices, go-livepeer's JSON (or a file holding it):
    /// {"gateways":[{"ethaddress":"0x…","priceperunit":500,"pixelsperunit":1}]}.
    #[arg(long = "pricePerGateway", value_name = "JSON|FILE")]
    pub price_per_gateway: Option<String>,
    /// Add the ticket overhead (1 + 1/100) to advertised prices, as go-livepeer does by default.
    #[arg(long = "autoAdjustPrice", value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub auto_adjust_price: bool,
    /// `offchain` (serve's default) or `onchain` (run's default): on chain it verifies request
    /// signatures, signs Ping, prices and issues ticket parameters.
    #[arg(long = "network", value_enum, value_name = "NETWORK")]
    pub network: Option<NetworkFlag>,
    /// The same as --network onchain.
    #[arg(long, conflicts_with = "network")]
    pub onchain: bool,
    /// What transcodes, which decides the advertised codecs: `software`, `gpu` (HEVC and VP9
    /// decode pass their tests) or `none` (AI-only; needs -aiModels).
    #[arg(long = "transcoder", value_enum, value_name = "KIND")]
    pub transcoder: Option<TranscoderFlag>,
    /// The same as --transcoder none.
    #[arg(long, conflicts_with = "transcoder")]
    pub no_transcoding: bool,
    /// AI models file in the shape of go-livepeer's aiModels.json; `none` for no models
    /// (run's default is the shipped fixtures/aiModels.json).
    #[arg(long = "aiModels", value_name = "FILE")]
    pub ai_models: Option<PathBuf>,
    /// File holding the orchestrator's private key as hex (go-livepeer's -ethAcctAddr account).
    /// Default: a fixed, publicly known test key, so the address is the same on every run.
    #[arg(long, value_name = "FILE")]
    pub eth_key: Option<PathBuf>,
    /// The account tickets pay, when not the signing account.
    #[arg(long = "ethOrchAddr", value_name = "ADDRESS", value_parser = address_flag)]
    pub eth_orch_addr: Option<crate::eth::Address>,
    /// Concurrent transcoding sessions before discovery is refused `OrchestratorCapped`.
    #[arg(long = "maxSessions", default_value_t = crate::reference::DEFAULT_MAX_SESSIONS, value_parser = integer::flag::<u32>)]
    pub max_sessions: u32,
    /// Act as if this many transcoding sessions were running (reaching -maxSessions refuses
    /// every discovery, as go-livepeer does).
    #[arg(long, value_name = "N", conflicts_with = "at_capacity", value_parser = integer::flag::<u32>)]
    pub sessions_in_use: Option<u32>,
    /// All -maxSessions sessions in use: every discovery is refused with `OrchestratorCapped`,
    /// flag or no flag.
    #[arg(long)]
    pub at_capacity: bool,
    /// Act as if N jobs ran on a model (repeatable): they take N of its free slots; on
    /// live-video-to-video they are the containers in use.
    #[arg(long = "running-jobs", value_name = "MODEL_ID=N", value_parser = running_jobs_flag)]
    pub running_jobs: Vec<(String, u32)>,
    /// Other orchestrator URIs to advertise as `nodes` (comma-separated; forced to https).
    #[arg(long = "nodes", value_name = "URIS", value_delimiter = ',')]
    pub nodes: Vec<String>,
    /// The build version to advertise (`capabilities.version`); `undefined` as from a plain `go build`.
    #[arg(long = "version", value_name = "VERSION")]
    pub version: Option<String>,
    /// Serve h2c (cleartext HTTP/2) instead of TLS with a self-signed certificate.
    #[arg(long)]
    pub h2c: bool,
    /// Break a rule on purpose (repeatable), to see the harness catch it.
    #[arg(long = "fault", value_enum, value_name = "NAME")]
    pub faults: Vec<Fault>,
    /// On chain: a gateway address with a deposit and reserve (repeatable). go-livepeer refuses
    /// discovery from any other with `insufficient sender reserve` whenever it has a price to
    /// charge. Default: none for serve, the run's own gateway for run.
    #[arg(long = "fund", value_name = "ADDRESS", value_parser = address_flag)]
    pub fund: Vec<crate::eth::Address>,
    /// On chain: every gateway has a deposit and reserve.
    #[arg(long, conflicts_with = "fund")]
    pub fund_all: bool,
    /// Also serve `GET /orchestrator/info`, the OpenAPI document's JSON view of the discovery
    /// answer; go-livepeer has no such endpoint (404).
    #[arg(long)]
    pub serve_info_json: bool,
}

impl ReferenceArgs {
    /// The flags given, as words of a command line that starts the same orchestrator (for the
    /// replay and rerun lines); defaults are left out. Every field is listed here.
    pub fn command_line(&self) -> Vec<String> {
        let defaults = defaults::<ReferenceArgs>();
        let mut words = Vec::new();
        let mut flag = |name: &str, value: Option<String>| {
            words.push(format!("--{name}"));
            words.extend(value);
        };
        let changed = |pick: fn(&ReferenceArgs) -> String| defaults.as_ref().is_none_or(|d| pick(d) != pick(self));
        if let Some(addr) = &self.service_addr {
            flag("serviceAddr", Some(addr.clone()));
        }
        if changed(|args| args.price_per_unit.to_string()) {
            flag("pricePerUnit", Some(self.price_per_unit.to_string()));
        }
        if changed(|args| args.pixels_per_unit.to_string()) {
            flag("pixelsPerUnit", Some(self.pixels_per_unit.to_string()));
        }
        if let Some(prices) = &self.price_per_gateway {
            flag("pricePerGateway", Some(prices.clone()));
        }
        if !self.auto_adjust_price {
            flag("autoAdjustPrice", Some("false".into()));
        }
        if let Some(network) = self.network {
            flag("network", Some(value_name(network)));
        }
        if self.onchain {
            flag("onchain", None);
        }
        if let Some(transcoder) = self.transcoder {
            flag("transcoder", Some(value_name(transcoder)));
        }
        if self.no_transcoding {
            flag("no-transcoding", None);
        }
        if let Some(path) = &self.ai_models {
            flag("aiModels", Some(path.display().to_string()));
        }
        if let Some(path) = &self.eth_key {
            flag("eth-key", Some(path.display().to_string()));
        }
        if let Some(address) = &self.eth_orch_addr {
            flag("ethOrchAddr", Some(address.to_checksum()));
        }
        if changed(|args| args.max_sessions.to_string()) {
            flag("maxSessions", Some(self.max_sessions.to_string()));
        }
        if let Some(sessions) = self.sessions_in_use {
            flag("sessions-in-use", Some(sessions.to_string()));
        }
        if self.at_capacity {
            flag("at-capacity", None);
        }
        for (model_id, jobs) in &self.running_jobs {
            flag("running-jobs", Some(format!("{model_id}={jobs}")));
        }
        if !self.nodes.is_empty() {
            flag("nodes", Some(self.nodes.join(",")));
        }
        if let Some(version) = &self.version {
            flag("version", Some(version.clone()));
        }
        if self.h2c {
            flag("h2c", None);
        }
        for fault in &self.faults {
            flag("fault", Some(fault.name()));
        }
        for address in &self.fund {
            flag("fund", Some(address.to_checksum()));
        }
        if self.fund_all {
            flag("fund-all", None);
        }
        if self.serve_info_json {
            flag("serve-info-json", None);
        }
        words
    }
}

/// The flags of a group when none is given, as clap fills them in.
pub fn defaults<T: Args + FromArgMatches>() -> Option<T> {
    let command = T::augment_args(clap::Command::new("defaults"));
    let matches = command.try_get_matches_from(["defaults"]).ok()?;
    T::from_arg_matches(&matches).ok()
}

/// A value-enum flag's value as typed.
fn value_name(value: impl ValueEnum) -> String {
    value
        .to_possible_value()
        .map(|value| value.get_name().to_string())
        .unwrap_or_default()
}

/// `--network`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NetworkFlag {
    Offchain,
    Onchain,
}

/// `--transcoder`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TranscoderFlag {
    Software,
    Gpu,
    None,
}

/// An address flag, 20 bytes of hex.
fn address_flag(text: &str) -> Result<crate::eth::Address, String> {
    crate::eth::Address::parse(text).map_err(|error| error.to_string())
}

/// `--running-jobs MODEL_ID=N`; the model id may itself contain `=`, the count follows the last.
fn running_jobs_flag(text: &str) -> Result<(String, u32), String> {
    let (model_id, jobs) = text.rsplit_once('=').ok_or_else(|| "expected MODEL_ID=N".to_string())?;
    let jobs = integer::parse::<u32>(jobs).map_err(|error| format!("{jobs:?}: {error}"))?;
    Ok((model_id.to_string(), jobs))
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8935")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub reference: ReferenceArgs,
}

#[derive(Debug, Args)]
pub struct FuzzArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// File holding the gateway's secp256k1 private key as hex (or LPCONFORM_GATEWAY_KEY).
    /// Default: a key derived from the seed, so a seed's signed requests are the same bytes.
    #[arg(long, value_name = "FILE")]
    pub gateway_key: Option<PathBuf>,
    /// How long to fuzz; no new batch starts after it.
    #[arg(long, default_value = "30s", value_parser = duration_flag)]
    pub duration: Duration,
    /// Seed of every generated case. Default: a random one, printed in the summary.
    #[arg(long, value_parser = crate::integer::flag::<u64>)]
    pub seed: Option<u64>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
    /// Stop after this many fuzzed requests, even before --duration.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_requests: Option<u64>,
    /// Folder the failing inputs are saved to, one JSON file each.
    #[arg(long, default_value = "fuzz-findings", value_name = "DIR")]
    pub corpus: PathBuf,
    /// Fuzz only these families (repeatable). Default: all of them: the written ones
    /// (raw-bytes, mutated-encoding, bad-signature, address-length, capability-bitstring,
    /// capacities-map, invalid-utf8, unknown-fields, oversized, ping-value, end-session-token)
    /// and `field:<Method>.<field>` for each request field of the loaded proto (see --proto).
    #[arg(long = "family", value_name = "NAME")]
    pub families: Vec<String>,
    /// How long a target that stopped answering gets to come back before the run stops.
    #[arg(long, default_value = "30s", value_parser = duration_flag)]
    pub recovery_timeout: Duration,
    #[command(flatten)]
    pub proto: ProtoArgs,
    #[command(flatten)]
    pub reference: ReferenceArgs,
}

impl FuzzArgs {
    /// Every flag that changes which requests a run makes and where it sends them, as
    /// command-line words, so the rerun line makes the same requests (signed with the same key).
    /// Destructured: a new field must be listed here (or marked as not changing requests) to compile.
    pub fn request_flags(&self) -> Vec<String> {
        let FuzzArgs {
            connect,
            gateway_key,
            duration,
            seed,
            concurrency,
            max_requests,
            corpus: _,
            families,
            recovery_timeout: _,
            proto,
            reference,
        } = self;
        // The rerun line gives the run's seed itself: a random one when none was given.
        let _ = seed;
        let mut words = Vec::new();
        words.extend([
            "--duration".to_string(),
            humantime::format_duration(*duration).to_string(),
        ]);
        if let Some(max) = max_requests {
            words.extend(["--max-requests".to_string(), max.to_string()]);
        }
        words.extend(["--concurrency".to_string(), concurrency.to_string()]);
        for family in families {
            words.extend(["--family".to_string(), family.clone()]);
        }
        words.extend(same_requests(connect, gateway_key.as_deref(), proto, reference));
        words
    }
}

impl ReplayArgs {
    /// Every flag that changes the requests a replay makes and where it sends them.
    pub fn request_flags(&self) -> Vec<String> {
        let ReplayArgs {
            file: _,
            connect,
            gateway_key,
            proto,
            reference,
        } = self;
        same_requests(connect, gateway_key.as_deref(), proto, reference)
    }
}

/// The flags, shared by fuzz and replay, that reach the same orchestrator (the target, or the
/// embedded one configured the same), with the same key and protocol.
pub fn same_requests(
    connect: &ConnectArgs,
    gateway_key: Option<&std::path::Path>,
    proto: &ProtoArgs,
    reference: &ReferenceArgs,
) -> Vec<String> {
    let mut words = Vec::new();
    if connect.target.is_none() {
        words.extend(reference.command_line());
    }
    words.extend(connect.command_line());
    if let Some(path) = gateway_key {
        words.extend(["--gateway-key".to_string(), path.display().to_string()]);
    }
    words.extend(proto.command_line());
    words
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A finding file saved by `lpconform fuzz`.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// File holding the gateway's secp256k1 private key as hex, for the GetOrchestrator sent
    /// after each request. Default: LPCONFORM_GATEWAY_KEY, else a random key.
    #[arg(long, value_name = "FILE")]
    pub gateway_key: Option<PathBuf>,
    #[command(flatten)]
    pub proto: ProtoArgs,
    #[command(flatten)]
    pub reference: ReferenceArgs,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The orchestrators: one URL per line (`#` comments and blank lines
    /// allowed), or a JSON array of URLs and {"target": URL, "expect": ["key=value", ...]}.
    #[arg(long, value_name = "FILE")]
    pub targets: PathBuf,
    /// Targets probed at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
    /// Deadline for one target, from dialling to its last case; on expiry its row says so.
    #[arg(long, default_value = "60s", value_parser = duration_flag)]
    pub target_timeout: Duration,
    #[command(flatten)]
    pub deadlines: DeadlineArgs,
    #[command(flatten)]
    pub checks: CheckArgs,
    /// What to print on stdout: the table, or the JSON document of docs/sweep-json.md.
    #[arg(long, value_enum, default_value_t = ReportFormat::Terminal, value_name = "FORMAT")]
    pub format: ReportFormat,
    /// Also write the table as a self-contained HTML page to FILE.
    #[arg(long = "report-html", value_name = "FILE")]
    pub report_html: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SpecArgs {
    #[command(subcommand)]
    pub command: SpecCommand,
}

#[derive(Debug, Subcommand)]
pub enum SpecCommand {
    /// Compare the OpenAPI schemas with the proto messages: properties without a field, fields
    /// without a property, type, required, naming and description drift.
    Drift(DriftArgs),
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// OpenAPI 3.0 document, YAML or JSON. Default: ./openapi/orchestrator.yaml when present,
    /// else the copy built into the binary.
    #[arg(long, value_name = "FILE")]
    pub openapi: Option<PathBuf>,
    #[command(flatten)]
    pub proto: ProtoArgs,
    #[arg(long, value_enum, default_value_t = DriftFormat::Table)]
    pub format: DriftFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DriftFormat {
    /// Aligned text for people.
    Table,
    /// Versioned JSON for tools.
    Json,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// JSON reports in order, oldest first: `lpconform run --format json` (or --report-json)
    /// reports, or `lpconform sweep --format json` documents (one run per target). Each run is
    /// compared with the one before it; together they must hold at least two runs.
    #[arg(value_name = "REPORT.json", required = true)]
    pub reports: Vec<PathBuf>,
    /// What to print: the changes as text, a versioned JSON document, or an HTML page with the
    /// grid of rules × runs.
    #[arg(long, value_enum, default_value_t = CompareFormat::Text)]
    pub format: CompareFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    Text,
    Json,
    Html,
}
