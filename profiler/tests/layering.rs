//! Data flows one way, and the imports say so: the engine knows nothing of the
//! profiler; in the profiler workloads describe, measure measures, stats decide
//! over plain numbers, analysis explains, report renders.
//!
//! This test reads the profiler's own sources (`profiler/src`), collects for each
//! top-level module the modules its code names (`crate::m`, `crate::{a, b}`, and
//! `smprof::m` in the binary; comments and string literals do not count) and
//! asserts that the graph has no cycle and that every module imports only
//! modules of a lower layer of [`LAYERS`]. A new module must be placed in it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first; a module may import only modules of lower layers.
const LAYERS: &[(&str, &[&str])] = &[
    // Like criterion's `stats/`, these import nothing else of the crate.
    (
        "foundations: plain-number statistics, errors, time, units (the one place a figure becomes text)",
        &["error", "timefmt", "stats", "units"],
    ),
    (
        "what is measured (workloads describe) and the result file",
        &["workloads", "result"],
    ),
    ("the context of a run", &["config", "env", "git"]),
    (
        "measure measures; results are stored",
        &["measure", "store"],
    ),
    ("compare decides each metric's verdict", &["compare"]),
    (
        "analysis explains a comparison; other commits are built",
        &["analysis", "build"],
    ),
    (
        "the compare workflow: decide, then explain",
        &["compare_workflow"],
    ),
    (
        "the decision engine: both builds in lockstep",
        &["decision"],
    ),
    (
        "the gate, history and bisect workflows",
        &["gate", "history"],
    ),
    ("report renders", &["report"]),
    ("binary: arguments", &["cli"]),
    ("binary: the commands", &["commands"]),
    ("binary: main", &["main"]),
];

/// Imports against the layering that are accepted, with the reason.
const EXCEPTIONS: &[(&str, &str, &str)] = &[(
    "error",
    "store",
    "`Error` aggregates the library's typed errors (`Store(#[from] StoreError)`); \
     the store defines its own refusals and returns `Error` like every module",
)];

/// The name a top-level module's references are filed under for `main.rs` itself.
const BINARY_ROOT: &str = "main";

#[test]
fn profiler_modules_import_only_lower_layers_and_form_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let crate_graph = scan(&src);
    let layer = layer_of();
    let found: BTreeSet<&str> = crate_graph.modules.iter().map(String::as_str).collect();
    let declared: BTreeSet<&str> = layer.keys().copied().collect();
    assert_eq!(
        found, declared,
        "every module of profiler/src must be placed in LAYERS, and only those"
    );

    let violations = check(&crate_graph.edges, &layer);
    assert!(
        violations.is_empty(),
        "imports against the layering:\n{}",
        violations.join("\n")
    );
    if let Some(cycle) = find_cycle(&crate_graph.edges) {
        panic!("import cycle: {}", cycle.join(" → "));
    }
    for (from, to, _) in EXCEPTIONS {
        assert!(
            crate_graph
                .edges
                .iter()
                .any(|e| e.from == *from && e.to == *to),
            "the exception {from} → {to} no longer occurs: remove it from EXCEPTIONS"
        );
    }
}

#[test]
fn stats_imports_nothing_else_of_the_crate() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let stats: Vec<String> = scan(&src)
        .edges
        .iter()
        .filter(|e| e.from == "stats")
        .map(|e| format!("{}: {}", e.at, e.to))
        .collect();
    assert!(stats.is_empty(), "stats imports {stats:?}");
}

#[test]
fn the_engine_knows_nothing_of_the_profiler() {
    let engine = Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine");
    let mut named = Vec::new();
    for file in rust_files(&engine.join("src")) {
        let code = code_only(&read(&file));
        for (line, text) in code.lines().enumerate() {
            if idents(text).any(|w| w == "smprof") {
                named.push(format!("{}:{}", file.display(), line + 1));
            }
        }
    }
    assert!(named.is_empty(), "engine code names smprof at {named:?}");
    let manifest: toml::Table = read(&engine.join("Cargo.toml")).parse().unwrap();
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        if let Some(deps) = manifest.get(section).and_then(|d| d.as_table()) {
            assert!(
                !deps.contains_key("smprof"),
                "engine's [{section}] names smprof"
            );
        }
    }
}

