//! The reference article's service as its users run it: the `ai_service` binary starts
//! without any configuration, latches startup once its model is loaded, and reports each
//! unconfigured dependency as such; it prints its own manifests, which must match the
//! committed `examples/deploy/ai_service.*` files and lint clean; and its lint finds the
//! article's own manifest too short for its checks.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use tests::example::{self, Service};

/// The configuration variables of the service, unset so that nothing of the machine's
/// environment leaks into a test.
const VARIABLES: [&str; 8] = [
    "DATABASE_URL",
    "REDIS_URL",
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_API_VERSION",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "SERVICEBUS_CONNECTION_STRING",
];

fn ai_service() -> PathBuf {
    example::binary("ai_service")
}

fn command(args: &[&str]) -> std::process::Output {
    let mut command = Command::new(ai_service());
    for name in VARIABLES {
        command.env_remove(name);
    }
    let output = command.args(args).output().expect("run ai_service");
    tests::capture::output("ai_service", &output);
    output
}

#[tokio::test]
async fn starts_without_configuration() {
    let service = Service::start(&ai_service(), &VARIABLES, &[]);
    let starting = service
        .until("/health/started", Duration::from_secs(30), |status, _| {
            status != 0
        })
        .await;
    assert_eq!(starting["status"], "starting", "{starting}");
    assert_eq!(
        starting["checks"]["embedding_model"]["error"],
        "EmbeddingModel not initialised"
    );

    service
        .until("/health/started", Duration::from_secs(30), |status, _| {
            status == 200
        })
        .await;
    let ready = service
        .until("/health/ready", Duration::from_secs(10), |status, _| {
            status == 503
        })
        .await;
    assert_eq!(ready["status"], "not_ready", "{ready}");
    assert_eq!(
        ready["checks"]["embedding_model"]["healthy"], true,
        "{ready}"
    );
    let errors: Vec<&str> = ready["checks"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|entry| entry["error"].as_str())
        .collect();
    for message in [
        "DATABASE_URL not configured",
        "REDIS_URL not configured",
        "AZURE_OPENAI_ENDPOINT / AZURE_OPENAI_API_KEY (or OPENAI_API_KEY) not configured",
        "SERVICEBUS_CONNECTION_STRING not configured",
    ] {
        assert!(errors.contains(&message), "{message}: {ready}");
    }
    // The reference article's whole table, row for row.
    let mut rows: Vec<&String> = ready["checks"].as_object().unwrap().keys().collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            "database",
            "embedding_model",
            "openai",
            "redis",
            "servicebus"
        ],
        "{ready}"
    );
}

#[test]
fn prints_the_committed_manifests_and_they_lint_clean() {
    let deploy = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("deploy");
    for (args, file) in [
        (&["probes", "kubernetes"][..], "ai_service.kubernetes.yaml"),
        (
            &["probes", "kubernetes", "--deployment"],
            "ai_service.deployment.yaml",
        ),
        (
            &["probes", "container-apps"],
            "ai_service.container-apps.yaml",
        ),
        (
            &["probes", "container-apps", "--app"],
            "ai_service.container-app.yaml",
        ),
    ] {
        let printed = command(args);
        assert!(printed.status.success(), "{printed:?}");
        let committed = std::fs::read_to_string(deploy.join(file)).unwrap();
        assert_eq!(
            String::from_utf8(printed.stdout).unwrap(),
            committed,
            "the checks changed: regenerate examples/deploy/{file} with `cargo run -p examples \
             --example ai_service --features ai-service -- {} > examples/deploy/{file}`",
            args.join(" ")
        );
        let linted = command(&["lint", deploy.join(file).to_str().unwrap()]);
        assert!(linted.status.success(), "{linted:?}");
    }
}

#[test]
fn the_article_probes_time_out_before_its_checks() {
    let article =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/article-kubernetes.yaml");
    let linted = command(&["lint", article.to_str().unwrap()]);
    assert_eq!(linted.status.code(), Some(1), "{linted:?}");
    let findings = String::from_utf8(linted.stdout).unwrap();
    // OpenAI's 3 s check behind the kubelet's default 1 s readiness timeout: it needs 4 s.
    let openai = findings
        .lines()
        .find(|line| line.contains("readiness probe") && line.contains("check `openai`"))
        .unwrap_or_else(|| panic!("no readiness finding about openai: {findings}"));
    assert!(
        openai.contains("timeoutSeconds is 1") && openai.contains("at least 4"),
        "{openai}"
    );
}
