//! Faults in the ticket parameters of on-chain answers (the TICKET rules).

use clap::ValueEnum;

use super::{case, declared, flags, tickets, Answer, Area, Fault, FaultCase};
use crate::proto::net::OrchestratorInfo;
use crate::reference::Preset::OnChainTranscoding as OnChain;

/// A way to break the TICKET rules; the doc line is the `--fault` help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum TicketFault {
    /// Ticket recipient other than the address.
    RecipientNotAddress,
    /// Ticket face value 0.
    ZeroFaceValue,
    /// Ticket win probability 0.
    ZeroWinProb,
    /// 31-byte recipient_rand_hash.
    ShortRandHash,
    /// Empty ticket seed.
    NoSeed,
    /// Ticket expiration block 0.
    ZeroExpirationBlock,
    /// Ticket without expiration params.
    NoExpirationParams,
    /// Tickets that expire at block 1, long past.
    StaleExpirationBlock,
    /// The same ticket seed and recipient rand hash in every answer.
    ReusedTicketRand,
    /// Face value of 1 ETH: ticket EV above go-livepeer's default maximum.
    HighTicketEv,
}

/// How selftest proves each fault: where it runs and the rules it must fire.
pub const CASES: &[FaultCase] = &[
    declared(
        Fault::Ticket(TicketFault::RecipientNotAddress),
        OnChain,
        &["TICKET-001", "CFG-006"],
    ),
    case(Fault::Ticket(TicketFault::ZeroFaceValue), OnChain, &["TICKET-002"]),
    case(Fault::Ticket(TicketFault::ZeroWinProb), OnChain, &["TICKET-003"]),
    case(Fault::Ticket(TicketFault::ShortRandHash), OnChain, &["TICKET-004"]),
    case(Fault::Ticket(TicketFault::NoSeed), OnChain, &["TICKET-005"]),
    case(
        Fault::Ticket(TicketFault::ZeroExpirationBlock),
        OnChain,
        &["TICKET-006"],
    ),
    case(Fault::Ticket(TicketFault::NoExpirationParams), OnChain, &["TICKET-007"]),
    case(Fault::Ticket(TicketFault::HighTicketEv), OnChain, &["TICKET-008"]),
    flags(
        Fault::Ticket(TicketFault::StaleExpirationBlock),
        OnChain,
        &["l1Block=1000"],
        &["TICKET-009"],
    ),
    case(Fault::Ticket(TicketFault::ReusedTicketRand), OnChain, &["TICKET-010"]),
];

impl Area for TicketFault {
    fn bend(self, info: &mut OrchestratorInfo, _answer: Answer) {
        match self {
            TicketFault::RecipientNotAddress => tickets(info, |ticket| ticket.recipient = vec![0x22; 20]),
            TicketFault::ZeroFaceValue => tickets(info, |ticket| ticket.face_value = vec![0]),
            TicketFault::ZeroWinProb => tickets(info, |ticket| ticket.win_prob = vec![0]),
            TicketFault::ShortRandHash => tickets(info, |ticket| ticket.recipient_rand_hash.truncate(31)),
            TicketFault::NoSeed => tickets(info, |ticket| ticket.seed.clear()),
            TicketFault::ZeroExpirationBlock => tickets(info, |ticket| ticket.expiration_block = vec![0]),
            TicketFault::NoExpirationParams => tickets(info, |ticket| ticket.expiration_params = None),
            TicketFault::StaleExpirationBlock => tickets(info, |ticket| ticket.expiration_block = vec![1]),
            TicketFault::ReusedTicketRand => tickets(info, |ticket| {
                ticket.seed = vec![0x5e; 32];
                ticket.recipient_rand_hash = crate::eth::keccak256(b"lpconform reused rand").to_vec();
            }),
            TicketFault::HighTicketEv => tickets(info, |ticket| {
                ticket.face_value = 1_000_000_000_000_000_000u64.to_be_bytes().to_vec();
            }),
        }
    }
}
