//! HW: the GPUs an orchestrator reports per AI (pipeline, model).

use super::verify::{expect_non_empty, quoted, report, sorted};
use super::{Finding, Mode, Rule, Severity};
use crate::capability;

pub(super) const FILE: &str = file!();

pub(super) const RULES: &[Rule] = &[HW_001, HW_002];

const HW_001: Rule = Rule {
    id: "HW-001",
    severity: Severity::Should,
    mode: Mode::All,
    text: "each `hardware` entry has a known AI pipeline name and a non-empty `model_id` (external containers can send empty placeholders)",
    citation: "go-livepeer server/rpc.go workerHardwareToNetWorkerHardware: hardware per AI pipeline and model",
    hint: "the AI workers must report the pipeline and model of each GPU set",
    check: |ctx| {
        report(ctx.info()?.hardware.iter().enumerate().flat_map(|(index, hardware)| {
            [
                capability::by_pipeline(&hardware.pipeline).is_none().then(|| {
                    Finding::new(
                        format!("hardware[{index}].pipeline"),
                        "a known AI pipeline name (e.g. text-to-image, llm)",
                        quoted(&hardware.pipeline),
                    )
                }),
                expect_non_empty(&format!("hardware[{index}].model_id"), &hardware.model_id),
            ]
        }))
    },
};

const HW_002: Rule = Rule {
    id: "HW-002",
    severity: Severity::Must,
    mode: Mode::All,
    text: "each GPU has a name, and `memory_free` <= `memory_total`, both >= 0",
    citation: "go-livepeer net/lp_rpc.proto GPUComputeInfo: memory in bytes; free memory is part of the total",
    hint: "the AI worker's GPU report is inconsistent; check its driver and version",
    check: |ctx| {
        report(ctx.info()?.hardware.iter().enumerate().flat_map(|(index, hardware)| {
            sorted(&hardware.gpu_info).into_iter().flat_map(move |(gpu_id, gpu)| {
                let path = format!("hardware[{index}].gpu_info[{}]", quoted(gpu_id));
                let memory = |field: &str, value: i64| {
                    (value < 0).then(|| Finding::new(format!("{path}.{field}"), ">= 0 bytes", value.to_string()))
                };
                [
                    expect_non_empty(&format!("{path}.name"), &gpu.name),
                    memory("memory_free", gpu.memory_free),
                    memory("memory_total", gpu.memory_total),
                    (gpu.memory_free > gpu.memory_total).then(|| {
                        Finding::new(
                            format!("{path}.memory_free"),
                            format!("<= memory_total ({})", gpu.memory_total),
                            gpu.memory_free.to_string(),
                        )
                    }),
                ]
            })
        }))
    },
};

#[cfg(test)]
mod tests {
    use super::super::fixture::*;

    fn gpu_mut(observation: &mut crate::observe::Observation) -> &mut crate::proto::net::GpuComputeInfo {
        info_mut(observation).hardware[1].gpu_info.get_mut("0").unwrap()
    }

    #[test]
    fn hw_001_pipeline_and_model() {
        assert_passes("HW-001");
        assert_breaks(
            "HW-001",
            |o| info_mut(o).hardware[0].pipeline = "H.264".into(),
            &["hardware[0].pipeline"],
        );
        assert_breaks(
            "HW-001",
            |o| info_mut(o).hardware[1].model_id.clear(),
            &["hardware[1].model_id"],
        );
    }

    #[test]
    fn hw_002_gpu_name_and_memory() {
        assert_passes("HW-002");
        assert_breaks(
            "HW-002",
            |o| gpu_mut(o).name.clear(),
            &["hardware[1].gpu_info[\"0\"].name"],
        );
        assert_breaks(
            "HW-002",
            |o| gpu_mut(o).memory_free = gpu_mut(o).memory_total + 1,
            &["hardware[1].gpu_info[\"0\"].memory_free"],
        );
        assert_breaks(
            "HW-002",
            |o| gpu_mut(o).memory_total = i64::MIN,
            &[
                "hardware[1].gpu_info[\"0\"].memory_total",
                "hardware[1].gpu_info[\"0\"].memory_free",
            ],
        );
    }
}
