//! `lpconform rules`: the catalog as a table, or as the Markdown of docs/rules.md.

use super::args::RulesArgs;
use super::{print_stdout, Outcome, RunError};
use crate::rules::{catalog_markdown, catalog_table};

pub fn rules(args: &RulesArgs) -> Result<Outcome, RunError> {
    if args.markdown {
        print_stdout(&catalog_markdown())?;
    } else {
        print_stdout(&catalog_table())?;
    }
    Ok(Outcome::Conformant)
}
