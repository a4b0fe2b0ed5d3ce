//! No response body carries a password, token or API key: checks whose errors quote
//! connection strings, URLs and headers are served through a real listening server, in
//! both the default and the `application/health+json` renderings, and every body is
//! searched for the secrets.

use health_runtime::redact::MAX_ERROR_LEN;
use health_runtime::{Check, Health};
use tests::http::TestServer;
use tests::probe::{SECRETS, probe};
use tests::secrets::{
    AMPERSAND_PASSWORD, GITLAB_TOKEN, NATS_URL_TOKEN, SECRET_API_KEY, SECRET_PASSWORD,
    SLACK_WEBHOOK_SECRET,
};

/// Checks that fail with messages quoting secrets the way drivers and careless code do.
fn leaky_checks() -> Vec<(&'static str, String, &'static str)> {
    vec![
        (
            "url",
            format!("error connecting to postgres://app:{SECRET_PASSWORD}@db:5432/app"),
            "postgres://app:***@db:5432/app",
        ),
        (
            "libpq",
            format!("invalid connection string host=db user=app password={SECRET_PASSWORD} port=x"),
            "password=*** port=x",
        ),
        (
            "libpq-quoted",
            format!("config: host=db password='{SECRET_PASSWORD} x' dbname=app"),
            "password='***' dbname=app",
        ),
        (
            "redis-url",
            format!("cannot open redis://:{SECRET_PASSWORD}@cache:6379/0"),
            "redis://:***@cache:6379/0",
        ),
        (
            "api-key-header",
            format!("request failed; headers: api-key: {SECRET_API_KEY}, accept: */*"),
            "api-key: ***,",
        ),
        (
            "bearer",
            format!("upstream rejected Authorization: Bearer {SECRET_API_KEY}"),
            "Authorization: Bearer ***",
        ),
        (
            "query",
            format!("GET https://h/openai/models?api-version=1&key={SECRET_API_KEY}: 403"),
            "&key=*** 403",
        ),
        (
            "token",
            format!("GET https://h/v1?token={SECRET_API_KEY}&x=1"),
            "token=***&x=1",
        ),
        (
            "nats-token-url",
            format!("nats: authorization violation at nats://{NATS_URL_TOKEN}@nats:4222"),
            "nats://***@nats:4222",
        ),
        (
            "redis-password-as-user",
            format!("NOAUTH for redis://{SECRET_PASSWORD}@cache:6379/0"),
            "redis://***@cache:6379/0",
        ),
        (
            "slack-webhook",
            format!(
                "POST https://hooks.slack.com/services/T0AAAA1/B0BBBB2/{SLACK_WEBHOOK_SECRET}: 404"
            ),
            "hooks.slack.com/services/T0AAAA1/B0BBBB2/***",
        ),
        (
            "gitlab-token",
            format!("gitlab: 401 for {GITLAB_TOKEN}"),
            "401 for glpat-***",
        ),
        (
            "ampersand-password",
            format!("connect failed: host=db password={AMPERSAND_PASSWORD} user=app"),
            "password=*** user=app",
        ),
        (
            "long",
            format!(
                "{} password={SECRET_PASSWORD}",
                "x".repeat(MAX_ERROR_LEN * 2)
            ),
            "xxx",
        ),
    ]
}

async fn service() -> TestServer {
    let mut builder = Health::builder().without_registered();
    for (name, message, _) in leaky_checks() {
        builder = builder.check(Check::new(name, move || {
            let message = message.clone();
            async move { Err::<(), _>(message) }
        }));
    }
    TestServer::start(builder.build().unwrap().router()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_redacted_in_reports() {
    let app = service().await;
    let probed = probe(&app, "/health/ready").await;
    for (name, _, masked) in leaky_checks() {
        let error = probed.assert_unhealthy(name, &[masked]);
        assert!(
            error.len() <= MAX_ERROR_LEN + '…'.len_utf8(),
            "{name}: {} bytes",
            error.len()
        );
    }
    for (name, _, _) in leaky_checks() {
        probe(&app, &format!("/health/ready/{name}")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_redacted_in_health_json() {
    let app = service().await;
    let response = app
        .get_with("/health/ready", &[("accept", "application/health+json")])
        .await;
    let body = String::from_utf8_lossy(&response.body);
    assert_eq!(response.status, 503, "{body}");
    assert!(body.contains("postgres://app:***@db:5432/app"), "{body}");
    for secret in SECRETS {
        assert!(
            !body.contains(secret),
            "health+json body leaks a secret: {body}"
        );
    }
}

/// The credential shapes of issue reports, with no secret registered: in `details` (keys
/// and values, nested), in a panic message, and in a 100 MB error, served through a real
/// listening server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn details_panics_and_huge_errors_are_redacted_by_pattern() {
    let jwt = tests::secrets::REDACTION_JWT;
    let health = Health::builder()
        .without_registered()
        .check(Check::new("details", || async {
            health_runtime::CheckOutcome::degraded("see details")
                .with_detail("dsn", "postgres://u:pw/with#odd?chars@db:5432/app")
                .with_detail(
                    "nested",
                    serde_json::json!([{"conn": "Endpoint=sb://ns/;SharedAccessKeyName=k;SharedAccessKey=c2Fz+Lw==;EntityPath=q"}]),
                )
                .with_detail("client_secret", "cs-abc")
        }))
        .check(Check::new("panic", move || async move {
            if std::hint::black_box(true) {
                panic!("token {jwt} rejected with password=pw,tail");
            }
        }))
        .check(Check::new("huge", || async {
            let mut huge = "AUTH default rd-pw failed; ".to_owned();
            huge.push_str(&"x".repeat(100 << 20));
            Err::<(), _>(huge)
        }))
        .build()
        .unwrap();
    let app = TestServer::start(health.router()).await;
    let body = String::from_utf8_lossy(&app.get("/health/ready").await.body).into_owned();
    for leak in [
        "pw/with",
        "odd?chars",
        "c2Fz+Lw==",
        "cs-abc",
        "c2lnbmF0dXJlLXNlY3JldA",
        "pw,tail",
        ",tail",
        "rd-pw",
    ] {
        assert!(!body.contains(leak), "the body leaks {leak:?}: {body}");
    }
    for kept in [
        "postgres://u:***@db:5432/app",
        "SharedAccessKeyName=k",
        "EntityPath=q",
        "check panicked: token *** rejected with password=***",
        "AUTH default *** failed",
    ] {
        assert!(body.contains(kept), "the body lost {kept:?}: {body}");
    }
    assert!(body.len() < 16 * 1024, "{} bytes", body.len());
}
