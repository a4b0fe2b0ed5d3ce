//! Figure 9, what operators see: readiness with the history on and off, and a process of
//! 100 checks with full histories for its resident memory and the status page's render
//! time.
//!
//! | mode | port | serves |
//! |---|---|---|
//! | `--history` | BASE | `/stats` |
//! | | BASE+1, +2 | 10 in-process checks cached for 1 s, history on (+1) and off (+2) |
//! | | BASE+3, +4 | the same checks uncached, history on (+3) and off (+4) |
//! | `--history-rss on\|off` | BASE | 100 in-process checks, each run 256 times before the port opens (every tenth failing, so that errors are held too), with or without history: `/health/ready`, `/health/ui` |

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use health_runtime::{Check, Health};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;

use crate::baseline::flag_check;
use crate::counters::{Counter, Counters};
use crate::{TIMEOUT, listen, listen_both};

/// Checks in the history pairs.
const PAIR_CHECKS: usize = 10;
/// Checks, and results each, of the memory and page figure.
const FILLED_CHECKS: usize = 100;
const FILLED_RESULTS: usize = 256;

/// A check of the in-memory flag, as figure 2's library side has them.
fn flag(name: &'static str, counter: &Arc<Counter>, up: &Arc<AtomicBool>) -> Check {
    let counter = Arc::clone(counter);
    let up = Arc::clone(up);
    Check::new(name, move || {
        let counter = Arc::clone(&counter);
        let up = Arc::clone(&up);
        async move { flag_check(&counter, &up).await }
    })
    .timeout(TIMEOUT)
}

fn names(n: usize) -> Vec<&'static str> {
    (0..n)
        .map(|i| &*Box::leak(format!("check_{i:03}").into_boxed_str()))
        .collect()
}

/// The history pairs: the same in-process checks with history on and off, cached and
/// uncached.
pub async fn history_pairs(port: u16, up: &Arc<AtomicBool>, counters: &Counters) {
    let counter = &counters.get("lib.history");
    let names = names(PAIR_CHECKS);
    for (offset, history, cached) in [
        (1, true, true),
        (2, false, true),
        (3, true, false),
        (4, false, false),
    ] {
        let builder = names
            .iter()
            .fold(Health::builder().without_registered(), |builder, &name| {
                builder.check(flag(name, counter, up))
            });
        let builder = if history { builder } else { builder.history(0) };
        let builder = if cached {
            builder.cache_ttl(Duration::from_secs(1))
        } else {
            builder
        };
        let health = builder.build().expect("valid in-process checks");
        listen_both(port + offset, health.router(), &health, counters).await;
    }
    let stats = Router::new().route("/stats", get(|| async { "history pairs\n" }));
    listen(port, stats).await;
}

/// 100 checks, each run 256 times, with history on or off; then `/health/ready` and the
/// status page on the base port.
pub async fn filled(port: u16, history: bool) {
    let names = names(FILLED_CHECKS);
    let builder = names.iter().enumerate().fold(
        Health::builder().without_registered(),
        |builder, (i, &name)| {
            builder.check(
                Check::new(name, move || async move {
                    if i % 10 == 0 {
                        Err(format!("connection refused by the backend of {name}"))
                    } else {
                        Ok(())
                    }
                })
                .critical(false),
            )
        },
    );
    let builder = if history { builder } else { builder.history(0) };
    let health = builder.build().expect("valid in-process checks");
    // Filled through a port of its own, closed before the measured one opens.
    let fill = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind a loopback port");
    let address = fill.local_addr().expect("local address");
    let router = health.router();
    let server = tokio::spawn(async move { axum::serve(fill, router).await });
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Empty<Bytes>>();
    let uri: hyper::Uri = format!("http://{address}/health/ready")
        .parse()
        .expect("a URI");
    for _ in 0..FILLED_RESULTS {
        let response = client.get(uri.clone()).await.expect("readiness answers");
        let _ = response.into_body().collect().await;
    }
    server.abort();
    if let Some(history) = health.history() {
        let kept = history
            .check(names[1])
            .map_or(0, |check| check.entries().len());
        assert_eq!(kept, FILLED_RESULTS, "the history is full");
    }
    listen(port, health.router()).await;
    println!("bench-server: {FILLED_CHECKS} checks run {FILLED_RESULTS} times, history {history}");
}
