//! CAP: the structure of `capabilities`: bits, mandatories, capacities,
//! version and per-model constraints.

use super::verify::{capability_list, capability_text, quoted, report, sorted};
use super::{Finding, Mode, Rule, Severity};
use crate::capability::{self, has_bit, set_bits};

pub(super) const RULES: &[Rule] = &[CAP_001, CAP_002, CAP_003, CAP_004, CAP_005, CAP_006, CAP_007, CAP_008];

const CAP_001: Rule = Rule {
    id: "CAP-001",
    severity: Severity::Must,
    mode: Mode::All,
    text: "`bitstring` is non-empty and sets at least one known capability",
    citation: "go-livepeer: gateways select orchestrators by capability bits (facts: Capabilities)",
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
    citation: "facts.md Capabilities: the capability enum ends at 37 (BYOC)",
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
    citation: "go-livepeer: mandatory capabilities must be supported by the peer; one not advertised cannot be",
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
    citation: "proto: capacities is the free capacity per advertised capability number",
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
    text: "every `constraints.PerCapability` key is a capability set in `bitstring`",
    citation: "proto: PerCapability holds model constraints keyed by advertised capability number",
    hint: "list models only under advertised pipelines",
    check: |ctx| {
        let capabilities = ctx.capabilities()?;
        let Some(constraints) = capabilities.constraints.as_ref() else {
            return Ok(Vec::new());
        };
        report(sorted(&constraints.per_capability).into_iter().map(|(number, _)| {
            (!has_bit(&capabilities.bitstring, *number))
                .then(|| not_advertised(format!("capabilities.constraints.PerCapability[{number}]"), *number))
        }))
    },
};

const CAP_006: Rule = Rule {
    id: "CAP-006",
    severity: Severity::Should,
    mode: Mode::All,
    text: "`version` (and `minVersion` when set) parse as semver",
    citation: "go-livepeer: gateways compare versions against -orchMinLivepeerVersion as semver",
    hint: "go-livepeer fills these from its build version, e.g. 0.8.7",
    check: |ctx| {
        let capabilities = ctx.capabilities()?;
        let min_version = capabilities
            .constraints
            .as_ref()
            .map(|constraints| constraints.min_version.as_str());
        report([
            expect_semver("capabilities.version", &capabilities.version),
            min_version
                .filter(|text| !text.is_empty())
                .and_then(|text| expect_semver("capabilities.constraints.minVersion", text)),
        ])
    },
};

const CAP_007: Rule = Rule {
    id: "CAP-007",
    severity: Severity::Must,
    mode: Mode::Ai,
    text: "every advertised AI capability lists at least one model in its constraints",
    citation: "go-livepeer: gateways select AI orchestrators by (pipeline, model id) from the model constraints",
    hint: "configure at least one model per pipeline in aiModels.json",
    check: |ctx| {
        let capabilities = ctx.capabilities()?;
        let constraints = capabilities.constraints.as_ref();
        report(advertised_ai(&capabilities.bitstring).map(|number| {
            let models = constraints
                .and_then(|constraints| constraints.per_capability.get(&number))
                .map_or(0, |per_capability| per_capability.models.len());
            (models == 0).then(|| {
                Finding::new(
                    format!("capabilities.constraints.PerCapability[{number}]"),
                    format!("at least one model for {}", capability_text(number)),
                    "no models",
                )
            })
        }))
    },
};

const CAP_008: Rule = Rule {
    id: "CAP-008",
    severity: Severity::Must,
    mode: Mode::All,
    text: "model constraints are consistent: `capacityInUse` <= `capacity`",
    citation: "go-livepeer: capacity is the model's slots, capacityInUse the busy ones",
    hint: "the orchestrator's capacity accounting is off; check its AI workers",
    check: |ctx| {
        let Some(constraints) = ctx.capabilities()?.constraints.as_ref() else {
            return Ok(Vec::new());
        };
        report(
            sorted(&constraints.per_capability)
                .into_iter()
                .flat_map(|(number, per_capability)| {
                    sorted(&per_capability.models)
                        .into_iter()
                        .map(move |(model_id, model)| {
                            (model.capacity_in_use > model.capacity).then(|| {
                                Finding::new(
                        format!("capabilities.constraints.PerCapability[{number}].models[{model_id:?}].capacityInUse"),
                        format!("<= capacity ({})", model.capacity),
                        model.capacity_in_use.to_string(),
                    )
                            })
                        })
                }),
        )
    },
};

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

fn expect_semver(path: &str, text: &str) -> Option<Finding> {
    (!is_semver(text)).then(|| {
        Finding::new(
            path,
            "a semantic version (MAJOR.MINOR.PATCH[-pre][+build])",
            quoted(text),
        )
    })
}

/// Semantic Versioning 2.0.0: numeric parts without leading zeros,
/// dot-separated alphanumeric pre-release and build identifiers.
fn is_semver(text: &str) -> bool {
    let (rest, build) = match text.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (text, None),
    };
    let (core, pre_release) = match rest.split_once('-') {
        Some((core, pre_release)) => (core, Some(pre_release)),
        None => (rest, None),
    };
    let numeric = |part: &str| {
        !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit()) && (part == "0" || !part.starts_with('0'))
    };
    let identifier =
        |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-');
    let core_parts: Vec<&str> = core.split('.').collect();
    core_parts.len() == 3
        && core_parts.iter().all(|part| numeric(part))
        && pre_release.is_none_or(|pre| {
            pre.split('.')
                .all(|part| identifier(part) && (!part.bytes().all(|byte| byte.is_ascii_digit()) || numeric(part)))
        })
        && build.is_none_or(|build| build.split('.').all(identifier))
}

#[cfg(test)]
mod tests {
    use super::super::fixture::*;
    use super::*;
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
                constraints.per_capability.insert(30, Default::default());
            },
            &["capabilities.constraints.PerCapability[30]"],
        );
    }

    #[test]
    fn cap_006_versions_are_semver() {
        assert_passes("CAP-006");
        assert_breaks(
            "CAP-006",
            |o| capabilities_mut(o).version = "v0.8".into(),
            &["capabilities.version"],
        );
        assert_breaks(
            "CAP-006",
            |o| capabilities_mut(o).constraints.as_mut().unwrap().min_version = "01.2.3".into(),
            &["capabilities.constraints.minVersion"],
        );
    }

    #[test]
    fn semver_follows_the_specification() {
        for good in [
            "0.8.7",
            "1.0.0-alpha.1",
            "1.0.0-0.3.7",
            "1.0.0+20130313144700",
            "0.7.9-dev-abc+sha.5114f85",
        ] {
            assert!(is_semver(good), "{good}");
        }
        for bad in [
            "",
            "0.8",
            "v0.8.7",
            "1.2.3.4",
            "01.2.3",
            "1.0.0-",
            "1.0.0-01",
            "1.0.0+",
            "1.0.0-a..b",
            "1.ü.3",
        ] {
            assert!(!is_semver(bad), "{bad}");
        }
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
    }

    #[test]
    fn cap_008_capacity_in_use_within_capacity() {
        assert_passes("CAP-008");
        assert_breaks(
            "CAP-008",
            |o| {
                let constraints = capabilities_mut(o).constraints.as_mut().unwrap();
                let models = &mut constraints.per_capability.get_mut(&TEXT_TO_IMAGE).unwrap().models;
                models.get_mut(SD_TURBO).unwrap().capacity_in_use = 2;
                models.insert("zz".into(), Default::default());
            },
            &["capabilities.constraints.PerCapability[27].models[\"stabilityai/sd-turbo\"].capacityInUse"],
        );
    }
}
