//! The `rules_on_decoded` and `rules_on_arbitrary_info` checks: the whole catalog on an
//! observation around any OrchestratorInfo must not panic, must keep its verdicts consistent with
//! its findings, and must not quote a secret; the redacted view of the same answer must not
//! either.

use std::cell::OnceCell;
use std::sync::LazyLock;

use prost::Message as _;
use prost_reflect::{DynamicMessage, MessageDescriptor, Value};

use super::Problem;
use crate::eth;
use crate::expect::{Expectations, ExpectedModel, MaxCapabilityPrice, Price};
use crate::observe::{Call, Observation};
use crate::openapi::OpenApiDocument;
use crate::proto::net::{OrchestratorInfo, OrchestratorRequest};
use crate::protocol::Protocol;
use crate::reference::faults::Fault;
use crate::reference::{self, Node, ProbeAnswers, ReferenceConfig};
use crate::rules::{catalog, evaluate, Context, Finding, ModeOverrides, RuleResult, Severity, Verdict};
use crate::view::InfoView;

/// The evaluation clock when the input does not choose one.
pub const FUZZ_NOW: i64 = 1_700_000_000;
/// The URI the observation dialled and the reference orchestrator advertises.
pub const SERVICE_URI: &str = "https://orch.example:8935";
/// Secrets shorter than this are too likely to occur by chance in what rules may quote.
const MIN_SECRET_LEN: usize = 12;
/// A secret of fewer distinct characters (an all-`ff` token) is spelled by numbers rules compute
/// and print (a ticket's EV in hex), so finding it says nothing about a leak.
const MIN_SECRET_DISTINCT_CHARS: usize = 4;

/// Decodes an OrchestratorInfo (as a gateway would) and runs [`check_rules`] on it. `Ok(false)`
/// when the bytes do not decode.
pub fn check_rules_on_bytes(bytes: &[u8]) -> Result<bool, Problem> {
    match OrchestratorInfo::decode(bytes) {
        Ok(info) => check_rules(&info, FUZZ_NOW).map(|()| true),
        Err(_) => Ok(false),
    }
}

/// Evaluates every rule on an observation around `info`: with the modes detected and with every
/// mode forced on, without expectations and with the operator's (including gateway limits and
/// an OpenAPI document), at `now_unix`.
pub fn check_rules(info: &OrchestratorInfo, now_unix: i64) -> Result<(), Problem> {
    let mut observation = observation_around(info)?;
    let secrets = Secrets::of(info, now_unix);
    for results in evaluate_both(&mut observation, now_unix) {
        check_results(&secrets, &results)?;
    }

    // The view's values one by one (map keys too), as JSON values: the same strings the YAML view
    // shows, at a fraction of libyaml's cost. Searched value by value, not as one serialized text,
    // so a secret spelled like the JSON between two values (`"],"`) is not taken for a leak.
    let view = InfoView::new(info);
    let values = serde_json::to_value(&view).unwrap_or_default();
    if let Some(secret) = shown_values(&values).find_map(|value| secrets.leaked_in(&value)) {
        let shown = serde_json::to_string_pretty(&view).unwrap_or_default();
        return Err(Problem::new(
            "rules",
            format!("the redacted view shows the {secret}:\n{shown}"),
        ));
    }
    Ok(())
}

/// The catalog on `observation` twice: with the modes detected and nothing declared, then with
/// every mode forced on under the operator's expectations and the OpenAPI document.
fn evaluate_both(observation: &mut Observation, now_unix: i64) -> [Vec<RuleResult>; 2] {
    let nothing_declared = Expectations::default();
    let everything_forced = ModeOverrides {
        onchain: Some(true),
        transcoding: Some(true),
        ai: Some(true),
    };
    let detected = evaluate(&Context::new(
        observation,
        &nothing_declared,
        ModeOverrides::default(),
        now_unix,
    ));
    // The Ping exchange is the same for every input and recovering its signer is by far the
    // costliest step (secp256k1), so only the first evaluation carries it.
    observation.grpc.ping = None;
    // The JSON the observation was served is the answer as the shipped document renders it
    // (`observation_around`), so SPEC-001 checks that rendering instead of making its own.
    let document = OpenApiDocument::embedded();
    let declared = Context::new(observation, &OPERATOR, everything_forced, now_unix);
    let declared = match observation.http.info_json.as_ref().and_then(Call::answer) {
        Some(served) => declared.with_openapi_rendering(document, served),
        None => declared.with_openapi(document),
    };
    [detected, evaluate(&declared)]
}

