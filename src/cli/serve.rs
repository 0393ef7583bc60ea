//! `lpconform serve`: the embedded reference orchestrator as a standalone server.

use std::io::Write;

use super::args::ServeArgs;
use super::setup::{reference_config, ReferenceDefaults};
use super::{print_stdout, Outcome, RunError};
use crate::reference::{self, NIL_POINTER_PANIC};

/// The exit status of a Go program that panics.
const GO_PANIC_EXIT_STATUS: i32 = 2;

pub async fn serve(args: ServeArgs) -> Result<Outcome, RunError> {
    let config = reference_config(&args.reference, args.listen, ReferenceDefaults::SERVE)?;
    let mut running = reference::start(config).await?;
    print_stdout(&format!(
        "serving net.Orchestrator on {} (address {})\n",
        running.url(),
        running.address()
    ))?;
    tokio::select! {
        interrupted = tokio::signal::ctrl_c() => {
            interrupted.map_err(|error| RunError::Usage(format!("cannot wait for Ctrl-C: {error}")))?;
        }
        () = running.crashed() => {
            // As go-livepeer dies (`crash-on-missing-token`): the Go runtime's panic text and exit status.
            let _ = writeln!(std::io::stderr(), "{NIL_POINTER_PANIC}\n[signal SIGSEGV: segmentation violation]");
            std::process::exit(GO_PANIC_EXIT_STATUS);
        }
    }
    running.shutdown().await;
    Ok(Outcome::Conformant)
}
