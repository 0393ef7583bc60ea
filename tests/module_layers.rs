//! The module picture stays a picture, read from the sources as a reviewer would:
//! - every top-level module has a rank in [`RANKS`] and imports only modules of lower rank, so no
//!   arrow runs back up (and no two top-level modules import each other);
//! - no circle runs between the submodules of any module, at any depth (`openapi::render` and
//!   `openapi::compiled`, `report::compare::*` among themselves);
//! - the command files of `src/cli/` use only the flag structs (`args`), the setup module and the
//!   CLI's own error and printing, never each other.
//!
//! An import is any path the code names through `crate::`, `super::`, `self::` or a child
//! module's name, in a `use` or in place. A name a module imports or re-exports counts as the
//! module it comes from, so `super::RenderError` in `openapi::entries` is an arrow to the file that
//! defines `RenderError`. A name re-exported where the `use` cannot be read (a macro's
//! `pub use $module::$name`, a glob), which the module does not define itself, counts as the one
//! submodule that defines it: `super::PriceFault` in a fault area is an arrow to `faults::price`.
//! What a module's own file (`mod.rs`) defines its submodules may use: that file is the module's
//! face, above them. Test code (`#[cfg(test)]` items and modules) may reach anywhere and is not
//! read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module's rank: a module imports only modules of a lower rank. Ranks go in tens
/// so a new module finds a place between two without renumbering the rest.
const RANKS: &[(&str, u32)] = &[
    // Leaves, which import nothing of the crate: what every layer shares.
    ("ambient", 0),
    ("capability", 0),
    ("error_text", 0),
    ("escape", 0),
    ("eth", 0),
    ("input_file", 0),
    ("integer", 0),
    ("proto", 0),
    ("shown", 0),
    ("version", 0),
    // Facts: the protocol loaded at run time, what a call saw, the aiModels.json format.
    ("ai_models", 10),
    ("observe", 10),
    ("protocol", 10),
    // What is sent and how it is read: the gateway's requests, the wire, the OpenAPI document,
    // the operator's expectations, the normalized view of an answer.
    ("expect", 20),
    ("gateway", 20),
    ("openapi", 20),
    ("transport", 20),
    ("view", 20),
    // The call path, the judges and the embedded orchestrator.
    ("driver", 30),
    ("reference", 30),
    ("remote_signer", 30),
    ("rules", 30),
    ("snapshot", 30),
    // Cases, fuzzing and the invariants over them.
    ("fuzz", 40),
    ("invariants", 40),
    ("suite", 40),
    ("runner", 50),
    ("selftest", 60),
    ("sweep", 60),
    ("report", 70),
    ("cli", 80),
];

/// A source file of the crate: the module it is (`["openapi", "render"]`; a `mod.rs` is its
/// directory's module) and its code without comments, literals' contents and test items.
struct Source {
    file: PathBuf,
    module: Vec<String>,
    code: String,
    /// Its submodules declared `#[cfg(test)]` (`rules::fixture`): their files are test code.
    test_modules: Vec<String>,
}

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

/// The crate's module files under `src`, test-only ones and the crate roots left out.
fn read_sources(src: &Path) -> Vec<Source> {
    let mut files = Vec::new();
    source_files(src, &mut files);
    files.sort();
    let mut sources: Vec<Source> = files
        .into_iter()
        .filter_map(|file| {
            let relative = file.strip_prefix(src).unwrap();
            let mut module: Vec<String> = relative
                .iter()
                .map(|part| part.to_string_lossy().trim_end_matches(".rs").to_string())
                .collect();
            if module.last().is_some_and(|last| last == "mod") {
                module.pop();
            }
            if module == ["lib"] || module == ["main"] {
                return None;
            }
            let (code, test_modules) = code_of(&std::fs::read_to_string(&file).unwrap());
            Some(Source {
                file,
                module,
                code,
                test_modules,
            })
        })
        .collect();
    let test_only: BTreeSet<Vec<String>> = sources
        .iter()
        .flat_map(|source| {
            (source.test_modules.iter()).map(|name| [source.module.clone(), vec![name.clone()]].concat())
        })
        .collect();
    sources.retain(|source| !test_only.iter().any(|test| source.module.starts_with(test)));
    sources
}

