//! The capability enum from facts.md: numbers, names, and which are AI
//! pipelines, plus the bitstring encoding gateways and orchestrators share.

/// What a capability is for; the capability matrix treats each kind differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapabilityKind {
    /// Transcoding and media handling (codecs, containers, storage, auth).
    Transcoding,
    /// An AI pipeline, selected per model and priced per model.
    Ai { pipeline: &'static str },
    /// Bring-your-own-container: an external capability with its own pricing.
    External,
}

/// One entry of the capability enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capability {
    pub number: u32,
    pub name: &'static str,
    pub kind: CapabilityKind,
}

impl Capability {
    pub fn is_ai(&self) -> bool {
        matches!(self.kind, CapabilityKind::Ai { .. })
    }

    pub fn pipeline(&self) -> Option<&'static str> {
        match self.kind {
            CapabilityKind::Ai { pipeline } => Some(pipeline),
            _ => None,
        }
    }
}

const fn media(number: u32, name: &'static str) -> Capability {
    Capability {
        number,
        name,
        kind: CapabilityKind::Transcoding,
    }
}

const fn ai(number: u32, pipeline: &'static str) -> Capability {
    Capability {
        number,
        name: pipeline,
        kind: CapabilityKind::Ai { pipeline },
    }
}

/// Every known capability, indexed by its number.
pub const KNOWN: &[Capability] = &[
    media(0, "H.264"),
    media(1, "MPEGTS"),
    media(2, "MP4"),
    media(3, "fractional framerates"),
    media(4, "storage direct"),
    media(5, "storage S3"),
    media(6, "storage GCS"),
    media(7, "H264 Baseline"),
    media(8, "H264 Main"),
    media(9, "H264 High"),
    media(10, "H264 Constrained High"),
    media(11, "GOP"),
    media(12, "auth token"),
    media(13, "scene classification"),
    media(14, "MPEG7 signature"),
    media(15, "HEVC decode"),
    media(16, "HEVC encode"),
    media(17, "VP8 decode"),
    media(18, "VP9 decode"),
    media(19, "VP8 encode"),
    media(20, "VP9 encode"),
    media(21, "H264 decode 444 8-bit"),
    media(22, "H264 decode 422 8-bit"),
    media(23, "H264 decode 444 10-bit"),
    media(24, "H264 decode 422 10-bit"),
    media(25, "H264 decode 420 10-bit"),
    media(26, "segment slicing"),
    ai(27, "text-to-image"),
    ai(28, "image-to-image"),
    ai(29, "image-to-video"),
    ai(30, "upscale"),
    ai(31, "audio-to-text"),
    ai(32, "segment-anything-2"),
    ai(33, "llm"),
    ai(34, "image-to-text"),
    ai(35, "live-video-to-video"),
    ai(36, "text-to-speech"),
    Capability {
        number: 37,
        name: "BYOC",
        kind: CapabilityKind::External,
    },
];

/// Capability numbers used by name elsewhere in the code.
pub const H264: u32 = 0;
pub const MPEGTS: u32 = 1;
pub const AUTH_TOKEN: u32 = 12;
pub const LIVE_VIDEO_TO_VIDEO: u32 = 35;
/// Bring-your-own-container: external capabilities, priced with the capability name as constraint.
pub const BYOC: u32 = 37;

/// Looks up a capability by number; `None` for numbers the enum does not know.
pub fn lookup(number: u32) -> Option<&'static Capability> {
    KNOWN.get(number as usize).filter(|c| c.number == number)
}

/// Looks up an AI capability by its pipeline name (as in aiModels.json).
pub fn by_pipeline(pipeline: &str) -> Option<&'static Capability> {
    KNOWN.iter().find(|c| c.pipeline() == Some(pipeline))
}

/// A capability's name, or `unknown(N)` for numbers outside the enum.
pub fn display_name(number: u32) -> String {
    match lookup(number) {
        Some(capability) => capability.name.to_string(),
        None => format!("unknown({number})"),
    }
}

