//! URI: the service addresses a gateway dials.

use super::verify::{quoted, report};
use super::{Finding, Mode, Rule, Severity, Skipped};

pub(super) const RULES: &[Rule] = &[URI_001, URI_002, URI_003];

const URI_001: Rule = Rule {
    id: "URI-001",
    severity: Severity::Must,
    mode: Mode::All,
    text: "`transcoder` parses as an absolute https (or http for h2c) URL with a host and a port",
    citation: "go-livepeer: the gateway dials the service URI over gRPC (https, or http for h2c) (facts: Services)",
    hint: "set -serviceURI to a full URL such as https://orch.example.com:8935",
    check: |ctx| {
        let transcoder = &ctx.info()?.transcoder;
        if transcoder.is_empty() {
            return Err(Skipped("transcoder is empty (REQ-001)".into()));
        }
        let problem = match Endpoint::parse(transcoder) {
            Err(problem) => Some(problem),
            Ok(endpoint) if endpoint.scheme != "https" && endpoint.scheme != "http" => Some("the scheme is not https"),
            Ok(endpoint) if endpoint.explicit_port.is_none() => Some("no port"),
            Ok(_) => None,
        };
        report([problem.map(|problem| {
            Finding::new(
                "transcoder",
                "https://host:port (or http://host:port for h2c)",
                format!("{} ({problem})", quoted(transcoder)),
            )
        })])
    },
};

const URI_002: Rule = Rule {
    id: "URI-002",
    severity: Severity::Should,
    mode: Mode::All,
    text: "`transcoder` matches the address the harness dialled, or the operator's expected `serviceURI`",
    citation: "gateway use: work goes to `transcoder`, not to the discovery address; a mismatch sends it elsewhere",
    hint: "behind a proxy or load balancer this can be intended; otherwise fix -serviceURI (or --expect serviceURI=)",
    check: |ctx| {
        let transcoder = &ctx.info()?.transcoder;
        let Ok(advertised) = Endpoint::parse(transcoder) else {
            return Err(Skipped("transcoder is not a URL (REQ-001, URI-001)".into()));
        };
        let target = &ctx.observation.target;
        let expected = ctx.expectations.service_uri.as_deref();
        let matches = |text: &str| Endpoint::parse(text).is_ok_and(|endpoint| endpoint.same_as(&advertised));
        if matches(target) || expected.is_some_and(matches) {
            return Ok(Vec::new());
        }
        let wanted = match expected {
            Some(expected) => format!(
                "{} (dialled) or {} (--expect serviceURI)",
                quoted(target),
                quoted(expected)
            ),
            None => format!("{} (dialled)", quoted(target)),
        };
        Ok(vec![Finding::new("transcoder", wanted, quoted(transcoder))])
    },
};

const URI_003: Rule = Rule {
    id: "URI-003",
    severity: Severity::Must,
    mode: Mode::All,
    text: "every entry of `nodes` parses as an absolute URL",
    citation: "gateway use: gateways dial each node URI like `transcoder` (proto: OrchestratorInfo.nodes)",
    hint: "list each node as a full URL such as https://node.example.com:8935",
    check: |ctx| {
        report(ctx.info()?.nodes.iter().enumerate().map(|(index, node)| {
            Endpoint::parse(node).err().map(|problem| {
                Finding::new(
                    format!("nodes[{index}]"),
                    "an absolute URL (scheme://host[:port])",
                    format!("{} ({problem})", quoted(node)),
                )
            })
        }))
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
        self.scheme == other.scheme && self.host == other.host && self.port() == other.port()
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
            "https://orch.example",
            "ftp://orch.example:21",
            "https://:8935",
        ] {
            assert_breaks("URI-001", |o| info_mut(o).transcoder = bad.into(), &["transcoder"]);
        }
        assert_passes_with("URI-001", &Expectations::default(), |o| {
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
    }

    #[test]
    fn endpoints_compare_by_scheme_host_and_effective_port() {
        let parse = |text| Endpoint::parse(text).unwrap();
        assert!(parse("https://a.example").same_as(&parse("https://A.example:443/x")));
        assert!(!parse("http://a.example").same_as(&parse("https://a.example")));
        assert_eq!(Endpoint::parse("/relative"), Err("no scheme"));
    }
}
