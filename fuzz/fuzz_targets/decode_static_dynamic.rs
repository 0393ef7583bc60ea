//! The first byte picks a message of the `net` package; the rest must decode the same way with
//! prost and prost-reflect, and re-encode stably (lpconform::invariants::check_decode).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    if let Err(problem) = lpconform::invariants::check_decode(input) {
        panic!("{problem}");
    }
});
