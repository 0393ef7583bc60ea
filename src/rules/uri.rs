//! URI: the service addresses a gateway dials.

use std::collections::HashMap;

use super::verify::{outcome_text, quoted, report};
use super::{CheckFindings, Finding, Mode, Rule, Severity, Skipped};

pub(super) const FILE: &str = file!();

pub(super) const RULES: &[Rule] = &[URI_001, URI_002, URI_003, URI_004];

const URI_001: Rule = Rule {
    id: "URI-001",
    severity: Severity::Must,
    mode: Mode::All,
    text: "a non-empty `transcoder` parses as an absolute `https` URL (`http` only for an h2c target) with a host; the port may be omitted (https means 443; go-livepeer advertises `-serviceAddr` as given)",
    citation: "go-livepeer server/rpc.go and cmd/livepeer/starter/starter.go getServiceURI: https:// + -serviceAddr",
    hint: "set -serviceAddr to the public host[:port] of the orchestrator",
    check: |ctx| {
        let transcoder = &ctx.info()?.transcoder;
        if transcoder.is_empty() {
            return Err(Skipped("transcoder is empty (REQ-001)".into()));
        }
        let h2c_target = ctx.observation.target.starts_with("http://");
        let problem = match Endpoint::parse(transcoder) {
            Err(problem) => Some(problem),
            Ok(endpoint) if endpoint.scheme == "https" => None,
            Ok(endpoint) if endpoint.scheme == "http" && h2c_target => None,
            Ok(endpoint) if endpoint.scheme == "http" => Some("http for a TLS target"),
            Ok(_) => Some("the scheme is not https"),
        };
        report([problem.map(|problem| {
            Finding::new(
                "transcoder",
                "https://host[:port] (http:// only for an h2c target)",
                format!("{} ({problem})", quoted(transcoder)),
            )
        })])
    },
};

const URI_002: Rule = Rule {
    id: "URI-002",
    severity: Severity::Should,
    mode: Mode::All,
    text: "`transcoder` matches the address the harness dialled, or the expected `serviceAddr`",
    citation: "go-livepeer discovery/discovery.go: work goes to `transcoder`, not to the discovery address",
    hint: "behind a proxy or load balancer this can be intended; otherwise fix -serviceAddr (or --expect serviceAddr=)",
    check: |ctx| {
        let transcoder = &ctx.info()?.transcoder;
        let Ok(advertised) = Endpoint::parse(transcoder) else {
            return Err(Skipped("transcoder is not a URL (REQ-001, URI-001)".into()));
        };
        let target = &ctx.observation.target;
        let expected = ctx.expectations.service_uri.as_deref();
        let matches = |text: &str| Endpoint::parse(text).is_ok_and(|endpoint| endpoint.same_as(&advertised));
        if matches(target) || expected.is_some_and(matches) {
            return Ok(CheckFindings::default());
        }
        let wanted = match expected {
            Some(expected) => format!(
                "{} (dialled) or {} (expected serviceAddr)",
                quoted(target),
                quoted(expected)
            ),
            None => format!("{} (dialled)", quoted(target)),
        };
        Ok(vec![Finding::new("transcoder", wanted, quoted(transcoder))].into())
    },
};

const URI_003: Rule = Rule {
    id: "URI-003",
    severity: Severity::Must,
    mode: Mode::All,
    text: "every `nodes` entry parses as an absolute https URL",
    citation: "go-livepeer cmd/livepeer/starter/starter.go parseNodes: -nodes are forced to https",
    hint: "list each node as host:port or https://host:port in -nodes",
    check: |ctx| {
        report(ctx.info()?.nodes.iter().enumerate().map(|(index, node)| {
            let problem = match Endpoint::parse(node) {
                Err(problem) => Some(problem),
                Ok(endpoint) if endpoint.scheme != "https" => Some("the scheme is not https"),
                Ok(_) => None,
            };
            problem.map(|problem| {
                Finding::new(
                    format!("nodes[{index}]"),
                    "an absolute https URL (https://host[:port])",
                    format!("{} ({problem})", quoted(node)),
                )
            })
        }))
    },
};

const URI_004: Rule = Rule {
    id: "URI-004",
    severity: Severity::Should,
    mode: Mode::All,
    text: "`nodes` entries are distinct and differ from `transcoder`; with `--follow-nodes`, each answers GetOrchestrator with a non-empty `transcoder` (never dial a node without that flag)",
    citation: "go-livepeer discovery/discovery.go: nodes are followed one level, deduplicated (-extraNodes)",
    hint: "list each node once, apart from the orchestrator's own service address",
    check: |ctx| {
        let info = ctx.info()?;
        if info.nodes.is_empty() {
            return Err(Skipped("the orchestrator lists no nodes".into()));
        }
        let own = Endpoint::parse(&info.transcoder).ok();
        // Each endpoint's first index, by what makes endpoints the same: linear in `nodes`.
        let mut seen: HashMap<(String, String, Option<u16>), usize> = HashMap::new();
        let mut findings = CheckFindings::default();
        for (index, node) in info.nodes.iter().enumerate() {
            let Ok(endpoint) = Endpoint::parse(node) else {
                continue; // URI-003 reports it.
            };
            if own.as_ref().is_some_and(|own| own.same_as(&endpoint)) {
                findings.push(Finding::new(
                    format!("nodes[{index}]"),
                    "a node other than transcoder",
                    format!("{} (the transcoder itself)", quoted(node)),
                ));
            } else {
                let first = *seen.entry(endpoint.identity()).or_insert(index);
                if first != index {
                    findings.push(Finding::new(
                        format!("nodes[{index}]"),
                        "each node once",
                        format!("{} (repeats nodes[{first}])", quoted(node)),
                    ));
                }
            }
        }
        for (index, followed) in ctx.observation.grpc.followed_nodes.iter().flatten().enumerate() {
            let path = format!("followed_nodes[{index}]");
            match &followed.call.outcome {
                Ok(answer) if !answer.transcoder.is_empty() => {}
                Ok(_) => findings.push(Finding::new(
                    path,
                    format!("{} answers with a non-empty transcoder", quoted(&followed.node)),
                    "an empty transcoder",
                )),
                Err(error) => findings.push(Finding::new(
                    path,
                    format!("{} answers GetOrchestrator", quoted(&followed.node)),
                    outcome_text(Err(error)),
                )),
            }
        }
        Ok(findings)
    },
};

