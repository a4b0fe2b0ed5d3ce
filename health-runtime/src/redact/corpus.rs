//! Real-world forms of leaked credentials, as drivers, SDKs, HTTP clients, command lines and
//! log lines print them: each case names the secrets that must be gone and the words that
//! must stay, so the message still says what failed.

use super::redact;

/// `(message, secrets that must be gone, words that must stay)`.
type Case = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

const URLS: &[Case] = &[
    (
        "error connecting to server: postgres://app:s3cr3t-pw@db.internal:5432/app: Connection refused (os error 111)",
        &["s3cr3t-pw"],
        &["db.internal:5432", "Connection refused", "postgres://app:"],
    ),
    (
        "pool timed out while waiting for an open connection to postgresql://svc:pa/ss#w?rd@10.0.0.7:5432/orders",
        &["pa/ss#w?rd", "ss#w?rd", "w?rd"],
        &["10.0.0.7:5432/orders", "pool timed out"],
    ),
    (
        "redis: Connection refused (os error 111) - redis://default:p@ss@word@cache-1:6379/0",
        &["p@ss@word", "ss@word", "word@"],
        &["cache-1:6379/0", "Connection refused"],
    ),
    (
        "amqp connect to amqps://broker-user:Zx9%2F%40q@rabbit.prod:5671/%2f failed: IO error: timed out",
        &["Zx9%2F%40q"],
        &["rabbit.prod:5671", "timed out", "broker-user"],
    ),
    (
        "error sending request for url (https://deploy:gh0st/pass@registry.example.com/v2/): connection closed before message completed",
        &["gh0st/pass", "pass@"],
        &["registry.example.com/v2/", "connection closed"],
    ),
    (
        "mongodb://admin:Mng0!Pw@mongo-0.mongo,mongo-1.mongo:27017/?replicaSet=rs0 unreachable",
        &["Mng0!Pw"],
        &["mongo-1.mongo:27017", "unreachable"],
    ),
    (
        "nats: failed to connect to nats://app:n4ts-pw@nats.svc:4222: timed out",
        &["n4ts-pw"],
        &["nats.svc:4222", "timed out"],
    ),
    (
        "mqtt: Network timeout connecting to mqtt://sensor:mqtt?pw#1@broker:1883",
        &["mqtt?pw#1", "pw#1"],
        &["broker:1883", "Network timeout"],
    ),
    (
        r#"{"level":"error","msg":"dial failed","dsn":"mysql://root:My$ql-Pw@tcp(db:3306)/app"}"#,
        &["My$ql-Pw"],
        &["dial failed", "db:3306"],
    ),
    (
        "Config { url: \"postgres://u:quoted-pw@pg:5432/db\", pool: 10 }",
        &["quoted-pw"],
        &["pg:5432/db", "pool: 10"],
    ),
];

