//! CAP: the structure of `capabilities`: bits, mandatories, capacities,
//! version and per-model constraints.

use std::cmp::Ordering;

use super::verify::{capability_list, capability_text, quoted, report, sorted};
use super::{CheckFindings, Context, Finding, Mode, Rule, Severity, Skipped};
use crate::capability::{self, has_bit, set_bits};
use crate::proto::net::capabilities::capability_constraints::ModelConstraint;
use crate::proto::net::capabilities::Constraints;
use crate::proto::net::Capabilities;
use crate::version::{self, Version};

pub(super) const FILE: &str = file!();

pub(super) const RULES: &[Rule] = &[
    CAP_001, CAP_002, CAP_003, CAP_004, CAP_005, CAP_006, CAP_007, CAP_008, CAP_009, CAP_010, CAP_011,
];

const CAP_001: Rule = Rule {
    id: "CAP-001",
    severity: Severity::Must,
    mode: Mode::All,
    text: "`bitstring` is non-empty and sets at least one known capability",
    citation: "go-livepeer core/capabilities.go CompatibleWith: gateways select orchestrators by capability bits",
    hint: "the orchestrator must advertise what it can do; check its version and configuration",
    check: |ctx| {
        let bitstring = &ctx.capabilities()?.bitstring;
        let knows_one = capability::KNOWN.iter().any(|known| has_bit(bitstring, known.number));
        report([(!knows_one).then(|| {
            let actual = match set_bits(bitstring).next() {
                None => format!("no bits set ({} words)", bitstring.len()),
                Some(_) => format!("only unknown capabilities: {}", capability_list(set_bits(bitstring))),
            };
            Finding::new("capabilities.bitstring", "at least one known capability", actual)
        })])
    },
};

const CAP_002: Rule = Rule {
    id: "CAP-002",
    severity: Severity::Should,
    mode: Mode::All,
    text: "every set bit is a known capability (unknown bits are reported by number)",
    citation: "go-livepeer core/capabilities.go: the capability enum ends at 37 (BYOC)",
    hint: "a newer orchestrator may know capabilities this harness does not; otherwise the bits are garbage",
    check: |ctx| {
        let bitstring = &ctx.capabilities()?.bitstring;
        let mut unknown = set_bits(bitstring)
            .filter(|number| capability::lookup(*number).is_none())
            .peekable();
        report([unknown.peek().is_some().then(|| {
            Finding::new(
                "capabilities.bitstring",
                "only known capabilities (0-37)",
                capability_list(unknown),
            )
        })])
    },
};

const CAP_003: Rule = Rule {
    id: "CAP-003",
    severity: Severity::Must,
    mode: Mode::All,
    text: "`mandatories` is a subset of `bitstring`",
    citation: "go-livepeer core/capabilities.go CompatibleWith: mandatory capabilities must be supported by the peer",
    hint: "mark as mandatory only capabilities the orchestrator advertises",
    check: |ctx| {
        let capabilities = ctx.capabilities()?;
        let mut missing = set_bits(&capabilities.mandatories)
            .filter(|number| !has_bit(&capabilities.bitstring, *number))
            .peekable();
        report([missing.peek().is_some().then(|| {
            Finding::new(
                "capabilities.mandatories",
                "only capabilities set in bitstring",
                format!("not in bitstring: {}", capability_list(missing)),
            )
        })])
    },
};

const CAP_004: Rule = Rule {
    id: "CAP-004",
    severity: Severity::Must,
    mode: Mode::All,
    text: "every `capacities` key is a capability set in `bitstring`",
    citation: "go-livepeer core/capabilities.go: capacities is the capacity per advertised capability number",
    hint: "report capacity only for advertised capabilities",
    check: |ctx| {
        let capabilities = ctx.capabilities()?;
        report(sorted(&capabilities.capacities).into_iter().map(|(number, _)| {
            (!has_bit(&capabilities.bitstring, *number))
                .then(|| not_advertised(format!("capabilities.capacities[{number}]"), *number))
        }))
    },
};

const CAP_005: Rule = Rule {
    id: "CAP-005",
    severity: Severity::Must,
    mode: Mode::All,
    text: "every `constraints.PerCapability` key that lists models is a capability set in `bitstring` (an entry with no models, left by a detached remote worker, is ignored)",
    citation: "go-livepeer core/ai.go RemoveAICapabilities: a detached worker's bit is cleared, its entry left empty",
    hint: "list models only under advertised pipelines",
    check: |ctx| {
        let capabilities = ctx.capabilities()?;
        let Some(constraints) = capabilities.constraints.as_ref() else {
            return Ok(CheckFindings::default());
        };
        report(
            sorted(&constraints.per_capability)
                .into_iter()
                .map(|(number, per_capability)| {
                    (!per_capability.models.is_empty() && !has_bit(&capabilities.bitstring, *number))
                        .then(|| not_advertised(format!("capabilities.constraints.PerCapability[{number}]"), *number))
                }),
        )
    },
};