/// A finding as one text, the way the secret search reads it.
fn finding_text(finding: &Finding) -> String {
    format!(
        "{} {} {} {}",
        finding.path, finding.expected, finding.actual, finding.hint
    )
}

/// An on-chain orchestrator's answers to the standard probe, as [`reference`] gives them, around
/// `info`: the Ping signed by [`reference::well_known_key`], forged requests refused, the issued
/// token accepted, and `info` also served as JSON and after fuzzing.
pub fn observation_around(info: &OrchestratorInfo) -> Result<Observation, Problem> {
    let served = OpenApiDocument::embedded()
        .render_info(info)
        .map_err(|error| Problem::new("rules", format!("{error} for {info:?}")))?;
    Ok(PROBE_ANSWERS.around(info.clone(), served))
}

/// What the reference orchestrator in `configuration` with `faults` answers a gateway that asks
/// for no particular capabilities, at [`FUZZ_NOW`], with the per-call random values (auth token,
/// session id, ticket seed and rand hash) replaced by fixed bytes of the same length (the seed,
/// a big integer's bytes, always 32), so the answer is the same on every run and every fault
/// keeps its shape.
pub fn reference_info(preset: crate::reference::Preset, faults: &[Fault]) -> OrchestratorInfo {
    let config = ReferenceConfig {
        eth_key: reference::well_known_key(),
        service_uri: Some(SERVICE_URI.to_string()),
        faults: faults.to_vec(),
        ..preset.config()
    };
    let mut info = Node::new(config, SERVICE_URI.to_string())
        .info(&OrchestratorRequest::default(), FUZZ_NOW)
        .expect("the shipped configurations price within int64");
    if let Some(token) = info.auth_token.as_mut() {
        token.token = fixed_bytes(b"auth token", token.token.len());
        let session_id = hex::encode(fixed_bytes(b"session id", token.session_id.len().div_ceil(2)));
        token.session_id = session_id[..token.session_id.len()].to_string();
    }
    if let Some(ticket) = info.ticket_params.as_mut() {
        // The seed is a random big integer's bytes, shorter in about one answer of 256 (a
        // leading zero): written 32 long whenever there is one, or the answer changes with the draw.
        let seed_len = if ticket.seed.is_empty() { 0 } else { 32 };
        ticket.seed = fixed_bytes(b"ticket seed", seed_len);
        ticket.recipient_rand_hash = fixed_bytes(b"recipient rand hash", ticket.recipient_rand_hash.len());
    }
    info
}

/// `len` bytes that depend only on `label`.
fn fixed_bytes(label: &[u8], len: usize) -> Vec<u8> {
    let block = eth::keccak256(label);
    block.iter().copied().cycle().take(len).collect()
}

static INFO_DESCRIPTOR: LazyLock<MessageDescriptor> = LazyLock::new(|| {
    Protocol::built_in()
        .message("net.OrchestratorInfo")
        .expect("the built-in descriptors define OrchestratorInfo")
});

/// What an operator of the reference orchestrator declares, plus gateway limits, so the CFG and
/// limit rules have something to compare with.
static OPERATOR: LazyLock<Expectations> = LazyLock::new(|| Expectations {
    service_uri: Some(SERVICE_URI.to_string()),
    price_per_unit: Some(1000),
    pixels_per_unit: Some(1),
    address: Some(reference::well_known_key().address()),
    ai_models: reference::shipped_ai_models()
        .iter()
        .map(|model| ExpectedModel::of(model, None))
        .collect(),
    max_price_per_unit: Some(Price {
        price_per_unit: 1200,
        pixels_per_unit: 1,
    }),
    max_price_per_capability: vec![MaxCapabilityPrice {
        pipeline: "text-to-image".into(),
        model_id: "*".into(),
        price: Price {
            price_per_unit: 5_000_000,
            pixels_per_unit: 1,
        },
    }],
    max_ticket_ev: Some(3_000_000_000_000u64.into()),
    max_face_value: Some(10_000_000_000_000_000u64.into()),
    ..Expectations::default()
});