const PAIRS: &[Case] = &[
    (
        "invalid connection string: host=db.internal port=5432 user=app password=hunter2,tail dbname=app",
        &["hunter2", "tail"],
        &["host=db.internal", "dbname=app"],
    ),
    (
        "error parsing config: host=db password='it''s a \\' quote' sslmode=require",
        &["quote'"],
        &["host=db", "sslmode=require"],
    ),
    (
        "connection string: Server=tcp:sql.database.windows.net,1433;User ID=sa;Password=Sq1,Pw;Encrypt=True",
        &["Sq1,Pw", ",Pw"],
        &["sql.database.windows.net", "Encrypt=True"],
    ),
    (
        "login failed: PWD=Odbc\u{a0}Pw;UID=sa;SERVER=db",
        &["Odbc\u{a0}Pw", "\u{a0}Pw"],
        &["UID=sa", "SERVER=db"],
    ),
    (
        "ssh: passphrase=correct horse battery: bad decrypt",
        &["correct"],
        &["bad decrypt"],
    ),
    (
        "GET https://api.example.com/v1/items?limit=10&api_key=AbC123xyz&page=2: 401 Unauthorized",
        &["AbC123xyz"],
        &["limit=10", "page=2", "401 Unauthorized"],
    ),
    (
        "oauth token request failed: client_id=svc&client_secret=cl13nt-s3cr3t&grant_type=client_credentials: 400",
        &["cl13nt-s3cr3t"],
        &["client_id=svc", "grant_type", "400"],
    ),
    (
        r#"response: {"error":"invalid_grant","refresh_token":"rt-9f8e7d","access_token": "at-1a2b3c"}"#,
        &["rt-9f8e7d", "at-1a2b3c"],
        &["invalid_grant"],
    ),
    (
        r#"body: "{\"username\":\"svc\",\"password\":\"esc-pw-42\"}" rejected"#,
        &["esc-pw-42"],
        &["svc", "rejected"],
    ),
    (
        "PGPASSWORD=pg-env-pw psql -h db -U app -c 'select 1' failed: exit status 2",
        &["pg-env-pw"],
        &["psql -h db", "exit status 2"],
    ),
    (
        "env: DB_PASSWD=envpw123 REDIS_PASS=rpass456 APP_ENV=prod",
        &["envpw123", "rpass456"],
        &["APP_ENV=prod"],
    ),
    (
        "settings: Settings { api_key: Some(\"dbg-key-77\"), region: \"westeurope\" }",
        &["dbg-key-77"],
        &["westeurope"],
    ),
    (
        "yaml: credentials:\n  private_key: pk-line-secret\n  project: demo",
        &["pk-line-secret"],
        &["project: demo"],
    ),
    (
        "X-Api-Key: xak-0099 rejected by gateway",
        &["xak-0099"],
        &["rejected by gateway"],
    ),
    (
        "Ocp-Apim-Subscription-Key: 0123abcd4567ef; upstream 401",
        &["0123abcd4567ef"],
        &["upstream 401"],
    ),
    (
        "request had accessKey=AK-inline-9 and secretAccessKey=SAK/inline+9= for bucket logs",
        &["AK-inline-9", "SAK/inline+9="],
        &["bucket logs"],
    ),
    (
        "Set-Cookie: session=sess-abc123; Path=/; HttpOnly",
        &["sess-abc123"],
        &["Path=/", "HttpOnly"],
    ),
    (
        "jdbc:postgresql://db:5432/app?user=app&password=jdbc-pw&ssl=true: FATAL: no pg_hba.conf entry",
        &["jdbc-pw"],
        &["ssl=true", "pg_hba.conf"],
    ),
    (
        "CREDENTIAL=cred-xyz-1 TOKEN:tok-xyz-2 sig=sig%2Fxyz",
        &["cred-xyz-1", "tok-xyz-2", "sig%2Fxyz"],
        &[],
    ),
];

const AZURE: &[Case] = &[
    (
        "servicebus: Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=kq3+Xj/9Az0=;EntityPath=orders: connection refused",
        &["kq3+Xj/9Az0="],
        &[
            "contoso.servicebus.windows.net",
            "EntityPath=orders",
            "connection refused",
        ],
    ),
    (
        "DefaultEndpointsProtocol=https;AccountName=contosostore;AccountKey=Zm9vYmFy+/Q==;EndpointSuffix=core.windows.net",
        &["Zm9vYmFy+/Q=="],
        &["AccountName=contosostore", "core.windows.net"],
    ),
    (
        "GET https://contoso.blob.core.windows.net/c/b.txt?sv=2022-11-02&ss=b&sp=r&se=2030-01-01&sig=Ab%2Bcd%3D 403 AuthenticationFailed",
        &["Ab%2Bcd%3D"],
        &["sv=2022-11-02", "AuthenticationFailed"],
    ),
    (
        "azure_core: HttpError { status: 401, headers: {\"authorization\": \"SharedAccessSignature sr=sb%3A%2F%2Fns&sig=abc%3D&se=1&skn=Root\"} }",
        &["abc%3D"],
        &["status: 401"],
    ),
    (
        "Azure OpenAI: 401 Access denied due to invalid subscription key; request headers: api-key: 9f86d081884c7d659a2feaa0c55ad015",
        &["9f86d081884c7d659a2feaa0c55ad015"],
        &["401 Access denied", "invalid subscription key"],
    ),
    (
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=no-semicolon-at-end",
        &["no-semicolon-at-end"],
        &["ns.servicebus.windows.net", "SharedAccessKeyName=send"],
    ),
];