const CAP_006: Rule = Rule {
    id: "CAP-006",
    severity: Severity::Should,
    mode: Mode::All,
    text: "`version`, `minVersion` and each model's `runnerVersion` parse as semver, leniently as gateways do (`v0.9.1`, `0.9`, `0.9.1-5-gabc` pass); `undefined` (a binary built without version flags) gets its own finding",
    citation: "go-livepeer core/capabilities.go isVersionCompatible: versions parse with Masterminds semver",
    hint: "go-livepeer fills these from its build version, e.g. 0.9.1",
    check: |ctx| {
        let capabilities = ctx.capabilities()?;
        let constraints = capabilities.constraints.as_ref();
        let min_version = constraints
            .map(|constraints| constraints.min_version.as_str())
            .filter(|text| !text.is_empty())
            .map(|text| ("capabilities.constraints.minVersion".to_string(), text));
        let runner_versions: Vec<(String, &str)> = constraints
            .map(|constraints| models(constraints).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, _, model)| !model.runner_version.is_empty())
            .map(|(number, model_id, model)| {
                (model_path(number, model_id, "runnerVersion"), model.runner_version.as_str())
            })
            .collect();
        let versions = std::iter::once(("capabilities.version".to_string(), capabilities.version.as_str()))
            .chain(min_version)
            .chain(runner_versions);
        report(versions.map(|(path, text)| expect_version(&path, text)))
    },
};

const CAP_007: Rule = Rule {
    id: "CAP-007",
    severity: Severity::Must,
    mode: Mode::Ai,
    text: "every AI capability that has a `PerCapability` entry or a price lists at least one model; AI bits with neither are an `info` finding (go-livepeer transcoders set them by default)",
    citation: "go-livepeer core/capabilities.go: gateways select AI orchestrators by (pipeline, model id) constraints",
    hint: "configure at least one model per AI pipeline in aiModels.json",
    check: |ctx| {
        let info = ctx.info()?;
        let capabilities = ctx.capabilities()?;
        let constraints = capabilities.constraints.as_ref();
        report(advertised_ai(&capabilities.bitstring).map(|number| {
            let entry = constraints.and_then(|constraints| constraints.per_capability.get(&number));
            if entry.is_some_and(|entry| !entry.models.is_empty()) {
                return None;
            }
            let priced = info.capabilities_prices.iter().any(|price| price.capability == number);
            let finding = Finding::new(
                format!("capabilities.constraints.PerCapability[{number}]"),
                format!("at least one model for {}", capability_text(number)),
                match (entry.is_some(), priced) {
                    (true, true) => "an entry and a price, but no models",
                    (true, false) => "an entry with no models",
                    (false, true) => "a price, but no models",
                    (false, false) => "the bit alone, no models (go-livepeer transcoders set it by default)",
                },
            );
            Some(if entry.is_none() && !priced {
                finding.at(Severity::Info)
            } else {
                finding
            })
        }))
    },
};

/// CAP-008's bound: a counter at or above 2^31 is a negative number cast to uint32.
const UNDERFLOW_BOUND: u32 = 1 << 31;

const CAP_008: Rule = Rule {
    id: "CAP-008",
    severity: Severity::Must,
    mode: Mode::All,
    text: "no model constraint carries an underflowed counter: `capacity` and `capacityInUse` < 2^31 (capacity is free slots and falls while busy; live-video-to-video writes idle and in-use counts, so no ordering between them is required)",
    citation: "go-livepeer server/rpc.go setLiveAICapacity and core ReserveAICapability: counters are cast to uint32",
    hint: "the orchestrator's capacity accounting went below zero; check its AI workers",
    check: |ctx| {
        let Some(constraints) = ctx.capabilities()?.constraints.as_ref() else {
            return Ok(CheckFindings::default());
        };
        report(models(constraints).flat_map(|(number, model_id, model)| {
            [("capacity", model.capacity), ("capacityInUse", model.capacity_in_use)]
                .into_iter()
                .map(move |(field, value)| {
                    (value >= UNDERFLOW_BOUND).then(|| {
                        Finding::new(
                            model_path(number, model_id, field),
                            "< 2^31 (a count of slots)",
                            format!("{value}: a negative count cast to uint32"),
                        )
                    })
                })
        }))
    },
};

