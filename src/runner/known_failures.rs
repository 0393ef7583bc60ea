//! Known failures (`--known-failures FILE`): rule failures a release gate accepts for now, each
//! with a reason and an optional last day, so a gate stays green on a known defect and turns
//! red as soon as an entry goes stale (the rule no longer fails, is no longer evaluated, or the
//! entry's date has passed), as protobuf's conformance failure list does. The file is checked
//! up front against the catalog and the suites; applying it to a run is pure (today is an input).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Iso8601;
use time::Date;

use crate::escape::escape_line;
use crate::input_file::read_input_file;
use crate::rules::{self, Verdict};
use crate::runner::{judged_status, CaseStatus, RunReport};
use crate::suite::Suite;

/// Longest reason `--record-known-failures` writes from a finding, in characters.
const RECORDED_FINDING_CHARS: usize = 200;

/// How every file `--record-known-failures` writes begins.
const RECORDED_HEADER: &str = "# lpconform known failures, recorded ";

/// What a recorded reason says until a person replaces it.
const PLACEHOLDER_REASON: &str = "; replace with why it is accepted (an issue link). ";

/// One accepted failure: a rule, in one case or in every case that evaluates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownFailure {
    pub rule: &'static str,
    /// `suite::case`; `None` covers the rule in every case that evaluates it.
    pub case: Option<String>,
    pub reason: String,
    /// The last day the entry holds; from the day after, it is stale.
    pub until: Option<Date>,
    /// `FILE:LINE` of the entry, so a stale one is easy to find.
    pub location: String,
    /// Every case of the run's suites the entry covers that evaluates its rule: only a run in
    /// which each of them passes the rule shows the entry fixed.
    pub covers: Vec<String>,
}

impl KnownFailure {
    /// `RPC-005 in robustness::every_call_answers`, or `RPC-005 in every case`.
    pub fn name(&self) -> String {
        match &self.case {
            Some(case) => format!("{} in {case}", self.rule),
            None => format!("{} in every case", self.rule),
        }
    }

    fn matches_case(&self, case_name: &str) -> bool {
        self.case.as_deref().is_none_or(|case| case == case_name)
    }
}

/// A loaded, validated known-failures file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownFailures {
    pub path: PathBuf,
    pub entries: Vec<KnownFailure>,
}

/// A problem of the file, located: `FILE:LINE: entry N: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct KnownFailuresError {
    pub location: String,
    pub message: String,
}

/// An entry as written in the file.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    case: Option<String>,
    reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    until: Option<String>,
}

/// Reads and validates `path` against the catalog and the run's suites.
pub fn load(path: &Path, suites: &[Suite]) -> Result<KnownFailures, KnownFailuresError> {
    let text = read_input_file(path).map_err(|message| KnownFailuresError {
        location: path.display().to_string(),
        message,
    })?;
    parse(&text, path, suites)
}

