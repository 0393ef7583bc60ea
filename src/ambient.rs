//! What the process takes from the machine it runs on rather than from its inputs: the wall
//! clock and random bytes. Pure code takes the current time as an input; these are where the
//! edges read it.

use std::time::{SystemTime, UNIX_EPOCH};

use rand::RngCore;

/// `len` bytes from the thread's random generator.
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

/// Seconds since the Unix epoch, as protocol timestamps count them (0 before the epoch).
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
