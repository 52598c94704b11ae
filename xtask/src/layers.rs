//! `cargo xtask layers`: the imports inside a crate go one way.
//!
//! Cargo checks the direction between crates; inside one crate nothing does,
//! so this scan reads the sources. For `crates/server` every module belongs
//! to a layer ([`SERVER_LAYERS`], bottom first) and may name only modules of
//! its own layer or lower ones (`crate::…`, `super::…` and `use crate::{…}`
//! forms alike). For the desktop shell (`src-tauri/src`) and the sync crate
//! the rule is weaker: no two modules may import each other through any
//! chain (the module graph has no cycle). And no server module adds a route
//! with a plain `.route(`: every route goes through utoipa-axum's `routes!`,
//! so none exists without its OpenAPI operation.
//!
//! `docs/architecture.md` says what each layer is for.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The server's layers, bottom first: each with the top-level modules in it.
/// A module absent from this table is an error (so a new module gets a place).
pub const SERVER_LAYERS: &[(&str, &[&str])] = &[
    (
        "support",
        &[
            "error", "clock", "memo", "settings", "auth", "caller", "probes",
        ],
    ),
    ("store", &["store", "rows"]),
    ("domain", &["ops", "background", "classifier"]),
    ("outbox", &["outbox"]),
    ("app", &["app"]),
    ("channels", &["channels"]),
    ("http", &["http"]),
    ("routes", &["routes", "seed", "migrate", "main", "lib"]),
];

/// Crates whose module graph must have no cycle.
const ACYCLIC: &[&str] = &["src-tauri/src", "crates/sync/src"];

/// Runs every check; fails with the list of offending imports.
pub fn run(root: &Path) -> Result<()> {
    let mut problems = server_problems(&root.join("crates/server/src"))?;
    for dir in ACYCLIC {
        problems.extend(cycle_problems(&root.join(dir), dir)?);
    }
    if problems.is_empty() {
        println!(
            "layers: every import goes down (crates/server), no module cycle ({})",
            ACYCLIC.join(", ")
        );
        return Ok(());
    }
    for p in &problems {
        eprintln!("layers: {p}");
    }
    bail!(
        "{} import(s) break the layering (see docs/architecture.md)",
        problems.len()
    )
}

fn layer_of(module: &[String]) -> Option<(usize, &'static str)> {
    let top = module.first().map(String::as_str).unwrap_or("lib");
    SERVER_LAYERS
        .iter()
        .enumerate()
        .find(|(_, (_, mods))| mods.contains(&top))
        .map(|(i, (name, _))| (i, *name))
}

/// Upward imports in the server's sources.
pub fn server_problems(src: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for (file, module) in modules(src)? {
        let text = fs::read_to_string(&file).with_context(|| format!("read {}", file.display()))?;
        let Some((from_rank, from_name)) = layer_of(&module) else {
            out.push(format!(
                "{}: module `{}` has no layer in xtask/src/layers.rs",
                rel(src, &file),
                module.join("::")
            ));
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if code.contains(".route(") || code.contains(".route_service(") {
                out.push(format!(
                    "{}:{}: a route added without its OpenAPI operation: add it with utoipa-axum's `routes!` (see routes.rs)",
                    rel(src, &file),
                    n + 1
                ));
            }
        }
        for (line, target) in imports(&text, &module) {
            // A name defined in lib.rs itself (`crate::Config`) is the top.
            let (to_rank, to_name) = match layer_of(&target) {
                Some(l) => l,
                None => (SERVER_LAYERS.len() - 1, "routes"),
            };
            if to_rank > from_rank {
                out.push(format!(
                    "{}:{line}: `{}` ({from_name}) imports `{}` ({to_name}), a higher layer",
                    rel(src, &file),
                    module_name(&module),
                    target.join("::"),
                ));
            }
        }
    }
    Ok(out)
}

