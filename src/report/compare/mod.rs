//! `lpconform compare`: runs side by side (two releases' JSON reports, more, or every target of
//! a sweep document), what changed from each run to the next (rule verdicts, advertised
//! capabilities, prices, models, versions) and whether anything got worse. Loading reads the
//! versioned JSON documents with located errors; comparing is pure.

mod render;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::input_file::read_input_file;
use crate::report::json::{worst_verdicts, JsonAdvertised, JsonModes, JsonReport, JsonVerdict, FORMAT_VERSION};
use crate::report::sweep::{JsonRowStatus, JsonSweep, SWEEP_FORMAT_VERSION};
use crate::rules::Modes;
pub use render::{
    any_worse, render_compare_html, render_compare_json, render_compare_text, JsonCompare, JsonComparedRun,
    JsonComparison, JsonOfferChange, JsonRuleChange, JsonRuleRow, COMPARE_FORMAT_VERSION,
};

/// One column of the comparison: a run report, or one target of a sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComparedRun {
    /// `new.json`, or `fleet.json: https://o1.example:8935` for a sweep's target.
    pub label: String,
    pub target: String,
    pub conformant: bool,
    /// Why the run holds no results (it could not happen, the target was unreachable).
    pub problem: Option<String>,
    /// Each rule evaluated, with its worst verdict over the cases.
    pub rules: BTreeMap<String, JsonVerdict>,
    pub modes: Option<JsonModes>,
    pub advertised: Option<JsonAdvertised>,
}

/// A file `compare` cannot read: `FILE:LINE:COLUMN: message` where the JSON says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct CompareError {
    pub location: String,
    pub message: String,
}

/// The runs of one JSON file: a run report (`lpconform run --format json`) gives one, a sweep
/// document (`lpconform sweep --format json`) one per target.
pub fn load(path: &Path) -> Result<Vec<ComparedRun>, CompareError> {
    let name = path.display().to_string();
    let refuse = |location: String, message: String| CompareError { location, message };
    let text = read_input_file(path).map_err(|message| refuse(name.clone(), message))?;
    let located = |error: serde_json::Error| {
        refuse(
            format!("{name}:{}:{}", error.line(), error.column()),
            error
                .to_string()
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_string(),
        )
    };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(located)?;
    let version = value.get("format_version").and_then(serde_json::Value::as_u64);
    let (kind, oldest, newest) = match (value.get("cases"), value.get("targets")) {
        (Some(_), _) => ("run report", 1, u64::from(FORMAT_VERSION)),
        (None, Some(_)) => ("sweep document", 1, u64::from(SWEEP_FORMAT_VERSION)),
        (None, None) => {
            return Err(refuse(
                name,
                "neither a run report (`lpconform run --format json`) nor a sweep document \
                 (`lpconform sweep --format json`): it has no `cases` or `targets`"
                    .into(),
            ))
        }
    };
    let Some(version) = version.filter(|version| (oldest..=newest).contains(version)) else {
        let found = version.map_or_else(|| "no format_version".to_string(), |v| format!("format_version {v}"));
        let wanted = if oldest == newest {
            format!("{newest}")
        } else {
            format!("{oldest} to {newest}")
        };
        return Err(refuse(
            format!("{name}: format_version"),
            format!("{found}: this lpconform compares {kind}s of format_version {wanted}"),
        ));
    };
    if kind == "run report" && version == 1 {
        let report: ReportV1 = serde_json::from_str(&text).map_err(located)?;
        Ok(vec![report.into_compared(&name)])
    } else if kind == "run report" {
        let report: JsonReport = serde_json::from_str(&text).map_err(located)?;
        Ok(vec![from_report(&name, report)])
    } else {
        let sweep: JsonSweep = serde_json::from_str(&text).map_err(located)?;
        Ok(sweep
            .targets
            .into_iter()
            .map(|row| ComparedRun {
                label: format!("{name}: {}", row.target),
                conformant: row.status == JsonRowStatus::Conformant,
                problem: row.problem,
                rules: row.rules.into_iter().map(|rule| (rule.id, rule.verdict)).collect(),
                modes: row.modes,
                advertised: row.advertised,
                target: row.target,
            })
            .collect())
    }
}

