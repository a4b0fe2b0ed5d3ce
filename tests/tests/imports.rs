//! The import graph of the workspace: every `use` and every `crate::`/`super::`/`self::`
//! path in every source file, resolved through re-exports to the file that defines the
//! item. Fails on an import cycle between files, and on an import against the layer order
//! of health-runtime (check → history → run → probe → publish → http → ui → the `Health`
//! handle), and on transport crates named below the transports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// A module path from the crate root, like `["check", "builder"]`.
type ModPath = Vec<String>;

#[derive(Default)]
struct Module {
    file: PathBuf,
    children: BTreeSet<String>,
    /// Names this module re-exports (`pub use`, `pub(crate) use`), and where they point.
    reexports: BTreeMap<String, ModPath>,
}

/// One crate's modules and the paths each file refers to.
#[derive(Default)]
struct Crate {
    modules: BTreeMap<ModPath, Module>,
    /// Per file: (the module the reference is written in, the path as written).
    references: Vec<(PathBuf, ModPath, Vec<String>)>,
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn crate_roots() -> Vec<PathBuf> {
    let root = workspace();
    let mut roots = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !matches!(
                    name.as_str(),
                    "target" | ".git" | "ui" | "fixtures" | "node_modules"
                ) {
                    stack.push(path);
                }
                continue;
            }
            let parent = dir.file_name().map(|n| n.to_string_lossy().into_owned());
            let is_root = (matches!(name.as_str(), "lib.rs" | "main.rs")
                && parent.as_deref() == Some("src"))
                || (name == "main.rs"
                    && dir.parent().and_then(Path::file_name) == Some("examples".as_ref()))
                || dir.file_name() == Some("bin".as_ref());
            if is_root {
                roots.push(path);
            }
        }
    }
    roots.sort();
    roots
}

/// Parses the crate rooted at `root`: its module tree, re-exports and references.
fn read_crate(root: &Path) -> Crate {
    let mut krate = Crate::default();
    read_module(&mut krate, root, Vec::new(), true);
    krate
}

fn read_module(krate: &mut Crate, file: &Path, path: ModPath, owns_dir: bool) {
    let source =
        std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let parsed = syn::parse_file(&source).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let dir = if owns_dir {
        file.parent().unwrap().to_path_buf()
    } else {
        file.with_extension("")
    };
    read_items(krate, file, &dir, path, &parsed.items);
}

fn read_items(krate: &mut Crate, file: &Path, dir: &Path, path: ModPath, items: &[syn::Item]) {
    krate.modules.entry(path.clone()).or_default().file = file.to_path_buf();
    let mut references = References::default();
    for item in items {
        match item {
            syn::Item::Mod(module) => {
                let name = module.ident.to_string();
                krate
                    .modules
                    .get_mut(&path)
                    .unwrap()
                    .children
                    .insert(name.clone());
                let mut child = path.clone();
                child.push(name.clone());
                match &module.content {
                    Some((_, items)) => read_items(krate, file, &dir.join(&name), child, items),
                    None => {
                        let flat = dir.join(format!("{name}.rs"));
                        if flat.exists() {
                            read_module(krate, &flat, child, false);
                        } else {
                            read_module(krate, &dir.join(&name).join("mod.rs"), child, true);
                        }
                    }
                }
            }
            syn::Item::Use(item_use) => {
                let mut leaves = Vec::new();
                flatten(&item_use.tree, Vec::new(), &mut leaves);
                let exported = !matches!(item_use.vis, syn::Visibility::Inherited);
                for (written, name) in leaves {
                    if exported && let Some(name) = name {
                        let target = absolute(&path, &written, &krate.modules);
                        krate
                            .modules
                            .get_mut(&path)
                            .unwrap()
                            .reexports
                            .insert(name, target);
                    }
                    references.paths.push(written);
                }
            }
            other => references.visit_item(other),
        }
    }
    for written in references.paths {
        krate
            .references
            .push((file.to_path_buf(), path.clone(), written));
    }
}

/// Every leaf of a use tree: the path as written and the name it binds (`None` for `*`).
fn flatten(tree: &syn::UseTree, prefix: Vec<String>, out: &mut Vec<(Vec<String>, Option<String>)>) {
    match tree {
        syn::UseTree::Path(path) => {
            let mut prefix = prefix;
            prefix.push(path.ident.to_string());
            flatten(&path.tree, prefix, out);
        }
        syn::UseTree::Name(name) => {
            let mut written = prefix;
            let ident = name.ident.to_string();
            if ident != "self" {
                written.push(ident.clone());
            }
            let bound = if ident == "self" {
                written.last().cloned()
            } else {
                Some(ident)
            };
            out.push((written, bound));
        }
        syn::UseTree::Rename(rename) => {
            let mut written = prefix;
            written.push(rename.ident.to_string());
            out.push((written, Some(rename.rename.to_string())));
        }
        syn::UseTree::Glob(_) => out.push((prefix, None)),
        syn::UseTree::Group(group) => {
            for tree in &group.items {
                flatten(tree, prefix.clone(), out);
            }
        }
    }
}