const HEADERS: &[Case] = &[
    (
        "upstream answered 401: Authorization: Bearer opaque-token-123 rejected",
        &["opaque-token-123"],
        &["401", "Authorization: Bearer", "rejected"],
    ),
    (
        "Proxy-Authorization: Basic dXNlcjpwYXNzd29yZA== refused by squid",
        &["dXNlcjpwYXNzd29yZA=="],
        &["Proxy-Authorization: Basic", "refused by squid"],
    ),
    (
        "authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7\nnext line kept",
        &[
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
            "AKIDEXAMPLE",
        ],
        &["AWS4-HMAC-SHA256", "next line kept"],
    ),
    (
        "Authorization: Digest username=\"bob\", realm=\"api\", response=\"6629fae49393a05397450978507c4ef1\" for GET /x",
        &["6629fae49393a05397450978507c4ef1"],
        &["Digest", "for GET /x"],
    ),
    (
        "AUTHORIZATION=token ghtok-abc123 from env",
        &["ghtok-abc123"],
        &["from env"],
    ),
    (
        "sent BEARER MixedCaseTok9 to upstream",
        &["MixedCaseTok9"],
        &["to upstream"],
    ),
    (
        "headers: {\"authorization\": \"Bearer in-debug-map\", \"accept\": \"*/*\"}",
        &["in-debug-map"],
        &["accept"],
    ),
    (
        "Authorization: SharedKey contosostore:c2lnbmF0dXJl in request to blob",
        &["c2lnbmF0dXJl"],
        &["SharedKey", "in request to blob"],
    ),
    (
        "missing bearer token in request to /admin",
        &[],
        &["missing bearer token in request to /admin"],
    ),
];

