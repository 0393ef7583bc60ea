//! Reporters: pure functions from results to text. The runner never prints;
//! the CLI writes what a reporter returns.

pub mod html;
pub mod json;
pub mod junit;
pub mod matrix;
pub mod sweep;
pub mod terminal;
