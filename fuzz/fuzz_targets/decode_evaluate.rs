//! Config and order decoding plus evaluation on arbitrary value trees: `Engine::new`,
//! `decode_order`, `evaluate` and `evaluate_membership` must return a typed error or a result,
//! never panic (overflow checks are on in fuzz builds, so an arithmetic overflow is a panic too).
#![no_main]
use aba_loyalty_fuzz::{check, Case};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|case: Case| {
    check(&case);
});