const TOKENS: &[Case] = &[
    (
        "jwt verification failed for eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U: ExpiredSignature",
        &[
            "eyJzdWIiOiIxMjM0NTY3ODkwIn0",
            "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        ],
        &["jwt verification failed", "ExpiredSignature"],
    ),
    (
        "unsigned jwt eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9. accepted?",
        &["eyJzdWIiOiJhZG1pbiJ9"],
        &["unsigned jwt", "accepted?"],
    ),
    (
        "openai: 401 Incorrect API key provided: sk-proj-Ab12Cd34Ef56Gh78Ij90KlMnOpQr. You can find your API key at https://platform.openai.com",
        &["Ab12Cd34Ef56Gh78Ij90KlMnOpQr"],
        &["401 Incorrect API key provided", "platform.openai.com"],
    ),
    (
        "OPENAI key sk-abcdefghijklmnop1234567890ABCDEF was revoked",
        &["abcdefghijklmnop1234567890ABCDEF"],
        &["was revoked"],
    ),
    (
        "git clone https://ghp_16C7e42F292c6912E7710c838347Ae178B4a@github.com/org/repo.git: 403",
        &["16C7e42F292c6912E7710c838347Ae178B4a"],
        &["github.com/org/repo.git", "403"],
    ),
    (
        "GITHUB_TOKEN is github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz, ghs_0123456789abcdefghijABCDEFGHIJ and gho_0123456789abcdefghijABCDEFGHIJ",
        &[
            "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
            "0123456789abcdefghijABCDEFGHIJ",
        ],
        &["GITHUB_TOKEN is"],
    ),
    (
        "slack: invalid_auth for xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        &["123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"],
        &["slack: invalid_auth"],
    ),
    (
        "aws: InvalidClientTokenId with AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in us-east-1",
        &[
            "IOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ],
        &["InvalidClientTokenId", "us-east-1"],
    ),
    (
        "sts temporary credentials ASIAY34FZKBOKMUTVV7A / Je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY expired",
        &[
            "Y34FZKBOKMUTVV7A",
            "Je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        ],
        &["sts temporary credentials", "expired"],
    ),
    (
        "stripe: No such customer; key sk_live_4eC39HqLyjWDarjtT1zdp7dc and rk_live_51H8abcdEFGH1234",
        &["4eC39HqLyjWDarjtT1zdp7dc", "51H8abcdEFGH1234"],
        &["No such customer"],
    ),
    (
        "googleapis: API key not valid AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY (reason: API_KEY_INVALID)",
        &["SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"],
        &["API key not valid", "API_KEY_INVALID"],
    ),
    (
        "hf hub: 401 for hf_abcdefghijklmnopqrstuvwxyz0123456789 on model download",
        &["abcdefghijklmnopqrstuvwxyz0123456789"],
        &["on model download"],
    ),
];

const PEM_AND_COMMANDS: &[Case] = &[
    (
        "tls config: -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM\n-----END RSA PRIVATE KEY----- is encrypted",
        &["MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM"],
        &[
            "BEGIN RSA PRIVATE KEY",
            "END RSA PRIVATE KEY",
            "is encrypted",
        ],
    ),
    (
        r#"{"private_key_pem":"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\n-----END PRIVATE KEY-----\n","kid":"k1"}"#,
        &["MIIEvQIBADANBgkqhkiG9w0B"],
        &["kid"],
    ),
    (
        "ssh: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA truncated",
        &["b3BlbnNzaC1rZXktdjEAAAAA"],
        &["BEGIN OPENSSH PRIVATE KEY"],
    ),
    (
        "command failed: curl -sf -u admin:Curl-Pw1 https://es.internal:9200/_cluster/health (exit 22)",
        &["Curl-Pw1"],
        &["es.internal:9200", "exit 22", "admin"],
    ),
    (
        "exec: curl --user 'deploy:quoted pw' --fail https://nexus/repo",
        &["quoted pw"],
        &["https://nexus/repo", "deploy"],
    ),
    (
        "exec: curl --user=ci:eq-pw-7 -X POST https://jenkins/job/build",
        &["eq-pw-7"],
        &["jenkins/job/build"],
    ),
    (
        "wget --proxy-user alice --password wget-pw-3 http://mirror/file: 407",
        &["wget-pw-3"],
        &["mirror/file", "407"],
    ),
    (
        "exec: vault login --token hvs.CAESIJvault123 -address=https://vault:8200",
        &["hvs.CAESIJvault123"],
        &["vault:8200"],
    ),
    (
        "1700000000.123456 [0 10.0.0.5:51234] \"AUTH\" \"default\" \"redis-mon-pw\"",
        &["redis-mon-pw"],
        &["10.0.0.5:51234", "default"],
    ),
    (
        "redis-cli> AUTH default Rd1s-Pw\n(error) WRONGPASS invalid username-password pair or user is disabled.",
        &["Rd1s-Pw"],
        &["WRONGPASS invalid username-password pair", "default"],
    ),
    (
        "sent AUTH single-arg-pw to cache:6379",
        &["single-arg-pw"],
        &["cache:6379"],
    ),
    (
        "sent AUTH appuser acl-user-pw",
        &["acl-user-pw", "appuser"],
        &["sent AUTH"],
    ),
    (
        "ERR AUTH <password> called without any password configured for the default user",
        &[],
        &["called without any password configured"],
    ),
    (
        "HELLO 3 AUTH default hello-pw SETNAME app",
        &["hello-pw"],
        &["HELLO 3", "SETNAME app"],
    ),
];

/// Credentials that are a URL's lone user info, a webhook's path, a `&` inside a
/// space-separated value, or a token whose family publishes its prefix.
const SHAPES: &[Case] = &[
    (
        "nats: authorization violation: nats://s3cr3tT0kenValue@nats.svc:4222",
        &["s3cr3tT0kenValue"],
        &["authorization violation", "nats.svc:4222"],
    ),
    (
        "failed to connect to tls://Tok3nOverTls@nats-0.nats:4222: connection refused",
        &["Tok3nOverTls"],
        &["nats-0.nats:4222", "connection refused"],
    ),
    (
        "redis: NOAUTH Authentication required (redis://r3d1sPassw0rd@cache:6379/0)",
        &["r3d1sPassw0rd"],
        &["NOAUTH Authentication required", "cache:6379/0"],
    ),
    (
        "rediss://Only-Pw-9@my-cache.redis.cache.windows.net:6380: timed out",
        &["Only-Pw-9"],
        &["my-cache.redis.cache.windows.net:6380", "timed out"],
    ),
    (
        "fatal: unable to access 'https://x0pat12345abcdefgh@dev.azure.com/org/_git/repo/': 401",
        &["x0pat12345abcdefgh"],
        &["dev.azure.com/org/_git/repo/", "401"],
    ),
    (
        "slack webhook: POST https://hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/Xyz123SecretWebhookPart failed: 404 no_service",
        &["Xyz123SecretWebhookPart"],
        &[
            "hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/",
            "404 no_service",
        ],
    ),
    (
        "invalid webhook hooks.slack.com/services/T1AAAA/B2BBBB/abcDEFghiJKL (channel_not_found)",
        &["abcDEFghiJKL"],
        &[
            "hooks.slack.com/services/T1AAAA/B2BBBB/",
            "channel_not_found",
        ],
    ),
    (
        "error sending request for url (https://discord.com/api/webhooks/123456789012345678/AbCdEf-gh_IJklMNop): 401",
        &["AbCdEf-gh_IJklMNop"],
        &["discord.com/api/webhooks/123456789012345678/", "401"],
    ),
    (
        "teams: https://contoso.webhook.office.com/webhookb2/1111aaaa@2222bbbb/IncomingWebhook/0123abcd4567ef89/3333cccc returned 400",
        &["0123abcd4567ef89", "3333cccc"],
        &[
            "contoso.webhook.office.com/webhookb2/1111aaaa@2222bbbb/IncomingWebhook/",
            "returned 400",
        ],
    ),
    (
        "connection failed: host=db port=5432 password=pw&rest user=app",
        &["pw&rest", "&rest"],
        &["host=db", "user=app", "connection failed"],
    ),
    (
        "POST /token body: grant_type=client_credentials&client_secret=Cl13nt-S3cret&scope=api returned 401",
        &["Cl13nt-S3cret"],
        &["grant_type=client_credentials", "returned 401"],
    ),
    (
        "gitlab: 401 Unauthorized for glpat-AbCdEfGhIjKlMnOpQrSt",
        &["AbCdEfGhIjKlMnOpQrSt"],
        &["gitlab: 401 Unauthorized", "glpat-"],
    ),
    (
        "token glpat-xY7Zq3Wv9Tr2Ps5Ln8KmJh.01.1a2b3c4d5 has expired.",
        &["xY7Zq3Wv9Tr2Ps5Ln8KmJh", "1a2b3c4d5"],
        &["has expired."],
    ),
    (
        "runner registration with glrt-t1_AbCdEfGhIjKlMnOpQrSt rejected; deploy token gldt-ZyXwVuTsRqPoNmLkJiHg",
        &["t1_AbCdEfGhIjKlMnOpQrSt", "ZyXwVuTsRqPoNmLkJiHg"],
        &["runner registration with", "rejected"],
    ),
    (
        "vault: permission denied for hvs.CAESIJlU8aBcDeFgHiJkLmNoPqRsTuVwXyZ012345",
        &["CAESIJlU8aBcDeFgHiJkLmNoPqRsTuVwXyZ012345"],
        &["permission denied"],
    ),
    (
        "sendgrid: key 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 rejected",
        &[
            "ngeVfQFYQlKU0ufo8x5d1A",
            "TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr",
        ],
        &["sendgrid: key", "rejected"],
    ),
];

const DRIVERS: &[Case] = &[
    (
        "error returned from database: password authentication failed for user \"app\"",
        &[],
        &["password authentication failed for user \"app\""],
    ),
    (
        "db error: FATAL: password authentication failed for user \"svc\" (host=10.1.2.3 password=lib-pq-pw)",
        &["lib-pq-pw"],
        &["FATAL: password authentication failed", "10.1.2.3"],
    ),
    (
        "Redis: An error was signalled by the server - AuthenticationFailed: WRONGPASS invalid username-password pair or user is disabled.",
        &[],
        &["AuthenticationFailed", "WRONGPASS"],
    ),
    (
        "IO error: Connection refused (os error 111) while connecting to amqp://guest:lapin-pw@127.0.0.1:5672/%2f",
        &["lapin-pw"],
        &["Connection refused", "127.0.0.1:5672"],
    ),
    (
        "status: Unauthenticated, message: \"invalid token\", details: [], metadata: MetadataMap { headers: {\"authorization\": \"Bearer tonic-md-tok\"} }",
        &["tonic-md-tok"],
        &["Unauthenticated", "invalid token"],
    ),
    (
        "error sending request for url (https://api.example.com/v1/models?key=reqwest-key-5): operation timed out",
        &["reqwest-key-5"],
        &["api.example.com/v1/models", "operation timed out"],
    ),
    (
        "builder error: invalid header value for \"x-auth-token\": x-auth-token=hdr-tok-8",
        &["hdr-tok-8"],
        &["builder error", "invalid header value"],
    ),
    (
        "2024-05-01T10:00:00Z WARN app::db: retrying connect url=postgres://app:log-line-pw@db/app attempt=3",
        &["log-line-pw"],
        &["WARN app::db", "attempt=3"],
    ),
    (
        "Error: ParseError { kind: InvalidPassword, input: \"password=pa ss\" }",
        &["pa ss"],
        &["InvalidPassword"],
    ),
    (
        "kafka: SASL authentication error: sasl.password=kafka-pw-9 sasl.username=app",
        &["kafka-pw-9"],
        &["SASL authentication error", "sasl.username=app"],
    ),
    ("Timeout after 1000ms", &[], &["Timeout after 1000ms"]),
    (
        "see https://docs.rs/redis@1.0 and health_runtime::checks::redis, max_tokens: 4096",
        &[],
        &[
            "https://docs.rs/redis@1.0",
            "health_runtime::checks::redis",
            "max_tokens: 4096",
        ],
    ),
];

fn all_cases() -> impl Iterator<Item = &'static Case> {
    [
        URLS,
        PAIRS,
        AZURE,
        HEADERS,
        TOKENS,
        PEM_AND_COMMANDS,
        SHAPES,
        DRIVERS,
    ]
    .into_iter()
    .flatten()
}

#[test]
fn the_corpus_has_at_least_sixty_forms() {
    assert!(all_cases().count() >= 60, "{} cases", all_cases().count());
}

#[test]
fn every_secret_is_gone_and_the_failure_still_reads() {
    let mut failures = Vec::new();
    for (message, secrets, kept) in all_cases() {
        let redacted = redact(message);
        for secret in *secrets {
            if redacted.contains(secret) {
                failures.push(format!(
                    "LEAK {secret:?}\n  in:  {message}\n  out: {redacted}"
                ));
            }
        }
        for word in *kept {
            if !redacted.contains(word) {
                failures.push(format!(
                    "LOST {word:?}\n  in:  {message}\n  out: {redacted}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Failures that hold no credential come out exactly as they went in.
const BENIGN: &[&str] = &[
    "error connecting to server at \"127.0.0.1\", port 5432 failed: Connection refused",
    "error returned from database: relation \"users\" does not exist",
    "HTTP status server error (503 Service Unavailable) for url (http://127.0.0.1:8080/health)",
    "pool timed out while waiting for an open connection",
    "Redis: Connection refused (os error 111)",
    "dns error: failed to lookup address information: Name or service not known",
    "GET http://h/x answered HTTP 401 Unauthorized; accepted: 200-299",
    "deadline has elapsed",
    "nats: disconnected",
    "certificate for api.example.com expires in 3 days (not after 2026-12-05T00:00:00Z)",
    "invalid connection string: unknown key `Colour`",
    "WWW-Authenticate: Bearer realm=\"api\", error=\"invalid_token\"",
    "the bearer token has expired",
    "AUTH failed: WRONGPASS invalid username-password pair",
    "disk /var/lib/data: 1.2 GiB free of 20 GiB (below 2 GiB)",
    "memory: 91% of 512 MiB used",
    "max_tokens: 4096, prompt tokens: 12",
    "duplicate key value violates unique constraint \"users_pkey\"",
    "amqp: channel closed by the server: NOT_FOUND - no queue 'jobs' in vhost '/'",
    "Timeout after 1000ms",
    "connection to postgres://app@db.internal:5432/app refused",
    "see https://docs.rs/redis@1.0 and sk-learn, glpat-style tokens",
    "POST https://hooks.slack.com/services answered 404",
    "servicebus: put-token refused: ExpiredToken: The token is expired",
    "amqp:unauthorized-access: InvalidSignature: The token has an invalid signature",
    "sts: InvalidClientTokenId: The security token included in the request is invalid",
];

#[test]
fn failures_without_credentials_are_kept_whole() {
    let changed: Vec<String> = BENIGN
        .iter()
        .filter_map(|message| {
            let redacted = redact(message);
            (redacted != *message).then(|| format!("in:  {message}\nout: {redacted}"))
        })
        .collect();
    assert!(changed.is_empty(), "{}", changed.join("\n"));
}
