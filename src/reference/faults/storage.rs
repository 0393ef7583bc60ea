//! Faults in the advertised storage (the STORAGE rules).

use clap::ValueEnum;

use super::{case, Answer, Area, Fault, FaultCase};
use crate::proto::net::os_info::StorageType;
use crate::proto::net::{OrchestratorInfo, OsInfo};
use crate::reference::Preset::OffChainTranscoding as OffChain;

/// A way to break the STORAGE rules; the doc line is the `--fault` help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum StorageFault {
    /// S3 storage without s3info.
    S3WithoutInfo,
}

/// How selftest proves each fault: where it runs and the rules it must fire.
pub const CASES: &[FaultCase] = &[case(
    Fault::Storage(StorageFault::S3WithoutInfo),
    OffChain,
    &["STORAGE-001"],
)];

impl Area for StorageFault {
    fn bend(self, info: &mut OrchestratorInfo, _answer: Answer) {
        match self {
            StorageFault::S3WithoutInfo => info.storage.push(OsInfo {
                storage_type: StorageType::S3.into(),
                s3info: None,
            }),
        }
    }
}
