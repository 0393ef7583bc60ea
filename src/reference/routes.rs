//! The reference orchestrator's HTTP side, on the gRPC port as go-livepeer's mux is: what it
//! serves outside gRPC (`GET /orchestrator/info` with `--serve-info-json`), over the shared
//! [`Node`], and the answer for every other path (404, or `Unimplemented` for a gRPC method it
//! does not have).

use std::sync::Arc;

use http::header::CONTENT_TYPE;
use http::StatusCode;
use tonic::service::Routes;

use super::node::Node;
use crate::ambient::unix_now;
use crate::openapi::OpenApiDocument;
use crate::proto::net::OrchestratorRequest;
use crate::protocol::INFO_PATH;

/// `grpc` (the gRPC service) with the node's HTTP routes beside it and the fallback for the rest.
pub fn http_routes(grpc: Routes, node: &Arc<Node>) -> Routes {
    let routes = if node.config().serve_info_json {
        serve_info_json_at(grpc, Arc::clone(node))
    } else {
        grpc
    };
    not_found_outside_grpc(routes)
}

/// Unknown gRPC methods get `Unimplemented`, as from any gRPC server; every other HTTP path the
/// orchestrator does not serve is 404, as from go-livepeer's HTTP mux on the same port.
fn not_found_outside_grpc(routes: Routes) -> Routes {
    let fallback = |request: http::Request<axum::body::Body>| async move {
        let grpc = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/grpc"));
        if grpc {
            tonic::Status::unimplemented("").into_http::<axum::body::Body>()
        } else {
            let mut response = http::Response::new(axum::body::Body::from("404 page not found\n"));
            *response.status_mut() = StatusCode::NOT_FOUND;
            response.headers_mut().insert(
                CONTENT_TYPE,
                http::HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            response
        }
    };
    Routes::from(routes.into_axum_router().fallback(fallback))
}

/// `GET /orchestrator/info`: the discovery answer as JSON in the shipped OpenAPI document's
/// convention, so HTTP tools can check the document against the reference. It is what an
/// unsigned request naming no capabilities gets (hardware listed), over HTTP/1.1 or HTTP/2.
fn serve_info_json_at(routes: Routes, node: Arc<Node>) -> Routes {
    let handler = move || {
        let node = Arc::clone(&node);
        async move {
            let rendered = node
                .info(&OrchestratorRequest::default(), unix_now())
                .map_err(|refusal| refusal.text().to_string())
                .and_then(|info| {
                    OpenApiDocument::embedded()
                        .render_info(&info)
                        .map_err(|error| error.to_string())
                });
            match rendered {
                Ok(json) => (StatusCode::OK, [(CONTENT_TYPE, "application/json")], json.to_string()),
                Err(problem) => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    [(CONTENT_TYPE, "text/plain")],
                    problem,
                ),
            }
        }
    };
    Routes::from(routes.into_axum_router().route(INFO_PATH, axum::routing::get(handler)))
}
