//! Route paths of the probes: literal, absolute, normalised, and never in the way of each
//! other.

use std::fmt;

/// Where liveness is served unless the routes say otherwise.
pub const DEFAULT_LIVENESS_PATH: &str = "/health";
/// Where readiness is served unless the routes say otherwise; `{path}/{name}` runs one check.
pub const DEFAULT_READINESS_PATH: &str = "/health/ready";
/// Where startup is served unless the routes say otherwise; `{path}/{name}` runs one check.
pub const DEFAULT_STARTUP_PATH: &str = "/health/started";

/// Why a string cannot be a route path of a probe. A probe's path is what a Kubernetes
/// `httpGet.path` sends, compared byte for byte, so it is written in its normal form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathError {
    /// The path is empty.
    Empty,
    /// A whole URL (`http://host:8080/health`) where only the path belongs.
    Url,
    /// The path does not start with `/`.
    Relative,
    /// The path has a query (`?...`); a probe's route matches the path alone.
    Query,
    /// The path has a fragment (`#...`), which clients never send.
    Fragment,
    /// A route pattern character (`{`, `}`, `*`, or `:` opening a segment): the path is
    /// literal.
    Pattern {
        /// The character.
        found: char,
    },
    /// A space, a control character or a character outside ASCII, which a client sends
    /// percent-encoded.
    Character {
        /// The character.
        found: char,
    },
    /// The path ends with `/`.
    TrailingSlash,
    /// The path has an empty segment (`//`).
    EmptySegment,
    /// The path has a `.` or `..` segment, which clients resolve before sending.
    DotSegment,
    /// `/` for a probe whose `{path}/{name}` routes run single checks: they would take
    /// every path of the application.
    Root,
}

/// Checks the rules a probe's path obeys on its own. Two paths that conflict are
/// [`path_conflict`]'s business.
///
/// ```
/// use health_rules::{PathError, validate_path};
///
/// assert_eq!(validate_path("/livez"), Ok(()));
/// assert_eq!(validate_path("livez"), Err(PathError::Relative));
/// assert_eq!(validate_path("/health?verbose"), Err(PathError::Query));
/// assert_eq!(validate_path("http://127.0.0.1:8000/health"), Err(PathError::Url));
/// ```
pub fn validate_path(path: &str) -> Result<(), PathError> {
    if path.is_empty() {
        return Err(PathError::Empty);
    }
    if path.contains("://") {
        return Err(PathError::Url);
    }
    if !path.starts_with('/') {
        return Err(PathError::Relative);
    }
    if path.contains('?') {
        return Err(PathError::Query);
    }
    if path.contains('#') {
        return Err(PathError::Fragment);
    }
    if let Some(found) = path.chars().find(|c| matches!(c, '{' | '}' | '*')) {
        return Err(PathError::Pattern { found });
    }
    if path.contains("/:") {
        return Err(PathError::Pattern { found: ':' });
    }
    if let Some(found) = path.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(PathError::Character { found });
    }
    validate_segments(path)
}

fn validate_segments(path: &str) -> Result<(), PathError> {
    if path == "/" {
        return Ok(());
    }
    if path.ends_with('/') {
        return Err(PathError::TrailingSlash);
    }
    let segments = path[1..].split('/');
    for segment in segments {
        match segment {
            "" => return Err(PathError::EmptySegment),
            "." | ".." => return Err(PathError::DotSegment),
            _ => {}
        }
    }
    Ok(())
}

