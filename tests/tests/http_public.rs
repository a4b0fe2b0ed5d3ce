//! What the public learns from the health routes, through a real listening server: under a
//! status-only view no body (single-check routes, 404, 400, 405, either format) names a
//! check that exists; every body echoes at most 64 characters of the request; every error
//! is JSON, an invalid percent-encoding included; the bearer token's scheme matches in any
//! case; a token no request could present is refused when the handle is built.

use health_runtime::{Check, ConfigError, DetailsPolicy, Health, Probe, RouteOptions};
use tests::http::{Response, TestServer};

const CHECKS: [&str; 3] = ["orders-db", "billing-cache", "model-loader"];
const TOKEN: &str = tests::secrets::PUBLIC_PROBE_TOKEN;

fn health(policy: DetailsPolicy) -> Health {
    Health::builder()
        .without_registered()
        .check(Check::new("orders-db", || async { true }).tags(["db"]))
        .check(Check::new("billing-cache", || async { true }).critical(false))
        .check(
            Check::new("model-loader", || async { true })
                .probes([Probe::Startup, Probe::Readiness]),
        )
        .details(policy)
        .build()
        .expect("valid checks")
}

async fn serve(policy: DetailsPolicy) -> TestServer {
    let health = health(policy);
    let server =
        TestServer::start(health.router_with(RouteOptions::new().group("/health/db", ["db"])))
            .await;
    // Latch startup, so that readiness answers on its own checks.
    assert_eq!(server.get("/health/started").await.status, 200);
    server
}

fn text(response: &Response) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

/// Requests of every kind: reports, single checks that exist and that do not, a check
/// asked of a probe it does not run in, exclusions, unknown paths, a wrong method.
const REQUESTS: [(&str, &str); 14] = [
    ("GET", "/health"),
    ("GET", "/health/ready"),
    ("GET", "/health/started"),
    ("GET", "/health/db"),
    ("GET", "/health/ready/orders-db"),
    ("GET", "/health/ready/billing-cache"),
    ("GET", "/health/started/model-loader"),
    ("GET", "/health/started/orders-db"),
    ("GET", "/health/ready/nope"),
    ("GET", "/health/started/nope"),
    ("GET", "/health/ready?exclude=nope"),
    ("GET", "/health/ready?exclude=orders-db,"),
    ("GET", "/health/nowhere/at/all"),
    ("POST", "/health/ready/orders-db"),
];

/// Asserts that `body` names no check other than one the request itself named.
fn assert_names_no_check(path: &str, body: &str) {
    for name in CHECKS {
        assert!(
            path.contains(name) || !body.contains(name),
            "{path} names the check `{name}`: {body}"
        );
    }
}

#[tokio::test]
async fn a_status_only_view_names_no_check_in_any_body() {
    let token = DetailsPolicy::full_with_token(TOKEN);
    for (policy, headers) in [
        (DetailsPolicy::StatusOnly, vec![]),
        (token.clone(), vec![]),
        (token, vec![("authorization", "Bearer wrong-token")]),
    ] {
        let server = serve(policy.clone()).await;
        for accept in ["application/json", "application/health+json"] {
            let mut headers = headers.clone();
            headers.push(("accept", accept));
            for (method, path) in REQUESTS {
                let response = tests::http::request(server.addr, method, path, &headers).await;
                let body = text(&response);
                assert!(
                    response
                        .header("content-type")
                        .is_some_and(|t| t.contains("json")),
                    "{method} {path}: {body}"
                );
                assert_names_no_check(path, &body);
            }
        }
        // A check asked of a probe it does not run in reads like a missing one.
        let missing = server.get("/health/started/nope").await;
        let elsewhere = server.get("/health/started/orders-db").await;
        assert_eq!(
            (missing.status.as_u16(), elsewhere.status.as_u16()),
            (404, 404),
            "{policy:?}"
        );
        assert_eq!(
            elsewhere.json()["error"],
            "no health check named `orders-db`",
            "{policy:?}"
        );
    }
}

#[tokio::test]
async fn the_token_holder_sees_the_checks() {
    let server = serve(DetailsPolicy::full_with_token(TOKEN)).await;
    let bearer = format!("Bearer {TOKEN}");
    let headers = [("authorization", bearer.as_str())];
    let body = server.get_with("/health/ready", &headers).await.json();
    assert_eq!(body["checks"]["orders-db"]["healthy"], true, "{body}");
    let response = server.get_with("/health/ready/nope", &headers).await;
    assert_eq!(response.status, 404);
    let error = response.json()["error"].as_str().unwrap().to_owned();
    assert!(
        error.contains("the checks are: billing-cache, model-loader, orders-db"),
        "{error}"
    );
}

