//! The README's claims about what the published crates pull in, checked on the dependency
//! graph cargo resolves for each of them (`cargo tree`, offline, this workspace's lockfile):
//!
//! - "With default features it pulls no database, HTTP or TLS client" (`health-runtime`);
//! - "no feature pulls OpenSSL" (every published crate, all features on).
//!
//! `cargo tree -p` resolves a package's features as `cargo build -p` does, alone, not
//! unified with the rest of the workspace (resolver 3).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Every package of the graph, with the features cargo enabled on it.
fn graph(package: &str, all_features: bool) -> BTreeMap<String, Vec<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut command = Command::new(env!("CARGO"));
    command.current_dir(root).args([
        "tree",
        "--offline",
        "--locked",
        "-p",
        package,
        "-e",
        "normal,build",
        "--prefix",
        "none",
        "--format",
        "{p}|{f}",
    ]);
    if all_features {
        command.arg("--all-features");
    }
    let output = command.output().expect("run cargo tree");
    assert!(
        output.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut packages = BTreeMap::new();
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let Some((package, features)) = line.split_once('|') else {
            continue;
        };
        let name = package.split(' ').next().unwrap_or_default().to_owned();
        let features = features
            .trim_end_matches(" (*)")
            .split(',')
            .filter(|f| !f.is_empty())
            .map(|f| f.trim().to_owned());
        packages
            .entry(name)
            .or_insert_with(Vec::new)
            .extend(features);
    }
    assert!(packages.contains_key(package), "{packages:#?}");
    packages
}

/// Client crates of the databases, brokers and HTTP/gRPC services the built-ins talk to,
/// and TLS stacks.
const CLIENTS: &[&str] = &[
    // databases and brokers
    "tokio-postgres",
    "postgres",
    "deadpool-postgres",
    "sqlx",
    "sqlx-core",
    "sqlx-postgres",
    "sqlx-mysql",
    "mysql_async",
    "redis",
    "lapin",
    "async-nats",
    "rumqttc",
    "fe2o3-amqp",
    "mongodb",
    // HTTP and gRPC clients
    "reqwest",
    "ureq",
    "isahc",
    "surf",
    "tonic",
    "tonic-health",
    // TLS
    "rustls",
    "tokio-rustls",
    "hyper-rustls",
    "native-tls",
    "tokio-native-tls",
    "hyper-tls",
    "openssl",
    "openssl-sys",
];

const OPENSSL: &[&str] = &[
    "openssl",
    "openssl-sys",
    "openssl-src",
    "native-tls",
    "tokio-native-tls",
    "hyper-tls",
];

#[test]
fn default_features_pull_no_database_http_or_tls_client() {
    let packages = graph("health-runtime", false);
    let clients: Vec<&&str> = CLIENTS
        .iter()
        .filter(|name| packages.contains_key(**name))
        .collect();
    assert!(clients.is_empty(), "default features pull {clients:?}");
    // axum's hyper serves; neither it nor hyper-util may carry a client.
    for crate_name in ["hyper", "hyper-util"] {
        let features = packages.get(crate_name).cloned().unwrap_or_default();
        let client: Vec<&String> = features
            .iter()
            .filter(|f| f.starts_with("client"))
            .collect();
        assert!(client.is_empty(), "{crate_name} with {client:?}");
    }
    // The graph is the real one: the server stack is there.
    assert!(packages.contains_key("axum") && packages.contains_key("hyper"));

    // The check can tell: with every feature, the clients are there.
    let all = graph("health-runtime", true);
    for client in ["tokio-postgres", "redis", "reqwest", "rustls", "tonic"] {
        assert!(
            all.contains_key(client),
            "{client} missing with --all-features"
        );
    }
}

#[test]
fn no_feature_of_a_published_crate_pulls_openssl() {
    for package in [
        "health-runtime",
        "health-macros",
        "health-rules",
        "health-probe",
        "health-runtime-testing",
    ] {
        let packages = graph(package, true);
        let openssl: Vec<&&str> = OPENSSL
            .iter()
            .filter(|name| packages.contains_key(**name))
            .collect();
        assert!(
            openssl.is_empty(),
            "{package} --all-features pulls {openssl:?}"
        );
    }
    // health-probe pulls nothing at all.
    assert_eq!(graph("health-probe", true).len(), 1);
}
