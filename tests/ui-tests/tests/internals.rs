//! What the compile-fail suite's expected output may not show: the macros' insides. A
//! mistake is reported in the user's terms, on the user's code, so no expected error names
//! a generated item (`__health_check_…`), the runtime's hidden module (`__private`, also a
//! file of the runtime) or a crate the user never named (`serde_core`, behind `serde`).
//!
//! And one mistake is one error: each file holds one mistake, except the `*_many_mistakes*`
//! files, which show that unrelated mistakes are all reported.

use std::fs;
use std::path::{Path, PathBuf};

const INTERNALS: &[&str] = &["__health_check", "__private", "serde_core"];

/// Files whose one mistake the compiler reports too, before the macro runs.
const COMPILER_REPORTS_TOO: &[&str] = &[
    // "key-value macro attributes are not supported", which says nothing of what to write.
    "health_check_key_value_attribute",
];

fn expected_outputs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/fail");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "stderr"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 150,
        "too few expected outputs in {}",
        dir.display()
    );
    files
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .expect("a file name")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn no_expected_error_names_the_macros_insides() {
    let mut offenders = Vec::new();
    for path in expected_outputs() {
        let text = fs::read_to_string(&path).expect("a readable .stderr");
        for (number, line) in text.lines().enumerate() {
            if let Some(internal) = INTERNALS.iter().find(|internal| line.contains(*internal)) {
                offenders.push(format!(
                    "{}.stderr:{}: `{internal}` in: {}",
                    stem(&path),
                    number + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
}

#[test]
fn each_mistake_is_one_error() {
    let mut offenders = Vec::new();
    for path in expected_outputs() {
        let name = stem(&path);
        let text = fs::read_to_string(&path).expect("a readable .stderr");
        let errors = text
            .lines()
            .filter(|line| line.starts_with("error") && !line.starts_with("error: aborting"))
            .count();
        let warnings = text
            .lines()
            .filter(|line| line.starts_with("warning"))
            .count();
        let expected = if name.contains("many_mistakes") {
            errors.max(2)
        } else if COMPILER_REPORTS_TOO.contains(&name.as_str()) {
            2
        } else {
            1
        };
        if errors != expected || warnings != 0 {
            offenders.push(format!(
                "{name}.stderr: {errors} errors and {warnings} warnings, expected {expected} \
                 error(s) and no warning"
            ));
        }
    }
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
}
