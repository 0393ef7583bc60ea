//! How long values from a target are shown: whole up to a bound, else their start and size, so
//! one long field cannot fill a report. Views, rules, observations and every reporter take
//! target text, bytes and numbers through these.

use num_bigint::BigUint;

/// How many characters of one string from the target a view or report shows.
pub const SHOWN_CHARS: usize = 256;

/// How many bytes of one byte field a view shows, as hex or as one number (a uint256 is 32).
pub const SHOWN_BYTES: usize = 32;

/// A string the target sent, as views and reports show it: whole up to [`SHOWN_CHARS`]
/// characters, else its first ones, `…` and its size, so one long field cannot fill a report.
pub fn shown_text(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((cut, _)) => format!("{}… ({} bytes)", &text[..cut], text.len()),
        None => text.to_string(),
    }
}

/// `0x`-prefixed lowercase hex; `0x` for empty bytes.
pub fn hex_bytes(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// `0x`-hex as views show bytes: whole up to [`SHOWN_BYTES`], else the first ones, `…` and the size.
pub fn shown_hex(bytes: &[u8]) -> String {
    match bytes.get(..SHOWN_BYTES).filter(|_| bytes.len() > SHOWN_BYTES) {
        Some(first) => format!("{}… ({} bytes)", hex_bytes(first), bytes.len()),
        None => hex_bytes(bytes),
    }
}

/// A big-endian unsigned byte string as a decimal number (see [`decimal_text`]).
pub fn big_endian_decimal(bytes: &[u8]) -> String {
    decimal_text(&BigUint::from_bytes_be(bytes))
}

/// A number in decimal up to [`SHOWN_BYTES`] bytes; a longer one as [`shown_hex`] of its bytes,
/// because decimal conversion costs the square of a number's length.
pub fn decimal_text(number: &BigUint) -> String {
    if number.bits() > 8 * SHOWN_BYTES as u64 {
        shown_hex(&number.to_bytes_be())
    } else {
        number.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_of_any_length_render_without_panicking() {
        assert_eq!(big_endian_decimal(&[]), "0");
        assert_eq!(big_endian_decimal(&[1, 0]), "256");
        assert_eq!(
            big_endian_decimal(&[0xff; 32]),
            BigUint::from_bytes_be(&[0xff; 32]).to_string()
        );
    }

    #[test]
    fn long_strings_bytes_and_numbers_show_their_start_and_size() {
        assert_eq!(shown_text("short"), "short");
        let long = "é".repeat(SHOWN_CHARS + 1);
        assert_eq!(shown_text(&long), format!("{}… (514 bytes)", "é".repeat(SHOWN_CHARS)));
        assert_eq!(shown_hex(&[0xab; SHOWN_BYTES]), hex_bytes(&[0xab; SHOWN_BYTES]));
        assert_eq!(
            shown_hex(&[0xab; 1000]),
            format!("{}… (1000 bytes)", hex_bytes(&[0xab; SHOWN_BYTES]))
        );
        let mut huge = vec![0; 10];
        huge.extend([1; 1000]);
        assert_eq!(
            big_endian_decimal(&huge),
            shown_hex(&[1; 1000]),
            "leading zeros are no digits"
        );
    }
}
