//! Reporters: pure functions from results to text. The runner never prints;
//! the CLI writes what a reporter returns.

pub mod terminal;