/// `text` with comments blanked, string and character literals emptied (newlines kept, so
/// positions stay on their lines), and `#[cfg(test)]` items removed; and the names of the
/// submodules declared `#[cfg(test)] mod NAME;`.
fn code_of(text: &str) -> (String, Vec<String>) {
    let code = without_comments_and_literals(text);
    let mut kept = String::with_capacity(code.len());
    let mut test_modules = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        kept.push_str(&rest[..at]);
        let item = &rest[at..];
        let end = item_end(item);
        let words: Vec<&str> = item[..end]
            .split(|c: char| !is_ident_char(c))
            .filter(|word| !word.is_empty())
            .collect();
        if let Some(position) = words.iter().position(|word| *word == "mod") {
            if item[..end].trim_end().ends_with(';') {
                test_modules.extend(words.get(position + 1).map(|name| name.to_string()));
            }
        }
        rest = &item[end..];
    }
    kept.push_str(rest);
    (kept, test_modules)
}

/// Where the item starting at `item` (its attributes first) ends: after its first `;` outside
/// brackets, or after the block its first `{` opens.
fn item_end(item: &str) -> usize {
    let mut depth = 0usize;
    for (at, c) in item.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            ';' if depth == 0 => return at + 1,
            '{' if depth == 0 => return at + block_end(&item[at..]),
            _ => {}
        }
    }
    item.len()
}

/// The length of the `{…}` block `text` starts with.
fn block_end(text: &str) -> usize {
    let mut depth = 0usize;
    for (at, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return at + 1;
                }
            }
            _ => {}
        }
    }
    text.len()
}

/// Whether a raw string's `r` after `before` starts a literal (`r"`, `br"`) rather than ends a word.
fn literal_prefix(before: &[char]) -> bool {
    match before {
        [.., c] if !is_ident_char(*c) => true,
        [] => true,
        [.., c, 'b'] => !is_ident_char(*c),
        [_] => before == ['b'],
        _ => false,
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn without_comments_and_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        let next = chars.get(at + 1).copied();
        if c == '/' && next == Some('/') {
            while at < chars.len() && chars[at] != '\n' {
                at += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while at < chars.len() {
                if chars[at] == '/' && chars.get(at + 1) == Some(&'*') {
                    depth += 1;
                    at += 2;
                } else if chars[at] == '*' && chars.get(at + 1) == Some(&'/') {
                    depth -= 1;
                    at += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, chars[at]);
                    at += 1;
                }
            }
        } else if c == 'r' && matches!(next, Some('"' | '#')) && literal_prefix(&chars[..at]) {
            // A raw string: r"…" or r#"…"#.
            let hashes = chars[at + 1..].iter().take_while(|c| **c == '#').count();
            if chars.get(at + 1 + hashes) != Some(&'"') {
                out.push(c);
                at += 1;
                continue;
            }
            out.push_str("\"\"");
            at += hashes + 2;
            while at < chars.len()
                && !(chars[at] == '"' && chars[at + 1..].iter().take(hashes).filter(|c| **c == '#').count() == hashes)
            {
                blank(&mut out, chars[at]);
                at += 1;
            }
            at += 1 + hashes;
        } else if c == '"' {
            out.push_str("\"\"");
            at += 1;
            while at < chars.len() && chars[at] != '"' {
                if chars[at] == '\\' {
                    at += 1;
                }
                if let Some(&c) = chars.get(at) {
                    blank(&mut out, c);
                }
                at += 1;
            }
            at += 1;
        } else if c == '\'' && (next == Some('\\') || chars.get(at + 2) == Some(&'\'')) {
            // A character literal ('x', '\n', '\'', '\u{1F600}'), not a lifetime.
            out.push_str("' '");
            at += if next == Some('\\') { 3 } else { 2 };
            while at < chars.len() && chars[at] != '\'' {
                at += 1;
            }
            at += 1;
        } else {
            out.push(c);
            at += 1;
        }
    }
    out
}