// ---- the checker's own tests: it must catch what it is meant to catch ----

#[test]
fn comments_and_literals_are_not_code() {
    let src = "use crate::a; // crate::b\n/* crate::c /* nested crate::d */ */\n\
               /// [`crate::e`]\nlet s = \"crate::f\"; let r = r#\"crate::g\"#;\n\
               let c = '\"'; let l: &'static str = crate::h::X;\n";
    let code = code_only(src);
    let refs: Vec<_> = references(&code).into_iter().map(|r| r.2).collect();
    assert_eq!(refs, ["a", "h"]);
    // Lines survive blanking, so a reference is reported where it is.
    assert_eq!(references(&code)[1].0, 5);
}

#[test]
fn grouped_and_nested_imports_are_all_seen() {
    let code = code_only("use crate::{a, b::{c, d}, e as f,\n    g::*};\nfn x() { $crate::h!() }");
    let refs: Vec<_> = references(&code).into_iter().map(|r| r.2).collect();
    assert_eq!(refs, ["a", "b", "e", "g", "h"]);
    assert!(references(&code_only("fn my_crate::x() {} let notcrate::y;")).is_empty());
}

#[test]
fn an_upward_import_and_a_cycle_are_reported() {
    let layer = layer_of();
    let edge = |from: &str, to: &str| Edge {
        from: from.into(),
        to: to.into(),
        at: "x.rs:1".into(),
    };
    let upward = [edge("stats", "result")];
    let v = check(&upward, &layer);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(
        v[0].contains("`stats` (layer 0, ") && v[0].contains("imports `result` (layer 1, "),
        "{v:?}"
    );
    let same_layer = [edge("config", "git")];
    assert_eq!(check(&same_layer, &layer).len(), 1);
    assert!(check(&[edge("report", "stats")], &layer).is_empty());
    assert!(
        check(&[edge("error", "store")], &layer).is_empty(),
        "an exception"
    );

    let cycle = [
        edge("a", "b"),
        edge("b", "c"),
        edge("c", "a"),
        edge("c", "d"),
    ];
    assert_eq!(find_cycle(&cycle).unwrap(), ["a", "b", "c", "a"]);
    assert_eq!(find_cycle(&cycle[1..]), None);
}

// ---- the checker ----

/// One module naming another, and where.
#[derive(Debug, Clone)]
struct Edge {
    from: String,
    to: String,
    at: String,
}

#[derive(Debug)]
struct Graph {
    /// Every top-level module (library and binary) and `main`.
    modules: BTreeSet<String>,
    edges: Vec<Edge>,
}

/// Module → layer index, from [`LAYERS`].
fn layer_of() -> BTreeMap<&'static str, usize> {
    let mut out = BTreeMap::new();
    for (i, (_, modules)) in LAYERS.iter().enumerate() {
        for m in *modules {
            assert!(out.insert(*m, i).is_none(), "{m} is in LAYERS twice");
        }
    }
    out
}

/// Every import that does not go to a strictly lower layer, as a message.
fn check(edges: &[Edge], layer: &BTreeMap<&str, usize>) -> Vec<String> {
    let mut out = Vec::new();
    for e in edges {
        if is_exception(e) {
            continue;
        }
        let (Some(&lf), Some(&lt)) = (layer.get(e.from.as_str()), layer.get(e.to.as_str())) else {
            out.push(format!(
                "{}: `{}` → `{}`: not in LAYERS",
                e.at, e.from, e.to
            ));
            continue;
        };
        if lt >= lf {
            out.push(format!(
                "{}: `{}` (layer {lf}, {}) imports `{}` (layer {lt}, {}): only lower layers may be imported",
                e.at, e.from, LAYERS[lf].0, e.to, LAYERS[lt].0
            ));
        }
    }
    out
}

fn is_exception(e: &Edge) -> bool {
    EXCEPTIONS
        .iter()
        .any(|(from, to, _)| e.from == *from && e.to == *to)
}