/// Everything but the discovery answer, as a conformant on-chain orchestrator answers it.
static PROBE_ANSWERS: LazyLock<ProbeAnswers> =
    LazyLock::new(|| ProbeAnswers::new(&reference::well_known_key(), SERVICE_URI, FUZZ_NOW));

/// The catalog's own promises: one result per rule in catalog order, verdicts that match the
/// findings and severity, findings that name their rule, and no secret in any finding.
fn check_results(secrets: &Secrets<'_>, results: &[RuleResult]) -> Result<(), Problem> {
    let problem = |what: String| Err(Problem::new("rules", what));
    let ids: Vec<&str> = results.iter().map(|result| result.rule.id).collect();
    let catalog_ids: Vec<&str> = catalog().iter().map(|rule| rule.id).collect();
    if ids != catalog_ids {
        return problem(format!("evaluated {ids:?}, the catalog is {catalog_ids:?}"));
    }
    for result in results {
        let consistent = match &result.verdict {
            // Only a known-failures list makes this verdict, never a rule.
            Verdict::KnownFailure(_) => false,
            Verdict::Pass | Verdict::Skip(_) => result.findings.is_empty() && result.omitted_findings == 0,
            Verdict::Warn | Verdict::Info => !result.findings.is_empty(),
            Verdict::Fail => !result.findings.is_empty() && result.rule.severity == Severity::Must,
        };
        if !consistent {
            return problem(format!("{}: verdict and findings disagree: {result:?}", result.rule.id));
        }
        for finding in &result.findings {
            if finding.rule_id != result.rule.id || finding.hint.is_empty() {
                return problem(format!(
                    "{}: a finding lacks its rule or hint: {finding:?}",
                    result.rule.id
                ));
            }
            if !secrets.any() {
                continue;
            }
            if let Some(secret) = secrets.leaked_in(&finding_text(finding)) {
                return problem(format!(
                    "{}: a finding quotes the {secret}: {finding:?}",
                    result.rule.id
                ));
            }
        }
    }
    Ok(())
}

/// Every string, number and map key a JSON value holds, as text.
fn shown_values(value: &serde_json::Value) -> Box<dyn Iterator<Item = String> + '_> {
    use serde_json::Value;
    match value {
        Value::String(text) => Box::new(std::iter::once(text.clone())),
        Value::Number(number) => Box::new(std::iter::once(number.to_string())),
        Value::Array(items) => Box::new(items.iter().flat_map(shown_values)),
        Value::Object(entries) => Box::new(
            entries
                .iter()
                .flat_map(|(key, value)| std::iter::once(key.clone()).chain(shown_values(value))),
        ),
        Value::Null | Value::Bool(_) => Box::new(std::iter::empty()),
    }
}

/// The secrets of one answer (auth token, S3 policy, signature and credential) long enough to
/// count, worked out once per input: every finding and the view are searched for them.
pub(super) struct Secrets<'a> {
    info: &'a OrchestratorInfo,
    /// The clock the rules judge the answer at.
    now_unix: i64,
    secrets: Vec<(&'static str, String)>,
    /// The answer's other values, built only when a secret turns up in some text.
    public: OnceCell<Vec<String>>,
    /// What the rules and the view say of the answer under each of [`SWAPS`], built only when
    /// a secret turns up in some text and not among the other values.
    said_without: OnceCell<Vec<Vec<String>>>,
}

