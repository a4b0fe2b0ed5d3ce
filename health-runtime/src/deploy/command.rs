//! The command line a service binary offers to print its own probes and lint a manifest.

use std::io::Write;

use crate::Check;

use super::{DeployConfig, container_apps_probes, kubernetes_probes, lint};

const USAGE: &str =
    "usage: <service> probes kubernetes | probes container-apps | lint <manifest.yaml>";

/// Runs the deploy subcommand in `args` (the arguments after the program name), writing to
/// `out` and `err`, and returns the process exit code; `None` when `args` is not a deploy
/// subcommand, so the service starts as usual.
///
/// - `probes kubernetes`: the Kubernetes probe section; exit 0, or 2 when the checks
///   cannot fit (the reason on `err`).
/// - `probes container-apps`: the Container Apps `probes:` list; the same exits.
/// - `lint <file>`: one line per finding; exit 1 when there is any, 0 when none, 2 when
///   the file cannot be read or holds no probe.
///
/// ```
/// use health_runtime::Check;
/// use health_runtime::deploy::{DeployConfig, run_command};
///
/// let checks = [Check::new("postgres", || async {})];
/// let (mut out, mut err) = (Vec::new(), Vec::new());
/// let args = ["probes", "kubernetes"].map(String::from);
/// let code = run_command(args, &checks, &DeployConfig::new(), &mut out, &mut err);
/// assert_eq!(code, Some(0));
/// assert!(String::from_utf8(out).unwrap().contains("livenessProbe:"));
///
/// let serve = run_command(Vec::<String>::new(), &checks, &DeployConfig::new(), &mut Vec::new(), &mut Vec::new());
/// assert_eq!(serve, None);
/// ```
pub fn run_command<I>(
    args: I,
    checks: &[Check],
    config: &DeployConfig,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Option<i32>
where
    I: IntoIterator<Item = String>,
{
    let args: Vec<String> = args.into_iter().collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let code = match args.as_slice() {
        ["probes", "kubernetes"] => print(
            kubernetes_probes(checks, config).map(|p| p.to_yaml()),
            out,
            err,
        ),
        ["probes", "container-apps"] => print(
            container_apps_probes(checks, config).map(|p| p.to_yaml()),
            out,
            err,
        ),
        ["lint", file] => lint_file(file, checks, config, out, err),
        ["probes", ..] | ["lint", ..] => {
            let _ = writeln!(err, "{USAGE}");
            2
        }
        _ => return None,
    };
    Some(code)
}

/// [`run_command`] on the process's own arguments, stdout and stderr: the one line a
/// service's `main` needs before it starts serving.
///
/// ```no_run
/// use health_runtime::Health;
/// use health_runtime::deploy::{DeployConfig, run_command_from_env};
///
/// let health = Health::new();
/// if let Some(code) = run_command_from_env(&health.checks(), &DeployConfig::new()) {
///     std::process::exit(code);
/// }
/// // ... serve as usual
/// ```
pub fn run_command_from_env(checks: &[Check], config: &DeployConfig) -> Option<i32> {
    run_command(
        std::env::args().skip(1),
        checks,
        config,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    )
}

fn print<E: std::fmt::Display>(
    yaml: Result<String, E>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    match yaml {
        Ok(yaml) => match out.write_all(yaml.as_bytes()) {
            Ok(()) => 0,
            Err(error) => {
                let _ = writeln!(err, "cannot write the manifest: {error}");
                2
            }
        },
        Err(error) => {
            let _ = writeln!(err, "error: {error}");
            2
        }
    }
}

fn lint_file(
    file: &str,
    checks: &[Check],
    config: &DeployConfig,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(error) => {
            let _ = writeln!(err, "error: cannot read {file}: {error}");
            return 2;
        }
    };
    match lint(&text, checks, config) {
        Ok(findings) if findings.is_empty() => {
            let _ = writeln!(out, "{file}: the probes agree with the health checks");
            0
        }
        Ok(findings) => {
            for finding in &findings {
                let _ = writeln!(out, "{file}: {finding}");
            }
            let _ = writeln!(out, "{file}: {} finding(s)", findings.len());
            1
        }
        Err(error) => {
            let _ = writeln!(err, "error: {file}: {error}");
            2
        }
    }
}
