//! `health-probe URL [--timeout 2s] [--header 'Name: value']... [--quiet]`: exit 0 for a
//! 2xx/3xx answer, 1 otherwise.

use std::process::ExitCode;
use std::time::Duration;

use health_probe::{HttpGet, parse_header, parse_target, parse_timeout};

const USAGE: &str = "usage: health-probe http://HOST[:PORT][/PATH] [--timeout 2s] [--header 'Name: value']... [--quiet]
GETs the URL as the kubelet's httpGet probe does and exits 0 for a 2xx or 3xx status,
1 for anything else or no answer in time. --header adds a request header (repeatable;
`Accept:` with no value removes the default `Accept: */*`).";

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
    let mut headers = Vec::new();
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
            "-H" | "--header" => {
                let value = args
                    .next()
                    .ok_or("--header needs a value such as 'Name: value'")?;
                let (name, value) = parse_header(&value)
                    .ok_or_else(|| format!("invalid header `{value}`; expected 'Name: value'"))?;
                headers.push((name.to_owned(), value.to_owned()));
            }
            other if other.starts_with('-') => return Err(format!("unknown option `{other}`")),
            other if url.is_none() => url = Some(other.to_owned()),
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    let url = url.ok_or("missing the URL")?;
    let target = parse_target(&url).map_err(|e| e.to_string())?;
    let probe = headers
        .iter()
        .fold(HttpGet::new(target), |probe, (name, value)| {
            probe.header(name, value)
        });
    let healthy = match probe.send(timeout) {
        Ok(answer) => {
            if !quiet {
                let verdict = match (answer.is_success(), answer.is_warning()) {
                    (true, true) => "healthy, redirect not followed",
                    (true, false) => "healthy",
                    (false, _) => "unhealthy",
                };
                println!("{url}: {} ({verdict})", answer.status);
            }
            answer.is_success()
        }
        Err(error) => {
            if !quiet {
                println!("{url}: {error} (unhealthy)");
            }
            false
        }
    };
    Ok(healthy)
}