/// A cycle of the graph (exceptions left out), as the modules along it, if any.
fn find_cycle(edges: &[Edge]) -> Option<Vec<String>> {
    let mut next: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in edges.iter().filter(|e| !is_exception(e)) {
        next.entry(&e.from).or_default().insert(&e.to);
    }
    // Depth-first; `path` is the current chain, `done` the modules proven acyclic.
    fn visit<'a>(
        m: &'a str,
        next: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| *p == m) {
            let mut cycle: Vec<String> = path[i..].iter().map(|s| s.to_string()).collect();
            cycle.push(m.to_string());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m);
        for n in next.get(m).into_iter().flatten() {
            if let Some(c) = visit(n, next, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m);
        None
    }
    let mut done = BTreeSet::new();
    for m in next.keys() {
        if let Some(c) = visit(m, &next, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

/// The import graph of `profiler/src`: the library's modules from `lib.rs`, the
/// binary's from `main.rs`; `crate::X` resolves in the crate of the file,
/// `smprof::X` (the binary naming the library) in the library, and a root
/// re-export such as `crate::Error` to the module it comes from.
fn scan(src: &Path) -> Graph {
    let lib = code_only(&read(&src.join("lib.rs")));
    let main = code_only(&read(&src.join("main.rs")));
    let lib_modules = declared_modules(&lib);
    let bin_modules = declared_modules(&main);
    let reexports = root_reexports(&lib, &lib_modules);
    let mut modules: BTreeSet<String> = lib_modules.union(&bin_modules).cloned().collect();
    modules.insert(BINARY_ROOT.to_string());

    let mut edges = Vec::new();
    for file in rust_files(src) {
        let rel = file.strip_prefix(src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_str()
            .unwrap();
        let from = first.strip_suffix(".rs").unwrap_or(first).to_string();
        if from == "lib" {
            continue; // declarations and root re-exports only
        }
        let in_binary = from == BINARY_ROOT || bin_modules.contains(&from);
        assert!(
            from == BINARY_ROOT || modules.contains(&from),
            "{} belongs to no module declared in lib.rs or main.rs",
            rel.display()
        );
        let code = code_only(&read(&file));
        for (line, root, name) in references(&code) {
            let target = if root == "smprof" || !in_binary {
                lib_modules
                    .get(&name)
                    .or_else(|| reexports.get(&name))
                    .cloned()
            } else {
                bin_modules.get(&name).cloned()
            };
            let at = format!("profiler/src/{}:{line}", rel.display());
            let to = target.unwrap_or_else(|| panic!("{at}: cannot resolve {root}::{name}"));
            if to != from {
                edges.push(Edge {
                    from: from.clone(),
                    to,
                    at,
                });
            }
        }
    }
    Graph { modules, edges }
}

/// `mod x;` and `pub mod x;` at the root of a crate.
fn declared_modules(code: &str) -> BTreeSet<String> {
    code.lines()
        .filter_map(|l| {
            let l = l.trim().strip_prefix("pub ").unwrap_or(l.trim());
            l.strip_prefix("mod ")?
                .strip_suffix(';')
                .map(str::to_string)
        })
        .collect()
}

/// Names the library root re-exports (`pub use error::{Error, Result};`) → their module.
fn root_reexports(code: &str, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for l in code.lines() {
        let Some(rest) = l.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, items)) = rest.split_once("::") else {
            continue;
        };
        if !modules.contains(module) {
            continue;
        }
        for item in items.trim_end_matches(';').split([',', '{', '}']) {
            let item = item.trim();
            let name = item.rsplit(" as ").next().unwrap_or(item).trim();
            if !name.is_empty() {
                out.insert(name.to_string(), module.to_string());
            }
        }
    }
    out
}

/// `(line, root, name)` for every `crate::name` / `smprof::name` path in code
/// (and each first segment of a `crate::{…}` group), in order.
fn references(code: &str) -> Vec<(usize, String, String)> {
    let chars: Vec<char> = code.chars().collect();
    let line_of = |k: usize| 1 + chars[..k].iter().filter(|&&ch| ch == '\n').count();
    let mut out = Vec::new();
    let mut push = |k: usize, root: &str, name: String| {
        out.push((line_of(k), root.to_string(), name));
    };
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !is_ident(chars[i - 1]);
        let Some(root) = ["crate", "smprof"]
            .into_iter()
            .find(|r| starts_word && word_at(&chars, i, r))
        else {
            i += 1;
            continue;
        };
        let mut j = skip_space(&chars, i + root.len());
        if !(chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&':')) {
            i += root.len();
            continue;
        }
        j = skip_space(&chars, j + 2);
        if chars.get(j) == Some(&'{') {
            // Each comma-separated item at depth 1 starts with a module name.
            let (mut depth, mut expect) = (0usize, true);
            while j < chars.len() {
                match chars[j] {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => expect = true,
                    ch if expect && depth == 1 && is_ident(ch) => {
                        let name = ident_at(&chars, j);
                        let len = name.chars().count();
                        push(j, root, name);
                        j += len;
                        expect = false;
                        continue;
                    }
                    _ => {}
                }
                j += 1;
            }
        } else {
            let name = ident_at(&chars, j);
            j += name.chars().count();
            if !name.is_empty() {
                push(i, root, name);
            }
        }
        i = j.max(i + 1);
    }
    out
}

