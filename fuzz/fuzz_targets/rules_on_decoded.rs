//! Whatever decodes as an OrchestratorInfo goes through every rule, which must not panic, must
//! keep verdicts and findings consistent and must not quote a secret
//! (lpconform::invariants::check_rules).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    if let Err(problem) = lpconform::invariants::check_rules_on_bytes(input) {
        panic!("{problem}");
    }
});
