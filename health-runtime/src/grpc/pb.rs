//! The messages of `grpc.health.v1`: those of `Check` and `Watch` as tonic-health ships
//! them, and those of `List`, which tonic-health does not ship.

use std::collections::HashMap;

pub use tonic_health::pb::health_check_response::ServingStatus;
pub use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

/// The request of `List`; it has no fields.
///
/// ```
/// use health_runtime::grpc::pb::HealthListRequest;
///
/// let request = tonic::Request::new(HealthListRequest {});
/// # let _ = request;
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, prost::Message)]
pub struct HealthListRequest {}

/// The answer of `List`: every service name the server answers `Check` for, with its status.
///
/// ```
/// use health_runtime::grpc::pb::{HealthListResponse, ServingStatus};
///
/// fn serving(response: &HealthListResponse) -> Vec<&str> {
///     let mut names: Vec<&str> = response
///         .statuses
///         .iter()
///         .filter(|(_, status)| status.status == ServingStatus::Serving as i32)
///         .map(|(name, _)| name.as_str())
///         .collect();
///     names.sort();
///     names
/// }
/// assert!(serving(&HealthListResponse::default()).is_empty());
/// ```
#[derive(Clone, PartialEq, prost::Message)]
pub struct HealthListResponse {
    /// The status of each service, by name.
    #[prost(map = "string, message", tag = "1")]
    pub statuses: HashMap<String, HealthCheckResponse>,
}

/// The response carrying `status`.
pub(crate) fn response(status: ServingStatus) -> HealthCheckResponse {
    HealthCheckResponse {
        status: status.into(),
    }
}
