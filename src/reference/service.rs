//! The `net.Orchestrator` gRPC service of the reference orchestrator: each RPC handed to the
//! shared [`Node`], its refusals as gRPC statuses; and the faults that bend the bytes of an
//! answer on the wire rather than its content.

use std::sync::Arc;

use bytes::Bytes;
use tonic::service::Routes;
use tonic::{Request, Response, Status};

use super::faults::{RpcFault, SpecFault};
use super::node::{Node, Refusal};
use crate::ambient::unix_now;
use crate::proto::net::orchestrator_server::{Orchestrator, OrchestratorServer};
use crate::proto::net::{
    EndTranscodingSessionRequest, EndTranscodingSessionResponse, OrchestratorInfo, OrchestratorRequest, PingPong,
};
use crate::protocol::RpcMethod;
use crate::transport::{RawCodec, GRPC_MESSAGE_LIMIT};

/// go-livepeer answers every refusal with gRPC Unknown and its error text; the rest are how a
/// crash or a recovered panic reaches a gRPC client.
impl From<Refusal> for Status {
    fn from(refusal: Refusal) -> Status {
        match refusal {
            Refusal::Error(text) => Status::unknown(text),
            Refusal::Restarting | Refusal::Died => Status::unavailable(refusal.text()),
            Refusal::Panicked(text) => Status::internal(text),
        }
    }
}

/// The gRPC side of a node.
struct ReferenceService(Arc<Node>);

#[tonic::async_trait]
impl Orchestrator for ReferenceService {
    async fn get_orchestrator(
        &self,
        request: Request<OrchestratorRequest>,
    ) -> Result<Response<OrchestratorInfo>, Status> {
        Ok(Response::new(self.0.discover(request.get_ref(), unix_now()).await?))
    }

    async fn end_transcoding_session(
        &self,
        request: Request<EndTranscodingSessionRequest>,
    ) -> Result<Response<EndTranscodingSessionResponse>, Status> {
        self.0.end_session(request.into_inner().auth_token).await?;
        Ok(Response::new(EndTranscodingSessionResponse {}))
    }

    async fn ping(&self, request: Request<PingPong>) -> Result<Response<PingPong>, Status> {
        let value = self.0.ping(&request.get_ref().value).await?;
        Ok(Response::new(PingPong { value }))
    }
}

/// The gRPC routes of `node`, with the faults that bend an answer's bytes in place of its method.
pub fn grpc_routes(node: Arc<Node>) -> Routes {
    let garbled = node.has(RpcFault::GarbledResponse);
    let extended = node.has(SpecFault::UnknownFieldOnWire);
    let grpc =
        OrchestratorServer::new(ReferenceService(Arc::clone(&node))).max_decoding_message_size(GRPC_MESSAGE_LIMIT);
    let mut routes = Routes::new(grpc);
    if garbled {
        routes = garble_get_orchestrator(routes);
    }
    if extended {
        routes = extend_get_orchestrator(routes, node);
    }
    routes
}

/// For `GarbledResponse`: GetOrchestrator answers, with a proper gRPC status, a message whose
/// `transcoder` string is not UTF-8, so it cannot decode as OrchestratorInfo.
fn garble_get_orchestrator(routes: Routes) -> Routes {
    const NOT_UTF8_TRANSCODER: &[u8] = &[0x0a, 0x02, 0xff, 0xfe];

    #[derive(Clone)]
    struct Garbled;

    impl tonic::server::UnaryService<Bytes> for Garbled {
        type Response = Bytes;
        type Future = std::future::Ready<Result<tonic::Response<Bytes>, tonic::Status>>;

        fn call(&mut self, _request: tonic::Request<Bytes>) -> Self::Future {
            std::future::ready(Ok(tonic::Response::new(Bytes::from_static(NOT_UTF8_TRANSCODER))))
        }
    }

    let handler = tower::service_fn(|request: http::Request<axum::body::Body>| async move {
        Ok::<_, std::convert::Infallible>(tonic::server::Grpc::new(RawCodec).unary(Garbled, request).await)
    });
    let router = routes
        .into_axum_router()
        .route_service(RpcMethod::GetOrchestrator.path(), handler);
    Routes::from(router)
}

/// `UnknownFieldOnWire`: every discovery answer as the node makes it, followed by field 35
/// (length-delimited "newer"), which lp_rpc.proto does not define: a newer orchestrator's answer.
fn extend_get_orchestrator(routes: Routes, node: Arc<Node>) -> Routes {
    /// Field 35, wire type 2, 5 bytes.
    const FIELD_35: &[u8] = &[0x9a, 0x02, 5, b'n', b'e', b'w', b'e', b'r'];

    #[derive(Clone)]
    struct Extended(Arc<Node>);

    impl tonic::server::UnaryService<Bytes> for Extended {
        type Response = Bytes;
        type Future =
            std::pin::Pin<Box<dyn std::future::Future<Output = Result<tonic::Response<Bytes>, tonic::Status>> + Send>>;

        fn call(&mut self, request: tonic::Request<Bytes>) -> Self::Future {
            use prost::Message as _;
            let node = Arc::clone(&self.0);
            Box::pin(async move {
                let decoded = OrchestratorRequest::decode(request.into_inner())
                    .map_err(|error| tonic::Status::invalid_argument(error.to_string()))?;
                let answer = node.discover(&decoded, unix_now()).await?;
                let mut bytes = answer.encode_to_vec();
                bytes.extend_from_slice(FIELD_35);
                Ok(tonic::Response::new(Bytes::from(bytes)))
            })
        }
    }

    let handler = tower::service_fn(move |request: http::Request<axum::body::Body>| {
        let extended = Extended(Arc::clone(&node));
        async move { Ok::<_, std::convert::Infallible>(tonic::server::Grpc::new(RawCodec).unary(extended, request).await) }
    });
    let router = routes
        .into_axum_router()
        .route_service(RpcMethod::GetOrchestrator.path(), handler);
    Routes::from(router)
}
