//! Known-value redaction: the secrets an application registers (`HealthBuilder::secret`,
//! `secret_from_env`, `Health::secret`) and the credentials each built-in check is given
//! (a PostgreSQL password in a `tokio_postgres::Config` or an sqlx pool, a Redis client's
//! password, an HTTP target's key, an AMQP or MQTT password) are scrubbed, as written and
//! URL-encoded, from every error, `details` key and value, panic message and log line —
//! even where no pattern would recognise them. Real servers serve the checks and the
//! reports are read from a real listening server; the logs are captured by a `tracing`
//! subscriber writing to a buffer.
//!
//! In a test binary of its own: the subscriber is process-wide.

use std::sync::OnceLock;
use std::time::Duration;

use health_runtime::checks::{self, HttpTarget};
use health_runtime::{Check, CheckOutcome, Health, HealthBuilder};
use tests::capture::Logs;
use tests::dependency::Dependency as _;
use tests::http::TestServer;
use tests::postgres_server::PostgresServer;
use tests::redis_server::RedisServer;
use tests::secrets::{
    AMQP_PASSWORD, APP_BUILT_SECRET, APP_ENV_SECRET, APP_LATER_SECRET, BUS_KEY, HTTP_KEY,
    MQTT_PASSWORD, MYSQL_PASSWORD, PG_PASSWORD, REDIS_PASSWORD, URL_PASSWORD, percent_encoded,
};

/// Every line logged, for all the tests of this binary, down to TRACE: the runtime's and
/// the client libraries' (hyper-util's pool logs the authority of each URI it connects to,
/// which is why an HTTP check's URL leaves its user info to `Authorization`).
fn logs() -> &'static Logs {
    static LOGS: OnceLock<Logs> = OnceLock::new();
    LOGS.get_or_init(|| Logs::install(tracing::Level::TRACE))
}

/// Checks that leak `secret` the careless ways, with no shape a pattern would catch: in
/// an error (as written and URL-encoded), in a `details` key and value, in a panic.
fn echo_checks(builder: HealthBuilder, label: &str, secret: &str) -> HealthBuilder {
    let error = format!(
        "login with {secret} then {} refused",
        percent_encoded(secret)
    );
    let detail = format!("sent {secret}");
    let key = format!("seen-{secret}");
    let panic = format!("boom {secret}");
    builder
        .check(Check::new(format!("{label}-error"), move || {
            let error = error.clone();
            async move { Err::<(), _>(error) }
        }))
        .check(Check::new(format!("{label}-details"), move || {
            let outcome = CheckOutcome::degraded("echo")
                .with_detail("note", detail.clone())
                .with_detail(key.clone(), 1);
            async move { outcome }
        }))
        .check(Check::new(format!("{label}-panic"), move || {
            let panic = panic.clone();
            async move {
                if !panic.is_empty() {
                    panic!("{panic}");
                }
            }
        }))
}

