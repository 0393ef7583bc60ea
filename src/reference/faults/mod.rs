//! Fault injection: each fault makes the reference orchestrator break catalog rules on purpose,
//! so every check can be shown to fire (`lpconform selftest`).
//!
//! Faults are grouped by the rule area they break, one file per area as under `src/rules/`. An
//! area's file holds its faults (an enum whose variants' kebab-case names are what `--fault`
//! takes and whose doc lines are its help), how each bends a discovery answer ([`Area::bend`]),
//! and how selftest proves each (`CASES`: [`FaultCase`]s). A fault that bends no answer is applied
//! elsewhere: one that changes how a call is handled by the [`Node`](super::Node) as it handles
//! the call (`node.has(...)`), one that replaces an answer's bytes on the wire
//! (`garbled-response`, `unknown-field-on-wire`) by the gRPC routes (`service::grpc_routes`).
//!
//! Adding a fault: a variant in its area's enum, its case in that area's `CASES`, and its
//! effect, an arm of the area's `bend`, a `node.has(...)` check where the node handles the call,
//! or a raw route in `service::grpc_routes` for an answer's bytes. Adding an area: its file here,
//! its `mod` line and one line in the `areas!` list below.

use std::sync::LazyLock;

use clap::builder::PossibleValue;
use clap::ValueEnum;

use super::Preset;
use crate::capability;
use crate::expect::Expectations;
use crate::proto::net::capabilities::capability_constraints::ModelConstraint;
use crate::proto::net::{OrchestratorInfo, PriceInfo};

pub use rpc::{
    truncated_token_panic, CRASH_BITSTRING_WORDS, CRASH_OUTAGE, ISSUED_TOKEN_LEN, LEAKED_PANIC, STALL, STALL_PING_LEN,
};

// The areas' files, declared here rather than by `areas!` so rustfmt reaches them.
mod auth;
mod capabilities;
mod config;
mod hardware;
mod identity;
mod matrix;
mod price;
mod required;
mod rpc;
mod spec;
mod storage;
mod ticket;
mod uri;

