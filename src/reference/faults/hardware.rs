//! Faults in the advertised hardware (the HW rules).

use std::collections::HashMap;

use clap::ValueEnum;

use super::{case, Answer, Area, Fault, FaultCase};
use crate::proto::net::{HardwareInformation, OrchestratorInfo};
use crate::reference::Preset::Mixed;

/// A way to break the HW rules; the doc line is the `--fault` help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum HardwareFault {
    /// A hardware entry for an unknown pipeline.
    HardwareUnknownPipeline,
    /// A GPU with more memory free than in total.
    GpuMemoryOverTotal,
}

/// How selftest proves each fault: where it runs and the rules it must fire.
pub const CASES: &[FaultCase] = &[
    case(
        Fault::Hardware(HardwareFault::HardwareUnknownPipeline),
        Mixed,
        &["HW-001"],
    ),
    case(Fault::Hardware(HardwareFault::GpuMemoryOverTotal), Mixed, &["HW-002"]),
];

impl Area for HardwareFault {
    fn bend(self, info: &mut OrchestratorInfo, _answer: Answer) {
        match self {
            HardwareFault::HardwareUnknownPipeline => info.hardware.push(HardwareInformation {
                pipeline: "interpretive-dance".into(),
                model_id: "lpconform/dancer".into(),
                gpu_info: HashMap::new(),
            }),
            HardwareFault::GpuMemoryOverTotal => {
                let gpus = info
                    .hardware
                    .iter_mut()
                    .flat_map(|hardware| hardware.gpu_info.values_mut());
                if let Some(gpu) = gpus.into_iter().next() {
                    gpu.memory_free = gpu.memory_total + 1;
                }
            }
        }
    }
}
