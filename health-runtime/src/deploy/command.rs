//! The command line a service binary offers to print its own manifests and lint one.

use std::io::Write;
use std::path::Path;

use crate::check::Check;

use super::config::DeployConfig;
use super::container_apps::container_apps_probes;
use super::kubernetes::kubernetes_probes;
use super::lint::lint;

fn usage(program: &str) -> String {
    format!(
        "usage: {program} probes kubernetes [--deployment]
       {program} probes container-apps [--app]
       {program} lint <manifest.yaml>
       {program} help

  probes kubernetes          the probe section of the container (--deployment: a complete
                             apps/v1 Deployment)
  probes container-apps      the Container Apps `probes:` list (--app: a complete Container
                             App for `az containerapp create --yaml`)
  lint <manifest.yaml>       one line per contradiction between the manifest and the health
                             checks; exit 1 when there is any

Without one of these, {program} starts as usual.
"
    )
}

/// Runs the deploy subcommand in `args` (the whole command line, program name first),
/// writing to `out` and `err`, and returns the process exit code; `None` when `args` is
/// not a deploy subcommand, so the service starts as usual with its own arguments.
///
/// - `probes kubernetes [--deployment]`: the probe section, or a complete Deployment;
///   exit 0, or 2 when the checks cannot fit (the reason on `err`).
/// - `probes container-apps [--app]`: the `probes:` list, or a complete Container App.
/// - `lint <file>`: one line per finding; exit 1 when there is any, 0 when none, 2 when
///   the file cannot be read or holds no probe.
/// - `help`, `--help`, `-h`: the usage, naming the program; exit 0.
/// - anything else after `probes` or `lint`: the usage on `err`, exit 2.
///
/// Only the manifest or the findings go to `out`, so `> deployment.yaml` captures exactly
/// the YAML.
///
/// ```
/// use health_runtime::Check;
/// use health_runtime::deploy::{DeployConfig, run_command};
///
/// let checks = [Check::new("postgres", || async {})];
/// let run = |args: &[&str]| {
///     let (mut out, mut err) = (Vec::new(), Vec::new());
///     let args = args.iter().map(|a| a.to_string());
///     let code = run_command(args, &checks, &DeployConfig::new(), &mut out, &mut err);
///     (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
/// };
/// let (code, out, _) = run(&["/usr/bin/my-service", "probes", "kubernetes"]);
/// assert_eq!(code, Some(0));
/// assert!(out.contains("livenessProbe:"));
/// let (code, out, _) = run(&["/usr/bin/my-service", "--help"]);
/// assert_eq!(code, Some(0));
/// assert!(out.starts_with("usage: my-service probes kubernetes"));
/// assert_eq!(run(&["/usr/bin/my-service", "probes", "nomad"]).0, Some(2));
/// assert_eq!(run(&["/usr/bin/my-service", "--port", "8080"]).0, None); // the service's own
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
    let program = args
        .first()
        .and_then(|argv0| Path::new(argv0).file_name())
        .map_or_else(
            || "service".to_owned(),
            |name| name.to_string_lossy().into_owned(),
        );
    let words: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    let code = match words.as_slice() {
        ["help" | "--help" | "-h"] => write_out(&usage(&program), out, err),
        ["probes", "kubernetes"] => print(
            kubernetes_probes(checks, config).map(|p| p.to_yaml()),
            out,
            err,
        ),
        ["probes", "kubernetes", "--deployment"] => print(
            kubernetes_probes(checks, config).map(|p| p.deployment_yaml()),
            out,
            err,
        ),
        ["probes", "container-apps"] => print(
            container_apps_probes(checks, config).map(|p| p.to_yaml()),
            out,
            err,
        ),
        ["probes", "container-apps", "--app"] => print(
            container_apps_probes(checks, config).map(|p| p.container_app_yaml()),
            out,
            err,
        ),
        ["lint", file] => lint_file(file, checks, config, out, err),
        ["probes" | "lint" | "help" | "--help" | "-h", ..] => {
            let _ = write!(
                err,
                "{program}: unknown or incomplete command `{}`\n{}",
                words.join(" "),
                usage(&program)
            );
            2
        }
        _ => return None,
    };
    Some(code)
}

/// [`run_command`] on the process's own arguments, stdout and stderr: the one line a
/// service's `main` needs before it starts serving (and before it sets up logging, or
/// with logs on stderr, so that nothing but the manifest reaches stdout).
///
/// ```no_run
/// use health_runtime::Health;
/// use health_runtime::deploy::{DeployConfig, run_command_from_env};
///
/// let health = Health::new();
/// let config = DeployConfig::new().drain_delay(health.drain_delay());
/// if let Some(code) = run_command_from_env(&health.checks(), &config) {
///     std::process::exit(code);
/// }
/// // ... serve as usual
/// ```
pub fn run_command_from_env(checks: &[Check], config: &DeployConfig) -> Option<i32> {
    run_command(
        std::env::args(),
        checks,
        config,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    )
}

fn write_out(text: &str, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(error) => {
            let _ = writeln!(err, "cannot write to stdout: {error}");
            2
        }
    }
}

fn print<E: std::fmt::Display>(
    yaml: Result<String, E>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    match yaml {
        Ok(yaml) => write_out(&yaml, out, err),
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
