//! Reproducers: each failed or refused call as one `grpcurl` command line, so an orchestrator's
//! developers can resend it without lpconform. The request is rendered as proto3 JSON from the
//! loaded protocol (the bytes sent, signatures included, in base64 as the JSON mapping has
//! it); the issued auth token, a secret, is never rendered: its reproducer says where it
//! comes from instead.

use std::path::{Path, PathBuf};
use std::time::Duration;

use prost_reflect::DynamicMessage;

use crate::driver::{SentRequest, Wire};
use crate::protocol::Protocol;
use crate::runner::RunReport;
use crate::transport::{Scheme, Target};

/// What stands in the command for the issued auth token.
pub const ISSUED_TOKEN_PLACEHOLDER: &str = "<issued auth_token: not printed>";

/// How the run reached the target, which a reproducer repeats.
#[derive(Debug, Clone, Copy)]
pub struct Reproduction<'a> {
    pub target: &'a Target,
    pub protocol: &'a Protocol,
    /// `--ca`: the reproducer verifies the certificate the same way.
    pub ca: Option<&'a Path>,
    pub call_timeout: Duration,
}

/// Builds the reproducer of every step that kept its request.
pub fn attach_reproducers(report: &mut RunReport, how: Reproduction<'_>) {
    for step in report.cases.iter_mut().flat_map(|case| &mut case.steps) {
        if let Some(request) = &step.request {
            step.reproducer = reproducer(request, how);
        }
    }
}

/// The command that resends `request`: a grpcurl line for a gRPC call; none yet for an HTTP
/// request (its `curl` line, leaving out sensitive headers, comes with the job routes).
pub fn reproducer(request: &SentRequest, how: Reproduction<'_>) -> Option<String> {
    match request.wire {
        Wire::Grpc { .. } => Some(grpcurl_command(request, how)),
        Wire::Http(_) => None,
    }
}

/// `grpcurl -plaintext -max-time 3 -import-path proto -proto lp_rpc.proto -d '{...}'
/// 127.0.0.1:8935 net.Orchestrator/Ping`, quoted for a POSIX shell.
pub fn grpcurl_command(request: &SentRequest, how: Reproduction<'_>) -> String {
    let json = match request_json(request, how.protocol) {
        Ok(json) => json,
        Err(problem) => return format!("no grpcurl command: {problem}"),
    };
    let mut words: Vec<String> = vec!["grpcurl".into()];
    match (how.target.scheme(), how.ca) {
        (Scheme::Http, _) => words.push("-plaintext".into()),
        (Scheme::Https, Some(ca)) => words.extend(["-cacert".into(), ca.display().to_string()]),
        (Scheme::Https, None) => words.push("-insecure".into()),
    }
    words.extend(["-max-time".into(), how.call_timeout.as_secs_f64().to_string()]);
    let (import_path, proto_files) = proto_arguments(how.protocol);
    words.extend(["-import-path".into(), import_path.display().to_string()]);
    for file in proto_files {
        words.extend(["-proto".into(), file]);
    }
    words.extend(["-d".into(), json]);
    words.push(how.target.authority());
    words.push(request.name().into_owned());
    let command = shlex::try_join(words.iter().map(String::as_str))
        .unwrap_or_else(|error| format!("no grpcurl command: {error}"));
    if request.carries_issued_token {
        format!(
            "{command}  # replace {ISSUED_TOKEN_PLACEHOLDER} with the auth_token of a fresh GetOrchestrator \
             answer; lpconform never prints it"
        )
    } else {
        command
    }
}

/// The request as proto3 JSON, the form `grpcurl -d` takes.
fn request_json(request: &SentRequest, protocol: &Protocol) -> Result<String, String> {
    let name = request.name();
    let method = protocol
        .method_by_path(&name)
        .ok_or_else(|| format!("the loaded protocol has no {name}"))?;
    if request.carries_issued_token {
        return Ok(format!("{{\"authToken\":\"{ISSUED_TOKEN_PLACEHOLDER}\"}}"));
    }
    let message = DynamicMessage::decode(method.input(), request.body().as_ref())
        .map_err(|error| format!("the request does not decode with the loaded protocol: {error}"))?;
    serde_json::to_string(&message).map_err(|error| format!("the request has no JSON form: {error}"))
}

