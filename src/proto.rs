//! Types and gRPC stubs generated from proto/lp_rpc.proto at build time.

/// The `net` package: messages plus tonic client and server modules.
#[allow(clippy::all, clippy::pedantic)]
pub mod net {
    tonic::include_proto!("net");
}

/// The encoded `FileDescriptorSet` the generated code was built from.
pub const BUILD_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/lp_rpc_descriptor.bin"));

/// Calls `$callback!` with every message of proto/lp_rpc.proto in file order, as
/// `"net.Name" => generated::Type` pairs: one list for everything that must cover every message.
macro_rules! with_every_message {
    ($callback:ident) => {
        $callback! {
            "net.PingPong" => $crate::proto::net::PingPong,
            "net.EndTranscodingSessionRequest" => $crate::proto::net::EndTranscodingSessionRequest,
            "net.EndTranscodingSessionResponse" => $crate::proto::net::EndTranscodingSessionResponse,
            "net.OrchestratorRequest" => $crate::proto::net::OrchestratorRequest,
            "net.OSInfo" => $crate::proto::net::OsInfo,
            "net.S3OSInfo" => $crate::proto::net::S3osInfo,
            "net.PriceInfo" => $crate::proto::net::PriceInfo,
            "net.Capabilities" => $crate::proto::net::Capabilities,
            "net.Capabilities.Constraints" => $crate::proto::net::capabilities::Constraints,
            "net.Capabilities.CapabilityConstraints" => $crate::proto::net::capabilities::CapabilityConstraints,
            "net.Capabilities.CapabilityConstraints.ModelConstraint" => $crate::proto::net::capabilities::capability_constraints::ModelConstraint,
            "net.OrchestratorInfo" => $crate::proto::net::OrchestratorInfo,
            "net.AuthToken" => $crate::proto::net::AuthToken,
            "net.SegData" => $crate::proto::net::SegData,
            "net.SegParameters" => $crate::proto::net::SegParameters,
            "net.VideoProfile" => $crate::proto::net::VideoProfile,
            "net.TranscodedSegmentData" => $crate::proto::net::TranscodedSegmentData,
            "net.TranscodeData" => $crate::proto::net::TranscodeData,
            "net.TranscodeResult" => $crate::proto::net::TranscodeResult,
            "net.PaymentResult" => $crate::proto::net::PaymentResult,
            "net.RegisterRequest" => $crate::proto::net::RegisterRequest,
            "net.NotifySegment" => $crate::proto::net::NotifySegment,
            "net.RegisterAIWorkerRequest" => $crate::proto::net::RegisterAiWorkerRequest,
            "net.AIJobData" => $crate::proto::net::AiJobData,
            "net.NotifyAIJob" => $crate::proto::net::NotifyAiJob,
            "net.TicketParams" => $crate::proto::net::TicketParams,
            "net.TicketSenderParams" => $crate::proto::net::TicketSenderParams,
            "net.TicketExpirationParams" => $crate::proto::net::TicketExpirationParams,
            "net.Payment" => $crate::proto::net::Payment,
            "net.GPUComputeInfo" => $crate::proto::net::GpuComputeInfo,
            "net.HardwareInformation" => $crate::proto::net::HardwareInformation,
        }
    };
}
pub(crate) use with_every_message;

#[cfg(test)]
mod tests {
    //! Every message round-trips between the run-time descriptors and the
    //! generated types with every field set, so the two cannot disagree on a
    //! field number, type or label.

    use prost::Message;
    use prost_reflect::{DescriptorPool, DynamicMessage};

    use crate::invariants::every_field_set;

    /// Decodes with the generated type of `name` and encodes again; `None` for a name not listed.
    fn through_generated_type(name: &str, bytes: &[u8]) -> Option<Vec<u8>> {
        macro_rules! generated {
            ($($full_name:literal => $type:ty),* $(,)?) => {
                match name {
                    $($full_name => Some(<$type>::decode(bytes).expect(name).encode_to_vec()),)*
                    _ => None,
                }
            };
        }
        super::with_every_message!(generated)
    }

    #[test]
    fn every_message_round_trips_through_generated_and_dynamic_code() {
        let pool = DescriptorPool::decode(super::BUILD_DESCRIPTOR_SET).unwrap();
        let mut checked = 0;
        for descriptor in pool.all_messages().filter(|message| !message.is_map_entry()) {
            let name = descriptor.full_name().to_string();
            let dynamic = every_field_set(&descriptor);
            let bytes = dynamic.encode_to_vec();
            let generated = through_generated_type(&name, &bytes)
                .unwrap_or_else(|| panic!("{name} has no generated type listed in this test"));
            let back = DynamicMessage::decode(descriptor.clone(), generated.as_slice()).unwrap();
            assert_eq!(
                back, dynamic,
                "{name} lost or changed a field through the generated type"
            );
            checked += 1;
        }
        assert_eq!(checked, 31);
    }
}