/// Cycles among the modules of one crate's sources.
pub fn cycle_problems(src: &Path, label: &str) -> Result<Vec<String>> {
    let files = modules(src)?;
    let known: BTreeSet<String> = files
        .iter()
        .filter_map(|(_, m)| m.first().cloned())
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, module) in &files {
        let text = fs::read_to_string(file).with_context(|| format!("read {}", file.display()))?;
        let from = module.first().cloned().unwrap_or_else(|| "lib".to_owned());
        let edges = graph.entry(from.clone()).or_default();
        for (_, target) in imports(&text, module) {
            if let Some(to) = target.first() {
                if *to != from && known.contains(to) {
                    edges.insert(to.clone());
                }
            }
        }
    }
    // lib.rs declares every module: it is the root, not part of a cycle.
    graph.remove("lib");
    let mut out = Vec::new();
    if let Some(cycle) = find_cycle(&graph) {
        out.push(format!(
            "{label}: modules import each other: {}",
            cycle.join(" → ")
        ));
    }
    Ok(out)
}

fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_owned(), 1);
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next.as_str()).copied().unwrap_or(0) {
                1 => {
                    let start = stack.iter().position(|n| n == next).unwrap_or(0);
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(next, graph, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.to_owned(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if state.get(node.as_str()).copied().unwrap_or(0) == 0 {
            if let Some(c) = visit(node, graph, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

fn rel(src: &Path, file: &Path) -> String {
    file.strip_prefix(src.parent().and_then(Path::parent).unwrap_or(src))
        .unwrap_or(file)
        .display()
        .to_string()
}

fn module_name(module: &[String]) -> String {
    if module.is_empty() {
        "crate".to_owned()
    } else {
        module.join("::")
    }
}

/// Every `.rs` file under `src` with its module path (`lib.rs`/`main.rs`: empty).
fn modules(src: &Path) -> Result<Vec<(PathBuf, Vec<String>)>> {
    let mut out = Vec::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).with_context(|| format!("read {}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(src).unwrap_or(&path);
                let mut parts: Vec<String> = relative
                    .iter()
                    .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
                    .collect();
                if matches!(parts.last().map(String::as_str), Some("mod")) {
                    parts.pop();
                }
                if parts.len() == 1 && matches!(parts[0].as_str(), "lib" | "main") {
                    parts.clear();
                }
                out.push((path, parts));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The module paths a file names, with their line numbers: `crate::a::b`,
/// each item of `crate::{a, b::c}`, and `super::…` resolved from `module`.
/// Comments are skipped.
pub fn imports(text: &str, module: &[String]) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let mut in_block = false;
    // `use crate::{` groups can span lines: join the file without comments.
    let mut code = String::new();
    let mut line_of = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let mut line = raw;
        if in_block {
            match line.find("*/") {
                Some(end) => {
                    line = &line[end + 2..];
                    in_block = false;
                }
                None => continue,
            }
        }
        if let Some(start) = line.find("/*") {
            if !line[start..].contains("*/") {
                in_block = true;
            }
            line = &line[..start];
        }
        if let Some(start) = line.find("//") {
            line = &line[..start];
        }
        code.push_str(line);
        code.push('\n');
        line_of.extend(std::iter::repeat_n(n + 1, line.len() + 1));
    }
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !code.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let rest = &code[i..];
        let boundary = i == 0 || !is_ident(bytes[i - 1]) && bytes[i - 1] != b':';
        let base: Option<(usize, Vec<String>)> = if boundary && rest.starts_with("crate::") {
            Some((7, Vec::new()))
        } else if boundary && rest.starts_with("super::") {
            let mut up = 0;
            let mut skip = 0;
            while code[i + skip..].starts_with("super::") {
                up += 1;
                skip += 7;
            }
            // `super` of `a::b` (a file a/b.rs) is `a`.
            let keep = module.len().saturating_sub(up);
            Some((skip, module[..keep].to_vec()))
        } else {
            None
        };
        let Some((skip, prefix)) = base else {
            i += 1;
            continue;
        };
        let line = line_of.get(i).copied().unwrap_or(0);
        let after = &code[i + skip..];
        for path in expand(after) {
            let mut full = prefix.clone();
            full.extend(path);
            if !full.is_empty() {
                out.push((line, full));
            }
        }
        i += skip;
    }
    out
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The paths at the start of `s`: `a::b::C` → `[a, b, C]`; `{a, b::{c}}` →
/// `[a]`, `[b, c]`. `self` in a group stands for its prefix.
fn expand(s: &str) -> Vec<Vec<String>> {
    let s = s.trim_start();
    if let Some(inner) = s.strip_prefix('{') {
        let mut depth = 1;
        let mut end = inner.len();
        for (k, ch) in inner.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = k;
                        break;
                    }
                }
                _ => {}
            }
        }
        let group = &inner[..end];
        let mut items = Vec::new();
        let mut depth = 0;
        let mut start = 0;
        for (k, ch) in group.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(&group[start..k]);
                    start = k + 1;
                }
                _ => {}
            }
        }
        items.push(&group[start..]);
        return items
            .into_iter()
            .filter(|i| !i.trim().is_empty())
            .flat_map(expand)
            .map(|p| p.into_iter().filter(|s| s != "self").collect())
            .collect();
    }
    let mut path = Vec::new();
    let mut rest = s;
    loop {
        let end = rest
            .bytes()
            .position(|b| !is_ident(b))
            .unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        path.push(rest[..end].to_owned());
        rest = &rest[end..];
        match rest.strip_prefix("::") {
            Some(r) if r.starts_with('{') => {
                return expand(r)
                    .into_iter()
                    .map(|mut tail| {
                        let mut p = path.clone();
                        p.append(&mut tail);
                        p
                    })
                    .collect();
            }
            Some(r) => rest = r,
            None => break,
        }
    }
    vec![path]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Vec<String> {
        s.split("::")
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn finds_plain_grouped_and_super_paths() {
        let text = "use crate::store::Tx;\n// use crate::http::x;\nuse crate::{error::AppError, rows::{self, ConvRow}};\nfn f() { super::super::secret(); crate::ops::go(); }\n";
        let found: Vec<String> = imports(text, &m("channels::email::inbound"))
            .into_iter()
            .map(|(_, p)| p.join("::"))
            .collect();
        assert_eq!(
            found,
            vec![
                "store::Tx",
                "error::AppError",
                "rows",
                "rows::ConvRow",
                "channels::secret",
                "ops::go"
            ]
        );
    }

    #[test]
    fn an_upward_import_is_reported() {
        let dir = std::env::temp_dir().join(format!("xtask-layers-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("src/store")).unwrap();
        fs::write(dir.join("src/lib.rs"), "pub mod store;\npub mod http;\n").unwrap();
        fs::write(
            dir.join("src/http.rs"),
            "use crate::store::Store;\n// .route(\"/x\", get(y)) in a comment is fine\n",
        )
        .unwrap();
        fs::write(dir.join("src/store/mod.rs"), "use crate::http::AppState;\n").unwrap();
        let problems = server_problems(&dir.join("src")).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("`store` (store) imports `http::AppState` (http)"));
        fs::create_dir_all(dir.join("src")).unwrap();
        fs::write(
            dir.join("src/lib.rs"),
            "fn r() { Router::new().route(\"/x\", get(y)); }\n",
        )
        .unwrap();
        let problems = server_problems(&dir.join("src")).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("without its OpenAPI operation"));
    }

    #[test]
    fn a_cycle_is_reported_and_a_chain_is_not() {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        g.entry("a".into()).or_default().insert("b".into());
        g.entry("b".into()).or_default().insert("c".into());
        assert_eq!(find_cycle(&g), None);
        g.entry("c".into()).or_default().insert("a".into());
        assert_eq!(find_cycle(&g).map(|c| c.len()), Some(4));
    }
}