/// `-import-path` and the `-proto` files: those the run loaded, or lpconform's own
/// `proto/lp_rpc.proto` (relative to a checkout) when it used the built-in descriptors.
fn proto_arguments(protocol: &Protocol) -> (PathBuf, Vec<String>) {
    let Some(first) = protocol.files().first() else {
        return (PathBuf::from("proto"), vec!["lp_rpc.proto".into()]);
    };
    let import_path = first
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let files = protocol
        .files()
        .iter()
        .filter_map(|file| file.file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    (import_path, files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::net::{AuthToken, EndTranscodingSessionRequest, OrchestratorRequest};
    use crate::transport::{HttpRequest, HttpVersion};
    use bytes::Bytes;
    use prost::Message as _;

    fn how<'a>(target: &'a Target, protocol: &'a Protocol) -> Reproduction<'a> {
        Reproduction {
            target,
            protocol,
            ca: None,
            call_timeout: Duration::from_millis(2500),
        }
    }

    #[test]
    fn a_discovery_is_rendered_as_the_bytes_sent() {
        let protocol = Protocol::built_in();
        let target = Target::parse("https://orch.example:8935").unwrap();
        let request = SentRequest::grpc(
            "/net.Orchestrator/GetOrchestrator",
            OrchestratorRequest {
                address: vec![0x11; 20],
                sig: vec![0xab; 65],
                ignore_capacity_check: true,
                ..Default::default()
            }
            .encode_to_vec()
            .into(),
        );
        let command = grpcurl_command(&request, how(&target, &protocol));
        let words = shlex::split(&command).unwrap();
        assert_eq!(
            words[..8],
            [
                "grpcurl",
                "-insecure",
                "-max-time",
                "2.5",
                "-import-path",
                "proto",
                "-proto",
                "lp_rpc.proto"
            ]
        );
        assert_eq!(words[10..], ["orch.example:8935", "net.Orchestrator/GetOrchestrator"]);
        let json: serde_json::Value = serde_json::from_str(&words[9]).unwrap();
        use base64::Engine as _;
        let base64 = base64::engine::general_purpose::STANDARD;
        assert_eq!(json["sig"], base64.encode([0xab; 65]));
        assert_eq!(json["address"], base64.encode([0x11; 20]));
        assert_eq!(json["ignoreCapacityCheck"], true);
    }

    #[test]
    fn an_http_request_gets_no_grpcurl_line() {
        let protocol = Protocol::built_in();
        let target = Target::parse("https://orch.example:8935").unwrap();
        let mut payment = http::HeaderValue::from_static("c2VjcmV0");
        payment.set_sensitive(true);
        let request = SentRequest::http(
            HttpRequest::new(HttpVersion::Http1, http::Method::POST, "/payment")
                .with_header(http::HeaderName::from_static("livepeer-payment"), payment),
        );
        assert_eq!(request.name(), "POST /payment");
        assert_eq!(reproducer(&request, how(&target, &protocol)), None);
        let grpc = SentRequest::grpc("/net.Orchestrator/Ping", Bytes::new());
        let command = reproducer(&grpc, how(&target, &protocol)).unwrap();
        assert!(
            command.ends_with("orch.example:8935 net.Orchestrator/Ping"),
            "{command}"
        );
    }

    #[test]
    fn the_issued_token_is_never_printed_and_h2c_is_plaintext() {
        let protocol = Protocol::built_in();
        let target = Target::parse("http://127.0.0.1:8935").unwrap();
        let token = AuthToken {
            token: b"SECRET-TOKEN-BYTES".to_vec(),
            session_id: "secret-session".into(),
            expiration: 1,
        };
        let request = SentRequest {
            carries_issued_token: true,
            ..SentRequest::grpc(
                "/net.Orchestrator/EndTranscodingSession",
                EndTranscodingSessionRequest {
                    auth_token: Some(token),
                }
                .encode_to_vec()
                .into(),
            )
        };
        let command = grpcurl_command(&request, how(&target, &protocol));
        assert!(command.starts_with("grpcurl -plaintext "), "{command}");
        assert!(command.contains(ISSUED_TOKEN_PLACEHOLDER), "{command}");
        assert!(command.contains("lpconform never prints it"), "{command}");
        assert!(!command.contains("secret-session"), "{command}");
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD.encode(b"SECRET-TOKEN-BYTES");
        assert!(!command.contains(&encoded), "{command}");
    }
}