/// A token of code: a word (identifier or keyword), `::`, or one other character.
fn tokens(code: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut at = 0;
    let bytes = code.as_bytes();
    while at < code.len() {
        let c = code[at..].chars().next().unwrap();
        if c.is_whitespace() {
            at += c.len_utf8();
        } else if is_ident_char(c) || c == '$' {
            let start = at;
            at += 1;
            while at < code.len() && is_ident_char(bytes[at] as char) {
                at += 1;
            }
            found.push(&code[start..at]);
        } else if code[at..].starts_with("::") {
            found.push("::");
            at += 2;
        } else {
            found.push(&code[at..at + c.len_utf8()]);
            at += c.len_utf8();
        }
    }
    found
}

/// A path the code names, and whether a `use` brings it in under `name`.
#[derive(Debug, PartialEq, Eq)]
struct NamedPath {
    segments: Vec<String>,
    /// The name a `use` gives it in the module (its last segment or its `as`), `None` in place.
    imported_as: Option<String>,
}

/// Every path of `code`: the leaves of each `use` tree and each path written in place.
fn paths(code: &str) -> Vec<NamedPath> {
    let tokens = tokens(code);
    let mut found = Vec::new();
    let mut at = 0;
    while at < tokens.len() {
        let starts_path = is_word(tokens[at]) && (at == 0 || !matches!(tokens[at - 1], "::" | "." | "'"));
        if tokens[at] == "use" {
            at = use_tree(&tokens, at + 1, &mut Vec::new(), &mut found);
        } else if starts_path && tokens.get(at + 1) == Some(&"::") {
            let mut segments = vec![tokens[at].to_string()];
            at += 1;
            while tokens.get(at) == Some(&"::") && tokens.get(at + 1).is_some_and(|token| is_word(token)) {
                segments.push(tokens[at + 1].to_string());
                at += 2;
            }
            found.push(NamedPath {
                segments,
                imported_as: None,
            });
        } else {
            at += 1;
        }
    }
    found
}

fn is_word(token: &str) -> bool {
    token.chars().next().is_some_and(|c| is_ident_char(c) || c == '$')
}

/// Reads the use tree at `at` under `prefix` into `found`, returning where it ends.
fn use_tree(tokens: &[&str], mut at: usize, prefix: &mut Vec<String>, found: &mut Vec<NamedPath>) -> usize {
    let depth = prefix.len();
    while let Some(&token) = tokens.get(at) {
        match token {
            "{" => {
                at += 1;
                loop {
                    at = use_tree(tokens, at, prefix, found);
                    match tokens.get(at) {
                        Some(&",") => at += 1,
                        Some(&"}") => {
                            at += 1;
                            break;
                        }
                        _ => break,
                    }
                    if tokens.get(at) == Some(&"}") {
                        at += 1;
                        break;
                    }
                }
                prefix.truncate(depth);
                return at;
            }
            "::" => at += 1,
            "*" => {
                // A glob names nothing, but it is an arrow to where it reaches.
                found.push(NamedPath {
                    segments: prefix.clone(),
                    imported_as: None,
                });
                prefix.truncate(depth);
                return at + 1;
            }
            "as" => {
                let alias = tokens.get(at + 1).unwrap_or(&"_").to_string();
                found.push(NamedPath {
                    segments: prefix.clone(),
                    imported_as: Some(alias),
                });
                prefix.truncate(depth);
                return at + 2;
            }
            "," | "}" | ";" => {
                if prefix.len() > depth {
                    let mut segments = prefix.clone();
                    // `use a::b::{self}` names `a::b`.
                    if segments.last().is_some_and(|last| last == "self") && segments.len() > 1 {
                        segments.pop();
                    }
                    let name = segments.last().cloned();
                    found.push(NamedPath {
                        segments,
                        imported_as: name,
                    });
                }
                prefix.truncate(depth);
                return if token == ";" { at + 1 } else { at };
            }
            word => {
                prefix.push(word.to_string());
                at += 1;
            }
        }
    }
    at
}

