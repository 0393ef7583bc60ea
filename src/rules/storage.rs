//! STORAGE: where the orchestrator wants segments written, and the harness's
//! promise never to repeat the S3 upload credentials it is sent.

use super::verify::{expect_non_empty, report};
use super::{Finding, Mode, Rule, Severity};
use crate::proto::net::{os_info::StorageType, OrchestratorInfo, OsInfo, S3osInfo};
use crate::view::{InfoView, REDACTED};

pub(super) const FILE: &str = file!();

pub(super) const RULES: &[Rule] = &[STORAGE_001, STORAGE_002];

const STORAGE_001: Rule = Rule {
    id: "STORAGE-001",
    severity: Severity::Must,
    mode: Mode::All,
    text: "an `OSInfo` of type S3 carries `s3info` with host and key",
    citation: "go-livepeer net/lp_rpc.proto S3OSInfo: the POST-policy upload target needs a host and a key",
    hint: "check the orchestrator's -objectStore configuration",
    check: |ctx| {
        report(ctx.info()?.storage.iter().enumerate().flat_map(|(index, storage)| {
            let s3 = storage.storage_type == StorageType::S3 as i32;
            match (s3, storage.s3info.as_ref()) {
                (false, _) => vec![],
                (true, None) => vec![Some(Finding::new(
                    format!("storage[{index}].s3info"),
                    "present",
                    "absent",
                ))],
                (true, Some(s3info)) => vec![
                    expect_non_empty(&format!("storage[{index}].s3info.host"), &s3info.host),
                    expect_non_empty(&format!("storage[{index}].s3info.key"), &s3info.key),
                ],
            }
        }))
    },
};

const STORAGE_002: Rule = Rule {
    id: "STORAGE-002",
    severity: Severity::Must,
    mode: Mode::All,
    text: "storage credentials never appear in reports or snapshots (redacted)",
    citation: "go-livepeer net/lp_rpc.proto S3OSInfo: policy, signature and credential are upload secrets",
    hint: "a harness defect: report it to the lpconform maintainers and do not share this run's output",
    check: |ctx| {
        report(ctx.info()?.storage.iter().enumerate().map(|(index, storage)| {
            let redacted = redact_storage(storage);
            let secrets_left = redacted.s3info.as_ref().is_some_and(|s3| {
                [&s3.policy, &s3.signature, &s3.credential]
                    .into_iter()
                    .any(|secret| !secret.is_empty() && secret != REDACTED)
            });
            // The rendering reports and snapshots share must not depend on the secrets at all:
            // equal views are the same YAML, so the views are compared, not their YAML.
            let view = |storage: OsInfo| {
                InfoView::new(&OrchestratorInfo {
                    storage: vec![storage],
                    ..Default::default()
                })
            };
            let rendering_leaks = view(storage.clone()) != view(redacted);
            (secrets_left || rendering_leaks).then(|| {
                Finding::new(
                    format!("storage[{index}].s3info"),
                    "policy, signature and credential redacted",
                    "credential text survives redaction",
                )
            })
        }))
    },
};

/// The storage entry with its S3 secrets (policy, signature, credential)
/// replaced by [`REDACTED`], for transcripts and snapshots of raw messages.
/// Empty secrets stay empty, so a reader can tell none was sent.
pub fn redact_storage(storage: &OsInfo) -> OsInfo {
    let redact = |secret: &str| {
        if secret.is_empty() {
            String::new()
        } else {
            REDACTED.to_string()
        }
    };
    OsInfo {
        storage_type: storage.storage_type,
        s3info: storage.s3info.as_ref().map(|s3| S3osInfo {
            policy: redact(&s3.policy),
            signature: redact(&s3.signature),
            credential: redact(&s3.credential),
            ..s3.clone()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::*;
    use super::*;

    #[test]
    fn storage_001_s3_has_host_and_key() {
        assert_passes("STORAGE-001");
        assert_breaks(
            "STORAGE-001",
            |o| info_mut(o).storage[0].s3info = None,
            &["storage[0].s3info"],
        );
        assert_breaks(
            "STORAGE-001",
            |o| info_mut(o).storage[0].s3info.as_mut().unwrap().host.clear(),
            &["storage[0].s3info.host"],
        );
        assert_passes_with("STORAGE-001", &Default::default(), |o| {
            info_mut(o).storage = vec![OsInfo {
                storage_type: StorageType::Direct as i32,
                s3info: None,
            }];
        });
    }

    #[test]
    fn storage_002_redaction_removes_every_secret() {
        assert_passes("STORAGE-002");
        let storage = &good_info().storage[0];
        let redacted = redact_storage(storage);
        let rendered = format!("{redacted:?}");
        let original = storage.s3info.as_ref().unwrap();
        for secret in [&original.policy, &original.signature, &original.credential] {
            assert!(!rendered.contains(secret.as_str()), "{secret} survived: {rendered}");
        }
        let s3 = redacted.s3info.unwrap();
        assert_eq!(
            (s3.host.as_str(), s3.key.as_str()),
            (original.host.as_str(), original.key.as_str())
        );
        assert_eq!(s3.policy, REDACTED);
        let empty = OsInfo {
            s3info: Some(S3osInfo::default()),
            ..storage.clone()
        };
        assert_eq!(redact_storage(&empty).s3info.unwrap().signature, "");
    }
}
