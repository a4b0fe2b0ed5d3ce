//! The fleet view: the other instances of the service, asked for their readiness from the
//! server (HealthChecks.UI's aggregation, without its storage), each within a timeout and
//! a few at a time, so that an unreachable instance is shown as such and never holds the
//! page.

use std::time::Duration;

use futures_util::StreamExt;
use hyper::Method;
use tokio::time::Instant;

use crate::error::ConfigError;
use crate::publish::client::Target;

/// At most this many instances are asked; more are listed as not asked.
const MAX_INSTANCES: usize = 64;
/// How much of an instance's answer is read.
const ANSWER_LIMIT: usize = 64 * 1024;

/// The other instances the status page shows: a fixed list of base URLs, or a DNS name
/// (a Kubernetes headless Service's, which resolves to the pods' IPs). Each is asked
/// `GET {base}{path}` (default `/health/ready`) over plain HTTP, with a timeout (default
/// 1 s) that covers the DNS lookup, the connection and the answer, at most
/// [`concurrency`](Fleet::concurrency) at a time (default 8); answers are shown again for
/// 5 s. At most 64 instances are asked.
///
/// ```
/// use std::time::Duration;
/// use health_runtime::Health;
/// use health_runtime::ui::Fleet;
///
/// // The pods behind a headless Service, on their port 8000.
/// let pods = Fleet::dns("my-service-headless.default.svc.cluster.local", 8000)
///     .timeout(Duration::from_millis(500));
/// // Or a fixed list.
/// let listed = Fleet::instances(["http://10.0.0.5:8000", "http://10.0.0.6:8000"])?;
/// let health = Health::builder().fleet(pods).build()?;
/// # let _ = (health, listed);
/// # Ok::<(), health_runtime::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Fleet {
    source: Source,
    path: String,
    timeout: Duration,
    concurrency: usize,
}

#[derive(Clone)]
enum Source {
    Listed(Vec<Target>),
    Dns { name: String, port: u16 },
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Listed(targets) => write!(f, "Listed({} instances)", targets.len()),
            Source::Dns { name, port } => write!(f, "Dns({name}:{port})"),
        }
    }
}

/// One instance as the page shows it.
pub(super) struct Instance {
    pub(super) address: String,
    pub(super) answer: Answer,
}

/// What an instance answered.
pub(super) enum Answer {
    /// An HTTP answer: its code, its `status`, and the checks it reported failing.
    Answered {
        code: u16,
        status: Option<String>,
        failing: Vec<String>,
        latency: Duration,
    },
    /// No answer: why (a refused connection, a failed lookup).
    Unreachable(String),
    /// No answer within the timeout.
    TimedOut,
    /// Not asked: past the first 64.
    NotAsked,
}

impl Fleet {
    /// The instances at these base URLs (`http://host:port`, a path prefix allowed).
    ///
    /// ```
    /// use health_runtime::ui::Fleet;
    ///
    /// assert!(Fleet::instances(["http://10.0.0.5:8000"]).is_ok());
    /// assert!(Fleet::instances(["10.0.0.5:8000"]).is_err());
    /// ```
    pub fn instances<I, T>(urls: I) -> Result<Fleet, ConfigError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let targets = urls
            .into_iter()
            .map(|url| {
                let url = url.as_ref().trim_end_matches('/');
                Target::parse(url).map_err(|reason| ConfigError::InvalidUrl {
                    setting: "Fleet::instances",
                    reason,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Fleet::of(Source::Listed(targets)))
    }

    /// The instances `name` resolves to, each on `port`: for a Kubernetes headless
    /// Service (`clusterIP: None`), one address per ready pod.
    pub fn dns(name: impl Into<String>, port: u16) -> Fleet {
        Fleet::of(Source::Dns {
            name: name.into(),
            port,
        })
    }

    fn of(source: Source) -> Fleet {
        Fleet {
            source,
            path: "/health/ready".to_owned(),
            timeout: Duration::from_secs(1),
            concurrency: 8,
        }
    }

    /// The path asked on each instance (default `/health/ready`).
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// How long an instance has to answer, lookup and connection included (default 1 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many instances are asked at once (default 8).
    #[must_use]
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Every instance's answer, in the order listed (or of the addresses resolved).
    pub(super) async fn fetch(&self) -> Vec<Instance> {
        let targets = match &self.source {
            Source::Listed(targets) => targets
                .iter()
                .map(|target| {
                    let path = format!("{}{}", target.path().trim_end_matches('/'), self.path);
                    target.with_path(&path)
                })
                .collect(),
            Source::Dns { name, port } => match self.resolve(name, *port).await {
                Ok(targets) => targets,
                Err(answer) => {
                    return vec![Instance {
                        address: format!("{name}:{port}"),
                        answer,
                    }];
                }
            },
        };
        let mut targets: Vec<Target> = targets;
        let not_asked = targets.split_off(targets.len().min(MAX_INSTANCES));
        let mut instances: Vec<Instance> = futures_util::stream::iter(targets)
            .map(|target| self.ask(target))
            .buffered(self.concurrency)
            .collect()
            .await;
        instances.extend(not_asked.iter().map(|target| Instance {
            address: target.authority().to_owned(),
            answer: Answer::NotAsked,
        }));
        instances
    }

    async fn resolve(&self, name: &str, port: u16) -> Result<Vec<Target>, Answer> {
        let lookup = tokio::net::lookup_host((name, port));
        let addresses = match tokio::time::timeout(self.timeout, lookup).await {
            Err(_) => return Err(Answer::TimedOut),
            Ok(Err(error)) => return Err(Answer::Unreachable(format!("DNS: {error}"))),
            Ok(Ok(addresses)) => addresses,
        };
        let mut targets: Vec<Target> = addresses
            .filter_map(|address| Target::parse(&format!("http://{address}{}", self.path)).ok())
            .collect();
        targets.sort_by(|a, b| a.authority().cmp(b.authority()));
        targets.dedup_by(|a, b| a.authority() == b.authority());
        Ok(targets)
    }

    async fn ask(&self, target: Target) -> Instance {
        let started = Instant::now();
        let asked = target.send(Method::GET, None, ANSWER_LIMIT);
        let answer = match tokio::time::timeout(self.timeout, asked).await {
            Err(_) => Answer::TimedOut,
            Ok(Err(error)) => Answer::Unreachable(error),
            Ok(Ok(answer)) => {
                let body: serde_json::Value =
                    serde_json::from_slice(&answer.body).unwrap_or_default();
                let status = body["status"].as_str().map(str::to_owned);
                let failing = body["checks"]
                    .as_object()
                    .map(|checks| {
                        checks
                            .iter()
                            .filter(|(_, check)| check["healthy"] == false)
                            .map(|(name, _)| name.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                Answer::Answered {
                    code: answer.status,
                    status,
                    failing,
                    latency: started.elapsed(),
                }
            }
        };
        Instance {
            address: target.authority().to_owned(),
            answer,
        }
    }
}
