//! Types and gRPC stubs generated from proto/lp_rpc.proto at build time.

/// The `net` package: messages plus tonic client and server modules.
#[allow(clippy::all, clippy::pedantic)]
pub mod net {
    tonic::include_proto!("net");
}

/// The encoded `FileDescriptorSet` the generated code was built from.
pub const BUILD_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/lp_rpc_descriptor.bin"));
