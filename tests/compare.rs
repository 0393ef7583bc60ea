//! `lpconform compare` through the binary: a clean and a faulted run of the embedded
//! orchestrator differ by exactly the broken rule and the changed price (exit 1); the same run
//! twice is not worse (exit 0); a sweep gives one column per target in the HTML grid; files that
//! are not reports are located errors, exit 2.

mod common;

use std::path::Path;

use common::{lpconform, serve};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Writes the JSON report of `lpconform run ARGS` to `dir/name`.
fn report(dir: &Path, name: &str, args: &[&str]) {
    let output = lpconform(dir, &[&["run", "--report-json", name][..], args].concat());
    assert!(dir.join(name).is_file(), "{}", text(&output.stderr));
}

#[test]
fn a_faulted_run_differs_from_a_clean_one_by_the_broken_rule_and_the_price() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    report(dir, "clean.json", &["--h2c", "--onchain"]);
    report(dir, "faulted.json", &["--h2c", "--onchain", "--fault", "wrong-price"]);

    let output = lpconform(dir, &["compare", "clean.json", "faulted.json", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(document["format_version"], 1);
    assert_eq!(document["worse"], true);
    let comparison = &document["comparisons"][0];
    assert_eq!(
        comparison["rule_changes"],
        serde_json::json!([{ "rule": "CFG-002", "kind": "new_failure", "from": "pass", "to": "fail" }])
    );
    assert_eq!(
        comparison["offer_changes"],
        serde_json::json!([{ "what": "transcoding price (wei per pixel)", "from": "1010/1", "to": "505/1" }])
    );
    let text_output = lpconform(dir, &["compare", "clean.json", "faulted.json"]);
    let shown = text(&text_output.stdout);
    assert_eq!(text_output.status.code(), Some(1));
    assert!(shown.contains("new_failure      CFG-002  pass -> fail"), "{shown}");
    assert!(
        shown.contains("transcoding price (wei per pixel): 1010/1 -> 505/1"),
        "{shown}"
    );

    // The release after the fix: fixed, not worse.
    let fixed = lpconform(dir, &["compare", "faulted.json", "clean.json"]);
    assert_eq!(fixed.status.code(), Some(0), "{}", text(&fixed.stdout));
    assert!(text(&fixed.stdout).contains("fixed            CFG-002  fail -> pass"));
    let same = lpconform(dir, &["compare", "clean.json", "clean.json"]);
    assert_eq!(same.status.code(), Some(0));
    assert!(text(&same.stdout).contains("nothing changed"), "{}", text(&same.stdout));
}

#[test]
fn a_sweep_is_one_column_per_target_in_the_grid() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let (_clean, clean) = serve(&["--h2c"]);
    let (_faulted, faulted) = serve(&["--h2c", "--fault", "short-address"]);
    std::fs::write(dir.join("fleet.txt"), format!("{clean}\n{faulted}\n")).unwrap();
    let sweep = lpconform(dir, &["sweep", "--targets", "fleet.txt", "--format", "json"]);
    std::fs::write(dir.join("sweep.json"), &sweep.stdout).unwrap();

    let output = lpconform(dir, &["compare", "sweep.json", "--format", "html"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let html = text(&output.stdout);
    assert!(html.contains(&format!("1. sweep.json: {clean}")), "{html}");
    assert!(html.contains(&format!("2. sweep.json: {faulted}")), "{html}");
    let addr_row = html
        .split("<tr>")
        .find(|row| row.contains("<code>ADDR-001</code>"))
        .expect("a grid row for ADDR-001");
    assert!(addr_row.contains(">PASS<") && addr_row.contains(">FAIL<"), "{addr_row}");
    assert!(!html.contains("<script"), "{html}");
}

#[test]
fn files_that_are_not_reports_are_located_errors() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    report(dir, "clean.json", &["--h2c"]);
    for (content, wanted) in [
        (
            "{\n  \"format_version\": 2,\n  \"cases\": [\n",
            "broken.json:4:0: EOF while parsing",
        ),
        (
            "{\"format_version\": 9, \"cases\": []}",
            "broken.json: format_version: format_version 9",
        ),
        (
            "{\"format_version\": 2, \"cases\": [], \"surprise\": 1}",
            "broken.json:1:",
        ),
        ("[1, 2]", "neither a run report"),
    ] {
        std::fs::write(dir.join("broken.json"), content).unwrap();
        let output = lpconform(dir, &["compare", "clean.json", "broken.json"]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{content}: {stderr}");
        assert!(stderr.contains(wanted), "{content}: {stderr}");
    }
    let alone = lpconform(dir, &["compare", "clean.json"]);
    assert_eq!(alone.status.code(), Some(2));
    assert!(text(&alone.stderr).contains("compare needs at least two runs, and clean.json holds one"));
}

/// A report an older lpconform wrote (`format_version: 1`, before catalog v2: findings carry
/// `advisory`, no `unfunded_gateway` or `advertised`) still compares after an upgrade, so a
/// committed previous-release report does not break the gate.
#[test]
fn a_format_version_1_report_compares_with_a_current_one() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/reports/report-format-1.json");
    std::fs::copy(fixture, dir.join("v1.json")).unwrap();
    report(dir, "clean.json", &["--h2c", "--onchain"]);

    let fixed = lpconform(dir, &["compare", "v1.json", "clean.json"]);
    let shown = text(&fixed.stdout);
    assert_eq!(fixed.status.code(), Some(0), "{shown}{}", text(&fixed.stderr));
    assert!(shown.contains("fixed            PRICE-002  fail -> pass"), "{shown}");
    assert!(shown.contains("fixed            CAP-006  warn -> pass"), "{shown}");

    let worse = lpconform(dir, &["compare", "clean.json", "v1.json", "--format", "json"]);
    assert_eq!(worse.status.code(), Some(1), "{}", text(&worse.stderr));
    let document: serde_json::Value = serde_json::from_slice(&worse.stdout).unwrap();
    let changes = document["comparisons"][0]["rule_changes"].as_array().unwrap();
    assert!(
        changes
            .contains(&serde_json::json!({ "rule": "PRICE-002", "kind": "new_failure", "from": "pass", "to": "fail" })),
        "{changes:?}"
    );
}

/// Headless Chromium draws the grid's FAIL and PASS cells on their own colours (each cell has
/// one `class` attribute). Skips, saying so, without Chromium.
#[test]
fn the_html_grid_colours_fail_and_pass_in_chromium() {
    let Some(chromium) = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|path| Path::new(path).exists())
    else {
        eprintln!("skipped: no Chromium at /usr/bin/chromium (Debian package chromium; .ci/run installs it)");
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    report(dir, "clean.json", &["--h2c", "--onchain"]);
    report(dir, "faulted.json", &["--h2c", "--onchain", "--fault", "wrong-price"]);
    let output = lpconform(dir, &["compare", "clean.json", "faulted.json", "--format", "html"]);
    let html = text(&output.stdout);
    assert!(html.contains(r#"<td class="cell no">FAIL</td>"#), "{html}");
    std::fs::write(dir.join("compare.html"), &html).unwrap();
    let measure = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/measure.py");
    let measured = std::process::Command::new("python3")
        .args([measure, chromium, dir.join("compare.html").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(measured.status.success(), "{}", text(&measured.stderr));
    let measured: serde_json::Value = serde_json::from_slice(&measured.stdout).unwrap();
    let background = |wanted: &str| {
        let cells = measured["cells"].as_array().unwrap();
        let cell = cells.iter().find(|cell| cell[0] == wanted);
        cell.unwrap_or_else(|| panic!("no {wanted} cell: {measured}"))[1].clone()
    };
    // .yes and .no of the report's style sheet.
    assert_eq!(background("PASS"), "rgb(218, 251, 225)", "{measured}");
    assert_eq!(background("FAIL"), "rgb(255, 235, 233)", "{measured}");
}