/// Each rule's worst verdict over the cases.
fn rule_verdicts<'a>(verdicts: impl IntoIterator<Item = (&'a str, JsonVerdict)>) -> BTreeMap<String, JsonVerdict> {
    (worst_verdicts(verdicts).into_iter())
        .map(|rule| (rule.id, rule.verdict))
        .collect()
}

/// A run report of either version as compared: each rule's worst verdict over the cases; no
/// problem or advertised answer, which version 1 did not write.
fn compared_run<'a>(
    name: &str,
    target: String,
    conformant: bool,
    modes: JsonModes,
    verdicts: impl IntoIterator<Item = (&'a str, JsonVerdict)>,
) -> ComparedRun {
    ComparedRun {
        label: name.to_string(),
        rules: rule_verdicts(verdicts),
        target,
        conformant,
        problem: None,
        modes: Some(modes),
        advertised: None,
    }
}

fn from_report(name: &str, report: JsonReport) -> ComparedRun {
    let verdicts = (report.cases.iter())
        .flat_map(|case| &case.rules)
        .map(|rule| (rule.id.as_str(), rule.verdict));
    ComparedRun {
        problem: report.error,
        advertised: report.advertised,
        ..compared_run(name, report.target, report.conformant, report.modes, verdicts)
    }
}

/// What `compare` reads of a `format_version: 1` run report, the schema before catalog v2 (no
/// `info` or `known_failure` verdicts, no `advertised` answer, no `error`): each rule's verdict,
/// the run's verdict, target and modes. The rest of the file is not read.
#[derive(serde::Deserialize)]
struct ReportV1 {
    target: String,
    conformant: bool,
    modes: JsonModes,
    cases: Vec<CaseV1>,
}

#[derive(serde::Deserialize)]
struct CaseV1 {
    rules: Vec<RuleV1>,
}

#[derive(serde::Deserialize)]
struct RuleV1 {
    id: String,
    /// `pass`, `warn`, `fail` or `skip`: names version 2 kept.
    verdict: JsonVerdict,
}

impl ReportV1 {
    fn into_compared(self, name: &str) -> ComparedRun {
        let verdicts = (self.cases.iter())
            .flat_map(|case| &case.rules)
            .map(|rule| (rule.id.as_str(), rule.verdict));
        compared_run(name, self.target, self.conformant, self.modes, verdicts)
    }
}

/// How a rule's verdict moved from one run to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleChangeKind {
    /// Fails now and did not before: worse.
    NewFailure,
    /// Warns now and passed, noted or was not evaluated before: worse.
    NewWarning,
    /// Reported as a known failure now (the list accepts it).
    NewlyKnown,
    /// Passes now after failing, warning or being a known failure.
    Fixed,
    /// Skipped or not evaluated now, evaluated before.
    NewlySkipped,
    /// Evaluated and passing now, skipped or not evaluated before.
    NewlyEvaluated,
    /// Any other move (fail to warn, pass to info).
    Changed,
}

impl RuleChangeKind {
    pub fn name(self) -> &'static str {
        match self {
            RuleChangeKind::NewFailure => "new_failure",
            RuleChangeKind::NewWarning => "new_warning",
            RuleChangeKind::NewlyKnown => "newly_known",
            RuleChangeKind::Fixed => "fixed",
            RuleChangeKind::NewlySkipped => "newly_skipped",
            RuleChangeKind::NewlyEvaluated => "newly_evaluated",
            RuleChangeKind::Changed => "changed",
        }
    }

    pub fn is_worse(self) -> bool {
        matches!(self, RuleChangeKind::NewFailure | RuleChangeKind::NewWarning)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleChange {
    pub rule: String,
    /// `None`: not evaluated in that run.
    pub from: Option<JsonVerdict>,
    pub to: Option<JsonVerdict>,
    pub kind: RuleChangeKind,
}

/// A change of what the orchestrator offers: `None` on one side is "absent".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferChange {
    /// `transcoding price`, `capability`, `price of text-to-image/sd-turbo`, `capabilities.version`.
    pub what: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// What changed from run `from` to run `to` (indexes into the runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    pub from: usize,
    pub to: usize,
    pub rules: Vec<RuleChange>,
    pub offer: Vec<OfferChange>,
    /// A new failure or warning, or a conformant run followed by one that is not.
    pub worse: bool,
}

/// Each run compared with the one before it.
pub fn compare_runs(runs: &[ComparedRun]) -> Vec<Comparison> {
    (1..runs.len()).map(|to| compare(runs, to - 1, to)).collect()
}

