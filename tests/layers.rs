//! The runtime's modules use only modules of lower layers (ARCHITECTURE.md, "The runtime's
//! layers"): every `crate::…` path in a module's files, `use crate::{…}` groups and names
//! `lib.rs` re-exports included, must name a module of a lower layer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each top-level module of `runtime/src` with its layer, bottom first, as ARCHITECTURE.md
/// lists them.
const LAYERS: &[(&str, u8)] = &[
    ("model", 0),
    ("store", 1),
    ("verify", 1),
    ("outbound", 1),
    ("report", 1),
    ("instances", 2),
    ("engine", 3),
    ("ingress", 4),
    ("sources", 4),
    ("schedule", 4),
    ("lifecycle", 4),
    ("component", 4),
    ("files", 4),
    ("admin", 5),
    ("integration", 5),
    ("server", 6),
    ("cli", 7),
    ("testing", 7),
];

#[test]
fn modules_use_only_modules_of_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("runtime/src");
    let layers: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let reexported = reexports(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let mut wrong = Vec::new();
    for file in rust_files(&src) {
        let relative = file.strip_prefix(&src).unwrap();
        let module = relative.iter().next().unwrap().to_str().unwrap().trim_end_matches(".rs").to_owned();
        if module == "lib" || module == "prelude" || module == "docs" {
            continue;
        }
        let layer = *layers
            .get(module.as_str())
            .unwrap_or_else(|| panic!("`{module}` is in no layer: give it one here and in ARCHITECTURE.md"));
        let text = without_comments(&std::fs::read_to_string(&file).unwrap());
        for used in crate_paths(&text) {
            let used = reexported.get(&used).cloned().unwrap_or(used);
            if let Some(&used_layer) = layers.get(used.as_str())
                && used != module
                && used_layer >= layer
            {
                wrong.push(format!("{} uses `{used}` (layer {used_layer}) from layer {layer}", relative.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "imports that do not point down:\n{}", wrong.join("\n"));
}

#[test]
fn the_check_sees_groups_and_reexports() {
    let text = "use crate::{model::{Error, Result}, store::Store};\nlet x = crate::Secret::new();";
    assert_eq!(crate_paths(text), ["model", "store", "Secret"]);
    let lib = "pub use model::{\n    Activation, Secret,\n};\npub use server::Server;";
    assert_eq!(reexports(lib).get("Secret").map(String::as_str), Some("model"));
    assert_eq!(reexports(lib).get("Server").map(String::as_str), Some("server"));
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
    files
}

fn without_comments(text: &str) -> String {
    text.lines().map(|line| line.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

/// The first segment after each `crate::`, each entry of a `crate::{…}` group included.
fn crate_paths(text: &str) -> Vec<String> {
    let mut heads = Vec::new();
    for (index, _) in text.match_indices("crate::") {
        let rest = &text[index + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut entry = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => heads.push(std::mem::take(&mut entry)),
                    _ => {}
                }
                if !(c == ',' && depth == 0) {
                    entry.push(c);
                }
            }
            heads.push(entry);
        } else {
            heads.push(rest.to_owned());
        }
    }
    heads
        .iter()
        .filter_map(|head| {
            let name: String =
                head.trim_start().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

/// Each name `lib.rs` re-exports (`pub use module::{A, B};`), with the module it comes from.
fn reexports(lib: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for statement in lib.split(';') {
        let Some(path) = statement.trim().strip_prefix("pub use ") else { continue };
        let Some((module, items)) = path.split_once("::") else { continue };
        for item in items.trim_matches(|c: char| c == '{' || c == '}' || c.is_whitespace()).split(',') {
            let name = item.trim().rsplit("::").next().unwrap_or_default();
            if !name.is_empty() {
                names.insert(name.to_owned(), module.trim().to_owned());
            }
        }
    }
    names
}
