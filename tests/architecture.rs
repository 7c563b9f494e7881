//! The one dependency direction, checked on the source: `domain` <- `server::store` <-
//! `server::service` <- the edges (`server::rest`, `api`, `app`). A wrong import fails here
//! with the file and the line, so the shape of the house stays as ARCHITECTURE.md draws it.
#![allow(clippy::unwrap_used)]

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `(file, line number, line)` of every source line under `src/<dir>`, comments left out.
fn lines_under(dir: &str) -> Vec<(String, usize, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let target = root.join(dir);
    if target.is_file() {
        files.push(target);
    } else {
        rust_files(&target, &mut files);
    }
    let mut out = Vec::new();
    for file in files {
        let name = file.strip_prefix(&root).unwrap().display().to_string();
        let text = fs::read_to_string(&file).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            if !code.trim().is_empty() {
                out.push((name.clone(), i + 1, code.to_owned()));
            }
        }
    }
    out
}

/// Fails listing every line under `dir` that mentions one of `forbidden`.
fn refuse(dir: &str, forbidden: &[&str], why: &str) {
    let offenders: Vec<String> = lines_under(dir)
        .into_iter()
        .filter(|(_, _, line)| forbidden.iter().any(|f| line.contains(f)))
        .map(|(file, n, line)| format!("  src/{file}:{n}: {}", line.trim()))
        .collect();
    assert!(
        offenders.is_empty(),
        "{why}; these lines break it:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_domain_is_pure() {
    refuse(
        "domain",
        &[
            "sqlx",
            "axum",
            "leptos",
            "tokio",
            "reqwest",
            "crate::server",
            "crate::api",
            "crate::app",
            "crate::model",
            "std::fs",
            "std::net",
            "Utc::now",
        ],
        "src/domain holds the rules only: no database, HTTP, UI, clock or I/O",
    );
}

#[test]
fn the_store_knows_nothing_above_it() {
    refuse(
        "server/store",
        &[
            "server::service",
            "service::",
            "server::rest",
            "server::auth",
            "crate::api",
            "crate::app",
            "crate::model",
        ],
        "src/server/store turns rows into domain values and nothing else",
    );
}

#[test]
fn the_service_does_not_reach_into_the_edges() {
    refuse(
        "server/service",
        &[
            "server::rest",
            "crate::api",
            "crate::app",
            "server::auth",
            "axum::",
            "leptos",
        ],
        "src/server/service is called by the edges and by auth, never the other way round",
    );
}

#[test]
fn shared_types_stay_shared() {
    refuse(
        "model",
        &["crate::server", "sqlx", "axum"],
        "src/model is compiled into the browser too",
    );
}

/// The modules of `server::service`, and which of them each one uses.
fn service_graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/server/service");
    let mut modules = BTreeSet::new();
    for entry in fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        if stem != "mod" {
            modules.insert(stem);
        }
    }
    let mut graph = BTreeMap::new();
    for module in &modules {
        let mut files = Vec::new();
        let dir = root.join(module);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        } else {
            files.push(root.join(format!("{module}.rs")));
        }
        let text: String = files
            .iter()
            .map(|f| fs::read_to_string(f).unwrap())
            .collect();
        let uses = modules
            .iter()
            .filter(|other| *other != module)
            .filter(|other| {
                [
                    format!("service::{other}"),
                    format!("super::{other}"),
                    format!("super::{{{other}"),
                    format!(" {other}::"),
                    format!("{{{other}::"),
                ]
                .iter()
                .any(|pattern| text.contains(pattern.as_str()))
            })
            .cloned()
            .collect();
        graph.insert(module.clone(), uses);
    }
    graph
}

#[test]
fn service_modules_have_no_cycles() {
    let graph = service_graph();
    // Depth-first search for a back edge.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!(
                "server::service modules import each other in a cycle: {}",
                cycle.join(" -> ")
            );
        }
    }
    assert!(graph.len() >= 5, "the service has its modules: {graph:?}");
}