#[tokio::test]
async fn the_bearer_scheme_matches_in_any_case() {
    let server = serve(DetailsPolicy::full_with_token(TOKEN)).await;
    let granted = [
        format!("Bearer {TOKEN}"),
        format!("bearer {TOKEN}"),
        format!("BEARER {TOKEN}"),
        format!("bEaReR   {TOKEN}  "),
    ];
    for value in &granted {
        for path in ["/health/ready", "/health/ready/orders-db", "/health/db"] {
            let body = server
                .get_with(path, &[("authorization", value)])
                .await
                .json();
            assert_eq!(
                body["checks"]["orders-db"]["healthy"], true,
                "{value:?} {path}: {body}"
            );
        }
    }
    let refused = [
        format!("Basic {TOKEN}"),
        format!("Bearer {TOKEN}x"),
        format!("Bearer {}", &TOKEN[1..]),
        format!("Bearer{TOKEN}"),
        TOKEN.to_owned(),
        format!("bearer {}", TOKEN.to_uppercase()),
    ];
    for value in &refused {
        let response = server
            .get_with("/health/ready", &[("authorization", value)])
            .await;
        assert_eq!(response.body, r#"{"status":"ready"}"#, "{value:?}");
    }
}

#[tokio::test]
async fn a_token_no_request_could_present_is_refused_at_build() {
    for token in ["", " ", "\t", "two words", "line\nbreak", "caf\u{e9}"] {
        let error = Health::builder()
            .without_registered()
            .details(DetailsPolicy::full_with_token(token))
            .build()
            .expect_err("an unpresentable token");
        assert!(
            matches!(error, ConfigError::InvalidToken { .. }),
            "{token:?}: {error}"
        );
        if token.len() > 1 {
            assert!(
                !error.to_string().contains(token),
                "the error shows the token: {error}"
            );
        }
    }
    let health = Health::builder()
        .without_registered()
        .details(DetailsPolicy::full_with_token(TOKEN))
        .build();
    assert!(health.is_ok());
}

/// The longest run of `c` in `body`.
fn longest_run(body: &str, c: char) -> usize {
    body.split(|other| other != c)
        .map(str::len)
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn echoed_input_is_capped_at_64_characters() {
    let long = "x".repeat(500);
    let paths = [
        format!("/health/ready/{long}"),
        format!("/health/started/{long}"),
        format!("/health/ready?exclude={long}"),
        format!("/health/ready?exclude=orders-db,{long}"),
        format!("/health/{long}"),
        format!("/health/ready/{long}/more"),
        format!("/health/db/{long}"),
    ];
    for policy in [DetailsPolicy::Full, DetailsPolicy::StatusOnly] {
        let server = serve(policy).await;
        for path in &paths {
            for accept in ["application/json", "application/health+json"] {
                let response = server.get_with(path, &[("accept", accept)]).await;
                let body = text(&response);
                assert!(response.status.is_client_error(), "{path}: {body}");
                assert!(response.json()["error"].is_string(), "{path}: {body}");
                let echoed = longest_run(&body, 'x');
                assert!(
                    (1..=64).contains(&echoed),
                    "{path} echoes {echoed} characters: {body}"
                );
            }
        }
    }
}

#[tokio::test]
async fn invalid_percent_encoding_is_a_json_error() {
    for policy in [DetailsPolicy::Full, DetailsPolicy::StatusOnly] {
        let server = serve(policy).await;
        for path in [
            "/health/ready/%FF",
            "/health/started/%FF",
            "/health/ready/%C3%28",
            "/health/ready/%FF?exclude=orders-db",
        ] {
            let response = server.get(path).await;
            assert_eq!(response.status, 400, "{path}");
            assert_eq!(
                response.header("content-type"),
                Some("application/json"),
                "{path}"
            );
            assert!(response.json()["error"].is_string(), "{path}");
        }
        for (path, code) in [("/health/ready?exclude=%FF", 400), ("/health/%FF", 404)] {
            let response = server.get(path).await;
            assert_eq!(response.status, code, "{path}");
            assert_eq!(
                response.header("content-type"),
                Some("application/json"),
                "{path}"
            );
            assert!(response.json()["error"].is_string(), "{path}");
        }
    }
}
