//! "Each check run is a `tracing` span `health_check` with the fields `check`, `probe`,
//! `outcome` and `latency_ms`, a child of the request that started it, so a
//! `tracing-opentelemetry` layer exports it" (README, *Production behaviour*): checked
//! with that layer and OpenTelemetry's own SDK, whose in-memory exporter holds what would
//! be sent to a collector. The request span is tower-http's `TraceLayer`'s. In a test
//! binary of its own: the subscriber is process-wide.

use std::time::Duration;

use health_runtime::{Check, Health, Probe};
use opentelemetry::trace::{SpanId, TracerProvider as _};
use opentelemetry::{Key, Value};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tests::http::TestServer;
use tower_http::trace::TraceLayer;
use tracing_subscriber::layer::SubscriberExt;

fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key == Key::from(key.to_owned()))
        .map(|kv| &kv.value)
}

fn text(span: &SpanData, key: &str) -> String {
    attribute(span, key).map_or_else(String::new, |value| value.as_str().into_owned())
}

/// The finished spans, once `count` of them are there (the request span ends when its
/// response body does, a moment after the client read it).
async fn finished(exporter: &InMemorySpanExporter, count: usize) -> Vec<SpanData> {
    for _ in 0..100 {
        let spans = exporter.get_finished_spans().unwrap();
        if spans.len() >= count {
            return spans;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "fewer than {count} spans: {:#?}",
        exporter.get_finished_spans().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_check_run_is_an_exported_span_child_of_the_request() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("tests")));
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let health = Health::builder()
        .without_registered()
        .check(Check::new("flag", || async { true }))
        .check(
            Check::new("database", || async {
                // Waits on a timer: the run is spawned, and still a child of the request.
                tokio::time::sleep(Duration::from_millis(50)).await;
                Err::<(), _>("connection refused")
            })
            .probes([Probe::Readiness, Probe::Liveness]),
        )
        .check(Check::new("hung", std::future::pending::<()>).timeout(Duration::from_millis(100)))
        .build()
        .unwrap();
    let app = health.router().layer(TraceLayer::new_for_http());
    let server = TestServer::start(app).await;
    assert_eq!(server.get("/health/ready").await.status, 503);

    let spans = finished(&exporter, 4).await;
    let request = spans
        .iter()
        .find(|s| s.name == "request")
        .unwrap_or_else(|| panic!("no request span: {spans:#?}"));
    assert_eq!(text(request, "uri"), "/health/ready");
    let runs: Vec<&SpanData> = spans.iter().filter(|s| s.name == "health_check").collect();
    let mut checks: Vec<String> = runs.iter().map(|s| text(s, "check")).collect();
    checks.sort();
    assert_eq!(checks, ["database", "flag", "hung"], "{spans:#?}");

    for run in &runs {
        let check = text(run, "check");
        assert_ne!(request.span_context.span_id(), SpanId::INVALID);
        assert_eq!(
            run.parent_span_id,
            request.span_context.span_id(),
            "{check}: not a child of the request"
        );
        assert_eq!(
            run.span_context.trace_id(),
            request.span_context.trace_id(),
            "{check}: another trace"
        );
        // A run that finished ended before the response did: its span closes before the
        // request hears the result. A run cut by its timeout ends when its own task sees
        // the deadline, which may be a moment after the request gave up on it.
        if check != "hung" {
            assert!(run.end_time <= request.end_time, "{check}");
        }
        let (probe, outcome) = match check.as_str() {
            "flag" => ("readiness", "healthy"),
            "database" => ("liveness,readiness", "unhealthy"),
            _ => ("readiness", "unhealthy"),
        };
        assert_eq!(text(run, "probe"), probe, "{check}");
        assert_eq!(text(run, "outcome"), outcome, "{check}");
        let latency = match attribute(run, "latency_ms") {
            Some(Value::F64(ms)) => *ms,
            other => panic!("{check}: latency_ms is {other:?}"),
        };
        let at_least = match check.as_str() {
            "database" => 50.0,
            "hung" => 100.0,
            _ => 0.0,
        };
        assert!(latency >= at_least, "{check}: {latency} ms");
    }
    provider.shutdown().unwrap();
}