impl<'a> Secrets<'a> {
    pub(super) fn of(info: &'a OrchestratorInfo, now_unix: i64) -> Self {
        let mut secrets: Vec<(&'static str, String)> = Vec::new();
        if let Some(token) = &info.auth_token {
            secrets.push(("auth token", hex::encode(&token.token)));
        }
        for s3 in info.storage.iter().filter_map(|storage| storage.s3info.as_ref()) {
            secrets.push(("S3 policy", s3.policy.to_lowercase()));
            secrets.push(("S3 signature", s3.signature.to_lowercase()));
            secrets.push(("S3 credential", s3.credential.to_lowercase()));
        }
        secrets.retain(|(_, secret)| {
            let distinct: std::collections::BTreeSet<char> = secret.chars().collect();
            secret.chars().count() >= MIN_SECRET_LEN && distinct.len() >= MIN_SECRET_DISTINCT_CHARS
        });
        Self {
            info,
            now_unix,
            secrets,
            public: OnceCell::new(),
            said_without: OnceCell::new(),
        }
    }

    /// Which secret `text` shows, if any. A secret that also occurs among the answer's other
    /// values, or in what the rules and the view say of the answer under both swaps of its
    /// secrets, is not counted: that text comes from the rest of the answer (a fuzzer spells a
    /// policy like a finding's `0xffffff (3 bytes)`), and the text cannot tell which one it
    /// quoted. Two swaps, because one swapped text may itself spell a secret.
    pub(super) fn leaked_in(&self, text: &str) -> Option<&'static str> {
        if self.secrets.is_empty() {
            return None;
        }
        let text = text.to_lowercase();
        for (name, secret) in &self.secrets {
            if !text.contains(secret.as_str()) {
                continue;
            }
            let public = self.public.get_or_init(|| public_values(self.info));
            let mut public = public.iter().chain(CONSTANT_PUBLIC.iter());
            if public.any(|value| value.contains(secret.as_str())) {
                continue;
            }
            let said_without = self.said_without.get_or_init(|| {
                (SWAPS.iter())
                    .map(|swap| said_without_secrets(self.info, self.now_unix, swap))
                    .collect()
            });
            let said_by_every_swap = said_without
                .iter()
                .all(|said| said.iter().any(|value| value.contains(secret.as_str())));
            if !said_by_every_swap {
                return Some(name);
            }
        }
        None
    }

    fn any(&self) -> bool {
        !self.secrets.is_empty()
    }
}

/// What the rest of the observation and the operator's expectations show, lowercased: rules may
/// quote those. The same for every input, so worked out once.
static CONSTANT_PUBLIC: LazyLock<Vec<String>> = LazyLock::new(|| {
    let template = PROBE_ANSWERS.around(OrchestratorInfo::default(), serde_json::Value::Null);
    let mut values = vec![
        hex::encode(reference::well_known_key().address().0),
        hex::encode(template.gateway.0),
        format!("{:?}", *OPERATOR).to_lowercase(),
    ];
    if let Some(ping) = &template.grpc.ping {
        values.push(hex::encode(&ping.value));
        values.extend(ping.call.answer().map(|pong| hex::encode(&pong.value)));
    }
    if let Some(forged) = &template.grpc.end_session_forged {
        values.push(hex::encode(&forged.token.token));
    }
    // The view's own words: capability labels it writes for bits and the names of its fields.
    for known in crate::capability::KNOWN {
        values.push(format!("{} ({})", known.name, known.number).to_lowercase());
    }
    let mut full = reference_info(crate::reference::Preset::OnChainMixed, &[]);
    full.storage.push(crate::proto::net::OsInfo {
        s3info: Some(Default::default()),
        ..Default::default()
    });
    values.extend(view_keys(
        &serde_json::to_value(InfoView::new(&full)).unwrap_or_default(),
    ));
    values
});

/// Every finding the rules make and every value the view shows of `info` with its secrets
/// swapped, lowercased. The Ping is left out (its signer is among [`CONSTANT_PUBLIC`]), which
/// saves a secp256k1 recovery.
fn said_without_secrets(info: &OrchestratorInfo, now_unix: i64, swap: &Swap) -> Vec<String> {
    let swapped = with_secrets_swapped(info, swap);
    let mut said = Vec::new();
    if let Ok(mut observation) = observation_around(&swapped) {
        observation.grpc.ping = None;
        let results = evaluate_both(&mut observation, now_unix);
        let findings = results.iter().flatten().flat_map(|result| &result.findings);
        said.extend(findings.map(|finding| finding_text(finding).to_lowercase()));
    }
    let view = serde_json::to_value(InfoView::new(&swapped)).unwrap_or_default();
    said.extend(shown_values(&view).map(|value| value.to_lowercase()));
    said
}

