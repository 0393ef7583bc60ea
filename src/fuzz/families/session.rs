//! Families of the calls after discovery: Ping values of odd lengths, and EndTranscodingSession
//! with forged, truncated, empty and missing auth tokens.

use bytes::Bytes;
use prost::Message;
use rand::Rng;

use super::draw::{Draw, FAR_FUTURE, FILLS};
use crate::fuzz::wire;
use crate::proto::net::{AuthToken, EndTranscodingSessionRequest, PingPong};
use crate::protocol::RpcMethod;

const PING_LENGTHS: &[usize] = &[0, 1, 31, 33, 64, 65, 2, 255, 4_096, 65_536, 7, 1_048_576];

pub(super) fn ping_value(draw: &mut Draw<'_>) -> (RpcMethod, Bytes) {
    let len = draw.entry(PING_LENGTHS, draw.index);
    let fill = draw.pick(FILLS);
    let value = draw.filled(len, fill);
    let mut body = Vec::new();
    // Sometimes a first value that the second replaces, as proto3 keeps the last one.
    if draw.chance(4) {
        let earlier_len = draw.pick(PING_LENGTHS).min(1_024);
        let earlier = draw.bytes(earlier_len);
        wire::len_field(&mut body, 1, &earlier);
    }
    body.extend(PingPong { value }.encode_to_vec());
    (RpcMethod::Ping, body.into())
}

const TOKEN_LENGTHS: &[usize] = &[32, 0, 16, 1, 31, 33, 64, 4_096];

const SESSION_IDS: &[&str] = &[
    "",
    "lpconform-fuzz",
    "\0",
    "ü\u{202e}💥",
    "../../../../etc/passwd",
    "%s%s%s%n",
    "' OR '1'='1",
];

const EXPIRATIONS: &[i64] = &[i64::MIN, -1, 0, FAR_FUTURE, i64::MAX];

#[derive(Debug, Clone, Copy)]
enum TokenShape {
    Full,
    /// No auth_token field at all.
    Missing,
    /// An auth_token with every field empty.
    Empty,
    /// The encoded request cut short.
    CutShort,
}

const TOKEN_SHAPES: &[TokenShape] = &[
    TokenShape::Full,
    TokenShape::Full,
    TokenShape::Full,
    TokenShape::Missing,
    TokenShape::Empty,
    TokenShape::CutShort,
];

pub(super) fn end_session_token(draw: &mut Draw<'_>) -> (RpcMethod, Bytes) {
    let len = draw.entry(TOKEN_LENGTHS, draw.index);
    let mut session_id = draw.pick(SESSION_IDS).to_string();
    if draw.chance(8) {
        session_id = session_id.repeat(1_000);
    }
    let token = AuthToken {
        token: draw.bytes(len),
        session_id,
        expiration: draw.pick(EXPIRATIONS),
    };
    let request = |auth_token| EndTranscodingSessionRequest { auth_token }.encode_to_vec();
    let body = match draw.pick(TOKEN_SHAPES) {
        TokenShape::Full => request(Some(token)),
        TokenShape::Missing => request(None),
        TokenShape::Empty => request(Some(AuthToken::default())),
        TokenShape::CutShort => {
            let mut body = request(Some(token));
            let cut = draw.rng.gen_range(0..body.len().max(1));
            body.truncate(cut);
            body
        }
    };
    (RpcMethod::EndTranscodingSession, body.into())
}
