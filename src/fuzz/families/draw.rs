//! What a written family draws from: the case's number, its own random stream and the run's
//! ingredients, with the choices every family makes (an entry of a list, a method, a fill).

use prost::Message;
use rand::{Rng, RngCore};
use rand_chacha::ChaCha8Rng;

use super::Ingredients;
use crate::capability;
use crate::proto::net::{AuthToken, Capabilities, EndTranscodingSessionRequest, OrchestratorRequest, PingPong};
use crate::protocol::RpcMethod;

/// An expiration far in the future (2100-01-01), fixed so cases replay byte for byte.
pub(super) const FAR_FUTURE: i64 = 4_102_444_800;

/// What a generator draws from.
pub(super) struct Draw<'a> {
    /// The case's number within its family.
    pub(super) index: u64,
    pub(super) rng: ChaCha8Rng,
    pub(super) ingredients: &'a Ingredients,
}

impl Draw<'_> {
    /// Entry `position` of `list`, cycling: the family's systematic choice.
    pub(super) fn entry<T: Copy>(&self, list: &[T], position: u64) -> T {
        list[(position % list.len() as u64) as usize]
    }

    /// For families that go through the three methods first: the method, then the entry of
    /// `list` for this case.
    pub(super) fn method_and_entry<T: Copy>(&self, list: &[T]) -> (RpcMethod, T) {
        let methods = RpcMethod::ALL.len() as u64;
        (
            self.entry(&RpcMethod::ALL, self.index),
            self.entry(list, self.index / methods),
        )
    }

    /// A random entry of `list`: the family's secondary choices.
    pub(super) fn pick<T: Copy>(&mut self, list: &[T]) -> T {
        list[self.rng.gen_range(0..list.len())]
    }

    pub(super) fn chance(&mut self, one_in: u32) -> bool {
        self.rng.gen_range(0..one_in) == 0
    }

    pub(super) fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut bytes = vec![0u8; len];
        self.rng.fill_bytes(&mut bytes);
        bytes
    }

    pub(super) fn filled(&mut self, len: usize, fill: Fill) -> Vec<u8> {
        match fill {
            Fill::Random => self.bytes(len),
            Fill::Zeros => vec![0; len],
            Fill::Ones => vec![0xff; len],
        }
    }

    pub(super) fn signed(&self) -> OrchestratorRequest {
        self.ingredients.signed.clone()
    }

    pub(super) fn forged_token(&mut self) -> AuthToken {
        AuthToken {
            token: self.bytes(32),
            session_id: format!("lpconform-fuzz-{}", hex::encode(self.bytes(4))),
            expiration: FAR_FUTURE,
        }
    }

    /// A valid request of `method`, for the families that break valid requests.
    pub(super) fn valid_body(&mut self, method: RpcMethod) -> Vec<u8> {
        match method {
            RpcMethod::GetOrchestrator => OrchestratorRequest {
                capabilities: Some(Capabilities {
                    bitstring: capability::encode_bitstring([capability::H264, capability::MPEGTS]),
                    version: "0.8.0".into(),
                    ..Default::default()
                }),
                ..self.signed()
            }
            .encode_to_vec(),
            RpcMethod::Ping => PingPong { value: self.bytes(32) }.encode_to_vec(),
            RpcMethod::EndTranscodingSession => EndTranscodingSessionRequest {
                auth_token: Some(self.forged_token()),
            }
            .encode_to_vec(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Fill {
    Random,
    Zeros,
    Ones,
}

pub(super) const FILLS: &[Fill] = &[Fill::Random, Fill::Zeros, Fill::Ones];
