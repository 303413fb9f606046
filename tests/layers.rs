//! The crate's modules import each other without cycles: a module may use its parent's items
//! and its children's, and siblings in one direction only (docs/architecture.md).
//!
//! Reads every `use` of `src/`, resolves it to the module file it names, drops the edges from
//! a module to its own descendants (a parent declaring and re-exporting its children), and
//! looks for a cycle among the rest.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Module = Vec<String>;

fn modules(dir: &Path, prefix: &Module, out: &mut BTreeMap<Module, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            let mut m = prefix.clone();
            m.push(name);
            modules(&path, &m, out);
        } else if path.extension().is_some_and(|e| e == "rs") && name != "tests" {
            let mut m = prefix.clone();
            if !matches!(name.as_str(), "mod" | "lib" | "main") {
                m.push(name);
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // Unit tests (an inline `mod tests` at the end) may reach anywhere.
            let code = text
                .split("#[cfg(test)]\nmod tests {")
                .next()
                .unwrap()
                .to_string();
            out.insert(m, code);
        }
    }
}

/// The `use` paths of a file, braces expanded one level: `a::b::{c, d}` gives `a::b::c`, `a::b::d`.
fn uses(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut lines = code.lines();
    while let Some(line) = lines.next() {
        let line = line.trim();
        let Some(start) = ["use ", "pub use ", "pub(crate) use "]
            .iter()
            .find_map(|p| line.strip_prefix(p))
        else {
            continue;
        };
        let mut statement = start.to_string();
        while !statement.contains(';') {
            match lines.next() {
                Some(more) => statement.push_str(more.trim()),
                None => break,
            }
        }
        let path: String = statement
            .split(';')
            .next()
            .unwrap()
            .split_whitespace()
            .collect();
        let (head, items) = match path.split_once("::{") {
            Some((head, rest)) => (head.to_string(), rest.trim_end_matches('}').to_string()),
            None => (String::new(), path.clone()),
        };
        for item in items.split(',').filter(|i| !i.is_empty()) {
            let full = if head.is_empty() {
                item.to_string()
            } else {
                format!("{head}::{item}")
            };
            out.push(full.split("::").map(String::from).collect());
        }
    }
    out
}

/// The module file a path names: the longest prefix that is a module.
fn resolve(from: &Module, path: &[String], all: &BTreeMap<Module, String>) -> Option<Module> {
    let (mut base, rest) = match path.first().map(String::as_str) {
        Some("crate") => (Vec::new(), &path[1..]),
        Some("super") => {
            let supers = path.iter().take_while(|s| *s == "super").count();
            (
                from[..from.len().saturating_sub(supers)].to_vec(),
                &path[supers..],
            )
        }
        Some("self") => (from.clone(), &path[1..]),
        Some(first) => {
            let mut child = from.clone();
            child.push(first.to_string());
            if !all.contains_key(&child) {
                return None; // an external crate
            }
            (from.clone(), path)
        }
        None => return None,
    };
    let mut best = all.contains_key(&base).then(|| base.clone());
    for segment in rest {
        base.push(segment.clone());
        if all.contains_key(&base) {
            best = Some(base.clone());
        } else {
            break;
        }
    }
    best
}

#[test]
fn modules_import_each_other_without_cycles() {
    let mut all = BTreeMap::new();
    modules(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &Vec::new(),
        &mut all,
    );
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (module, code) in &all {
        for path in uses(code) {
            if let Some(target) = resolve(module, &path, &all)
                && &target != module
                && !target.starts_with(module)
            {
                edges.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    let pattern = vec!["sim".to_string(), "pattern".to_string()];
    assert!(edges.contains_key(&pattern), "the scan sees the imports");
    // Depth-first search for a back edge.
    fn visit(
        m: &Module,
        edges: &BTreeMap<Module, BTreeSet<Module>>,
        state: &mut BTreeMap<Module, bool>,
        stack: &mut Vec<Module>,
    ) {
        match state.get(m) {
            Some(true) => return,
            Some(false) => {
                let start = stack.iter().position(|s| s == m).unwrap();
                let cycle: Vec<String> = stack[start..].iter().map(|s| s.join("/")).collect();
                panic!("import cycle: {} -> {}", cycle.join(" -> "), m.join("/"));
            }
            None => {}
        }
        state.insert(m.clone(), false);
        stack.push(m.clone());
        for next in edges.get(m).into_iter().flatten() {
            visit(next, edges, state, stack);
        }
        stack.pop();
        state.insert(m.clone(), true);
    }
    let mut state = BTreeMap::new();
    for m in all.keys() {
        visit(m, &edges, &mut state, &mut Vec::new());
    }
}