/// How [`with_secrets_swapped`] changes the secrets: the token's bytes XORed with `token_xor`,
/// each character of a text replaced by `letters.0`, or by `letters.1` where it already is that.
struct Swap {
    token_xor: u8,
    letters: (char, char),
}

/// Two swaps with nothing in common: what both say of an answer is not said of a secret.
const SWAPS: [Swap; 2] = [
    Swap {
        token_xor: 0x5a,
        letters: ('q', 'z'),
    },
    Swap {
        token_xor: 0xa5,
        letters: ('x', 'y'),
    },
];

/// `info` with every byte of its auth token and every character of its S3 policy, signature and
/// credential changed as `swap` says, so what is said of it spells an old secret only where
/// the rest of the answer does, or where the swapped text happens to (hence two swaps).
fn with_secrets_swapped(info: &OrchestratorInfo, swap: &Swap) -> OrchestratorInfo {
    let (letter, other) = swap.letters;
    with_secrets_changed(
        info,
        |token| token.iter_mut().for_each(|byte| *byte ^= swap.token_xor),
        |text| {
            *text = (text.chars())
                .map(|c| if c.eq_ignore_ascii_case(&letter) { other } else { letter })
                .collect();
        },
    )
}

/// `info` with `token` applied to its auth token's bytes and `text` to each S3 policy,
/// signature and credential: the secrets [`Secrets::of`] searches for.
fn with_secrets_changed(
    info: &OrchestratorInfo,
    token: impl Fn(&mut Vec<u8>),
    text: impl Fn(&mut String),
) -> OrchestratorInfo {
    let mut changed = info.clone();
    if let Some(auth_token) = changed.auth_token.as_mut() {
        token(&mut auth_token.token);
    }
    for s3 in changed.storage.iter_mut().filter_map(|storage| storage.s3info.as_mut()) {
        text(&mut s3.policy);
        text(&mut s3.signature);
        text(&mut s3.credential);
    }
    changed
}

/// The object keys of a JSON value, at any depth.
fn view_keys(value: &serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::Array(items) => items.iter().flat_map(view_keys).collect(),
        serde_json::Value::Object(entries) => entries
            .iter()
            .flat_map(|(key, value)| std::iter::once(key.to_lowercase()).chain(view_keys(value)))
            .collect(),
        _ => Vec::new(),
    }
}

/// Every value of `info` but its secrets as rules may render it (text, 0x-hex, decimal),
/// lowercased; [`CONSTANT_PUBLIC`] holds the rest of the observation's.
fn public_values(info: &OrchestratorInfo) -> Vec<String> {
    let blanked = with_secrets_changed(info, Vec::clear, String::clear);
    let mut values = Vec::new();
    if let Ok(message) = DynamicMessage::decode(INFO_DESCRIPTOR.clone(), blanked.encode_to_vec().as_slice()) {
        collect_values(&message, &mut values);
    }
    values
}

fn collect_values(message: &DynamicMessage, values: &mut Vec<String>) {
    for (_, value) in message.fields() {
        collect_value(value, values);
    }
}

fn collect_value(value: &Value, values: &mut Vec<String>) {
    match value {
        Value::String(text) => values.push(text.to_lowercase()),
        Value::Bytes(bytes) => {
            values.push(hex::encode(bytes));
            values.push(num_bigint::BigUint::from_bytes_be(bytes).to_string());
        }
        Value::Message(nested) => collect_values(nested, values),
        Value::List(items) => items.iter().for_each(|item| collect_value(item, values)),
        Value::Map(entries) => {
            for (key, value) in entries {
                collect_value(&Value::from(key.clone()), values);
                collect_value(value, values);
            }
        }
        other => values.push(format!("{other:?}").to_lowercase()),
    }
}
