//! Structure-aware: an OrchestratorInfo built by `lpconform_fuzz::InfoInput` (a reference answer
//! edited field by field, or one built from nothing) goes through every rule at the clock the
//! input picks (lpconform::invariants::check_rules).
#![no_main]

use libfuzzer_sys::fuzz_target;
use lpconform_fuzz::InfoInput;

fuzz_target!(|input: InfoInput| {
    if let Err(problem) = lpconform::invariants::check_rules(&input.info, input.now_unix) {
        panic!("{problem}");
    }
});