const CAP_009: Rule = Rule {
    id: "CAP-009",
    severity: Severity::Must,
    mode: Mode::All,
    text: "with `--expect orchMinLivepeerVersion=V`: `version` is >= V (pre-release ignored; empty or `undefined` fails); skip without it",
    citation: "go-livepeer core/capabilities.go LivepeerVersionCompatibleWith: older orchestrators are not selected",
    hint: "gateways with this minimum will not select the orchestrator; upgrade it",
    check: |ctx| {
        let minimum = ctx
            .expectations
            .orch_min_version
            .as_deref()
            .ok_or_else(|| Skipped("no expected orchMinLivepeerVersion given".into()))?;
        let version = &ctx.capabilities()?.version;
        report([below_minimum("capabilities.version", version, minimum)])
    },
};

const CAP_010: Rule = Rule {
    id: "CAP-010",
    severity: Severity::Must,
    mode: Mode::Ai,
    text: "with `--expect aiMinRunnerVersion=V`: every model's `runnerVersion` is >= V; skip without it",
    citation: "go-livepeer core/capabilities.go ModelConstraints.CompatibleWith: older runners are not selected",
    hint: "gateways with this minimum will not send the model's jobs here; upgrade the AI runner",
    check: |ctx| {
        let minimums = &ctx.expectations.ai_min_runner_versions;
        if minimums.is_empty() {
            return Err(Skipped("no expected aiMinRunnerVersion given".into()));
        }
        let Some(constraints) = ctx.capabilities()?.constraints.as_ref() else {
            return Ok(CheckFindings::default());
        };
        report(models(constraints).flat_map(|(number, model_id, model)| {
            let pipeline = capability::lookup(number).and_then(|known| known.pipeline());
            minimums
                .iter()
                .filter(move |minimum| match &minimum.model {
                    None => true,
                    Some((wanted_pipeline, wanted_model)) => {
                        pipeline == Some(wanted_pipeline.as_str()) && wanted_model == model_id
                    }
                })
                .map(move |minimum| {
                    below_minimum(
                        &model_path(number, model_id, "runnerVersion"),
                        &model.runner_version,
                        &minimum.version,
                    )
                })
        }))
    },
};

const CAP_011: Rule = Rule {
    id: "CAP-011",
    severity: Severity::Should,
    mode: Mode::All,
    text: "`mandatories` is empty: any mandatory bit excludes the orchestrator from AI jobs, whose bitstring is the pipeline alone",
    citation: "go-livepeer core/capabilities.go CompatibleWith: the job must offer every mandatory capability",
    hint: "go-livepeer advertises no mandatory capabilities; remove them",
    check: |ctx| {
        let mandatories = &ctx.capabilities()?.mandatories;
        let mut set = set_bits(mandatories).peekable();
        report([set
            .peek()
            .is_some()
            .then(|| Finding::new("capabilities.mandatories", "empty", capability_list(set)))])
    },
};

/// Every model constraint with its capability and id, in a stable order.
fn models(constraints: &Constraints) -> impl Iterator<Item = (u32, &str, &ModelConstraint)> {
    sorted(&constraints.per_capability)
        .into_iter()
        .flat_map(|(number, per_capability)| {
            sorted(&per_capability.models)
                .into_iter()
                .map(move |(model_id, model)| (*number, model_id.as_str(), model))
        })
}

fn model_path(number: u32, model_id: &str, field: &str) -> String {
    format!(
        "capabilities.constraints.PerCapability[{number}].models[{}].{field}",
        quoted(model_id)
    )
}

/// A finding when `version` is below `minimum` as go-livepeer compares them.
fn below_minimum(path: &str, version: &str, minimum: &str) -> Option<Finding> {
    match Version::compare(version, minimum) {
        Some(Ordering::Less) => Some(Finding::new(path, format!(">= {minimum}"), quoted(version))),
        Some(_) => None,
        None => Some(Finding::new(
            path,
            format!(">= {minimum}"),
            format!("{}: not a version gateways can compare", quoted(version)),
        )),
    }
}

/// Advertised AI pipelines (not BYOC), ascending.
pub(super) fn advertised_ai(bitstring: &[u64]) -> impl Iterator<Item = u32> + '_ {
    capability::KNOWN
        .iter()
        .filter(|known| known.is_ai() && has_bit(bitstring, known.number))
        .map(|known| known.number)
}

fn not_advertised(path: String, number: u32) -> Finding {
    Finding::new(
        path,
        "a capability set in capabilities.bitstring",
        format!("{}, not set", capability_text(number)),
    )
}

