//! The process whose output `tests/tests/panics.rs` reads: it serves checks that panic (in
//! their function, in their future, and while their future is dropped at its timeout),
//! probes readiness twice (the second run proves each check runs again after its panic),
//! prints the bodies, and panics once outside any check.
//!
//! `panics_child KEY URL_PASSWORD`: `KEY` is registered with the application as a secret,
//! `URL_PASSWORD` appears only inside a URL, where the patterns must catch it.

use std::time::Duration;

use health_runtime::{Check, Health};
use tests::http::TestServer;

struct PanicsOnDrop(String);

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("dropped while holding {}", self.0);
    }
}

fn health(key: &'static str, url_password: &'static str) -> Health {
    Health::builder()
        .without_registered()
        .secret(key)
        .check(Check::new("in_fn", move || {
            if std::hint::black_box(true) {
                panic!("login failed with {key} for postgres://app:{url_password}@db");
            }
            async { true }
        }))
        .check(Check::new("in_future", move || async move {
            if std::hint::black_box(true) {
                panic!("token {key} refused");
            }
            true
        }))
        .check(
            Check::new("on_drop", move || async move {
                let _guard = PanicsOnDrop(key.to_owned());
                tokio::time::sleep(Duration::from_secs(60)).await;
                true
            })
            .timeout(Duration::from_millis(100)),
        )
        .build()
        .expect("valid checks")
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(key), Some(url_password)) = (args.next(), args.next()) else {
        eprintln!("usage: panics_child KEY URL_PASSWORD");
        std::process::exit(2);
    };
    let health = health(key.leak(), url_password.leak());
    let server = TestServer::start(health.router()).await;
    for _ in 0..2 {
        let response = server.get("/health/ready").await;
        println!(
            "BODY {} {}",
            response.status.as_u16(),
            String::from_utf8_lossy(&response.body)
        );
    }
    let _ = std::panic::catch_unwind(|| panic!("a panic of the application, not a check"));
}