/// The `crate::`, `super::` and `self::` paths written in code outside `use` items.
#[derive(Default)]
struct References {
    paths: Vec<Vec<String>>,
}

impl<'ast> Visit<'ast> for References {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if matches!(
            segments.first().map(String::as_str),
            Some("crate" | "super" | "self")
        ) && segments.len() > 1
        {
            self.paths.push(segments);
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_item_mod(&mut self, _: &'ast syn::ItemMod) {
        // Inline modules inside items are read as modules of their own.
    }
}

/// `written`, as seen from module `from`, as a path from the crate root; `None`-like empty
/// when it names another crate.
fn absolute(from: &ModPath, written: &[String], modules: &BTreeMap<ModPath, Module>) -> ModPath {
    let mut base: ModPath = from.clone();
    let mut rest = written;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("self") => rest = &rest[1..],
        Some("super") => {
            while rest.first().map(String::as_str) == Some("super") {
                base.pop();
                rest = &rest[1..];
            }
        }
        Some(first) => {
            let is_child = modules
                .get(from)
                .is_some_and(|m| m.children.contains(first));
            if !is_child {
                return Vec::new(); // another crate
            }
        }
        None => return Vec::new(),
    }
    base.extend(rest.iter().cloned());
    base
}

/// The file defining what `path` (from the crate root) names, following re-exports.
fn defining_file(krate: &Crate, path: &[String], depth: usize) -> Option<PathBuf> {
    if path.is_empty() || depth > 32 {
        return None;
    }
    let mut module: ModPath = Vec::new();
    for (i, segment) in path.iter().enumerate() {
        let current = krate.modules.get(&module)?;
        if current.children.contains(segment) {
            module.push(segment.clone());
            continue;
        }
        if let Some(target) = current.reexports.get(segment) {
            if target.is_empty() {
                return Some(current.file.clone()); // a re-export of another crate's item
            }
            let mut followed = target.clone();
            followed.extend(path[i + 1..].iter().cloned());
            return defining_file(krate, &followed, depth + 1);
        }
        return Some(current.file.clone());
    }
    krate.modules.get(&module).map(|m| m.file.clone())
}

fn edges(krate: &Crate) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for (file, from, written) in &krate.references {
        let target = absolute(from, written, &krate.modules);
        if let Some(defining) = defining_file(krate, &target, 0)
            && defining != *file
        {
            edges.entry(file.clone()).or_default().insert(defining);
        }
    }
    edges
}

fn find_cycle(edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Option<Vec<PathBuf>> {
    fn visit(
        node: &PathBuf,
        edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        stack: &mut Vec<PathBuf>,
        done: &mut BTreeSet<PathBuf>,
    ) -> Option<Vec<PathBuf>> {
        if let Some(start) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[start..].to_vec();
            cycle.push(node.clone());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.clone());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|node| visit(node, edges, &mut Vec::new(), &mut done))
}

fn relative(path: &Path) -> String {
    path.strip_prefix(workspace())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn no_import_cycle_anywhere_in_the_workspace() {
    let roots = crate_roots();
    assert!(roots.len() >= 8, "found too few crates: {roots:?}");
    let mut cycles = Vec::new();
    for root in roots {
        let krate = read_crate(&root);
        if let Some(cycle) = find_cycle(&edges(&krate)) {
            let cycle: Vec<_> = cycle.iter().map(|f| relative(f)).collect();
            cycles.push(format!("{}: {}", relative(&root), cycle.join(" -> ")));
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

/// The layer of a health-runtime file, lowest first; `None` outside the layers.
fn layer(file: &str) -> Option<usize> {
    let inside = file.strip_prefix("health-runtime/src/")?;
    let top = inside.split('/').next().unwrap_or(inside);
    [
        "error.rs",
        "check",
        "history",
        "run",
        "probe",
        "publish",
        "http",
        "ui",
        "grpc",
        "health.rs",
    ]
    .iter()
    .position(|layer| *layer == top)
}

#[test]
fn runtime_layers_depend_one_way() {
    let root = workspace().join("health-runtime/src/lib.rs");
    let krate = read_crate(&root);
    let edges = edges(&krate);
    assert!(edges.len() > 20, "too few imports read: {edges:?}");
    let mut wrong = Vec::new();
    for (file, targets) in &edges {
        let file = relative(file);
        let Some(from) = layer(&file) else { continue };
        for target in targets {
            let target = relative(target);
            if let Some(to) = layer(&target)
                && to > from
            {
                wrong.push(format!("{file} -> {target}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against check → run → probe → http → Health:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_probe_layer_and_below_name_no_transport() {
    let src = workspace().join("health-runtime/src");
    let mut offenders = Vec::new();
    let mut dirs: Vec<PathBuf> = ["check", "run", "probe"]
        .map(|layer| src.join(layer))
        .into();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for transport in ["axum::", "tonic::", "hyper::"] {
                if text.contains(transport) {
                    offenders.push(format!("{} names {transport}", relative(&path)));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
}
