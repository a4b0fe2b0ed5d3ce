//! `health-probe URL [--timeout 2s] [--quiet]`: exit 0 for a 2xx/3xx answer, 1 otherwise.

use std::process::ExitCode;
use std::time::Duration;

use health_probe::{Target, is_success, parse_timeout, probe};

const USAGE: &str = "usage: health-probe http://HOST[:PORT][/PATH] [--timeout 2s] [--quiet]
GETs the URL and exits 0 for a 2xx or 3xx status, 1 for anything else or no answer in time.";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("health-probe: {message}\n{USAGE}");
            // Docker reserves exit code 2; a usage error is an unhealthy probe too.
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> Result<bool, String> {
    let mut url = None;
    let mut timeout = Duration::from_secs(1);
    let mut quiet = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(true);
            }
            "-q" | "--quiet" => quiet = true,
            "-t" | "--timeout" => {
                let value = args.next().ok_or("--timeout needs a value such as 2s")?;
                timeout = parse_timeout(&value).ok_or_else(|| {
                    format!("invalid timeout `{value}`; expected e.g. 2s or 500ms")
                })?;
            }
            other if other.starts_with('-') => return Err(format!("unknown option `{other}`")),
            other if url.is_none() => url = Some(other.to_owned()),
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    let url = url.ok_or("missing the URL")?;
    let target = Target::parse(&url).map_err(|e| e.to_string())?;
    match probe(&target, timeout) {
        Ok(status) => {
            let healthy = is_success(status);
            if !quiet {
                let verdict = if healthy { "healthy" } else { "unhealthy" };
                println!("{url}: {status} ({verdict})");
            }
            Ok(healthy)
        }
        Err(error) => {
            if !quiet {
                println!("{url}: {error} (unhealthy)");
            }
            Ok(false)
        }
    }
}
