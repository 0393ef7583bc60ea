//! The family that puts invalid UTF-8 in every string field of the requests, by raw encoding.

use bytes::Bytes;
use prost::Message;

use super::draw::{Draw, FAR_FUTURE};
use crate::fuzz::wire;
use crate::protocol::RpcMethod;

const INVALID_UTF8: &[&[u8]] = &[
    &[0xff],
    // An overlong NUL.
    &[0xc0, 0x80],
    // A UTF-16 surrogate.
    &[0xed, 0xa0, 0x80],
    // Past U+10FFFF.
    &[0xf4, 0x90, 0x80, 0x80],
    // A three-byte sequence cut short.
    &[0xe2, 0x82],
    // A lone continuation byte.
    &[0x80],
    &[0xfe, 0xfe, 0xff, 0xff],
    b"0.8.0\xff",
];

#[derive(Debug, Clone, Copy)]
enum StringField {
    CapabilitiesVersion,
    MinVersion,
    ModelId,
    RunnerVersion,
    SessionId,
}

const STRING_FIELDS: &[StringField] = &[
    StringField::CapabilitiesVersion,
    StringField::MinVersion,
    StringField::ModelId,
    StringField::RunnerVersion,
    StringField::SessionId,
];

pub(super) fn invalid_utf8(draw: &mut Draw<'_>) -> (RpcMethod, Bytes) {
    let field = draw.entry(STRING_FIELDS, draw.index);
    let bad = draw.entry(INVALID_UTF8, draw.index / STRING_FIELDS.len() as u64);
    let mut capabilities = Vec::new();
    // Capabilities 0 and 1 (H.264, MPEG-TS) as a packed bitstring.
    wire::len_field(&mut capabilities, 1, &[0x03]);
    match field {
        StringField::SessionId => return (RpcMethod::EndTranscodingSession, bad_session_id(draw, bad).into()),
        StringField::CapabilitiesVersion => wire::len_field(&mut capabilities, 4, bad),
        StringField::MinVersion => wire::message_field(&mut capabilities, 5, |out| wire::len_field(out, 1, bad)),
        StringField::ModelId => model_constraint(&mut capabilities, bad, b"0.1.0"),
        StringField::RunnerVersion => model_constraint(&mut capabilities, b"lpconform/model", bad),
    }
    let mut body = draw.signed().encode_to_vec();
    wire::len_field(&mut body, 3, &capabilities);
    (RpcMethod::GetOrchestrator, body.into())
}

/// An EndTranscodingSessionRequest whose auth token has `session_id` as its session id.
fn bad_session_id(draw: &mut Draw<'_>, session_id: &[u8]) -> Vec<u8> {
    let token = draw.bytes(32);
    let mut body = Vec::new();
    wire::message_field(&mut body, 1, |out| {
        wire::len_field(out, 1, &token);
        wire::len_field(out, 2, session_id);
        wire::varint_field(out, 3, FAR_FUTURE as u64);
    });
    body
}

/// `constraints.PerCapability[27].models[model_id].runnerVersion` of a Capabilities message.
fn model_constraint(capabilities: &mut Vec<u8>, model_id: &[u8], runner_version: &[u8]) {
    wire::message_field(capabilities, 5, |out| {
        wire::message_field(out, 2, |out| {
            wire::varint_field(out, 1, 27);
            wire::message_field(out, 2, |out| {
                wire::message_field(out, 1, |out| {
                    wire::len_field(out, 1, model_id);
                    wire::message_field(out, 2, |out| wire::len_field(out, 3, runner_version));
                });
            });
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::families::{family, generate, ingredients};
    use crate::proto::net::{EndTranscodingSessionRequest, OrchestratorRequest};

    #[test]
    fn invalid_utf8_cases_fail_to_decode_only_for_utf8() {
        let ingredients = ingredients(1);
        let family = family("invalid-utf8");
        for index in 0..(STRING_FIELDS.len() * INVALID_UTF8.len()) as u64 {
            let input = generate(&family, index, 1, &ingredients);
            let error = match RpcMethod::from_path(&input.path).unwrap() {
                RpcMethod::GetOrchestrator => OrchestratorRequest::decode(input.body.clone()).map(drop),
                _ => EndTranscodingSessionRequest::decode(input.body.clone()).map(drop),
            }
            .expect_err(&input.case);
            assert!(error.to_string().contains("UTF-8"), "{}: {error}", input.case);
        }
    }
}
