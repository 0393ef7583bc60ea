//! Decimal integers the operator writes (`--expect` values, flag values, suite and models
//! files): a number beyond its type is named too large (or too small) with the bound, not
//! reported as "not a number".

use std::fmt::Display;
use std::num::{IntErrorKind, ParseIntError};
use std::str::FromStr;

use num_traits::Bounded;

/// Why a text is not an integer of the wanted type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntegerError {
    #[error("not an integer")]
    NotAnInteger,
    #[error("too large: at most {max}")]
    TooLarge { max: String },
    #[error("too small: at least {min}")]
    TooSmall { min: String },
}

/// Parses `text` (decimal, optional sign) as a `T`.
pub fn parse<T>(text: &str) -> Result<T, IntegerError>
where
    T: FromStr<Err = ParseIntError> + Bounded + Display,
{
    text.parse::<T>().map_err(|error| match error.kind() {
        IntErrorKind::PosOverflow => IntegerError::TooLarge {
            max: T::max_value().to_string(),
        },
        IntErrorKind::NegOverflow => IntegerError::TooSmall {
            min: T::min_value().to_string(),
        },
        _ => IntegerError::NotAnInteger,
    })
}

/// A clap value parser for an integer flag that names an overflow with its bound.
pub fn flag<T>(text: &str) -> Result<T, String>
where
    T: FromStr<Err = ParseIntError> + Bounded + Display,
{
    parse(text).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_is_named_with_the_bound_and_other_text_is_not_a_number() {
        assert_eq!(parse::<u32>("4294967295"), Ok(u32::MAX));
        assert_eq!(
            parse::<u32>("4294967296").unwrap_err().to_string(),
            "too large: at most 4294967295"
        );
        assert_eq!(
            parse::<i64>("-9223372036854775809").unwrap_err().to_string(),
            "too small: at least -9223372036854775808"
        );
        assert_eq!(parse::<u64>("-1"), Err(IntegerError::NotAnInteger));
        assert_eq!(parse::<u64>("12a"), Err(IntegerError::NotAnInteger));
        assert_eq!(parse::<u64>(""), Err(IntegerError::NotAnInteger));
    }
}