/// Parses a known-failures file's text; `path` names it in errors.
pub fn parse(text: &str, path: &Path, suites: &[Suite]) -> Result<KnownFailures, KnownFailuresError> {
    let at_line = |line: usize| format!("{}:{line}", path.display());
    let raw: Option<Vec<RawEntry>> = serde_norway::from_str(text).map_err(|error| {
        let line = error.location().map_or(1, |location| location.line());
        let message = error.to_string();
        let message = message.find(" at line ").map_or(message.as_str(), |cut| &message[..cut]);
        KnownFailuresError {
            location: at_line(line),
            message: format!("{message} (the file is a list of entries: `- rule: ID`, `reason: ...`, optional `case: suite::case` and `until: YYYY-MM-DD`)"),
        }
    })?;
    let starts = entry_lines(text);
    let mut entries: Vec<KnownFailure> = Vec::new();
    for (index, raw) in raw.unwrap_or_default().into_iter().enumerate() {
        let location = at_line(starts.get(index).copied().unwrap_or(1));
        let refuse = |message: String| KnownFailuresError {
            location: location.clone(),
            message: format!("entry {} (rule {}): {message}", index + 1, escape_line(&raw.rule)),
        };
        let rule = rules::rule(&raw.rule)
            .ok_or_else(|| refuse("unknown rule ID (`lpconform rules` lists the catalog)".into()))?;
        let cases = || {
            suites
                .iter()
                .flat_map(|suite| suite.cases.iter().map(move |case| (case.full_name(suite), case)))
        };
        if let Some(case) = &raw.case {
            let evaluates = cases()
                .find(|(name, _)| name == case)
                .map(|(_, found)| found.rules.contains(&rule.id));
            match evaluates {
                None => {
                    return Err(refuse(format!(
                        "case `{}` is in none of the suites (cases are named suite::case)",
                        escape_line(case)
                    )))
                }
                Some(false) => {
                    return Err(refuse(format!(
                        "case `{}` does not evaluate {}, so it can never fail it",
                        escape_line(case),
                        rule.id
                    )))
                }
                Some(true) => {}
            }
        }
        if raw.reason.trim().is_empty() {
            return Err(refuse("reason: say why the failure is accepted (an issue link)".into()));
        }
        let until = match &raw.until {
            Some(text) => Some(Date::parse(text, &Iso8601::DATE).map_err(|error| {
                refuse(format!(
                    "until: `{}` is not a date YYYY-MM-DD: {error}",
                    escape_line(text)
                ))
            })?),
            None => None,
        };
        let overlapping = entries.iter().find(|earlier| {
            earlier.rule == rule.id && (earlier.case.is_none() || raw.case.is_none() || earlier.case == raw.case)
        });
        if let Some(earlier) = overlapping {
            return Err(refuse(format!(
                "overlaps the entry at {} ({}): list each rule and case once",
                earlier.location,
                earlier.name()
            )));
        }
        let covers = cases()
            .filter(|(name, case)| case.rules.contains(&rule.id) && raw.case.as_ref().is_none_or(|only| only == name))
            .map(|(name, _)| name)
            .collect();
        entries.push(KnownFailure {
            rule: rule.id,
            case: raw.case,
            reason: raw.reason,
            until,
            location,
            covers,
        });
    }
    Ok(KnownFailures {
        path: path.to_path_buf(),
        entries,
    })
}

/// 1-based lines where the top-level list's entries start (`- ` at the left margin).
fn entry_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.starts_with('-') && !line.starts_with("---"))
        .map(|(index, _)| index + 1)
        .collect()
}

/// What became of the list in one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownFailureCheck {
    pub path: PathBuf,
    pub entries: Vec<EntryOutcome>,
}