/// The names `code` defines as items (`enum Fault`, `fn case`, `mod price`, …), macros' bodies
/// included.
fn defined_names(code: &str) -> BTreeSet<String> {
    const ITEMS: &[&str] = &[
        "enum", "struct", "union", "trait", "fn", "const", "static", "type", "mod",
    ];
    const NOT_NAMES: &[&str] = &["fn", "mut", "unsafe", "extern", "_"];
    let tokens = tokens(code);
    (tokens.windows(2))
        .filter(|pair| ITEMS.contains(&pair[0]) && is_word(pair[1]) && !NOT_NAMES.contains(&pair[1]))
        .map(|pair| pair[1].to_string())
        .collect()
}

/// The crate's modules as read: which exist, the names each imports or re-exports, and the names
/// each defines.
struct Crate {
    modules: BTreeSet<Vec<String>>,
    /// Per module, each name a `use` brings in and the absolute path it names.
    imported: BTreeMap<Vec<String>, BTreeMap<String, Vec<String>>>,
    /// Per module, the names its own code defines.
    defined: BTreeMap<Vec<String>, BTreeSet<String>>,
}

impl Crate {
    fn new(sources: &[Source]) -> Crate {
        let modules: BTreeSet<Vec<String>> = sources.iter().map(|source| source.module.clone()).collect();
        let mut read = Crate {
            modules,
            imported: BTreeMap::new(),
            defined: (sources.iter())
                .map(|source| (source.module.clone(), defined_names(&source.code)))
                .collect(),
        };
        for source in sources {
            let names: BTreeMap<String, Vec<String>> = paths(&source.code)
                .into_iter()
                .filter_map(|path| {
                    let name = path.imported_as?;
                    Some((name, read.absolute(&source.module, &path.segments)?))
                })
                .collect();
            read.imported.insert(source.module.clone(), names);
        }
        read
    }

    /// `segments` as named in `module`, from the crate's root; `None` for a path outside the
    /// crate (another crate, a local item or type).
    fn absolute(&self, module: &[String], segments: &[String]) -> Option<Vec<String>> {
        let (base, rest): (Vec<String>, &[String]) = match segments.first()?.as_str() {
            "crate" | "$crate" => (Vec::new(), &segments[1..]),
            "self" => (module.to_vec(), &segments[1..]),
            "super" => {
                let supers = segments.iter().take_while(|segment| *segment == "super").count();
                (
                    module[..module.len().checked_sub(supers)?].to_vec(),
                    &segments[supers..],
                )
            }
            first => {
                let child = [module, &[first.to_string()]].concat();
                if !self.modules.contains(&child) {
                    return None;
                }
                (module.to_vec(), segments)
            }
        };
        Some([base, rest.to_vec()].concat())
    }

    /// The module `path` lands in: its longest prefix that is a module, or, when the next
    /// segment is a name that module imports or re-exports, the module that name comes from.
    fn module_of(&self, path: &[String], hops: usize) -> Vec<String> {
        let mut length = 0;
        while length < path.len() && self.modules.contains(&path[..=length]) {
            length += 1;
        }
        let module = path[..length].to_vec();
        match path.get(length).and_then(|name| self.origin(&module, name)) {
            Some(origin) if hops < 8 => self.module_of(&[origin, path[length + 1..].to_vec()].concat(), hops + 1),
            _ => module,
        }
    }

    /// Where `module`'s `name` comes from when the module does not define it: the path a `use`
    /// names, else (a re-export this reader cannot read, such as a macro's) the one submodule
    /// that defines it.
    fn origin(&self, module: &[String], name: &str) -> Option<Vec<String>> {
        if let Some(origin) = self.imported.get(module).and_then(|names| names.get(name)) {
            return Some(origin.clone());
        }
        if self.defined.get(module).is_some_and(|names| names.contains(name)) {
            return None;
        }
        let mut definers = (self.defined.iter()).filter(|(child, names)| {
            child.len() == module.len() + 1 && child.starts_with(module) && names.contains(name)
        });
        match (definers.next(), definers.next()) {
            (Some((child, _)), None) => Some([child.clone(), vec![name.to_string()]].concat()),
            _ => None,
        }
    }