/// `code` with comments and string and char literals blanked (newlines kept), so
/// that a path written in prose or in a message is not taken for an import.
fn code_only(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < c.len() {
        let after_ident = |k: usize| k > 0 && is_ident(c[k - 1]);
        // The end of a comment or literal starting at i; None: plain code.
        let skip = match (c[i], c.get(i + 1).copied()) {
            ('/', Some('/')) => Some((i..c.len()).find(|&k| c[k] == '\n').unwrap_or(c.len())),
            ('/', Some('*')) => Some(block_comment_end(&c, i)),
            ('"', _) => Some(string_end(&c, i + 1)),
            // r"…", r#"…"#, br"…" (not a raw identifier such as r#type)
            ('r', Some('#' | '"'))
                if !after_ident(i) || (c[i - 1] == 'b' && !after_ident(i - 1)) =>
            {
                raw_string_end(&c, i + 1)
            }
            ('\'', Some('\\')) => Some(
                (i + 3..c.len())
                    .find(|&k| c[k] == '\'')
                    .map_or(c.len(), |k| k + 1),
            ),
            // 'x' is a char; 'a (no closing quote two on) a lifetime or label
            ('\'', Some(_)) if c.get(i + 2) == Some(&'\'') => Some(i + 3),
            _ => None,
        };
        match skip {
            Some(end) => {
                out.push(' ');
                out.extend(c[i..end].iter().filter(|&&ch| ch == '\n'));
                i = end;
            }
            None => {
                out.push(c[i]);
                i += 1;
            }
        }
    }
    out
}

/// Index after the (nested) block comment starting at `i`.
fn block_comment_end(c: &[char], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < c.len() {
        if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            depth += 1;
            i += 2;
        } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    c.len()
}

/// Index after the closing quote of a string whose contents start at `i`.
fn string_end(c: &[char], mut i: usize) -> usize {
    while i < c.len() {
        match c[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    c.len()
}

/// Index after a raw string whose hashes start at `i` (after the `r`); None if
/// no raw string starts there.
fn raw_string_end(c: &[char], i: usize) -> Option<usize> {
    let hashes = c[i..].iter().take_while(|&&ch| ch == '#').count();
    if c.get(i + hashes) != Some(&'"') {
        return None;
    }
    let mut k = i + hashes + 1;
    while k < c.len() {
        if c[k] == '"'
            && c[k + 1..]
                .iter()
                .take(hashes)
                .filter(|&&ch| ch == '#')
                .count()
                == hashes
        {
            return Some(k + 1 + hashes);
        }
        k += 1;
    }
    Some(c.len())
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn word_at(c: &[char], i: usize, word: &str) -> bool {
    let n = word.chars().count();
    c.len() >= i + n
        && c[i..i + n].iter().copied().eq(word.chars())
        && !c.get(i + n).is_some_and(|&ch| is_ident(ch))
}

fn ident_at(c: &[char], i: usize) -> String {
    c[i.min(c.len())..]
        .iter()
        .take_while(|&&ch| is_ident(ch))
        .collect()
}

fn skip_space(c: &[char], mut i: usize) -> usize {
    while c.get(i).is_some_and(|ch| ch.is_whitespace()) {
        i += 1;
    }
    i
}

/// The identifiers of a line of code.
fn idents(text: &str) -> impl Iterator<Item = &str> {
    text.split(|ch: char| !is_ident(ch))
        .filter(|w| !w.is_empty())
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
