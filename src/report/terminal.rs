//! The report for people at a terminal.

use std::fmt::Write as _;

use crate::observe::{Call, Observation};
use crate::view::{hex_bytes, InfoView};

fn describe<T>(call: &Call<T>, ok_text: impl FnOnce(&T) -> String) -> String {
    let millis = call.elapsed.as_millis();
    match &call.outcome {
        Ok(answer) => format!("{} ({millis} ms)", ok_text(answer)),
        Err(error) => format!("{error} ({millis} ms)"),
    }
}

/// Each call's outcome, then the discovery answer as its readable view.
pub fn render_observation(observation: &Observation) -> String {
    let mut out = String::new();
    let mut line = |label: &str, text: String| {
        let _ = writeln!(out, "{label:<40} {text}");
    };
    line("target", observation.target.clone());
    line("gateway", observation.gateway.to_checksum());
    line("GetOrchestrator (signed)", describe(&observation.info, |_| "ok".into()));
    if let Some(call) = &observation.forged_signature {
        line(
            "GetOrchestrator (forged signature)",
            describe(call, |_| "accepted".into()),
        );
    }
    if let Some(call) = &observation.malformed_address {
        line(
            "GetOrchestrator (19-byte address)",
            describe(call, |_| "accepted".into()),
        );
    }
    if let Some(ping) = &observation.ping {
        line(
            &format!("Ping {}", hex_bytes(&ping.value)),
            describe(&ping.call, |pong| format!("answered {}", hex_bytes(&pong.value))),
        );
    }
    if let Some(end) = &observation.end_session_forged {
        line(
            "EndTranscodingSession (forged token)",
            describe(&end.call, |_| "accepted".into()),
        );
    }
    if let Some(end) = &observation.end_session_issued {
        line(
            "EndTranscodingSession (issued token)",
            describe(&end.call, |_| "ok".into()),
        );
    }
    if let Some(info) = observation.info.answer() {
        let _ = write!(
            out,
            "\nOrchestratorInfo (secrets redacted):\n{}",
            InfoView::new(info).to_yaml()
        );
    }
    out
}