fn compare(runs: &[ComparedRun], from: usize, to: usize) -> Comparison {
    let (old, new) = (&runs[from], &runs[to]);
    let ids: BTreeSet<&String> = old.rules.keys().chain(new.rules.keys()).collect();
    let rules: Vec<RuleChange> = ids
        .into_iter()
        .filter_map(|id| {
            let (before, after) = (old.rules.get(id).copied(), new.rules.get(id).copied());
            (before != after).then(|| RuleChange {
                rule: id.clone(),
                from: before,
                to: after,
                kind: classify(before, after),
            })
        })
        .collect();
    let worse = rules.iter().any(|change| change.kind.is_worse()) || (old.conformant && !new.conformant);
    Comparison {
        from,
        to,
        rules,
        offer: offer_changes(old, new),
        worse,
    }
}

fn classify(before: Option<JsonVerdict>, after: Option<JsonVerdict>) -> RuleChangeKind {
    use JsonVerdict::{Fail, Info, KnownFailure, Pass, Skip, Warn};
    let evaluated = |verdict: Option<JsonVerdict>| verdict.is_some_and(|verdict| verdict != Skip);
    match (before, after) {
        (_, Some(Fail)) => RuleChangeKind::NewFailure,
        (None | Some(Skip | Pass | Info), Some(Warn)) => RuleChangeKind::NewWarning,
        (_, Some(KnownFailure)) => RuleChangeKind::NewlyKnown,
        (Some(Fail | Warn | KnownFailure), Some(Pass | Info)) => RuleChangeKind::Fixed,
        (before, after) if evaluated(before) && !evaluated(after) => RuleChangeKind::NewlySkipped,
        (before, Some(Pass | Info)) if !evaluated(before) => RuleChangeKind::NewlyEvaluated,
        _ => RuleChangeKind::Changed,
    }
}

fn offer_changes(old: &ComparedRun, new: &ComparedRun) -> Vec<OfferChange> {
    let mut changes = Vec::new();
    let mut changed = |what: String, from: Option<String>, to: Option<String>| {
        if from != to {
            changes.push(OfferChange { what, from, to });
        }
    };
    let text = |modes: JsonModes| Modes::from(modes).to_string();
    changed("modes".into(), old.modes.map(text), new.modes.map(text));
    let (Some(before), Some(after)) = (&old.advertised, &new.advertised) else {
        let answered = |run: &ComparedRun| {
            Some(
                if run.advertised.is_some() {
                    "answered"
                } else {
                    "no answer"
                }
                .into(),
            )
        };
        changed("discovery".into(), answered(old), answered(new));
        return changes;
    };
    changed(
        "transcoding price (wei per pixel)".into(),
        before.transcoding_price.clone(),
        after.transcoding_price.clone(),
    );
    let set = |names: &[String]| names.iter().cloned().collect::<BTreeSet<String>>();
    let (had, has) = (set(&before.capabilities), set(&after.capabilities));
    for removed in had.difference(&has) {
        changed("capability".into(), Some(removed.clone()), None);
    }
    for added in has.difference(&had) {
        changed("capability".into(), None, Some(added.clone()));
    }
    let prices = |advertised: &JsonAdvertised| -> BTreeMap<String, String> {
        advertised
            .capability_prices
            .iter()
            .map(|price| {
                (
                    model_name(&price.capability, &price.constraint),
                    price.wei_per_pixel.clone(),
                )
            })
            .collect()
    };
    for (what, from, to) in keyed_changes(prices(before), prices(after)) {
        changed(format!("price of {what} (wei per pixel)"), from, to);
    }
    let models = |advertised: &JsonAdvertised| -> BTreeMap<String, (bool, String)> {
        advertised
            .models
            .iter()
            .map(|model| {
                (
                    model_name(&model.capability, &model.model),
                    (model.warm, model.runner_version.clone()),
                )
            })
            .collect()
    };
    let (had, has) = (models(before), models(after));
    for (name, was, is) in keyed_changes(had, has) {
        match (was, is) {
            (Some((was_warm, was_runner)), Some((is_warm, is_runner))) => {
                changed(format!("runner version of {name}"), Some(was_runner), Some(is_runner));
                changed(
                    format!("warm of {name}"),
                    Some(was_warm.to_string()),
                    Some(is_warm.to_string()),
                );
            }
            (was, is) => changed("model".into(), was.map(|_| name.clone()), is.map(|_| name.clone())),
        }
    }
    changed(
        "capabilities.version".into(),
        before.version.clone(),
        after.version.clone(),
    );
    changed(
        "constraints.minVersion".into(),
        before.min_version.clone(),
        after.min_version.clone(),
    );
    changes
}