/// The capability numbers whose bits are set, ascending.
pub fn decode_bitstring(words: &[u64]) -> Vec<u32> {
    bitstring_numbers(words).collect()
}

/// The numbers of the set bits, lowest first, without collecting them: a 4 MiB bitstring sets
/// 25 million bits, and a view needs only the first few and their count.
pub fn bitstring_numbers(words: &[u64]) -> impl Iterator<Item = u32> + '_ {
    words.iter().enumerate().flat_map(|(word_index, word)| {
        // Word counts beyond u32 range cannot come from a decoded message
        // of capped size, so saturating is only a guard.
        let base = u32::try_from(word_index * 64).unwrap_or(u32::MAX - 63);
        (0..64u32)
            .filter(move |bit| word & (1u64 << bit) != 0)
            .map(move |bit| base + bit)
    })
}

/// Sets bit n%64 of word n/64 for every number given.
pub fn encode_bitstring(numbers: impl IntoIterator<Item = u32>) -> Vec<u64> {
    let mut words: Vec<u64> = Vec::new();
    for number in numbers {
        let word = (number / 64) as usize;
        if words.len() <= word {
            words.resize(word + 1, 0);
        }
        words[word] |= 1u64 << (number % 64);
    }
    words
}

/// Whether capability `number` is set, without decoding the whole bitstring.
pub fn has_bit(words: &[u64], number: u32) -> bool {
    let word = usize::try_from(number / 64).ok().and_then(|index| words.get(index));
    word.is_some_and(|word| word & (1u64 << (number % 64)) != 0)
}

/// The capability numbers whose bits are set, ascending and lazily: a huge
/// bitstring costs time in proportion to its set bits, never memory.
pub fn set_bits(words: &[u64]) -> impl Iterator<Item = u32> + '_ {
    words
        .iter()
        .enumerate()
        .filter(|(_, word)| **word != 0)
        .flat_map(|(word_index, word)| {
            let word = *word;
            (0..64u64).filter(move |bit| word & (1u64 << bit) != 0).map(move |bit| {
                u64::try_from(word_index)
                    .unwrap_or(u64::MAX)
                    .saturating_mul(64)
                    .saturating_add(bit)
            })
        })
        .map_while(|number| u32::try_from(number).ok())
}

/// Codec and profile capabilities: meaningful only on top of the transcoding
/// core (H.264 in MPEG-TS), which MATRIX-005 checks.
pub fn is_codec(number: u32) -> bool {
    matches!(number, 7..=10 | 15..=25)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_indexed_by_number() {
        for (index, capability) in KNOWN.iter().enumerate() {
            assert_eq!(capability.number as usize, index, "{}", capability.name);
        }
    }

    #[test]
    fn bitstring_round_trips_across_words() {
        let numbers = vec![0, 1, 27, 63, 64, 130];
        let words = encode_bitstring(numbers.clone());
        assert_eq!(words.len(), 3);
        assert_eq!(words[0], 1 | 2 | (1 << 27) | (1 << 63));
        assert_eq!(decode_bitstring(&words), numbers);
    }

    #[test]
    fn bit_queries_match_decoding() {
        let words = encode_bitstring([0, 1, 27, 63, 64, 130]);
        assert_eq!(set_bits(&words).collect::<Vec<_>>(), decode_bitstring(&words));
        assert!(has_bit(&words, 130) && !has_bit(&words, 131) && !has_bit(&words, u32::MAX));
        assert!(is_codec(16) && !is_codec(H264) && !is_codec(27));
    }

    #[test]
    fn pipelines_and_unknown_numbers() {
        assert_eq!(by_pipeline("llm").map(|c| c.number), Some(33));
        assert!(lookup(27).unwrap().is_ai());
        assert!(!lookup(0).unwrap().is_ai());
        assert_eq!(display_name(99), "unknown(99)");
        assert!(lookup(38).is_none());
    }
}