/// [`validate_path`], and the rule that a probe serving single checks at `{path}/{name}`
/// (see [`has_single_check_routes`](crate::has_single_check_routes)) is not at `/`.
///
/// ```
/// use health_rules::{PathError, validate_probe_path};
///
/// assert_eq!(validate_probe_path("liveness", "/"), Ok(()));
/// assert_eq!(validate_probe_path("readiness", "/"), Err(PathError::Root));
/// ```
pub fn validate_probe_path(probe: &str, path: &str) -> Result<(), PathError> {
    validate_path(path)?;
    if path == "/" && crate::has_single_check_routes(probe) {
        return Err(PathError::Root);
    }
    Ok(())
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::Empty => f.write_str("a route path cannot be empty"),
            PathError::Url => f.write_str("a route path is the path alone, not a whole URL"),
            PathError::Relative => f.write_str("a route path must start with `/`"),
            PathError::Query => f.write_str("a route path cannot have a query (`?...`)"),
            PathError::Fragment => f.write_str("a route path cannot have a fragment (`#...`)"),
            PathError::Pattern { found } => write!(
                f,
                "a health route path is literal: `{found}` would make it a pattern"
            ),
            PathError::Character { found: ' ' } => {
                f.write_str("a route path is visible ASCII: it cannot contain a space")
            }
            PathError::Character { found } => write!(
                f,
                "a route path is visible ASCII: it cannot contain `{}`",
                found.escape_default()
            ),
            PathError::TrailingSlash => f.write_str("a route path must not end with `/`"),
            PathError::EmptySegment => {
                f.write_str("a route path must not contain an empty segment `//`")
            }
            PathError::DotSegment => {
                f.write_str("a route path must not contain a `.` or `..` segment")
            }
            PathError::Root => f.write_str(
                "its single-check routes `/{name}` would take every path of the application",
            ),
        }
    }
}

impl std::error::Error for PathError {}

/// How one route path gets in the way of another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathConflict {
    /// The two paths are the same.
    Same,
    /// The path is under the other one, whose `{path}/{name}` routes serve single checks:
    /// the check named like the path's next segment could not be reached.
    Shadows,
}

/// Whether `path` gets in the way of `other`, where `other_has_single_check_routes` says
/// whether `other` also serves `{other}/{name}` (see
/// [`has_single_check_routes`](crate::has_single_check_routes)).
///
/// ```
/// use health_rules::{PathConflict, path_conflict};
///
/// assert_eq!(path_conflict("/health/ready", "/health/ready", true), Some(PathConflict::Same));
/// assert_eq!(
///     path_conflict("/health/ready/started", "/health/ready", true),
///     Some(PathConflict::Shadows)
/// );
/// // Liveness serves no single checks, so readiness may live under it.
/// assert_eq!(path_conflict("/health/ready", "/health", false), None);
/// ```
pub fn path_conflict(
    path: &str,
    other: &str,
    other_has_single_check_routes: bool,
) -> Option<PathConflict> {
    if path == other {
        return Some(PathConflict::Same);
    }
    let prefix = other.strip_suffix('/').unwrap_or(other);
    let under = path
        .strip_prefix(prefix)
        .is_some_and(|rest| rest.starts_with('/'));
    (under && other_has_single_check_routes).then_some(PathConflict::Shadows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_paths() {
        for path in [
            "/",
            "/health",
            "/health/ready",
            "/-/ready.v2",
            "/a:b",
            "/~x",
        ] {
            assert_eq!(validate_path(path), Ok(()), "{path}");
        }
    }

    #[test]
    fn each_rule() {
        let cases = [
            ("", PathError::Empty),
            ("https://example.com/health", PathError::Url),
            ("health", PathError::Relative),
            ("/health?full=1", PathError::Query),
            ("/health#top", PathError::Fragment),
            ("/health/{name}", PathError::Pattern { found: '{' }),
            ("/health/*rest", PathError::Pattern { found: '*' }),
            ("/health/:name", PathError::Pattern { found: ':' }),
            ("/health ready", PathError::Character { found: ' ' }),
            ("/santé", PathError::Character { found: 'é' }),
            ("/health/", PathError::TrailingSlash),
            ("/health//ready", PathError::EmptySegment),
            ("/health/../ready", PathError::DotSegment),
        ];
        for (path, error) in cases {
            assert_eq!(validate_path(path), Err(error), "{path}");
        }
    }

    #[test]
    fn conflicts() {
        assert_eq!(path_conflict("/x", "/y", true), None);
        assert_eq!(path_conflict("/health/readyz", "/health/ready", true), None);
        assert_eq!(
            path_conflict("/live", "/", true),
            Some(PathConflict::Shadows)
        );
        assert_eq!(path_conflict("/live", "/", false), None);
        assert_eq!(
            path_conflict("/health/ready/a/b", "/health/ready", true),
            Some(PathConflict::Shadows)
        );
    }
}