    /// Every arrow between two modules with the same parent, as (parent, from, to), with the file
    /// that draws it.
    fn arrows(&self, sources: &[Source]) -> BTreeMap<(Vec<String>, String, String), PathBuf> {
        let mut arrows = BTreeMap::new();
        for source in sources {
            for path in paths(&source.code) {
                let Some(absolute) = self.absolute(&source.module, &path.segments) else {
                    continue;
                };
                let target = self.module_of(&absolute, 0);
                let shared = (source.module.iter().zip(&target)).take_while(|(a, b)| a == b).count();
                if shared < source.module.len() && shared < target.len() {
                    let arrow = (
                        source.module[..shared].to_vec(),
                        source.module[shared].clone(),
                        target[shared].clone(),
                    );
                    arrows.entry(arrow).or_insert_with(|| source.file.clone());
                }
            }
        }
        arrows
    }
}

/// The arrows between the submodules of each module (the crate's root is `[]`), as a graph.
fn graphs(src: &Path) -> BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> {
    let sources = read_sources(src);
    let read = Crate::new(&sources);
    let mut graphs: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (parent, from, to) in read.arrows(&sources).into_keys() {
        graphs.entry(parent).or_default().entry(from).or_default().insert(to);
    }
    graphs
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
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

/// The arrows of `graph` that do not run down `ranks`, and the modules it has no rank for.
fn rank_problems(graph: &BTreeMap<String, BTreeSet<String>>, ranks: &[(&str, u32)]) -> Vec<String> {
    let rank = |module: &str| ranks.iter().find(|(name, _)| *name == module).map(|(_, rank)| *rank);
    let mut problems = Vec::new();
    let modules: BTreeSet<&String> = graph.keys().chain(graph.values().flatten()).collect();
    for module in modules {
        if rank(module).is_none() {
            problems.push(format!("{module} has no rank in RANKS"));
        }
    }
    for (from, imports) in graph {
        for to in imports {
            if let (Some(from_rank), Some(to_rank)) = (rank(from), rank(to)) {
                if to_rank >= from_rank {
                    problems.push(format!(
                        "{from} (rank {from_rank}) -> {to} (rank {to_rank}): an arrow back up"
                    ));
                }
            }
        }
    }
    problems
}

#[test]
fn every_top_level_module_imports_only_lower_ranks() {
    let graphs = graphs(&src());
    let top = graphs.get(&Vec::new()).cloned().unwrap_or_default();
    assert!(
        top.get("cli").is_some_and(|imports| imports.contains("runner")),
        "the graph was read: {top:?}"
    );
    let mut problems: BTreeSet<String> = rank_problems(&top, RANKS).into_iter().collect();
    let declared: BTreeSet<String> = std::fs::read_to_string(src().join("lib.rs"))
        .unwrap()
        .lines()
        .filter_map(|line| line.strip_prefix("pub mod ")?.strip_suffix(';').map(String::from))
        .collect();
    for module in &declared {
        if !RANKS.iter().any(|(name, _)| name == module) {
            problems.insert(format!("{module} has no rank in RANKS"));
        }
    }
    for (name, _) in RANKS {
        if !declared.contains(*name) {
            problems.insert(format!("RANKS names {name}, which src/lib.rs does not declare"));
        }
    }
    let problems: Vec<String> = problems.into_iter().collect();
    assert!(problems.is_empty(), "layer problems:\n{}", problems.join("\n"));
}

#[test]
fn no_circle_between_submodules_at_any_depth() {
    let graphs = graphs(&src());
    assert!(
        graphs
            .get(&vec!["openapi".to_string()])
            .is_some_and(|graph| graph.get("render").is_some_and(|imports| imports.contains("compiled"))),
        "the submodules were read: {graphs:?}"
    );
    let circles: Vec<String> = graphs
        .iter()
        .flat_map(|(parent, graph)| {
            graph.keys().filter_map(move |module| {
                let mut circle = circle_from(graph, module)?;
                circle.push(module.clone());
                let named: Vec<String> = circle
                    .iter()
                    .map(|module| [parent.clone(), vec![module.clone()]].concat().join("::"))
                    .collect();
                Some(named.join(" -> "))
            })
        })
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
}

#[test]
fn an_arrow_back_up_and_a_module_without_rank_are_seen() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("low".to_string(), ["high".to_string()].into()),
        (
            "high".to_string(),
            ["low".to_string(), "level".to_string(), "unranked".to_string()].into(),
        ),
        ("level".to_string(), BTreeSet::new()),
    ]
    .into();
    let ranks = [("low", 0), ("level", 1), ("high", 1)];
    assert_eq!(
        rank_problems(&graph, &ranks),
        [
            "unranked has no rank in RANKS",
            "high (rank 1) -> level (rank 1): an arrow back up",
            "low (rank 0) -> high (rank 1): an arrow back up",
        ]
    );
}

