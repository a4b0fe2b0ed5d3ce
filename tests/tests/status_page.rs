//! The status page over HTTP (its browser test is `examples/tests/status_page.rs`): the
//! details policy and its token flow, the security headers, escaping, redaction, the live
//! fragment, and the page's configuration.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use health_runtime::{Check, DetailsPolicy, Health};
use tests::http::{Response, TestServer};
use tests::secrets::{PAGE_TOKEN, SECRET_PASSWORD};

fn text(response: &Response) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

fn checks() -> [Check; 2] {
    [
        Check::new("orders_db", || async { true }),
        Check::new("payments_api", || async {
            Err::<(), _>(format!("401 from https://payments:{SECRET_PASSWORD}@api"))
        })
        .critical(false),
    ]
}

fn health(details: DetailsPolicy) -> Health {
    let [db, api] = checks();
    Health::builder()
        .without_registered()
        .check(db)
        .check(api)
        .secret(SECRET_PASSWORD)
        .details(details)
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_full_page_shows_every_check_state_and_transition_behind_a_strict_policy() {
    let server = TestServer::start(health(DetailsPolicy::Full).router()).await;
    let page = server.get("/health/ui").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.starts_with("default-src 'none'; script-src 'sha256-"),
        "{csp}"
    );
    let html = text(&page);
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Self-contained: nothing to load, not even a favicon; the only links are in-page.
    assert!(!html.contains(" src="), "{html}");
    let links: Vec<_> = html
        .split(" href=\"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect();
    assert_eq!(links, ["data:,", "#main"]);
    assert!(html.contains("<style>") && html.contains("<script>"));
    for shown in [
        r#"data-check="orders_db" data-status="healthy""#,
        r#"data-check="payments_api" data-status="unhealthy""#,
        "✖ unhealthy",
        "readiness, non-critical",
        r#"data-readiness="degraded""#,
        "in rotation",
        "not begun",
        r#"data-transition="payments_api" data-to="unhealthy""#,
        "401 from https:",
    ] {
        assert!(html.contains(shown), "{shown}: {html}");
    }
    assert!(!html.contains(SECRET_PASSWORD), "{html}");

    // The live fragment is what `<main>` holds.
    let live = text(&server.get("/health/ui/live").await);
    assert!(live.starts_with("<h2 id=\"state\">") && !live.contains("<html"));
    assert!(live.contains(r#"data-check="payments_api""#));
}

#[tokio::test]
async fn status_only_names_no_check_on_the_page_nor_in_its_fragment() {
    let server = TestServer::start(health(DetailsPolicy::StatusOnly).router()).await;
    for path in ["/health/ui", "/health/ui/live", "/health/ui?token=anything"] {
        let response = server.get(path).await;
        let html = text(&response);
        assert!(response.status == 200 || response.status == 401, "{path}");
        assert!(
            html.contains(r#"data-readiness="degraded""#),
            "{path}: {html}"
        );
        for name in ["orders_db", "payments_api"] {
            assert!(!html.contains(name), "{path}: {html}");
        }
        assert!(
            !html.contains("name=\"token\""),
            "nothing to unlock: {html}"
        );
    }
}

#[tokio::test]
async fn a_token_once_gives_a_session_cookie_and_a_wrong_one_sees_no_check() {
    let server =
        TestServer::start(health(DetailsPolicy::full_with_token(PAGE_TOKEN)).router()).await;
    let locked = server.get("/health/ui").await;
    assert_eq!(locked.status, 200);
    let html = text(&locked);
    assert!(
        html.contains("name=\"token\"") && !html.contains("orders_db"),
        "{html}"
    );

    let wrong = server.get("/health/ui?token=not-the-token").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.header("set-cookie").is_none());
    let html = text(&wrong);
    assert!(html.contains("That token is not valid") && !html.contains("orders_db"));

    let exchanged = server.get(&format!("/health/ui?token={PAGE_TOKEN}")).await;
    assert_eq!(exchanged.status, 303);
    assert_eq!(exchanged.header("location"), Some("/health/ui"));
    let cookie = exchanged.header("set-cookie").unwrap().to_owned();
    assert!(
        cookie.contains("; Path=/health/ui;") && cookie.contains("; HttpOnly; SameSite=Strict")
    );
    assert!(!cookie.contains(PAGE_TOKEN), "{cookie}");
    let session = cookie.split(';').next().unwrap();
    for path in ["/health/ui", "/health/ui/live"] {
        let html = text(&server.get_with(path, &[("cookie", session)]).await);
        assert!(html.contains(r#"data-check="orders_db""#), "{path}: {html}");
    }
    let bearer = format!("Bearer {PAGE_TOKEN}");
    let html = text(
        &server
            .get_with("/health/ui", &[("authorization", &bearer)])
            .await,
    );
    assert!(html.contains(r#"data-check="orders_db""#));
    let forged = server
        .get_with(
            "/health/ui",
            &[("cookie", &format!("health_ui={}", "ab".repeat(32)))],
        )
        .await;
    assert!(!text(&forged).contains("orders_db"));
    // The session is the page's: the reports still want the token.
    let report = server
        .get_with("/health/ready", &[("cookie", session)])
        .await;
    assert!(!text(&report).contains("orders_db"));
}

#[tokio::test]
async fn markup_in_an_error_is_escaped_everywhere_it_is_shown() {
    let hostile = "<script>alert(1)</script><img src=x onerror=\"alert('x')\">";
    let health = Health::builder()
        .without_registered()
        .check(Check::new("markup", move || async move {
            Err::<(), _>(hostile)
        }))
        .build()
        .unwrap();
    let server = TestServer::start(health.router()).await;
    for path in ["/health/ui", "/health/ui/live"] {
        let html = text(&server.get(path).await);
        assert!(
            !html.contains("<img") && !html.contains("<script>alert"),
            "{path}: {html}"
        );
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;"),
            "{path}: {html}"
        );
    }
}

#[tokio::test]
async fn the_page_moves_or_goes_away_and_works_without_history() {
    let up = Arc::new(AtomicBool::new(true));
    let flag = Arc::clone(&up);
    let moved = Health::builder()
        .without_registered()
        .check(Check::new("cache", move || {
            let up = flag.load(Ordering::SeqCst);
            async move { up }
        }))
        .status_page("/ops/status")
        .history(0)
        .build()
        .unwrap();
    let server = TestServer::start(moved.router()).await;
    assert_eq!(server.get("/health/ui").await.status, 404);
    up.store(false, Ordering::SeqCst);
    let html = text(&server.get("/ops/status").await);
    assert!(
        html.contains(r#"data-check="cache" data-status="unhealthy""#),
        "{html}"
    );
    assert!(html.contains(r#"data-live="/ops/status/live""#));

    let without = Health::builder()
        .without_registered()
        .without_status_page()
        .build()
        .unwrap();
    let server = TestServer::start(without.router()).await;
    assert_eq!(server.get("/health/ui").await.status, 404);

    let root = Health::builder().status_page("/").build().unwrap_err();
    assert!(root.to_string().contains("the root"), "{root}");
}
