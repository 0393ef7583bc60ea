//! Versions as go-livepeer's gateways read them (Masterminds semver, lenient): an optional
//! `v`, one to three numeric parts (`0.9` is `0.9.0`), an optional pre-release and build.
//! Comparisons ignore the pre-release, as go-livepeer does: its builds between tags carry
//! post-release suffixes such as `0.9.1-5-g176aa415`.

use std::cmp::Ordering;

/// The text a binary built without version flags reports.
pub const UNDEFINED: &str = "undefined";

/// A parsed version: major, minor and patch; the pre-release and build are checked, then dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

impl Version {
    /// `None` when gateways could not parse `text` either.
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.strip_prefix('v').unwrap_or(text);
        let (rest, build) = match text.split_once('+') {
            Some((rest, build)) => (rest, Some(build)),
            None => (text, None),
        };
        let (core, pre_release) = match rest.split_once('-') {
            Some((core, pre_release)) => (core, Some(pre_release)),
            None => (rest, None),
        };
        let identifiers_ok = |part: Option<&str>| {
            part.is_none_or(|part| {
                part.split('.').all(|identifier| {
                    !identifier.is_empty()
                        && identifier
                            .bytes()
                            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
                })
            })
        };
        if !identifiers_ok(pre_release) || !identifiers_ok(build) {
            return None;
        }
        let mut numbers = [0u64; 3];
        let parts: Vec<&str> = core.split('.').collect();
        if parts.is_empty() || parts.len() > 3 {
            return None;
        }
        for (slot, part) in numbers.iter_mut().zip(&parts) {
            if part.is_empty() || !part.bytes().all(|byte| byte.is_ascii_digit()) {
                return None;
            }
            *slot = part.parse().ok()?;
        }
        let [major, minor, patch] = numbers;
        Some(Version { major, minor, patch })
    }

    /// `version` against `minimum`, pre-releases ignored; `None` when either does not parse
    /// (an empty or `undefined` version then fails a minimum, as in go-livepeer's `isVersionCompatible`).
    pub fn compare(version: &str, minimum: &str) -> Option<Ordering> {
        let version = Version::parse(version)?;
        let minimum = Version::parse(minimum)?;
        Some(version.cmp(&minimum))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_leniently_as_gateways_do() {
        let parsed = |text| Version::parse(text).map(|v| (v.major, v.minor, v.patch));
        assert_eq!(parsed("0.9.1"), Some((0, 9, 1)));
        assert_eq!(parsed("v0.9.1"), Some((0, 9, 1)));
        assert_eq!(parsed("0.9"), Some((0, 9, 0)));
        assert_eq!(parsed("0.9.1-5-gabc"), Some((0, 9, 1)));
        assert_eq!(parsed("0.9.1-v0.9.1-5-g176aa415"), Some((0, 9, 1)));
        assert_eq!(parsed("1.2.3+build.7"), Some((1, 2, 3)));
        for bad in [
            "",
            UNDEFINED,
            "1.2.3.4",
            "1..2",
            "1.2.x",
            "1.2.3-",
            "1.2.3-a..b",
            "latest",
        ] {
            assert_eq!(Version::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn comparisons_ignore_the_pre_release() {
        assert_eq!(Version::compare("0.9.1-5-gabc", "0.9.1"), Some(Ordering::Equal));
        assert_eq!(Version::compare("0.9.0", "0.9.1"), Some(Ordering::Less));
        assert_eq!(Version::compare("0.10", "0.9.1"), Some(Ordering::Greater));
        assert_eq!(Version::compare(UNDEFINED, "0.9.1"), None);
    }
}
