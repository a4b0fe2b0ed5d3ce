//! `scan_capture [--require-capture] DIR`: reads every file the tests captured in `DIR`
//! (`HEALTH_RUNTIME_TEST_CAPTURE`, see `tests::capture`) and prints each line holding an
//! injected secret (`tests::secrets::INJECTED`, as written or percent-encoded) as
//! `file:line: text`, with the secret replaced by its name — never the secret itself —
//! then `scanned N lines in M files: K leaks`. Exits 1 on any leak, and with
//! `--require-capture` also when nothing was captured; 2 on a usage or read error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tests::secrets::{leaked_in, redacted};

fn files(dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files(&path, found)?;
        } else {
            found.push(path);
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut require = false;
    let mut dir = None;
    for arg in std::env::args_os().skip(1) {
        if arg == "--require-capture" {
            require = true;
        } else if dir.is_none() {
            dir = Some(PathBuf::from(arg));
        } else {
            dir = None;
            break;
        }
    }
    let Some(dir) = dir else {
        eprintln!("usage: scan_capture [--require-capture] DIR");
        return ExitCode::from(2);
    };
    let mut found = Vec::new();
    if let Err(error) = files(&dir, &mut found) {
        eprintln!("scan_capture: {}: {error}", dir.display());
        return ExitCode::from(2);
    }
    found.sort();
    let (mut lines, mut leaks) = (0usize, 0usize);
    for path in &found {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) => {
                eprintln!("scan_capture: {}: {error}", path.display());
                return ExitCode::from(2);
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        let name = path.strip_prefix(&dir).unwrap_or(path).display();
        for (number, line) in text.lines().enumerate() {
            lines += 1;
            if !leaked_in(line).is_empty() {
                leaks += 1;
                println!("{name}:{}: {}", number + 1, redacted(line));
            }
        }
    }
    println!(
        "scanned {lines} lines in {} files: {leaks} leaks",
        found.len()
    );
    if leaks > 0 {
        return ExitCode::from(1);
    }
    if require && lines == 0 {
        eprintln!(
            "scan_capture: nothing was captured in {}: is HEALTH_RUNTIME_TEST_CAPTURE passed to the tests?",
            dir.display()
        );
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
