//! The orchestrator address a user names: `https://host:port` or `http://host:port`, checked up front.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use rustls::pki_types::{DnsName, ServerName};

use super::TransportError;

/// go-livepeer's default service port, used when the address has none.
pub const DEFAULT_PORT: u16 = 8935;

/// How to speak HTTP/2 to the orchestrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `https://`: TLS with ALPN `h2`, as orchestrators serve by default.
    Https,
    /// `http://`: HTTP/2 with prior knowledge (h2c), no TLS.
    Http,
}

/// A validated orchestrator address. Displays as the normalized URL
/// (lowercase scheme and name, explicit port, IPv6 in brackets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    scheme: Scheme,
    host: Host,
    port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    Name(DnsName<'static>),
    Ip(IpAddr),
}

impl Target {
    /// Parses a `--target` value. Errors name the input and what was expected.
    pub fn parse(text: &str) -> Result<Target, TransportError> {
        parse_url(text.trim()).map_err(|problem| TransportError::BadTarget {
            input: text.to_string(),
            problem,
        })
    }

    /// A server listening on `address` of this machine (the embedded orchestrator).
    pub fn local(scheme: Scheme, address: std::net::SocketAddr) -> Target {
        Target {
            scheme,
            host: Host::Ip(address.ip()),
            port: address.port(),
        }
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `host:port`, with an IPv6 host in brackets.
    pub fn authority(&self) -> String {
        match &self.host {
            Host::Name(name) => format!("{}:{}", name.as_ref(), self.port),
            Host::Ip(IpAddr::V6(ip)) => format!("[{ip}]:{}", self.port),
            Host::Ip(IpAddr::V4(ip)) => format!("{ip}:{}", self.port),
        }
    }

    /// The host as TCP resolution wants it: a name or a bare IP literal.
    pub(super) fn host_for_dialing(&self) -> String {
        match &self.host {
            Host::Name(name) => name.as_ref().to_string(),
            Host::Ip(ip) => ip.to_string(),
        }
    }

    /// The name sent in TLS SNI and checked against the certificate when it is verified.
    pub(super) fn server_name(&self) -> ServerName<'static> {
        match &self.host {
            Host::Name(name) => ServerName::DnsName(name.clone()),
            Host::Ip(ip) => ServerName::IpAddress((*ip).into()),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            Scheme::Https => "https",
            Scheme::Http => "http",
        };
        write!(f, "{scheme}://{}", self.authority())
    }
}

fn parse_url(text: &str) -> Result<Target, String> {
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err(format!(
            "expected https://host:port (TLS) or http://host:port (h2c), e.g. https://{}",
            if text.is_empty() { "127.0.0.1:8935" } else { text }
        ));
    };
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "https" => Scheme::Https,
        "http" => Scheme::Http,
        _ => return Err("scheme must be https:// (TLS) or http:// (h2c)".to_string()),
    };
    let (authority, remainder) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    if !remainder.is_empty() && remainder != "/" {
        return Err(format!(
            "expected no path, query or fragment after host:port, found '{remainder}'"
        ));
    }
    if authority.contains('@') {
        return Err("user info (user@host) is not allowed".to_string());
    }
    let (host, port) = split_host_port(authority)?;
    Ok(Target { scheme, host, port })
}

fn split_host_port(authority: &str) -> Result<(Host, u16), String> {
    if authority.is_empty() {
        return Err("no host: expected https://host:port".to_string());
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (inside, after) = bracketed
            .split_once(']')
            .ok_or("IPv6 address is missing its closing ']'")?;
        let ip: Ipv6Addr = inside
            .parse()
            .map_err(|_| format!("'{inside}' is not an IPv6 address"))?;
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or(format!("expected ':port' after ']', found '{after}'"))?,
            ),
        };
        (Host::Ip(IpAddr::V6(ip)), port)
    } else {
        let (name, port) = match authority.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (authority, None),
        };
        if port.is_some_and(|port| port.contains(':')) {
            return Err("an IPv6 address must be in brackets, e.g. https://[::1]:8935".to_string());
        }
        (parse_host(name)?, port)
    };
    let port = match port {
        None => DEFAULT_PORT,
        Some(port) => match port.parse::<u16>() {
            Ok(port) if port != 0 => port,
            _ => return Err(format!("port '{port}' is not a number from 1 to 65535")),
        },
    };
    Ok((host, port))
}

fn parse_host(name: &str) -> Result<Host, String> {
    if name.is_empty() {
        return Err("no host: expected https://host:port".to_string());
    }
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(Host::Ip(ip));
    }
    DnsName::try_from(name.to_ascii_lowercase())
        .map(Host::Name)
        .map_err(|_| format!("'{name}' is neither a host name nor an IP address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_names_and_addresses_and_normalizes_them() {
        let cases = [
            ("https://orch.example.com:8935", "https://orch.example.com:8935"),
            ("https://Orch.Example.COM", "https://orch.example.com:8935"),
            ("HTTPS://127.0.0.1:9000/", "https://127.0.0.1:9000"),
            ("http://localhost:7935", "http://localhost:7935"),
            ("http://[::1]:7935", "http://[::1]:7935"),
            ("https://[2001:DB8::1]", "https://[2001:db8::1]:8935"),
            ("  https://10.0.0.2:1  ", "https://10.0.0.2:1"),
            ("https://orchestrator_1:8935", "https://orchestrator_1:8935"),
        ];
        for (input, normalized) in cases {
            let target = Target::parse(input).unwrap_or_else(|error| panic!("{input}: {error}"));
            assert_eq!(target.to_string(), normalized, "input {input}");
        }
        let target = Target::parse("http://[::1]").unwrap();
        assert_eq!(
            (target.scheme(), target.port(), target.authority().as_str()),
            (Scheme::Http, 8935, "[::1]:8935")
        );
    }

    #[test]
    fn rejects_anything_else_saying_what_is_expected() {
        let cases = [
            ("ftp://x", "scheme must be https:// (TLS) or http:// (h2c)"),
            ("grpc://x:1", "scheme must be"),
            (
                "orch.example.com:8935",
                "expected https://host:port (TLS) or http://host:port (h2c)",
            ),
            ("", "expected https://host:port"),
            ("https://", "no host"),
            ("https://:8935", "no host"),
            ("https://host:8935/net.Orchestrator", "no path, query or fragment"),
            ("https://host?x=1", "no path, query or fragment"),
            ("https://user@host", "user info"),
            ("https://host:", "port '' is not a number"),
            ("https://host:0", "port '0'"),
            ("https://host:65536", "port '65536'"),
            ("https://host:http", "port 'http'"),
            ("https://::1:8935", "must be in brackets"),
            ("https://[::1", "closing ']'"),
            ("https://[nope]:1", "'nope' is not an IPv6 address"),
            ("https://[::1]x", "expected ':port' after ']'"),
            ("https://bad host", "is neither a host name nor an IP address"),
            ("https://a..b", "is neither a host name"),
        ];
        for (input, expected) in cases {
            let error = Target::parse(input).expect_err(input).to_string();
            assert!(error.starts_with(&format!("{input:?}: ")), "{input}: {error}");
            assert!(error.contains(expected), "{input}: {error}");
        }
    }
}