/// Declares the areas: each line `module: Variant(AreaFault)` makes `Fault::Variant` hold the
/// faults of `module.rs` (declared above), which defines `AreaFault` (an `Area`) and its `CASES`.
macro_rules! areas {
    ($($(#[$doc:meta])* $module:ident: $variant:ident($faults:ident),)+) => {
        $(pub use $module::$faults;)+

        /// A way to break the orchestrator, by the area of the rules it breaks. Users name it by
        /// its own name alone, whatever its area (`--fault short-rand-hash`, the selftest table).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Fault {
            $($(#[$doc])* $variant($faults),)+
        }

        $(impl From<$faults> for Fault {
            fn from(fault: $faults) -> Fault {
                Fault::$variant(fault)
            }
        })+

        impl Fault {
            /// Its name and help, as its area's enum spells them.
            fn area_value(self) -> Option<PossibleValue> {
                match self {
                    $(Fault::$variant(fault) => fault.to_possible_value(),)+
                }
            }

            fn bend(self, info: &mut OrchestratorInfo, answer: Answer) {
                match self {
                    $(Fault::$variant(fault) => fault.bend(info, answer),)+
                }
            }
        }

        /// Every fault, area by area.
        static ALL: LazyLock<Vec<Fault>> = LazyLock::new(|| {
            let mut all = Vec::new();
            $(all.extend($faults::value_variants().iter().copied().map(Fault::$variant));)+
            all
        });

        /// Every fault case, area by area: each rule an orchestrator can break appears here.
        pub const FAULT_CASES: &[FaultCase] = &concat::<{ 0 $(+ $module::CASES.len())+ }>(&[$($module::CASES),+]);
    };
}

areas! {
    /// The fields go-livepeer always sends (REQ).
    required: Required(RequiredFault),
    /// The service URI and nodes (URI).
    uri: Uri(UriFault),
    /// The address and the key that proves it (ADDR, IDENT).
    identity: Identity(IdentityFault),
    /// Prices (PRICE).
    price: Price(PriceFault),
    /// Ticket parameters (TICKET).
    ticket: Ticket(TicketFault),
    /// Auth tokens and sessions (AUTH).
    auth: Auth(AuthFault),
    /// Capabilities, models and versions (CAP).
    capabilities: Capabilities(CapabilityFault),
    /// Capabilities, prices and hardware agreeing (MATRIX).
    matrix: Matrix(MatrixFault),
    /// Hardware (HW).
    hardware: Hardware(HardwareFault),
    /// Storage (STORAGE).
    storage: Storage(StorageFault),
    /// How calls are handled (RPC).
    rpc: Rpc(RpcFault),
    /// The wire format against lp_rpc.proto (SPEC).
    spec: Spec(SpecFault),
    /// The operator's configuration (CFG).
    config: Config(ConfigFault),
}

/// `--fault NAME` takes any area's fault by its own name.
impl ValueEnum for Fault {
    fn value_variants<'a>() -> &'a [Self] {
        &ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        self.area_value()
    }
}

impl Fault {
    /// The `--fault` spelling.
    pub fn name(self) -> String {
        self.to_possible_value()
            .map(|value| value.get_name().to_string())
            .unwrap_or_default()
    }

    /// What the fault does, as `--help` shows it.
    pub fn description(self) -> String {
        self.to_possible_value()
            .and_then(|value| value.get_help().map(ToString::to_string))
            .unwrap_or_default()
    }
}

/// An area's faults: each area's enum is one.
trait Area: ValueEnum + Copy {
    /// Bends one discovery answer. A fault that changes how a call is handled, or an answer's
    /// bytes on the wire, leaves the answer alone: the node or the gRPC routes apply it.
    fn bend(self, _info: &mut OrchestratorInfo, _answer: Answer) {}
}

/// What the operator declares for a fault case.
#[derive(Debug, Clone, Copy)]
pub enum Declared {
    /// Nothing: only the rules that need no expectations can fire.
    Nothing,
    /// The orchestrator's own configuration, as its operator would pass it.
    Configuration,
    /// These `--expect` flags.
    Flags(&'static [&'static str]),
}

impl Declared {
    /// The expectations this declaration stands for, given what the started orchestrator's
    /// operator configured (`RunningOrchestrator::expectations`).
    pub fn expectations(self, configured: &Expectations) -> Result<Expectations, String> {
        match self {
            Declared::Nothing => Ok(Expectations::default()),
            Declared::Configuration => Ok(configured.clone()),
            Declared::Flags(flags) => {
                let flags: Vec<String> = flags.iter().map(|flag| flag.to_string()).collect();
                Expectations::parse_flags(&flags).map_err(|error| error.to_string())
            }
        }
    }
}

/// What runs against the faulty orchestrator to show the fault's rules fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exercise {
    /// The standard probe (`runner::standard_probe`), the calls `lpconform run` makes: selftest runs it
    /// and evaluates the whole catalog on what it saw.
    StandardProbe,
    /// Only fuzzed requests set the fault off. selftest sends none and lists the case;
    /// `tests/live_fuzz.rs` proves `lpconform fuzz` (whose embedded orchestrator is off-chain
    /// transcoding, go-livepeer's defaults) finds it.
    FuzzedInput,
}

/// One fault, where it runs, what runs against it, and the rules it must fire.
#[derive(Debug, Clone, Copy)]
pub struct FaultCase {
    pub fault: Fault,
    pub preset: Preset,
    pub declared: Declared,
    pub exercise: Exercise,
    /// The rules the fault breaks. More than one only where the catalog itself
    /// states a requirement twice (PRICE-001 and MATRIX-001, TICKET-001 and CFG-006).
    pub rules: &'static [&'static str],
}

/// A case the standard probe proves with nothing declared.
const fn case(fault: Fault, preset: Preset, rules: &'static [&'static str]) -> FaultCase {
    FaultCase {
        fault,
        preset,
        declared: Declared::Nothing,
        exercise: Exercise::StandardProbe,
        rules,
    }
}

/// A case the standard probe proves with the orchestrator's configuration declared.
const fn declared(fault: Fault, preset: Preset, rules: &'static [&'static str]) -> FaultCase {
    FaultCase {
        declared: Declared::Configuration,
        ..case(fault, preset, rules)
    }
}

/// A case the standard probe proves with these `--expect` flags.
const fn flags(
    fault: Fault,
    preset: Preset,
    flags: &'static [&'static str],
    rules: &'static [&'static str],
) -> FaultCase {
    FaultCase {
        declared: Declared::Flags(flags),
        ..case(fault, preset, rules)
    }
}

