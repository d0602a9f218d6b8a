//! The layering of `src/` (docs/ARCHITECTURE.md), checked on every run: which module may
//! import which, no circle between top-level modules, and pages that read the API's types.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every source file under `src/`, with its code before any `#[cfg(test)]` module.
fn sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let code = text.split("#[cfg(test)]").next().unwrap_or_default().to_string();
                out.push((path, code));
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    walk(&root, &mut out);
    out.into_iter().map(|(p, c)| (p.strip_prefix(&root).unwrap().to_path_buf(), c)).collect()
}

/// The top-level module a file belongs to: `cases/actions.rs` → `cases`, `state.rs` → `state`.
fn module_of(path: &Path) -> String {
    let first = path.components().next().unwrap().as_os_str().to_string_lossy().to_string();
    first.trim_end_matches(".rs").to_string()
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The top-level modules a piece of code names through `crate::` — in paths and in grouped
/// imports (`use crate::{a, b::c}`).
fn imports(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let (mut depth, mut start) = (1, true);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 1 => break,
                    '}' => depth -= 1,
                    ',' if depth == 1 => start = true,
                    c if start && is_ident(c) => {
                        let name: String = group[i..].chars().take_while(|&c| is_ident(c)).collect();
                        found.insert(name);
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name: String = rest.chars().take_while(|&c| is_ident(c)).collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

/// Which top-level module imports which (and from which files).
fn graph() -> BTreeMap<String, BTreeMap<String, Vec<PathBuf>>> {
    let mut graph: BTreeMap<String, BTreeMap<String, Vec<PathBuf>>> = BTreeMap::new();
    for (path, code) in sources() {
        let from = module_of(&path);
        for to in imports(&code) {
            if to != from {
                graph.entry(from.clone()).or_default().entry(to).or_default().push(path.clone());
            }
        }
    }
    graph
}

fn importers_of(module: &str) -> BTreeSet<String> {
    graph().into_iter().filter(|(_, to)| to.contains_key(module)).map(|(from, _)| from).collect()
}

#[test]
fn only_the_server_and_the_command_line_know_the_application() {
    let allowed: BTreeSet<String> = ["cli"].map(String::from).into();
    assert_eq!(importers_of("app").difference(&allowed).count(), 0, "{:?}", importers_of("app"));
}

#[test]
fn only_the_router_and_the_command_line_reach_the_handlers() {
    let allowed: BTreeSet<String> = ["router", "cli"].map(String::from).into();
    let importers = importers_of("api");
    assert!(importers.is_subset(&allowed), "modules importing `api`: {importers:?}");
}

#[test]
fn the_domain_imports_nothing_above_the_base() {
    let graph = graph();
    let allowed: BTreeSet<&str> = ["error", "time"].into();
    for (to, files) in graph.get("domain").cloned().unwrap_or_default() {
        assert!(allowed.contains(to.as_str()), "domain imports `{to}` in {files:?}");
    }
}

/// Tarjan's strongly connected components: any of more than one module is a circle.
fn circles(graph: &BTreeMap<String, BTreeMap<String, Vec<PathBuf>>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeMap<String, Vec<PathBuf>>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        let graph = s.graph;
        for w in graph.get(v).map(|m| m.keys().map(String::as_str).collect::<Vec<_>>()).unwrap_or_default() {
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.found
}

#[test]
fn no_circle_between_top_level_modules() {
    let graph = graph();
    let found = circles(&graph);
    let explain: Vec<String> = found
        .iter()
        .map(|component| {
            let edges: Vec<String> = component
                .iter()
                .flat_map(|from| {
                    graph[from]
                        .iter()
                        .filter(|(to, _)| component.contains(to))
                        .map(move |(to, files)| format!("{from} → {to} ({files:?})"))
                })
                .collect();
            edges.join("; ")
        })
        .collect();
    assert!(found.is_empty(), "import circles: {explain:#?}");
}

#[test]
fn the_checker_finds_a_circle_when_there_is_one() {
    let mut graph: BTreeMap<String, BTreeMap<String, Vec<PathBuf>>> = BTreeMap::new();
    for (from, to) in [("cases", "notify"), ("notify", "stats"), ("stats", "cases"), ("api", "cases")] {
        graph.entry(from.into()).or_default().insert(to.into(), vec![]);
    }
    assert_eq!(circles(&graph), [["cases", "notify", "stats"]]);
    assert_eq!(
        imports("use crate::{access, auth::{Auth, Role}, cases::view};"),
        ["access", "auth", "cases"].map(String::from).into()
    );
}

#[test]
fn pages_read_the_apis_types_not_json_by_index() {
    for (path, code) in sources() {
        if !path.starts_with("web") {
            continue;
        }
        for (n, line) in code.lines().enumerate() {
            let indexed = line
                .match_indices("[\"")
                .any(|(i, _)| line[..i].chars().last().is_some_and(|c| is_ident(c) || c == ')' || c == ']'));
            assert!(!indexed, "{}:{}: JSON read by index: {line}", path.display(), n + 1);
            assert!(!line.contains(".as_i64()") && !line.contains(".as_u64()"), "{}:{}: {line}", path.display(), n + 1);
        }
    }
}

#[test]
fn pages_reach_data_only_through_the_api() {
    for (path, code) in sources() {
        if path.starts_with("web") {
            for forbidden in ["state.db", "sea_orm", "entity::", "service::login", "service::refresh"] {
                assert!(!code.contains(forbidden), "{} uses `{forbidden}`", path.display());
            }
        }
    }
}

/// The longest function, in lines, of `code` whose signature starts with `prefix` at the start
/// of a line, and its name.
fn longest(code: &str, prefix: &str) -> Option<(usize, String)> {
    let lines: Vec<&str> = code.lines().collect();
    let mut best: Option<(usize, String)> = None;
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line.strip_prefix(prefix) else { continue };
        let name: String = rest.chars().take_while(|&c| is_ident(c)).collect();
        let Some(end) = lines[i..].iter().position(|l| *l == "}") else { continue };
        if best.as_ref().is_none_or(|(n, _)| end + 1 > *n) {
            best = Some((end + 1, name));
        }
    }
    best
}

#[test]
fn handlers_are_thin() {
    for (path, code) in sources() {
        if !path.starts_with("api") {
            continue;
        }
        for prefix in ["async fn ", "pub async fn "] {
            if let Some((lines, name)) = longest(&code, prefix) {
                assert!(lines <= 30, "{}: `{name}` is {lines} lines; move its work to a service", path.display());
            }
        }
    }
}

/// Taking an action is a check, a pure plan (`domain::plan`) and one writer (`stages::write`):
/// the functions that do it stay short.
#[test]
fn taking_an_action_is_short() {
    let code = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cases/actions.rs")).unwrap();
    let lines = code.lines().collect::<Vec<_>>();
    for name in ["pub async fn take(", "async fn write("] {
        let start = lines.iter().position(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name} in actions.rs"));
        let end = start + lines[start..].iter().position(|l| *l == "}").unwrap();
        assert!(end - start < 60, "{name} is {} lines", end - start + 1);
    }
}