fn expect_version(path: &str, text: &str) -> Option<Finding> {
    if text == version::UNDEFINED {
        return Some(
            Finding::new(path, "a version (e.g. 0.9.1)", quoted(text))
                .with_hint("`undefined` is what a go-livepeer built without version flags reports; gateways with a minimum version refuse it"),
        );
    }
    Version::parse(text)
        .is_none()
        .then(|| Finding::new(path, "a version gateways parse (e.g. 0.9.1, v0.9.1, 0.9)", quoted(text)))
}

impl<'a> Context<'a> {
    pub fn capabilities(&self) -> Result<&'a Capabilities, Skipped> {
        self.info()?
            .capabilities
            .as_ref()
            .ok_or_else(|| Skipped("no capabilities (REQ-004)".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::*;
    use crate::capability::encode_bitstring;

    #[test]
    fn cap_001_a_known_capability_is_set() {
        assert_passes("CAP-001");
        assert_breaks(
            "CAP-001",
            |o| capabilities_mut(o).bitstring = vec![0, 0],
            &["capabilities.bitstring"],
        );
        assert_breaks(
            "CAP-001",
            |o| capabilities_mut(o).bitstring = encode_bitstring([100]),
            &["capabilities.bitstring"],
        );
    }

    #[test]
    fn cap_002_unknown_bits_by_number() {
        assert_passes("CAP-002");
        let result = assert_breaks(
            "CAP-002",
            |o| capabilities_mut(o).bitstring = encode_bitstring(advertised().into_iter().chain([38, 200])),
            &["capabilities.bitstring"],
        );
        assert_eq!(result.findings[0].actual, "unknown(38), unknown(200)");
    }

    #[test]
    fn cap_003_mandatories_are_advertised() {
        assert_passes("CAP-003");
        assert_breaks(
            "CAP-003",
            |o| capabilities_mut(o).mandatories = encode_bitstring([0, 30]),
            &["capabilities.mandatories"],
        );
    }

    #[test]
    fn cap_004_capacities_for_advertised_capabilities() {
        assert_passes("CAP-004");
        assert_breaks(
            "CAP-004",
            |o| {
                capabilities_mut(o).capacities.insert(30, 1);
                capabilities_mut(o).capacities.insert(u32::MAX, 1);
            },
            &["capabilities.capacities[30]", "capabilities.capacities[4294967295]"],
        );
    }

    #[test]
    fn cap_005_constraints_for_advertised_capabilities() {
        assert_passes("CAP-005");
        assert_breaks(
            "CAP-005",
            |o| {
                let constraints = capabilities_mut(o).constraints.as_mut().unwrap();
                let models = constraints.per_capability[&LLM].clone();
                constraints.per_capability.insert(30, models);
            },
            &["capabilities.constraints.PerCapability[30]"],
        );
        assert_passes_with("CAP-005", &Default::default(), |o| {
            let constraints = capabilities_mut(o).constraints.as_mut().unwrap();
            constraints.per_capability.insert(30, Default::default());
        });
    }

    #[test]
    fn cap_006_versions_parse_leniently() {
        assert_passes("CAP-006");
        for lenient in ["v0.9.1", "0.9", "0.9.1-5-gabc"] {
            assert_passes_with("CAP-006", &Default::default(), |o| {
                capabilities_mut(o).version = lenient.into()
            });
        }
        assert_breaks(
            "CAP-006",
            |o| capabilities_mut(o).version = "latest".into(),
            &["capabilities.version"],
        );
        assert_breaks(
            "CAP-006",
            |o| capabilities_mut(o).constraints.as_mut().unwrap().min_version = "1.2.3.4".into(),
            &["capabilities.constraints.minVersion"],
        );
        let undefined = assert_breaks(
            "CAP-006",
            |o| capabilities_mut(o).version = "undefined".into(),
            &["capabilities.version"],
        );
        assert!(undefined.findings[0].hint.contains("version flags"));
        assert_breaks(
            "CAP-006",
            |o| {
                let constraints = capabilities_mut(o).constraints.as_mut().unwrap();
                let models = &mut constraints.per_capability.get_mut(&LLM).unwrap().models;
                models.get_mut(LLAMA).unwrap().runner_version = "x".into();
            },
            &[&format!(
                "capabilities.constraints.PerCapability[33].models[{LLAMA:?}].runnerVersion"
            )],
        );
    }

    #[test]
    fn cap_007_ai_capabilities_list_models() {
        assert_passes("CAP-007");
        assert_breaks(
            "CAP-007",
            |o| {
                let constraints = capabilities_mut(o).constraints.as_mut().unwrap();
                constraints.per_capability.insert(LLM, Default::default());
            },
            &["capabilities.constraints.PerCapability[33]"],
        );
        // Bare AI bits, as every go-livepeer transcoder sets them: an info finding.
        let bare = outcome_with("CAP-007", &Default::default(), |o| {
            let bits = advertised().into_iter().chain([28, 29, 30, 31, 32, 34, 36]);
            capabilities_mut(o).bitstring = encode_bitstring(bits);
        });
        assert_eq!(bare.verdict, crate::rules::Verdict::Info, "{bare:?}");
        assert_eq!(bare.findings.len(), 7);
    }

    #[test]
    fn cap_008_no_underflowed_counters() {
        assert_passes("CAP-008");
        assert_passes_with("CAP-008", &Default::default(), |o| {
            let constraints = capabilities_mut(o).constraints.as_mut().unwrap();
            let models = &mut constraints.per_capability.get_mut(&TEXT_TO_IMAGE).unwrap().models;
            // live-video-to-video style: more busy than idle containers.
            models.get_mut(SD_TURBO).unwrap().capacity_in_use = 2;
        });
        assert_breaks(
            "CAP-008",
            |o| {
                let constraints = capabilities_mut(o).constraints.as_mut().unwrap();
                let models = &mut constraints.per_capability.get_mut(&TEXT_TO_IMAGE).unwrap().models;
                models.get_mut(SD_TURBO).unwrap().capacity = u32::MAX;
            },
            &["capabilities.constraints.PerCapability[27].models[\"stabilityai/sd-turbo\"].capacity"],
        );
    }

    #[test]
    fn cap_008_judges_every_model_of_a_long_list() {
        // Rules read the whole answer however long: one bad model at entry 500 000 of 580 000 is found.
        let bad = format!("m{:06}", 500_000);
        assert_breaks(
            "CAP-008",
            |o| {
                let constraints = capabilities_mut(o).constraints.as_mut().unwrap();
                let models = &mut constraints.per_capability.get_mut(&TEXT_TO_IMAGE).unwrap().models;
                models.extend((0..580_000).map(|index| (format!("m{index:06}"), Default::default())));
                models.get_mut(&bad).unwrap().capacity = u32::MAX;
            },
            &[&format!(
                "capabilities.constraints.PerCapability[27].models[{bad:?}].capacity"
            )],
        );
    }

    #[test]
    fn cap_009_orchestrator_version_minimum() {
        let minimum = |version: &str| crate::expect::Expectations {
            orch_min_version: Some(version.into()),
            ..Default::default()
        };
        assert_passes_with("CAP-009", &minimum("0.8.7"), |_| {});
        assert_passes_with("CAP-009", &minimum("0.8.7"), |o| {
            capabilities_mut(o).version = "0.8.7-5-gabc".into()
        });
        assert_breaks_with("CAP-009", &minimum("0.9.0"), |_| {}, &["capabilities.version"]);
        assert_breaks_with(
            "CAP-009",
            &minimum("0.8.0"),
            |o| capabilities_mut(o).version = "undefined".into(),
            &["capabilities.version"],
        );
        assert!(assert_skips("CAP-009", &Default::default(), |_| {}).contains("orchMinLivepeerVersion"));
    }

    #[test]
    fn cap_010_runner_version_minimum() {
        let minimum = |model: Option<(&str, &str)>, version: &str| crate::expect::Expectations {
            ai_min_runner_versions: vec![crate::expect::MinRunnerVersion {
                model: model.map(|(pipeline, model_id)| (pipeline.into(), model_id.into())),
                version: version.into(),
            }],
            ..Default::default()
        };
        assert_passes_with("CAP-010", &minimum(None, "0.14.1"), |_| {});
        let path = format!("capabilities.constraints.PerCapability[27].models[{SD_TURBO:?}].runnerVersion");
        let llm_path = format!("capabilities.constraints.PerCapability[33].models[{LLAMA:?}].runnerVersion");
        assert_breaks_with("CAP-010", &minimum(None, "0.15"), |_| {}, &[&path, &llm_path]);
        assert_breaks_with(
            "CAP-010",
            &minimum(Some(("text-to-image", SD_TURBO)), "0.15"),
            |_| {},
            &[&path],
        );
        assert!(assert_skips("CAP-010", &Default::default(), |_| {}).contains("aiMinRunnerVersion"));
    }

    #[test]
    fn cap_011_no_mandatories() {
        assert_passes("CAP-011");
        assert_breaks(
            "CAP-011",
            |o| capabilities_mut(o).mandatories = encode_bitstring([0]),
            &["capabilities.mandatories"],
        );
    }
}