/// A source file of `module` holding `code`, for the checker's own tests.
fn file(module: &[&str], code: &str) -> Source {
    let (code, test_modules) = code_of(code);
    Source {
        file: PathBuf::from(module.join("/")),
        module: module.iter().map(|part| part.to_string()).collect(),
        code,
        test_modules,
    }
}

#[test]
fn imports_are_read_through_super_re_exports_and_nested_trees() {
    let sources = [
        file(
            &["a"],
            "mod b;\nmod c;\npub use c::Thing;\n#[cfg(test)]\nmod tests { use super::b::X; }",
        ),
        file(
            &["a", "b"],
            "use super::{Thing, d::{self, deep::Y as Z}};\n// use super::c::Hidden;\nconst S: &str = \"crate::e::\";",
        ),
        file(&["a", "c"], "fn f() { crate::e::g(); }"),
        file(&["a", "d"], ""),
        file(&["a", "d", "deep"], "use crate::a::c;"),
        file(&["e"], ""),
    ];
    let read = Crate::new(&sources);
    let arrows: Vec<String> = read
        .arrows(&sources)
        .into_keys()
        .map(|(parent, from, to)| format!("{}: {from} -> {to}", parent.join("::")))
        .collect();
    assert_eq!(arrows, [": a -> e", "a: b -> c", "a: b -> d", "a: d -> c"]);
}

#[test]
fn names_a_macro_re_exports_are_traced_to_the_submodule_defining_them() {
    // As `reference::faults` declares its areas: the re-exports come out of a macro.
    let sources = [
        file(
            &["faults"],
            "mod price;\nmod ticket;\nmacro_rules! areas { ($($module:ident: $faults:ident,)+) => { \
             $(pub use $module::$faults;)+ pub enum Fault {} }; }\n\
             areas! { price: PriceFault, ticket: TicketFault, }\npub trait Area {}",
        ),
        file(
            &["faults", "price"],
            "use super::{Area, Fault, TicketFault};\npub enum PriceFault { Zero }",
        ),
        file(
            &["faults", "ticket"],
            "pub enum TicketFault {}\nfn f() { super::PriceFault::Zero; }",
        ),
    ];
    let read = Crate::new(&sources);
    let arrows: Vec<(Vec<String>, String, String)> = read.arrows(&sources).into_keys().collect();
    let faults = vec!["faults".to_string()];
    assert_eq!(
        arrows,
        [
            (faults.clone(), "price".to_string(), "ticket".to_string()),
            (faults, "ticket".to_string(), "price".to_string()),
        ]
    );
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (_, from, to) in arrows {
        graph.entry(from).or_default().insert(to);
    }
    assert_eq!(circle_from(&graph, "price").unwrap(), ["price", "ticket"]);
}

#[test]
fn command_files_import_only_args_setup_and_the_cli_itself() {
    let cli = src().join("cli");
    let mut files = Vec::new();
    source_files(&cli, &mut files);
    let allowed = ["args", "setup", "print_stdout", "Outcome", "RunError"];
    let mut checked = 0;
    for path in files.iter().filter(|path| path.parent() == Some(cli.as_path())) {
        let name = path.file_stem().unwrap().to_string_lossy();
        if name == "mod" || name == "args" {
            continue;
        }
        let (code, _) = code_of(&std::fs::read_to_string(path).unwrap());
        for import in paths(&code)
            .into_iter()
            .filter(|path| path.segments.first().is_some_and(|first| first == "super"))
        {
            let used = import.segments.get(1).map_or("", String::as_str);
            assert!(allowed.contains(&used), "src/cli/{name}.rs imports super::{used}");
        }
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} command files read");
}