/// The keys whose values differ, with both sides.
fn keyed_changes<V: PartialEq>(
    mut before: BTreeMap<String, V>,
    mut after: BTreeMap<String, V>,
) -> Vec<(String, Option<V>, Option<V>)> {
    let keys: BTreeSet<String> = before.keys().chain(after.keys()).cloned().collect();
    keys.into_iter()
        .filter_map(|key| {
            let (was, is) = (before.remove(&key), after.remove(&key));
            (was != is).then_some((key, was, is))
        })
        .collect()
}

/// `text-to-image/sd-turbo`, or the capability alone for a price of the whole capability.
fn model_name(capability: &str, model: &str) -> String {
    if model.is_empty() {
        capability.to_string()
    } else {
        format!("{capability}/{model}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use JsonVerdict::{Fail, Info, KnownFailure, Pass, Skip, Warn};

    fn run(label: &str, rules: &[(&str, JsonVerdict)], price: &str) -> ComparedRun {
        ComparedRun {
            label: label.into(),
            target: "http://127.0.0.1:8935".into(),
            conformant: !rules.iter().any(|(_, verdict)| *verdict == Fail),
            problem: None,
            rules: rules.iter().map(|(id, verdict)| (id.to_string(), *verdict)).collect(),
            modes: Some(JsonModes::default()),
            advertised: Some(JsonAdvertised {
                capabilities: vec!["H.264".into()],
                transcoding_price: Some(price.into()),
                capability_prices: Vec::new(),
                models: Vec::new(),
                version: Some("0.9.1".into()),
                min_version: None,
                newer_fields: Vec::new(),
            }),
        }
    }

    #[test]
    fn verdict_moves_are_classified() {
        let cases = [
            (Some(Pass), Some(Fail), RuleChangeKind::NewFailure),
            (None, Some(Fail), RuleChangeKind::NewFailure),
            (Some(KnownFailure), Some(Fail), RuleChangeKind::NewFailure),
            (Some(Pass), Some(Warn), RuleChangeKind::NewWarning),
            (Some(Fail), Some(Warn), RuleChangeKind::Changed),
            (Some(Fail), Some(KnownFailure), RuleChangeKind::NewlyKnown),
            (Some(Fail), Some(Pass), RuleChangeKind::Fixed),
            (Some(Warn), Some(Info), RuleChangeKind::Fixed),
            (Some(Pass), Some(Skip), RuleChangeKind::NewlySkipped),
            (Some(Pass), None, RuleChangeKind::NewlySkipped),
            (Some(Skip), Some(Pass), RuleChangeKind::NewlyEvaluated),
            (Some(Pass), Some(Info), RuleChangeKind::Changed),
        ];
        for (before, after, kind) in cases {
            assert_eq!(classify(before, after), kind, "{before:?} -> {after:?}");
        }
    }

    #[test]
    fn a_broken_rule_and_a_changed_price_are_all_that_is_listed_and_it_is_worse() {
        let runs = [
            run("old.json", &[("PRICE-001", Pass), ("ADDR-001", Pass)], "1000/1"),
            run("new.json", &[("PRICE-001", Pass), ("ADDR-001", Fail)], "1200/1"),
            run("newer.json", &[("PRICE-001", Pass), ("ADDR-001", Pass)], "1200/1"),
        ];
        let comparisons = compare_runs(&runs);
        assert_eq!(comparisons.len(), 2);
        let first = &comparisons[0];
        assert!(first.worse);
        assert_eq!(
            first.rules,
            [RuleChange {
                rule: "ADDR-001".into(),
                from: Some(Pass),
                to: Some(Fail),
                kind: RuleChangeKind::NewFailure
            }]
        );
        assert_eq!(
            first.offer,
            [OfferChange {
                what: "transcoding price (wei per pixel)".into(),
                from: Some("1000/1".into()),
                to: Some("1200/1".into())
            }]
        );
        let second = &comparisons[1];
        assert!(!second.worse);
        assert_eq!(second.rules[0].kind, RuleChangeKind::Fixed);
        assert!(second.offer.is_empty());
    }
}
