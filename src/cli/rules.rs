//! `lpconform rules`: the catalog as a table, or as the Markdown of docs/rules.md.

use super::args::RulesArgs;
use super::Outcome;
use crate::rules::{catalog_markdown, catalog_table};

pub fn rules(args: &RulesArgs) -> Outcome {
    if args.markdown {
        print!("{}", catalog_markdown());
    } else {
        print!("{}", catalog_table());
    }
    Outcome::Conformant
}