/// A case only fuzzed input proves, on `lpconform fuzz`'s own embedded orchestrator.
const fn fuzzed(fault: Fault, rules: &'static [&'static str]) -> FaultCase {
    FaultCase {
        exercise: Exercise::FuzzedInput,
        ..case(fault, Preset::OffChainTranscoding, rules)
    }
}

/// The areas' cases one after another, as a constant so `FAULT_CASES` is a plain slice.
const fn concat<const N: usize>(areas: &[&[FaultCase]]) -> [FaultCase; N] {
    let mut all = [areas[0][0]; N];
    let mut at = 0;
    let mut area = 0;
    while area < areas.len() {
        let mut index = 0;
        while index < areas[area].len() {
            all[at] = areas[area][index];
            at += 1;
            index += 1;
        }
        area += 1;
    }
    assert!(at == N, "N is the sum of the areas' lengths");
    all
}

/// The answer a fault bends: when it was made, and whether its price is the transcoding price
/// (the request named no capabilities) or the sum of named models' prices.
#[derive(Debug, Clone, Copy)]
pub struct Answer {
    pub now: i64,
    pub transcoding_price: bool,
}

/// Applies every information-corrupting fault to one answer. Faults that change call handling
/// are applied by the node, those that change an answer's bytes by the gRPC routes.
pub fn corrupt(info: &mut OrchestratorInfo, faults: &[Fault], answer: Answer) {
    for fault in faults {
        fault.bend(info, answer);
    }
}

/// The answer's price when it is the transcoding price: the faults about the configured
/// transcoding price leave the per-model prices alone.
fn transcoding_price(info: &mut OrchestratorInfo, answer: Answer) -> impl Iterator<Item = &mut PriceInfo> {
    info.price_info.iter_mut().filter(move |_| answer.transcoding_price)
}

fn tickets(info: &mut OrchestratorInfo, change: impl FnOnce(&mut crate::proto::net::TicketParams)) {
    if let Some(ticket) = info.ticket_params.as_mut() {
        change(ticket);
    }
}

/// Applies `change` to every model constraint.
fn models(info: &mut OrchestratorInfo, mut change: impl FnMut(&mut ModelConstraint)) {
    capabilities(info, |capabilities| {
        let constraints = capabilities.constraints.iter_mut();
        constraints
            .flat_map(|constraints| constraints.per_capability.values_mut())
            .flat_map(|per_capability| per_capability.models.values_mut())
            .for_each(&mut change);
    });
}

fn capabilities(info: &mut OrchestratorInfo, change: impl FnOnce(&mut crate::proto::net::Capabilities)) {
    if let Some(capabilities) = info.capabilities.as_mut() {
        change(capabilities);
    }
}

/// The lowest AI capability that lists models (else the first priced one), to aim faults at.
fn first_ai_capability(info: &OrchestratorInfo) -> Option<u32> {
    let with_models = info
        .capabilities
        .iter()
        .flat_map(|capabilities| capabilities.constraints.iter())
        .flat_map(|constraints| constraints.per_capability.iter())
        .filter(|(_, per_capability)| !per_capability.models.is_empty())
        .map(|(number, _)| *number)
        .min();
    with_models.or_else(|| info.capabilities_prices.first().map(|price| price.capability))
}

/// The first AI capability the answer does not advertise, to aim faults at.
fn unadvertised_ai_capability(info: &OrchestratorInfo) -> u32 {
    let bitstring = info
        .capabilities
        .as_ref()
        .map(|c| c.bitstring.as_slice())
        .unwrap_or_default();
    capability::KNOWN
        .iter()
        .filter(|known| known.is_ai())
        .map(|known| known.number)
        .find(|number| !capability::has_bit(bitstring, *number))
        .unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_kebab_case_flag_values() {
        assert_eq!(Fault::from(TicketFault::ShortRandHash).name(), "short-rand-hash");
        assert_eq!(
            Fault::from_str("zero-pixels-per-unit", false),
            Ok(Fault::from(PriceFault::ZeroPixelsPerUnit))
        );
        assert!(Fault::from(TicketFault::HighTicketEv).description().contains("EV"));
    }

    #[test]
    fn every_fault_has_one_name_across_the_areas() {
        let mut names: Vec<String> = Fault::value_variants().iter().map(|fault| fault.name()).collect();
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count, "two areas name a fault alike");
    }
}
