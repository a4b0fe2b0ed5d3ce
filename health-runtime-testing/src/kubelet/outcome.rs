//! The result of one probe, as the prober worker sees it.

/// The result of one probe, as the prober worker sees it.
///
/// ```
/// use health_runtime_testing::kubelet::Outcome;
///
/// assert!(Outcome::Status(204).is_success());
/// assert!(Outcome::Status(302).is_success() && Outcome::Status(302).is_warning());
/// assert!(!Outcome::TimedOut.is_success() && Outcome::TimedOut.counts());
/// assert!(!Outcome::Discarded("unexpected EOF".into()).counts());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The final response's status, after same-host redirects (a success when
    /// 200 ≤ status < 400: a redirect to another host counts as its 3xx).
    Status(u16),
    /// The `status` of a gRPC `Check` answer: a success when `SERVING`.
    Grpc(ServingStatus),
    /// No response head (or gRPC answer) within `timeoutSeconds`: a failure.
    TimedOut,
    /// No connection, a broken one, a malformed answer, too many redirects: a failure.
    Error(String),
    /// The prober itself erred three times (the body could not be read, the port name
    /// does not resolve): `doProbe` throws the result away, counting neither way.
    Discarded(String),
}

impl Outcome {
    /// Whether the kubelet counts it as a success.
    pub fn is_success(&self) -> bool {
        match self {
            Outcome::Status(status) => (200..400).contains(status),
            Outcome::Grpc(status) => *status == ServingStatus::Serving,
            _ => false,
        }
    }

    /// Whether it is a success the kubelet reports with a warning event ("Probe
    /// terminated redirects"): a 3xx that ended the chain, such as a redirect to another
    /// host.
    pub fn is_warning(&self) -> bool {
        matches!(self, Outcome::Status(300..=399))
    }

    /// Whether it counts at all (everything but [`Outcome::Discarded`]).
    pub fn counts(&self) -> bool {
        !matches!(self, Outcome::Discarded(_))
    }
}

/// `grpc.health.v1.HealthCheckResponse.ServingStatus`, as a gRPC probe reads it.
///
/// ```
/// use health_runtime_testing::kubelet::{Outcome, ServingStatus};
///
/// assert!(Outcome::Grpc(ServingStatus::Serving).is_success());
/// assert!(!Outcome::Grpc(ServingStatus::NotServing).is_success());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServingStatus {
    /// `UNKNOWN` (0), or a value this version of the protocol does not define.
    Unknown,
    /// `SERVING` (1): the only success.
    Serving,
    /// `NOT_SERVING` (2).
    NotServing,
    /// `SERVICE_UNKNOWN` (3), which only `Watch` sends.
    ServiceUnknown,
}

impl ServingStatus {
    /// The status of its wire value.
    ///
    /// ```
    /// use health_runtime_testing::kubelet::ServingStatus;
    ///
    /// assert_eq!(ServingStatus::from_wire(1), ServingStatus::Serving);
    /// assert_eq!(ServingStatus::from_wire(7), ServingStatus::Unknown);
    /// ```
    pub fn from_wire(value: i32) -> ServingStatus {
        match value {
            1 => ServingStatus::Serving,
            2 => ServingStatus::NotServing,
            3 => ServingStatus::ServiceUnknown,
            _ => ServingStatus::Unknown,
        }
    }
}