/// Serves `health`, reads the readiness report twice and each echo check's own route, and
/// asserts that no body and no log line holds any of `secrets`, while the echo checks did
/// report (with `***` where the secret was).
async fn assert_scrubbed(health: &Health, label: &str, secrets: &[&str]) {
    let logs = logs();
    let server = TestServer::start(health.router()).await;
    let mut bodies = Vec::new();
    for path in ["/health/ready".to_owned(), "/health/ready".to_owned()]
        .into_iter()
        .chain(["error", "details", "panic"].map(|kind| format!("/health/ready/{label}-{kind}")))
    {
        let response = server.get(&path).await;
        bodies.push((path, String::from_utf8_lossy(&response.body).into_owned()));
    }
    for (path, body) in &bodies {
        for secret in secrets {
            for form in [secret.to_string(), percent_encoded(secret)] {
                assert!(
                    !body.contains(&form),
                    "{label}: {path} leaks {form:?}: {body}"
                );
            }
        }
    }
    let ready = &bodies[1].1;
    assert!(
        ready.contains("login with *** then *** refused"),
        "{label}: {ready}"
    );
    assert!(
        ready.contains("sent ***") && ready.contains("seen-***"),
        "{ready}"
    );
    assert!(
        ready.contains("check panicked: boom ***"),
        "{label}: {ready}"
    );
    // Every line, the client libraries' included (see `logs`).
    let logged: String = logs.entries().concat();
    assert!(
        logged.contains("boom ***"),
        "{label}: the panic was not logged"
    );
    for secret in secrets {
        assert!(
            !logged.contains(secret),
            "{label}: a log line leaks {secret:?}"
        );
        let encoded = percent_encoded(secret);
        let leak = logged.lines().find(|line| line.contains(&encoded));
        assert!(
            leak.is_none(),
            "{label}: a log line leaks {encoded:?}: {leak:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_registered_by_the_application() {
    let (built, from_env, at_run_time) = (APP_BUILT_SECRET, APP_ENV_SECRET, APP_LATER_SECRET);
    let var = "HEALTH_RUNTIME_TEST_SECRET_FROM_ENV";
    // SAFETY: this binary's tests read no environment variable of this name but here.
    unsafe { std::env::set_var(var, from_env) };
    let mut builder = Health::builder()
        .without_registered()
        .secret(built)
        .secret_from_env(var);
    for (label, secret) in [("built", built), ("env", from_env), ("later", at_run_time)] {
        builder = echo_checks(builder, label, secret);
    }
    let health = builder.build().unwrap();
    health.secret(at_run_time);
    for label in ["built", "env", "later"] {
        assert_scrubbed(&health, label, &[built, from_env, at_run_time]).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_passwords_registered_by_the_built_ins() {
    let server = PostgresServer::start(PG_PASSWORD);
    let addr = server.addr();
    let mut config = tokio_postgres::Config::new();
    config
        .host("127.0.0.1")
        .port(addr.port())
        .user("postgres")
        .password(PG_PASSWORD)
        .dbname("postgres");
    let connect =
        Health::builder()
            .without_registered()
            .check(checks::tokio_postgres::check_connect(
                "pg",
                config,
                tokio_postgres::NoTls,
            ));
    let connect = echo_checks(connect, "connect", PG_PASSWORD)
        .build()
        .unwrap();
    assert_scrubbed(&connect, "connect", &[PG_PASSWORD]).await;

    let options = sqlx::postgres::PgConnectOptions::new()
        .host("127.0.0.1")
        .port(addr.port())
        .username("postgres")
        .password(PG_PASSWORD)
        .database("postgres");
    let pool = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(options);
    let sqlx = Health::builder()
        .without_registered()
        .check(checks::sqlx::check("pg"));
    let sqlx = echo_checks(sqlx, "sqlx", PG_PASSWORD).build().unwrap();
    sqlx.provide(pool);
    assert_scrubbed(&sqlx, "sqlx", &[PG_PASSWORD]).await;
    let report = TestServer::start(sqlx.router())
        .await
        .get("/health/ready/pg")
        .await;
    assert!(report.status.is_success(), "{:?}", report.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_client_password_registered_by_the_built_in() {
    let server = RedisServer::start_with_password(REDIS_PASSWORD);
    let url = format!(
        "redis://:{}@{}/0",
        percent_encoded(REDIS_PASSWORD),
        server.addr()
    );
    let client = redis::Client::open(url).unwrap();
    let builder = Health::builder()
        .without_registered()
        .check(checks::redis::check_client("cache"));
    let health = echo_checks(builder, "redis", REDIS_PASSWORD)
        .build()
        .unwrap();
    health.provide(client);
    assert_scrubbed(&health, "redis", &[REDIS_PASSWORD]).await;
    let report = TestServer::start(health.router())
        .await
        .get("/health/ready/cache")
        .await;
    assert!(report.status.is_success(), "{:?}", report.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_credentials_registered_by_the_built_ins() {
    let upstream = TestServer::start(
        axum::Router::new().route("/{*path}", axum::routing::get(|| async { "ok" })),
    )
    .await;
    let base = format!("http://{}", upstream.addr);
    let url = format!(
        "http://probe:{}@{}/v1/x?sig={}",
        percent_encoded(URL_PASSWORD),
        upstream.addr,
        percent_encoded(HTTP_KEY)
    );
    let builder = Health::builder()
        .without_registered()
        .check(checks::reqwest::check_with(
            "openai",
            reqwest::Client::new(),
            checks::openai::models(&base, HTTP_KEY),
        ))
        .check(checks::hyper::check(
            "azure",
            checks::openai::azure_models(&base, HTTP_KEY),
        ))
        .check(checks::hyper::check("url", HttpTarget::get(url)));
    let builder = echo_checks(builder, "key", HTTP_KEY);
    let health = echo_checks(builder, "userinfo", URL_PASSWORD)
        .build()
        .unwrap();
    assert_scrubbed(&health, "key", &[HTTP_KEY, URL_PASSWORD]).await;
    assert_scrubbed(&health, "userinfo", &[HTTP_KEY, URL_PASSWORD]).await;
}

/// Checks given their credentials at build time register them whether or not their
/// server answers (here nothing listens on the port).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_credentials_registered_by_the_built_ins() {
    let refused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = refused.local_addr().unwrap().port();
    drop(refused);
    let amqp = format!(
        "amqp://app:{}@127.0.0.1:{port}/%2f",
        percent_encoded(AMQP_PASSWORD)
    );
    let mut mqtt = rumqttc::MqttOptions::new("probe", "127.0.0.1", port);
    mqtt.set_credentials("app", MQTT_PASSWORD);
    let bus = checks::fe2o3_amqp::ServiceBus::new("127.0.0.1", "orders", "probe", BUS_KEY);
    let builder = Health::builder()
        .without_registered()
        .check(checks::lapin::check_connect("rabbit", amqp, None))
        .check(checks::rumqttc::check_with("mqtt", mqtt))
        .check(checks::fe2o3_amqp::check_with("bus", bus));
    let mut builder = builder;
    for (label, secret) in [
        ("amqp", AMQP_PASSWORD),
        ("mqtt", MQTT_PASSWORD),
        ("bus", BUS_KEY),
    ] {
        builder = echo_checks(builder, label, secret);
    }
    let health = builder.build().unwrap();
    for label in ["amqp", "mqtt", "bus"] {
        assert_scrubbed(&health, label, &[AMQP_PASSWORD, MQTT_PASSWORD, BUS_KEY]).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mysql_pool_password_registered_by_the_built_ins() {
    let server = tests::mariadb_server::MariaDbServer::start(MYSQL_PASSWORD);
    let options = sqlx::mysql::MySqlConnectOptions::new()
        .host("127.0.0.1")
        .port(server.addr().port())
        .username(tests::mariadb_server::USER)
        .password(MYSQL_PASSWORD)
        .database(tests::mariadb_server::DATABASE);
    let pool = sqlx::mysql::MySqlPoolOptions::new()
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(options);
    let resource = Health::builder()
        .without_registered()
        .check(checks::sqlx_mysql::check("mysql"));
    let resource = echo_checks(resource, "mysql", MYSQL_PASSWORD)
        .build()
        .unwrap();
    resource.provide(pool.clone());
    assert_scrubbed(&resource, "mysql", &[MYSQL_PASSWORD]).await;
    let report = TestServer::start(resource.router())
        .await
        .get("/health/ready/mysql")
        .await;
    assert!(report.status.is_success(), "{:?}", report.body);

    let with = Health::builder()
        .without_registered()
        .check(checks::sqlx_mysql::check_with("mysql", pool));
    let with = echo_checks(with, "with", MYSQL_PASSWORD).build().unwrap();
    assert_scrubbed(&with, "with", &[MYSQL_PASSWORD]).await;
}