impl KnownFailureCheck {
    /// The entries that fail the run.
    pub fn stale(&self) -> impl Iterator<Item = &EntryOutcome> {
        self.entries
            .iter()
            .filter(|outcome| matches!(outcome.state, EntryState::Stale(_) | EntryState::Fixed(_)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryOutcome {
    pub entry: KnownFailure,
    pub state: EntryState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryState {
    /// The rule still fails: the cases where the entry turned a failure into a known failure.
    Holds(Vec<String>),
    /// The entry no longer holds and fails the run: why (passes now, not evaluated, expired).
    Stale(String),
    /// Stale because the rule passes (or only notes) in every case the entry covers, each of
    /// which ran it in a run that did not end early: recording removes only these entries.
    Fixed(String),
    /// `--case` left out every case the entry names: not judged in this run.
    NotRun,
}

/// Marks the failures the list accepts as known failures, re-judges the cases, and records in
/// the report which entries hold and which are stale. `today` decides expiry; `case_filter`
/// is the run's `--case`, under which an entry whose cases did not run is not judged.
pub fn apply(report: &mut RunReport, list: &KnownFailures, today: Date, case_filter: Option<&str>) {
    let entries = list
        .entries
        .iter()
        .map(|entry| {
            let state = match entry.until.filter(|until| *until < today) {
                Some(until) => EntryState::Stale(format!(
                    "expired: its until date {until} has passed (today is {today}); fix the failure or extend the date"
                )),
                None => mark(report, entry, case_filter.is_some()),
            };
            EntryOutcome {
                entry: entry.clone(),
                state,
            }
        })
        .collect();
    let strict = report.strict;
    for case in &mut report.cases {
        if matches!(case.status, CaseStatus::Failed | CaseStatus::Warned) {
            case.status = judged_status(case, strict);
        }
    }
    report.known_failures = Some(KnownFailureCheck {
        path: list.path.clone(),
        entries,
    });
}

/// Turns the failing evaluations `entry` covers into known failures, and says whether it holds.
fn mark(report: &mut RunReport, entry: &KnownFailure, filtered: bool) -> EntryState {
    let mut covered = Vec::new();
    let mut seen_instead = Vec::new();
    for case in report.cases.iter_mut().filter(|case| entry.matches_case(&case.name())) {
        let name = case.name();
        let mut evaluated = false;
        for result in case.rules.iter_mut().filter(|result| result.rule.id == entry.rule) {
            evaluated = true;
            match &result.verdict {
                Verdict::Fail | Verdict::Warn => {
                    result.verdict = Verdict::KnownFailure(entry.reason.clone());
                    covered.push(name.clone());
                }
                Verdict::Pass => seen_instead.push(format!("passes in {name}")),
                Verdict::Info => seen_instead.push(format!("only notes (info) in {name}")),
                Verdict::Skip(reason) => seen_instead.push(format!("skipped in {name} ({reason})")),
                Verdict::KnownFailure(_) => covered.push(name.clone()),
            }
        }
        // A skipped case evaluates nothing; only an entry naming it knows it would have.
        if let (false, Some(_), CaseStatus::Skipped(reason)) = (evaluated, &entry.case, &case.status) {
            seen_instead.push(format!("case {name} skipped ({reason})"));
        }
    }
    if !covered.is_empty() {
        EntryState::Holds(covered)
    } else if !seen_instead.is_empty() {
        let why = format!("no longer fails: {}", seen_instead.join("; "));
        if shown_fixed(report, entry) {
            EntryState::Fixed(why)
        } else {
            EntryState::Stale(why)
        }
    } else if filtered {
        EntryState::NotRun
    } else {
        EntryState::Stale("not evaluated: no case of this run evaluates it".into())
    }
}

/// Whether `--record-known-failures` may write `path`: a new file; the list this run reads
/// (`read`, `--known-failures`), which [`record`] then updates; a list lpconform recorded that
/// nobody has edited since (every reason still the placeholder, no until), as a CI job records
/// into the same scratch path each run; an empty file (`> FILE` made it); or what is not a
/// regular file (`/dev/stdout`). Any other
/// existing file is refused: the user may have written it by hand, and recording would replace it.
pub fn may_record(path: &Path, read: Option<&Path>) -> Result<(), String> {
    let Ok(metadata) = std::fs::metadata(path) else {
        return Ok(());
    };
    let is_read = || read.and_then(|read| std::fs::canonicalize(read).ok()) == std::fs::canonicalize(path).ok();
    if !metadata.is_file() || metadata.len() == 0 || is_read() || recorded_and_untouched(path) {
        return Ok(());
    }
    Err(
        "the file exists, this run does not read it and lpconform did not record it as it is: to \
         update a list, pass it as --known-failures too (its entries are kept and the new failures \
         added); to start a new list, remove the file or name another"
            .into(),
    )
}

/// Whether `path` is a list lpconform recorded and nobody has edited: its header, and entries
/// whose reasons are all recording's placeholder, with no until. Replacing it loses nothing a
/// person wrote.
fn recorded_and_untouched(path: &Path) -> bool {
    let Ok(text) = read_input_file(path) else {
        return false;
    };
    let untouched = |entry: &RawEntry| {
        entry.until.is_none() && entry.reason.starts_with("recorded ") && entry.reason.contains(PLACEHOLDER_REASON)
    };
    text.starts_with(RECORDED_HEADER)
        && serde_norway::from_str::<Option<Vec<RawEntry>>>(&text)
            .is_ok_and(|entries| entries.unwrap_or_default().iter().all(untouched))
}

/// The run's failing rule evaluations (under `--strict` warnings too) as a known-failures file.
/// When the run read a list, this is that list updated, the documented way to keep one: each
/// entry stays as written (rule, case or none, reason, until), entries whose cases did not run or
/// were skipped and expired ones included, unless the run shows it fixed (then the header says
/// it was removed, with its reason); a failure no entry covers is added with a reason to replace,
/// quoting the first finding. Only the file's comments are not kept.
pub fn record(report: &RunReport, today: Date) -> String {
    let outcomes = report
        .known_failures
        .as_ref()
        .map_or(&[][..], |check| &check.entries[..]);
    let (fixed, kept): (Vec<&EntryOutcome>, Vec<&EntryOutcome>) = outcomes
        .iter()
        .partition(|outcome| matches!(outcome.state, EntryState::Fixed(_)));
    let mut entries: Vec<RawEntry> = kept.iter().map(|outcome| RawEntry::from(&outcome.entry)).collect();
    for case in &report.cases {
        let name = case.name();
        for result in &case.rules {
            let failing = result.verdict == Verdict::Fail || (report.strict && result.verdict == Verdict::Warn);
            let covered = || {
                kept.iter()
                    .any(|outcome| outcome.entry.rule == result.rule.id && outcome.entry.matches_case(&name))
            };
            if failing && !covered() {
                entries.push(RawEntry {
                    rule: result.rule.id.to_string(),
                    case: Some(name.clone()),
                    reason: recorded_reason(result, today),
                    until: None,
                });
            }
        }
    }
    let mut header = format!(
        "{RECORDED_HEADER}{today} from {}.\n\
         # Each entry: rule, optional case (suite::case), reason, optional until (YYYY-MM-DD).\n\
         # An entry that no longer fails, or whose until date has passed, fails the run.\n",
        escape_line(&report.target)
    );
    if let Some(check) = &report.known_failures {
        let _ = writeln!(
            header,
            "# Updated from {}: {} entries kept as written, {} added, {} removed as fixed.",
            escape_line(&check.path.display().to_string()),
            kept.len(),
            entries.len() - kept.len(),
            fixed.len()
        );
        for outcome in fixed {
            let why = match &outcome.state {
                EntryState::Fixed(why) => why.as_str(),
                _ => "",
            };
            let _ = writeln!(
                header,
                "#   removed {} ({}): {}; its reason was: {}",
                outcome.entry.name(),
                outcome.entry.location,
                escape_line(why),
                escape_line(&outcome.entry.reason)
            );
        }
    }
    if entries.is_empty() {
        return header + "[]\n";
    }
    header + &serde_norway::to_string(&entries).unwrap_or_default()
}

/// Whether the run shows `entry` fixed: it ran to the end and every case the entry covers ran
/// its rule, which passes or only notes there. A case left out by `--case`, skipped (capacity,
/// an unfunded gateway, another mode) or not reached proves nothing, so the entry stays.
fn shown_fixed(report: &RunReport, entry: &KnownFailure) -> bool {
    report.ended_early.is_none()
        && entry.covers.iter().all(|name| {
            let mut verdicts = (report.cases.iter())
                .filter(|case| case.name() == *name)
                .flat_map(|case| &case.rules)
                .filter(|result| result.rule.id == entry.rule)
                .map(|result| &result.verdict)
                .peekable();
            verdicts.peek().is_some() && verdicts.all(|verdict| matches!(verdict, Verdict::Pass | Verdict::Info))
        })
}

impl From<&KnownFailure> for RawEntry {
    fn from(entry: &KnownFailure) -> Self {
        Self {
            rule: entry.rule.to_string(),
            case: entry.case.clone(),
            reason: entry.reason.clone(),
            until: entry.until.map(|date| date.to_string()),
        }
    }
}

/// `recorded 2026-12-02, say why it is accepted: PATH: expected E, actual A`, bounded.
fn recorded_reason(result: &rules::RuleResult, today: Date) -> String {
    let finding = result.findings.first().map_or_else(
        || result.rule.text.to_string(),
        |finding| {
            format!(
                "{}: expected {}, actual {}",
                finding.path, finding.expected, finding.actual
            )
        },
    );
    let finding: String = escape_line(&finding).chars().take(RECORDED_FINDING_CHARS).collect();
    format!("recorded {today}{PLACEHOLDER_REASON}{finding}")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::rules::{rule, Finding, Modes, RuleResult};
    use crate::runner::CaseReport;

    fn day(text: &str) -> Date {
        Date::parse(text, &Iso8601::DATE).unwrap()
    }

    fn suites() -> Vec<Suite> {
        crate::suite::built_in()
    }

    fn parse_text(text: &str) -> Result<KnownFailures, KnownFailuresError> {
        parse(text, Path::new("known.yaml"), &suites())
    }

    fn result(id: &str, verdict: Verdict) -> RuleResult {
        RuleResult {
            rule: rule(id).unwrap(),
            verdict,
            findings: vec![Finding::new("address", "20 bytes", "19 bytes")],
            omitted_findings: 0,
        }
    }

    fn case(suite: &str, id: &str, status: CaseStatus, rules: Vec<RuleResult>) -> CaseReport {
        CaseReport {
            rules,
            ..CaseReport::new(suite, id, "", status)
        }
    }

    fn report(cases: Vec<CaseReport>) -> RunReport {
        RunReport {
            target: "http://127.0.0.1:8935".into(),
            profile: "p".into(),
            modes: Modes::default(),
            info: None,
            newer_fields: Vec::new(),
            strict: false,
            cases,
            elapsed: Duration::ZERO,
            unfunded_gateway: None,
            known_failures: None,
            ended_early: None,
        }
    }

    fn failing_run() -> RunReport {
        report(vec![
            case(
                "discovery",
                "signed_request",
                CaseStatus::Failed,
                vec![result("ADDR-001", Verdict::Fail), result("REQ-001", Verdict::Pass)],
            ),
            case(
                "identity",
                "ping_offchain",
                CaseStatus::Skipped("applies to `offchain` orchestrators".into()),
                vec![],
            ),
        ])
    }

    #[test]
    fn a_listed_failure_is_known_and_the_run_passes() {
        let list = parse_text(
            "- rule: ADDR-001\n  case: discovery::signed_request\n  reason: go-livepeer#1 short addresses\n  until: 2999-12-31\n",
        )
        .unwrap();
        let mut run = failing_run();
        assert!(run.failed());
        apply(&mut run, &list, day("2026-12-02"), None);
        assert!(!run.failed(), "{:?}", run.known_failures);
        assert_eq!(run.cases[0].status, CaseStatus::KnownFailure);
        assert_eq!(
            run.cases[0].rules[0].verdict,
            Verdict::KnownFailure("go-livepeer#1 short addresses".into())
        );
        let check = run.known_failures.unwrap();
        assert_eq!(
            check.entries[0].state,
            EntryState::Holds(vec!["discovery::signed_request".into()])
        );
    }

    #[test]
    fn stale_and_expired_entries_fail_the_run_naming_the_entry() {
        let list = parse_text(concat!(
            "- rule: REQ-001\n  reason: passes now\n",
            "- rule: ADDR-001\n  reason: expired\n  until: 2020-01-01\n",
            "- rule: IDENT-003\n  case: identity::ping_offchain\n  reason: skipped case\n",
        ))
        .unwrap();
        let mut run = failing_run();
        apply(&mut run, &list, day("2026-12-02"), None);
        assert!(run.failed());
        let check = run.known_failures.as_ref().unwrap();
        let stale: Vec<(String, String, String)> = check
            .stale()
            .map(|outcome| match &outcome.state {
                EntryState::Stale(why) | EntryState::Fixed(why) => {
                    (outcome.entry.name(), outcome.entry.location.clone(), why.clone())
                }
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(stale.len(), 3, "{stale:?}");
        assert_eq!(stale[0].0, "REQ-001 in every case");
        assert_eq!(stale[0].1, "known.yaml:1");
        assert!(stale[0].2.contains("passes in discovery::signed_request"), "{stale:?}");
        assert_eq!(stale[1].1, "known.yaml:3");
        assert!(
            stale[1].2.starts_with("expired: its until date 2020-01-01"),
            "{stale:?}"
        );
        assert!(stale[2].2.contains("case identity::ping_offchain skipped"), "{stale:?}");
        // The expired entry covers nothing: its failure fails the run as before.
        assert_eq!(run.cases[0].status, CaseStatus::Failed);
        assert_eq!(run.cases[0].rules[0].verdict, Verdict::Fail);
    }

    #[test]
    fn the_last_day_still_holds_and_a_filtered_run_does_not_judge_what_it_left_out() {
        let list =
            parse_text("- rule: ADDR-001\n  reason: r\n  until: 2026-12-02\n- rule: PRICE-001\n  reason: r\n").unwrap();
        let mut run = failing_run();
        apply(&mut run, &list, day("2026-12-02"), Some("discovery"));
        let check = run.known_failures.as_ref().unwrap();
        assert!(matches!(check.entries[0].state, EntryState::Holds(_)));
        assert_eq!(check.entries[1].state, EntryState::NotRun);
        assert!(!run.failed());
    }

    #[test]
    fn bad_files_are_located_errors() {
        let cases = [
            (
                "- rule: NOPE-001\n  reason: r\n",
                "known.yaml:1: entry 1 (rule NOPE-001): unknown rule ID",
            ),
            (
                "- rule: ADDR-001\n  reason: r\n- rule: ADDR-001\n  reason: again\n",
                "known.yaml:3: entry 2 (rule ADDR-001): overlaps the entry at known.yaml:1",
            ),
            (
                "- rule: ADDR-001\n  case: nope::case\n  reason: r\n",
                "case `nope::case` is in none of the suites",
            ),
            (
                "- rule: PRICE-001\n  case: identity::ping_offchain\n  reason: r\n",
                "does not evaluate PRICE-001",
            ),
            ("- rule: ADDR-001\n  reason: ''\n", "reason: say why"),
            (
                "- rule: ADDR-001\n  reason: r\n  until: next week\n",
                "until: `next week` is not a date",
            ),
            (
                "- rule: ADDR-001\n  reasn: r\n",
                "known.yaml:2: .[0]: unknown field `reasn`",
            ),
            (
                "rule: ADDR-001\n",
                "known.yaml:1: invalid type: map, expected a sequence",
            ),
        ];
        for (text, wanted) in cases {
            let error = parse_text(text).unwrap_err().to_string();
            assert!(error.contains(wanted), "{text:?}: {error}");
        }
        assert!(parse_text("").unwrap().entries.is_empty());
        assert!(parse_text("[]\n").unwrap().entries.is_empty());
    }

    #[test]
    fn recording_gives_a_list_that_loads_and_makes_the_same_run_pass() {
        let run = failing_run();
        let recorded = record(&run, day("2026-12-02"));
        assert!(recorded.contains("rule: ADDR-001"), "{recorded}");
        assert!(
            recorded.contains("address: expected 20 bytes, actual 19 bytes"),
            "{recorded}"
        );
        let list = parse_text(&recorded).unwrap();
        assert_eq!(list.entries.len(), 1);
        let mut again = failing_run();
        apply(&mut again, &list, day("2026-12-02"), None);
        assert!(!again.failed());
        // Recording again keeps the accepted reason.
        let rerecorded = record(&again, day("2026-12-03"));
        assert_eq!(
            parse_text(&rerecorded).unwrap().entries[0].reason,
            list.entries[0].reason
        );
        assert!(record(&report(vec![]), day("2026-12-02")).ends_with("[]\n"));
    }

    /// What a list says, without where it says it.
    fn fields(list: &KnownFailures) -> Vec<(&str, Option<&str>, &str, Option<Date>)> {
        (list.entries.iter())
            .map(|entry| (entry.rule, entry.case.as_deref(), entry.reason.as_str(), entry.until))
            .collect()
    }

    #[test]
    fn recording_over_the_list_read_keeps_its_entries_and_adds_new_failures() {
        let written = concat!(
            "# our gate's list\n",
            "- rule: IDENT-003\n  case: identity::ping_offchain\n  reason: 'go-livepeer#3: skipped, kept'\n  until: 2999-01-01\n",
            "- rule: PRICE-001\n  reason: go-livepeer#2, left out by --case\n",
            "- rule: REQ-001 # passes where it ran, but --case left out other cases\n  reason: go-livepeer#1\n  until: 2999-02-01\n",
        );
        let list = parse_text(written).unwrap();
        let mut run = failing_run();
        apply(&mut run, &list, day("2026-12-02"), Some("discovery"));
        let recorded = record(&run, day("2026-12-02"));
        let again = parse_text(&recorded).unwrap_or_else(|error| panic!("{error}\n{recorded}"));
        let added = recorded_reason(&failing_run().cases[0].rules[0], day("2026-12-02"));
        assert_eq!(
            fields(&again),
            [
                fields(&list)[0],
                fields(&list)[1],
                fields(&list)[2],
                ("ADDR-001", Some("discovery::signed_request"), added.as_str(), None),
            ],
            "{recorded}"
        );
        assert!(
            recorded.contains("# Updated from known.yaml: 3 entries kept as written, 1 added, 0 removed as fixed.\n"),
            "{recorded}"
        );
    }

    /// A run of every case that evaluates REQ-001, each passing it.
    fn req_001_passing_everywhere(list: &KnownFailures) -> RunReport {
        report(
            (list.entries[0].covers.iter())
                .map(|name| {
                    let (suite, id) = name.split_once("::").unwrap();
                    case(suite, id, CaseStatus::Passed, vec![result("REQ-001", Verdict::Pass)])
                })
                .collect(),
        )
    }

    #[test]
    fn an_entry_is_removed_as_fixed_only_when_every_case_it_covers_ran_and_passes() {
        let list = parse_text("- rule: REQ-001\n  reason: go-livepeer#1\n  until: 2999-02-01\n").unwrap();
        assert!(list.entries[0].covers.len() > 1, "{:?}", list.entries[0].covers);
        let recorded_after = |run: &mut RunReport, filter: Option<&str>| {
            apply(run, &list, day("2026-12-02"), filter);
            record(run, day("2026-12-02"))
        };

        let recorded = recorded_after(&mut req_001_passing_everywhere(&list), None);
        assert!(parse_text(&recorded).unwrap().entries.is_empty(), "{recorded}");
        assert!(
            recorded.contains("#   removed REQ-001 in every case (known.yaml:1): no longer fails: passes in "),
            "{recorded}"
        );

        // One covered case skipped (capacity), not reached, or the run ended early: kept as written.
        let mut skipped = req_001_passing_everywhere(&list);
        skipped.cases[0].status = CaseStatus::Skipped("the orchestrator is at capacity".into());
        skipped.cases[0].rules[0].verdict = Verdict::Skip("at capacity".into());
        let mut not_reached = req_001_passing_everywhere(&list);
        not_reached.cases.pop();
        let mut ended_early = req_001_passing_everywhere(&list);
        ended_early.ended_early = Some(crate::runner::EndedEarly::StoppedAnswering);
        for mut run in [skipped, not_reached, ended_early] {
            let recorded = recorded_after(&mut run, None);
            assert_eq!(fields(&parse_text(&recorded).unwrap()), fields(&list), "{recorded}");
            assert!(run.failed(), "a stale entry still fails the run");
        }
    }

    #[test]
    fn a_list_whose_entries_all_hold_or_did_not_run_is_recorded_as_it_was_written() {
        let written = "- rule: ADDR-001\n  reason: \"go-livepeer#1: \\\"short\\\" addresses\"\n  until: 2999-12-31\n\
                       - rule: PRICE-001\n  case: pricing::transcoding_price\n  reason: not run\n";
        let list = parse_text(written).unwrap();
        let mut run = failing_run();
        apply(&mut run, &list, day("2026-12-02"), Some("discovery"));
        let again = parse_text(&record(&run, day("2026-12-02"))).unwrap();
        assert_eq!(fields(&again), fields(&list));
        // An expired entry stays too: extending its date is the user's call.
        let expired = parse_text("- rule: ADDR-001\n  reason: r\n  until: 2020-01-01\n").unwrap();
        let mut run = failing_run();
        apply(&mut run, &expired, day("2026-12-02"), None);
        assert_eq!(
            fields(&parse_text(&record(&run, day("2026-12-02"))).unwrap()),
            fields(&expired)
        );
    }

    #[test]
    fn only_a_new_file_or_the_list_read_may_be_recorded() {
        let scratch = tempfile::tempdir().unwrap();
        let list = scratch.path().join("known.yaml");
        assert_eq!(may_record(&list, None), Ok(()));
        std::fs::write(&list, "[]\n").unwrap();
        assert_eq!(
            may_record(&list, Some(&scratch.path().join(".").join("known.yaml"))),
            Ok(())
        );
        for read in [None, Some(scratch.path().join("other.yaml"))] {
            let refused = may_record(&list, read.as_deref()).unwrap_err();
            assert!(refused.contains("pass it as --known-failures too"), "{refused}");
        }
    }

    #[test]
    fn a_list_recorded_and_not_edited_since_or_a_stream_may_be_recorded_over() {
        let scratch = tempfile::tempdir().unwrap();
        let list = scratch.path().join("known.yaml");
        let recorded = record(&failing_run(), day("2026-12-02"));
        std::fs::write(&list, &recorded).unwrap();
        assert_eq!(may_record(&list, None), Ok(()));
        std::fs::write(&list, record(&report(vec![]), day("2026-12-02"))).unwrap();
        assert_eq!(may_record(&list, None), Ok(()));
        assert_eq!(may_record(Path::new("/dev/null"), None), Ok(()));
        std::fs::write(&list, "").unwrap();
        assert_eq!(may_record(&list, None), Ok(()));
        // A reason replaced, an until added, or the header gone: a person wrote it.
        let edited = [
            recorded.replace(PLACEHOLDER_REASON, ": go-livepeer#1 "),
            recorded.replace("  reason:", "  until: 2999-01-01\n  reason:"),
            recorded.replace(RECORDED_HEADER, "# ours, "),
        ];
        for text in edited {
            assert_ne!(text, recorded);
            std::fs::write(&list, &text).unwrap();
            assert!(may_record(&list, None).is_err(), "{text}");
        }
    }
}