/// Where a service URI leads: what a gateway dials.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Endpoint {
    scheme: String,
    host: String,
    explicit_port: Option<u16>,
}

impl Endpoint {
    /// An absolute URL with a scheme and a host; the path is ignored.
    pub(super) fn parse(text: &str) -> Result<Self, &'static str> {
        let uri: http::Uri = text.parse().map_err(|_| "not a URL")?;
        let scheme = uri.scheme_str().ok_or("no scheme")?.to_ascii_lowercase();
        let host = uri.host().filter(|host| !host.is_empty()).ok_or("no host")?;
        Ok(Self {
            scheme,
            host: host.to_ascii_lowercase(),
            explicit_port: uri.port_u16(),
        })
    }

    fn port(&self) -> Option<u16> {
        self.explicit_port.or(match self.scheme.as_str() {
            "https" => Some(443),
            "http" => Some(80),
            _ => None,
        })
    }

    /// Same scheme, host (any letter case) and effective port.
    pub(super) fn same_as(&self, other: &Endpoint) -> bool {
        self.identity() == other.identity()
    }

    /// What two endpoints share when they are the same: scheme, lower-case host, effective port.
    fn identity(&self) -> (String, String, Option<u16>) {
        (self.scheme.clone(), self.host.clone(), self.port())
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::*;
    use super::*;
    use crate::expect::Expectations;

    #[test]
    fn uri_001_transcoder_is_a_dialable_url() {
        assert_passes("URI-001");
        for bad in [
            "orch.example:8935",
            "http://orch.example:8935",
            "ftp://orch.example:21",
            "https://:8935",
        ] {
            assert_breaks("URI-001", |o| info_mut(o).transcoder = bad.into(), &["transcoder"]);
        }
        assert_passes_with("URI-001", &Expectations::default(), |o| {
            info_mut(o).transcoder = "https://orch.example".into()
        });
        assert_passes_with("URI-001", &Expectations::default(), |o| {
            o.target = "http://127.0.0.1:8935".into();
            info_mut(o).transcoder = "http://127.0.0.1:8935".into()
        });
    }

    #[test]
    fn uri_002_transcoder_matches_dialled_or_expected() {
        assert_passes_with("URI-002", &Expectations::default(), |o| {
            info_mut(o).transcoder = "https://ORCH.example:8935/".into()
        });
        let moved = |o: &mut crate::observe::Observation| info_mut(o).transcoder = "https://lb.example:443".into();
        assert_breaks("URI-002", moved, &["transcoder"]);
        let expectations = Expectations {
            service_uri: Some("https://lb.example".into()),
            ..Default::default()
        };
        assert_passes_with("URI-002", &expectations, moved);
    }

    #[test]
    fn uri_003_nodes_are_urls() {
        assert_passes("URI-003");
        assert_breaks(
            "URI-003",
            |o| info_mut(o).nodes = vec!["https://a.example:1".into(), "not a url".into()],
            &["nodes[1]"],
        );
        assert_breaks(
            "URI-003",
            |o| info_mut(o).nodes = vec!["http://a.example:1".into()],
            &["nodes[0]"],
        );
    }

    #[test]
    fn uri_004_nodes_are_distinct_and_answer_when_followed() {
        assert_passes("URI-004");
        assert_breaks(
            "URI-004",
            |o| {
                let transcoder = info_mut(o).transcoder.clone();
                info_mut(o).nodes = vec!["https://a.example:1".into(), "https://A.example:1/".into(), transcoder];
            },
            &["nodes[1]", "nodes[2]"],
        );
        let followed = |transcoder: &str| {
            let transcoder = transcoder.to_string();
            move |o: &mut crate::observe::Observation| {
                let mut answer = good_info();
                answer.transcoder = transcoder;
                o.grpc.followed_nodes = Some(vec![crate::observe::NodeDiscovery {
                    node: "https://orch-2.example:8935".into(),
                    call: answered(answer),
                }]);
            }
        };
        assert_passes_with(
            "URI-004",
            &Expectations::default(),
            followed("https://orch-2.example:8935"),
        );
        assert_breaks("URI-004", followed(""), &["followed_nodes[0]"]);
        assert!(assert_skips("URI-004", &Expectations::default(), |o| info_mut(o).nodes.clear()).contains("no nodes"));
    }

    #[test]
    fn endpoints_compare_by_scheme_host_and_effective_port() {
        let parse = |text| Endpoint::parse(text).unwrap();
        assert!(parse("https://a.example").same_as(&parse("https://A.example:443/x")));
        assert!(!parse("http://a.example").same_as(&parse("https://a.example")));
        assert_eq!(Endpoint::parse("/relative"), Err("no scheme"));
    }
}
