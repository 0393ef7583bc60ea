//! Where an orchestrator answers what lpconform asks: the `net.Orchestrator` methods it calls by
//! type ([`RpcMethod`]) and the HTTP path of the JSON discovery answer ([`INFO_PATH`]). Facts of
//! the protocol, shared by the caller (the driver) and the embedded orchestrator that answers.

/// Where an orchestrator serves its discovery answer as JSON, on its gRPC port.
pub const INFO_PATH: &str = "/orchestrator/info";

/// The gRPC methods of `net.Orchestrator` lpconform calls by type (any other method of the
/// loaded proto is called by name, see `driver::Driver::scripted`); not an HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RpcMethod {
    GetOrchestrator,
    Ping,
    EndTranscodingSession,
}

impl RpcMethod {
    pub const ALL: [RpcMethod; 3] = [
        RpcMethod::GetOrchestrator,
        RpcMethod::Ping,
        RpcMethod::EndTranscodingSession,
    ];

    /// The name in the `net.Orchestrator` service.
    pub fn name(self) -> &'static str {
        match self {
            RpcMethod::GetOrchestrator => "GetOrchestrator",
            RpcMethod::Ping => "Ping",
            RpcMethod::EndTranscodingSession => "EndTranscodingSession",
        }
    }

    /// The HTTP/2 `:path` of the method.
    pub fn path(self) -> &'static str {
        match self {
            RpcMethod::GetOrchestrator => "/net.Orchestrator/GetOrchestrator",
            RpcMethod::Ping => "/net.Orchestrator/Ping",
            RpcMethod::EndTranscodingSession => "/net.Orchestrator/EndTranscodingSession",
        }
    }

    pub fn from_path(path: &str) -> Option<RpcMethod> {
        RpcMethod::ALL.into_iter().find(|method| method.path() == path)
    }
}
