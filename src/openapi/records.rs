//! The records of an encoded message, walked without decoding it: how the renderer and the
//! long-field checks reach a part of a long answer without holding all of it decoded.

use prost::bytes::Buf;
use prost::encoding::{decode_key, decode_varint, skip_field, DecodeContext, WireType};

/// Why a message could not be rendered: its records do not parse, or a value does not fit the
/// JSON the document asks for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot render OrchestratorInfo as JSON: {0}")]
pub struct RenderError(pub(super) String);

/// Calls `visit` with each record of `encoded` (one level, not the messages within): its field
/// number, its payload when length-delimited, and the whole record's bytes.
pub(super) fn for_each_record<'b>(
    encoded: &'b [u8],
    mut visit: impl FnMut(u32, Option<&'b [u8]>, &'b [u8]),
) -> Result<(), RenderError> {
    let malformed = |error: prost::DecodeError| RenderError(error.to_string());
    let mut bytes = encoded;
    while bytes.has_remaining() {
        let start = bytes;
        let (number, wire_type) = decode_key(&mut bytes).map_err(malformed)?;
        let payload = if wire_type == WireType::LengthDelimited {
            let len = usize::try_from(decode_varint(&mut bytes).map_err(malformed)?).unwrap_or(usize::MAX);
            if len > bytes.len() {
                return Err(RenderError("a length past the answer's end".into()));
            }
            let (payload, after) = bytes.split_at(len);
            bytes = after;
            Some(payload)
        } else {
            skip_field(wire_type, number, &mut bytes, DecodeContext::default()).map_err(malformed)?;
            None
        };
        visit(number, payload, &start[..start.len() - bytes.len()]);
    }
    Ok(())
}
