//! Every return type a check may have.

use std::fmt;

use health_runtime::{health_check, health_routes, CheckOutcome, Health};
use serde_json::json;

#[health_check]
async fn unit() {}

#[health_check]
async fn explicit_unit() -> () {}

#[health_check]
async fn boolean() -> bool {
    true
}

#[health_check]
async fn io_result() -> std::io::Result<()> {
    Ok(())
}

#[health_check]
async fn string_error() -> Result<(), String> {
    Err("connection refused".to_owned())
}

/// A user error type only needs `Display`.
struct PingError;

impl fmt::Display for PingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ping failed")
    }
}

#[health_check]
async fn custom_error() -> Result<(), PingError> {
    Err(PingError)
}

/// A boxed error, as `?` on several error types gives.
#[health_check]
async fn boxed_error() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let port: u16 = "5432".parse()?;
    let _ = port;
    Ok(())
}

/// An `Ok` value that serialises becomes the check's details.
#[health_check]
async fn with_details() -> Result<serde_json::Value, PingError> {
    Ok(json!({ "replicas": 3 }))
}

#[health_check]
async fn with_number() -> Result<u32, std::io::Error> {
    Ok(3)
}

#[health_check]
async fn outcome() -> CheckOutcome {
    CheckOutcome::degraded("replica lag 12s").with_detail("lag_seconds", 12)
}

/// A type alias of a supported type is supported.
type PingResult = Result<(), std::io::Error>;

#[health_check]
async fn alias() -> PingResult {
    Ok(())
}

fn main() {
    let _router: axum::Router = health_routes!(Health::new());
}
