//! Every secret the test suite injects — into the private servers, the checks, the probe
//! routers and the example processes — in one list, so that a scan of everything the suite
//! produced (`scan_capture`, see [`crate::capture`]) can look for all of them.
//!
//! Each is a distinctive string, so that a hit is never a coincidence. A test that needs a
//! new secret adds it here.

macro_rules! secrets {
    ($($(#[$doc:meta])* $name:ident = $value:expr;)*) => {
        $($(#[$doc])* pub const $name: &str = $value;)*

        /// Every secret with its constant's name, in declaration order.
        pub const NAMED: &[(&str, &str)] = &[$((stringify!($name), $name)),*];

        /// Every secret the suite injects: no body, log line or child output may hold one,
        /// as written or percent-encoded.
        pub const INJECTED: &[&str] = &[$($name),*];
    };
}

secrets! {
    /// The password given to the private PostgreSQL, Redis, MariaDB, RabbitMQ, NATS and
    /// Mosquitto servers of the fault-matrix tests, and to the examples' `DATABASE_URL`.
    SECRET_PASSWORD = "pw-Sup3rSecret-7f3a";
    /// The API key sent to the HTTP dependencies of the tests (and the Service Bus peer's
    /// shared access key, and the ai_service example's OpenAI key).
    SECRET_API_KEY = "sk-live-4c1dbe9e0a2f";
    /// A second server's password where a check must be refused (`builtin_postgres`,
    /// `builtin_mysql`).
    OTHER_SERVER_PASSWORD = "the-real-password-1";
    /// The wrong password of the AMQP stand-in of `builtin_servicebus`.
    WRONG_AMQP_PASSWORD = "not-the-password-7";
    /// The wrong password of `builtin_rabbitmq`.
    WRONG_RABBITMQ_PASSWORD = "not-the-password-9";
    /// The Service Bus key after a rotation the check does not know about.
    ROTATED_BUS_KEY = "the-key-after-rotation";
    /// The PostgreSQL password of the gRPC example under Python's client.
    GRPC_PG_PASSWORD = "grpc-test-password";
    /// The PostgreSQL password of the quickstart example's tests.
    QUICKSTART_PG_PASSWORD = "quickstart-pg-pw";
    /// The Redis password of the quickstart example's tests.
    QUICKSTART_REDIS_PASSWORD = "quickstart-redis-pw";
    /// The password of the unreachable servers of the quickstart example's tests.
    QUICKSTART_URL_PASSWORD = "quickstart-pw-91c2";
    /// The status page's token in the quickstart's browser test (`HEALTH_TOKEN`).
    QUICKSTART_UI_TOKEN = "ui-T0ken-5e7d19aa";
    /// The status page's token of `tests/tests/status_page.rs`.
    PAGE_TOKEN = "page-T0ken-c41b";
    /// The credential part of the webhook URLs of `tests/tests/publishers.rs`, as in a
    /// Slack incoming webhook's path.
    WEBHOOK_SECRET = "wh-Secr3t-8d21e0";
    /// The Service Bus key of the ai_service example under the kubelet simulator.
    AI_SERVICEBUS_KEY = "c2VydmljZWJ1cy10ZXN0LWtleQ==";
    /// Secrets an application registers at build time, from the environment and at run
    /// time (`tests/tests/secrets.rs`).
    APP_BUILT_SECRET = "app-Bu1lt/s3cr3t@x";
    /// See [`APP_BUILT_SECRET`].
    APP_ENV_SECRET = "app-Env#v4lue?y";
    /// See [`APP_BUILT_SECRET`].
    APP_LATER_SECRET = "app-L8r w1th space";
    /// Credentials the built-in checks register (`tests/tests/secrets.rs`).
    PG_PASSWORD = "pg-Kn0wn/p@ss#w0rd";
    /// See [`PG_PASSWORD`].
    REDIS_PASSWORD = "rd-Kn0wn/p@ss#w0rd";
    /// See [`PG_PASSWORD`].
    HTTP_KEY = "ht-Kn0wn+k3y/for=api";
    /// See [`PG_PASSWORD`].
    URL_PASSWORD = "ur-Kn0wn:p@ss";
    /// See [`PG_PASSWORD`].
    AMQP_PASSWORD = "mq-Kn0wn/p@ss#w0rd";
    /// See [`PG_PASSWORD`].
    MQTT_PASSWORD = "mt-Kn0wn/p@ss#w0rd";
    /// See [`PG_PASSWORD`].
    BUS_KEY = "c2VjcmV0LWtleS1mb3ItdGVzdHM=";
    /// See [`PG_PASSWORD`].
    MYSQL_PASSWORD = "my-Kn0wn/p@ss#w0rd";
    /// A password in a maintenance reason (`http_availability`).
    MAINTENANCE_PASSWORD = "hunter2-mt-5e0c";
    /// A key the application registers before it shows up in a maintenance reason.
    MAINTENANCE_KEY = "k3y-held-by-the-app";
    /// The bearer token of `DetailsPolicy::full_with_token` (`http_production`).
    PROBE_TOKEN = "probe-token-7f3a";
    /// A bearer token the details policy must refuse (`http_production`).
    WRONG_PROBE_TOKEN = "probe-token-7f3b";
    /// The bearer token of the public-endpoint tests (`http_public`).
    PUBLIC_PROBE_TOKEN = "probe-t0ken-1234";
    /// A NATS token in the user info of a URL, redacted by its shape (`builtin_redaction`).
    NATS_URL_TOKEN = "n4tsT0kenAsUser";
    /// The secret path segment of a Slack incoming-webhook URL (`builtin_redaction`).
    SLACK_WEBHOOK_SECRET = "s1ackWebh00kSecretPart";
    /// A GitLab personal access token whose random part has no digit (`builtin_redaction`).
    GITLAB_TOKEN = "glpat-AbCdEfGhIjKlMnOpQrSt";
    /// A password holding `&` in a space-separated `key=value` string (`builtin_redaction`).
    AMPERSAND_PASSWORD = "pw&rest-of-it";
    /// The secret header of the Container Apps identity endpoint stand-in (`azure_identity`).
    IDENTITY_HEADER = "identity-header-3e8b1c";
    /// The Kubernetes service-account token of workload identity (`azure_identity`).
    FEDERATED_TOKEN = "k8s-service-account-token-9d2f";
    /// A JSON web token redacted by its shape (`builtin_redaction`).
    REDACTION_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwcm9iZSJ9.c2lnbmF0dXJlLXNlY3JldA";
}

/// Every byte but RFC 3986's unreserved characters as `%XX`.
///
/// ```
/// assert_eq!(tests::secrets::percent_encoded("a b/c"), "a%20b%2Fc");
/// ```
pub fn percent_encoded(secret: &str) -> String {
    secret
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The injected secrets `text` holds, as written or percent-encoded, in [`INJECTED`]'s
/// order.
pub fn leaked_in(text: &str) -> Vec<&'static str> {
    INJECTED
        .iter()
        .copied()
        .filter(|secret| text.contains(secret) || text.contains(&percent_encoded(secret)))
        .collect()
}

/// The name of the constant holding `secret`, if it is one of [`INJECTED`].
pub fn name_of(secret: &str) -> Option<&'static str> {
    NAMED
        .iter()
        .find(|(_, value)| *value == secret)
        .map(|(name, _)| *name)
}

/// `text` with every injected secret (as written or percent-encoded) replaced by
/// `<NAME>`, so that a report of a leak never shows the secret itself.
pub fn redacted(text: &str) -> String {
    let mut text = text.to_owned();
    for (name, secret) in NAMED {
        let placeholder = format!("<{name}>");
        text = text
            .replace(secret, &placeholder)
            .replace(&percent_encoded(secret), &placeholder);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_is_distinct_and_distinctive() {
        for (i, (name, secret)) in NAMED.iter().enumerate() {
            assert!(secret.len() >= 12, "{name} is too short to be distinctive");
            for (other, value) in &NAMED[i + 1..] {
                assert!(
                    !secret.contains(value) && !value.contains(secret),
                    "{name} and {other} overlap"
                );
            }
        }
        assert_eq!(INJECTED.len(), NAMED.len());
    }

    #[test]
    fn leaked_in_finds_secrets_as_written_and_percent_encoded() {
        assert!(leaked_in("").is_empty());
        assert!(leaked_in("password=*** api-key: ***").is_empty());
        assert_eq!(
            leaked_in(&format!("postgres://app:{SECRET_PASSWORD}@db")),
            [SECRET_PASSWORD]
        );
        let encoded = format!("redis://:{}@cache", percent_encoded(REDIS_PASSWORD));
        assert_ne!(encoded, format!("redis://:{REDIS_PASSWORD}@cache"));
        assert_eq!(leaked_in(&encoded), [REDIS_PASSWORD]);
        assert_eq!(
            leaked_in(&format!("{HTTP_KEY} and Bearer {SECRET_API_KEY}")),
            [SECRET_API_KEY, HTTP_KEY]
        );
        // A prefix of a secret is no leak.
        assert!(leaked_in(&SECRET_PASSWORD[..SECRET_PASSWORD.len() - 1]).is_empty());
    }

    #[test]
    fn redacted_names_the_secret_instead_of_showing_it() {
        let line = format!(
            "sent {APP_LATER_SECRET} then {}",
            percent_encoded(APP_LATER_SECRET)
        );
        let shown = redacted(&line);
        assert_eq!(shown, "sent <APP_LATER_SECRET> then <APP_LATER_SECRET>");
        assert!(leaked_in(&shown).is_empty());
        assert_eq!(name_of(BUS_KEY), Some("BUS_KEY"));
        assert_eq!(name_of("not a secret"), None);
    }
}
