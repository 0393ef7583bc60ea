//! The module picture stays a picture: no import circle between the crate's top-level modules,
//! and the command files of `src/cli/` use only the flag structs (`args`), the setup module and
//! the CLI's own error and printing, never each other. Read from the sources, as a reviewer would.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn source_files(directory: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            source_files(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            found.push(path);
        }
    }
}

/// The file's code without its unit tests (a test may reach anywhere).
fn code_of(path: &Path) -> Option<String> {
    if path
        .file_name()
        .is_some_and(|name| name == "tests.rs" || name == "fixture.rs")
    {
        return None;
    }
    let text = std::fs::read_to_string(path).unwrap();
    Some(match text.find("#[cfg(test)]\nmod tests") {
        Some(start) => text[..start].to_string(),
        None => text,
    })
}

/// `crate::NAME` paths the code names.
fn crate_modules(code: &str) -> BTreeSet<String> {
    code.match_indices("crate::")
        .map(|(at, _)| {
            code[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit())
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// Each top-level module and the top-level modules it imports.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    source_files(src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in files {
        let relative = path.strip_prefix(src).unwrap();
        let first = relative.components().next().unwrap().as_os_str().to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(code) = code_of(&path) else { continue };
        let imports = graph.entry(module.clone()).or_default();
        imports.extend(crate_modules(&code).into_iter().filter(|name| *name != module));
    }
    graph
}

/// A circle through `start`, as the modules on it, if there is one.
fn circle_from(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    fn walk(
        graph: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        at: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in graph.get(at).into_iter().flatten() {
            if next == start {
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(graph, start, next, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_string()];
    walk(graph, start, start, &mut path, &mut BTreeSet::new()).then_some(path)
}

#[test]
fn no_top_level_module_imports_back_into_one_that_imports_it() {
    let graph = module_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(
        graph.contains_key("runner") && graph["cli"].contains("runner"),
        "the graph was read: {graph:?}"
    );
    let circles: Vec<String> = graph
        .keys()
        .filter_map(|module| circle_from(&graph, module))
        .map(|circle| circle.join(" -> "))
        .collect();
    assert!(circles.is_empty(), "import circles:\n{}", circles.join("\n"));
}

#[test]
fn a_circle_is_seen() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_string(), ["b".to_string()].into()),
        ("b".to_string(), ["c".to_string()].into()),
        ("c".to_string(), ["a".to_string()].into()),
    ]
    .into();
    assert_eq!(circle_from(&graph, "a").unwrap(), ["a", "b", "c"]);
    assert_eq!(
        crate_modules("use crate::runner::{x};\nuse crate::rules;"),
        ["rules".to_string(), "runner".to_string()].into()
    );
}

#[test]
fn command_files_import_only_args_setup_and_the_cli_itself() {
    let cli = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cli");
    let mut files = Vec::new();
    source_files(&cli, &mut files);
    let allowed = ["args", "setup", "print_stdout", "Outcome", "RunError"];
    let mut checked = 0;
    for path in files.iter().filter(|path| path.parent() == Some(cli.as_path())) {
        let name = path.file_stem().unwrap().to_string_lossy();
        if name == "mod" || name == "args" {
            continue;
        }
        let code = code_of(path).unwrap();
        for import in code.lines().filter_map(|line| line.trim().strip_prefix("use super::")) {
            // `use super::{a, b};` names siblings or items of the CLI; `use super::a::…;` one module.
            let used: Vec<&str> = match import.strip_prefix('{') {
                Some(list) => list
                    .trim_end_matches(';')
                    .trim_end_matches('}')
                    .split(',')
                    .map(str::trim)
                    .collect(),
                None => vec![import.split("::").next().unwrap_or("").trim_end_matches(';')],
            };
            for used in used.into_iter().filter(|used| !used.is_empty()) {
                assert!(allowed.contains(&used), "src/cli/{name}.rs imports super::{used}");
            }
        }
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} command files read");
}
