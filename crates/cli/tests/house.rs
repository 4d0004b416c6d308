//! The house's rules that the compiler does not keep (#29): no two top-level modules of a crate
//! import each other, directly or round a longer loop, except the loops listed in
//! [`KNOWN_LOOPS`] (each still to break, named in ARCHITECTURE.md). A new loop fails here;
//! a loop broken fails too, until it leaves the list, so the list stays true.
//!
//! A module's imports are the `crate::name` paths in its files, outside comments and its
//! `#[cfg(test)]` tail.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Loops still to break, per crate: the modules of each strongly connected component.
const KNOWN_LOOPS: &[(&str, &[&str])] = &[
    (
        "app",
        &[
            "credit",
            "funds",
            "guarantee_fees",
            "guarantees",
            "imports",
            "insurance",
            "loans",
            "registry",
            "territory",
        ],
    ),
    ("web", &["areas", "layout"]),
];

type Graph = BTreeMap<String, BTreeSet<String>>;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to (`None` for the crate root).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    match name {
        "lib" | "main" => None,
        other => Some(other.to_string()),
    }
}

/// The code of a file without comments and without its trailing `#[cfg(test)]` module.
fn code_of(text: &str) -> String {
    let mut code = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        let test_tail = trimmed == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod tests"));
        if test_tail {
            break;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        code.push_str(line.split(" // ").next().unwrap_or(line));
        code.push('\n');
    }
    code
}

/// The modules `code` names as `crate::name`.
fn imports_of(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `fupin_crate::`, not `crate::`
        }
        let name: String = code[at + 7..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        if !name.is_empty() {
            found.insert(name);
        }
    }
    found
}

fn graph_of(krate: &str) -> Graph {
    let src = workspace().join(krate).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph = Graph::new();
    for file in files {
        let Some(module) = module_of(&src, &file) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("source");
        let edges = graph.entry(module.clone()).or_default();
        for import in imports_of(&code_of(&text)) {
            if import != module {
                edges.insert(import);
            }
        }
    }
    graph
}

/// The strongly connected components of more than one module (Tarjan's algorithm).
fn loops(graph: &Graph) -> Vec<BTreeSet<String>> {
    struct Walk<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        found: Vec<BTreeSet<String>>,
    }
    fn visit<'g>(walk: &mut Walk<'g>, node: &'g str) {
        let number = walk.index.len();
        walk.index.insert(node, number);
        walk.low.insert(node, number);
        walk.stack.push(node);
        let graph = walk.graph;
        for next in graph.get(node).into_iter().flatten() {
            let next = next.as_str();
            if !graph.contains_key(next) {
                continue; // an item of the crate root, not a module
            }
            if !walk.index.contains_key(next) {
                visit(walk, next);
                let low = walk.low[node].min(walk.low[next]);
                walk.low.insert(node, low);
            } else if walk.stack.contains(&next) {
                let low = walk.low[node].min(walk.index[next]);
                walk.low.insert(node, low);
            }
        }
        if walk.low[node] == walk.index[node] {
            let mut component = BTreeSet::new();
            while let Some(top) = walk.stack.pop() {
                component.insert(top.to_string());
                if top == node {
                    break;
                }
            }
            if component.len() > 1 {
                walk.found.push(component);
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node.as_str()) {
            visit(&mut walk, node);
        }
    }
    walk.found
}

#[test]
fn code_and_imports_are_read_as_written() {
    let text = "use crate::a::B;\n// crate::c\nlet x = fupin_crate::d; // crate::e\n\
                #[cfg(test)]\nmod tests {\n use crate::f;\n}\n";
    let found = imports_of(&code_of(text));
    assert_eq!(found, BTreeSet::from(["a".to_string()]));
    let graph = Graph::from([
        ("a".into(), BTreeSet::from(["b".into()])),
        ("b".into(), BTreeSet::from(["c".into()])),
        ("c".into(), BTreeSet::from(["a".into(), "d".into()])),
        ("d".into(), BTreeSet::new()),
    ]);
    let expected = BTreeSet::from(["a".to_string(), "b".into(), "c".into()]);
    assert_eq!(loops(&graph), vec![expected]);
}

#[test]
fn no_module_imports_another_that_imports_it_back() {
    let mut unexpected = Vec::new();
    for krate in ["core", "store", "app", "web", "cli"] {
        let known: Vec<BTreeSet<String>> = KNOWN_LOOPS
            .iter()
            .filter(|(name, _)| *name == krate)
            .map(|(_, modules)| modules.iter().map(|m| m.to_string()).collect())
            .collect();
        let found = loops(&graph_of(krate));
        for component in &found {
            if !known.contains(component) {
                unexpected.push(format!("{krate}: a loop through {component:?}"));
            }
        }
        for component in &known {
            if !found.contains(component) {
                unexpected.push(format!(
                    "{krate}: the known loop {component:?} is gone or changed: update KNOWN_LOOPS"
                ));
            }
        }
    }
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
}
