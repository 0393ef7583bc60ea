//! Types and gRPC stubs generated from proto/lp_rpc.proto at build time.

/// The `net` package: messages plus tonic client and server modules.
#[allow(clippy::all, clippy::pedantic)]
pub mod net {
    tonic::include_proto!("net");
}

/// The encoded `FileDescriptorSet` the generated code was built from.
pub const BUILD_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/lp_rpc_descriptor.bin"));

#[cfg(test)]
mod tests {
    //! Every message round-trips between the run-time descriptors and the
    //! generated types with every field set, so the two cannot disagree on a
    //! field number, type or label.

    use prost::Message;
    use prost_reflect::{DescriptorPool, DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor, Value};

    use super::net;

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
        use net::capabilities::{capability_constraints::ModelConstraint, CapabilityConstraints, Constraints};
        generated! {
            "net.PingPong" => net::PingPong,
            "net.EndTranscodingSessionRequest" => net::EndTranscodingSessionRequest,
            "net.EndTranscodingSessionResponse" => net::EndTranscodingSessionResponse,
            "net.OrchestratorRequest" => net::OrchestratorRequest,
            "net.OSInfo" => net::OsInfo,
            "net.S3OSInfo" => net::S3osInfo,
            "net.PriceInfo" => net::PriceInfo,
            "net.Capabilities" => net::Capabilities,
            "net.Capabilities.Constraints" => Constraints,
            "net.Capabilities.CapabilityConstraints" => CapabilityConstraints,
            "net.Capabilities.CapabilityConstraints.ModelConstraint" => ModelConstraint,
            "net.OrchestratorInfo" => net::OrchestratorInfo,
            "net.AuthToken" => net::AuthToken,
            "net.SegData" => net::SegData,
            "net.SegParameters" => net::SegParameters,
            "net.VideoProfile" => net::VideoProfile,
            "net.TranscodedSegmentData" => net::TranscodedSegmentData,
            "net.TranscodeData" => net::TranscodeData,
            "net.TranscodeResult" => net::TranscodeResult,
            "net.PaymentResult" => net::PaymentResult,
            "net.RegisterRequest" => net::RegisterRequest,
            "net.NotifySegment" => net::NotifySegment,
            "net.RegisterAIWorkerRequest" => net::RegisterAiWorkerRequest,
            "net.AIJobData" => net::AiJobData,
            "net.NotifyAIJob" => net::NotifyAiJob,
            "net.TicketParams" => net::TicketParams,
            "net.TicketSenderParams" => net::TicketSenderParams,
            "net.TicketExpirationParams" => net::TicketExpirationParams,
            "net.Payment" => net::Payment,
            "net.GPUComputeInfo" => net::GpuComputeInfo,
            "net.HardwareInformation" => net::HardwareInformation,
        }
    }

    /// A non-default value of a field's kind; nested messages are filled too.
    fn sample(kind: &Kind, depth: usize) -> Value {
        match kind {
            Kind::Double => Value::F64(1.5),
            Kind::Float => Value::F32(2.5),
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(-7),
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(-9_000_000_000),
            Kind::Uint32 | Kind::Fixed32 => Value::U32(7),
            Kind::Uint64 | Kind::Fixed64 => Value::U64(9_000_000_000),
            Kind::Bool => Value::Bool(true),
            Kind::String => Value::String("sample ✓".into()),
            Kind::Bytes => Value::Bytes(vec![0, 1, 0xff].into()),
            Kind::Enum(descriptor) => Value::EnumNumber(descriptor.values().last().map_or(0, |value| value.number())),
            Kind::Message(descriptor) => Value::Message(filled(descriptor, depth + 1)),
        }
    }

    fn map_key(field: &FieldDescriptor) -> MapKey {
        match sample(&field.kind(), 0) {
            Value::Bool(value) => MapKey::Bool(value),
            Value::I32(value) => MapKey::I32(value),
            Value::I64(value) => MapKey::I64(value),
            Value::U32(value) => MapKey::U32(value),
            Value::U64(value) => MapKey::U64(value),
            Value::String(value) => MapKey::String(value),
            other => panic!("{} cannot be a map key: {other:?}", field.full_name()),
        }
    }

    /// Deep enough to reach ModelConstraint from NotifySegment, the deepest nesting in the file.
    const MAX_DEPTH: usize = 6;

    fn filled(descriptor: &MessageDescriptor, depth: usize) -> DynamicMessage {
        let mut message = DynamicMessage::new(descriptor.clone());
        if depth > MAX_DEPTH {
            return message;
        }
        for field in descriptor.fields() {
            let value = if field.is_map() {
                let Kind::Message(entry) = field.kind() else {
                    unreachable!("map fields are entry messages")
                };
                let value = sample(&entry.map_entry_value_field().kind(), depth);
                Value::Map([(map_key(&entry.map_entry_key_field()), value)].into_iter().collect())
            } else if field.is_list() {
                Value::List(vec![sample(&field.kind(), depth), sample(&field.kind(), depth)])
            } else {
                sample(&field.kind(), depth)
            };
            message.set_field(&field, value);
        }
        message
    }

    #[test]
    fn every_message_round_trips_through_generated_and_dynamic_code() {
        let pool = DescriptorPool::decode(super::BUILD_DESCRIPTOR_SET).unwrap();
        let mut checked = 0;
        for descriptor in pool.all_messages().filter(|message| !message.is_map_entry()) {
            let name = descriptor.full_name().to_string();
            let dynamic = filled(&descriptor, 0);
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
