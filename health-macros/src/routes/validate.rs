//! The rules on the options of `health_routes!` (shared with the runtime through
//! `health_rules`): each path alone, the paths together, the check list and the tags.

use health_rules::{
    DEFAULT_LIVENESS_PATH, DEFAULT_READINESS_PATH, DEFAULT_STARTUP_PATH, PathConflict,
    has_single_check_routes, path_conflict, validate_path, validate_probe_path,
};
use syn::Expr;

use super::parse::Input;
use crate::ctxt::Ctxt;
use crate::value::SpannedValue;
use crate::{name, print};

/// The validated invocation.
pub(crate) struct Routes {
    pub(crate) handle: Option<Expr>,
    /// The paths set by the invocation, by probe.
    pub(crate) paths: Vec<(&'static str, String)>,
    pub(crate) checks: Option<Vec<syn::Path>>,
    pub(crate) tags: Option<Vec<String>>,
}

const EMPTY_TAGS: &str = "`tags = []` lists no tag: list the tags whose checks to serve, like \
                          `tags = [\"db\"]`, or leave `tags` out to serve checks of any tag";

/// One probe's route: the path written in the invocation, or the default.
struct Route {
    probe: &'static str,
    path: String,
    written: Option<SpannedValue<String>>,
    valid: bool,
}

pub(crate) fn validate(cx: &Ctxt, input: Input<'_>) -> Routes {
    let mut routes = vec![
        route("liveness", DEFAULT_LIVENESS_PATH, input.liveness.get()),
        route("readiness", DEFAULT_READINESS_PATH, input.readiness.get()),
        route("startup", DEFAULT_STARTUP_PATH, input.startup.get()),
    ];
    for i in 0..routes.len() {
        routes[i].valid = path_alone(cx, &routes, i);
    }
    paths_together(cx, &routes);
    Routes {
        handle: input.handle,
        paths: routes
            .into_iter()
            .filter_map(|route| route.written.map(|written| (route.probe, written.value)))
            .collect(),
        checks: input.checks.get().map(|checks| check_list(cx, checks)),
        tags: input
            .tags
            .get()
            .map(|tags| name::tags(cx, tags, EMPTY_TAGS)),
    }
}

fn route(probe: &'static str, default: &str, written: Option<SpannedValue<String>>) -> Route {
    Route {
        probe,
        path: written
            .as_ref()
            .map_or_else(|| default.to_owned(), |w| w.value.clone()),
        written,
        valid: true,
    }
}

/// The rules on one written path, with the path to write when it is clear and accepted.
fn path_alone(cx: &Ctxt, routes: &[Route], i: usize) -> bool {
    let route = &routes[i];
    let Some(written) = &route.written else {
        return true;
    };
    let Err(error) = validate_probe_path(route.probe, &route.path) else {
        return true;
    };
    let fix = fixed_path(&route.path)
        .filter(|fixed| validate_probe_path(route.probe, fixed).is_ok())
        .filter(|fixed| conflict_with_others(routes, i, fixed).is_none())
        .map(|fixed| format!("; write `{} = {fixed:?}`", route.probe))
        .unwrap_or_default();
    cx.error_spanned_by(
        &written.tokens,
        format!(
            "invalid {} path `{}`: {error}{fix}",
            route.probe, route.path
        ),
    );
    false
}

/// The path meant by a URL, a relative path, or one with a query, a fragment, a trailing
/// slash or an empty segment. `None` when the intent is not clear (patterns, spaces, `..`).
fn fixed_path(path: &str) -> Option<String> {
    let mut rest = path.trim();
    if let Some((_, after_scheme)) = rest.split_once("://") {
        rest = after_scheme
            .find('/')
            .map_or("/", |slash| &after_scheme[slash..]);
    }
    rest = rest.split(['?', '#']).next().unwrap_or_default();
    let segments: Vec<&str> = rest
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    let fixed = format!("/{}", segments.join("/"));
    (fixed != path && validate_path(&fixed).is_ok() && fixed != "/").then_some(fixed)
}

fn conflict_with_others(routes: &[Route], i: usize, path: &str) -> Option<PathConflict> {
    routes
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != i)
        .find_map(|(_, other)| {
            path_conflict(path, &other.path, has_single_check_routes(other.probe)).or_else(|| {
                path_conflict(&other.path, path, has_single_check_routes(routes[i].probe))
            })
        })
}

/// Two probes on one path, or a probe under another's `{path}/{name}` routes; each
/// reported once, on a path the invocation wrote.
fn paths_together(cx: &Ctxt, routes: &[Route]) {
    let mut blamed = vec![false; routes.len()];
    for (i, a) in routes.iter().enumerate() {
        for (j, b) in routes.iter().enumerate() {
            if i == j || !a.valid || !b.valid || blamed[i] || blamed[j] {
                continue;
            }
            match path_conflict(&a.path, &b.path, has_single_check_routes(b.probe)) {
                Some(PathConflict::Same) if i < j => blamed[same_path(cx, a, b)] = true,
                Some(PathConflict::Shadows) => blamed[shadowed_path(cx, a, b, i, j)] = true,
                _ => {}
            }
        }
    }
}

/// Reports `a` and `b` on one path, on the one written last; returns the index of the
/// route blamed (routes are in the order liveness, readiness, startup).
fn same_path(cx: &Ctxt, a: &Route, b: &Route) -> usize {
    let probes = ["liveness", "readiness", "startup"];
    let index = |route: &Route| probes.iter().position(|p| *p == route.probe).unwrap_or(0);
    let (blame, other) = match (&a.written, &b.written) {
        (Some(_), Some(_)) | (None, Some(_)) => (b, a),
        _ => (a, b),
    };
    let written = blame.written.as_ref().map(|w| &w.tokens);
    let message = if other.written.is_some() {
        format!(
            "`{}` is already the {} path; each probe needs its own path",
            blame.path, other.probe
        )
    } else {
        format!(
            "`{}` is the default {} path; choose another path, or move {} too with `{} = \"...\"`",
            blame.path, other.probe, other.probe, other.probe
        )
    };
    if let Some(tokens) = written {
        cx.error_spanned_by(tokens, message);
    }
    index(blame)
}

/// Reports `a` under `b`, whose single-check routes would hide the check named like the
/// next segment of `a`; returns the index of the route blamed.
fn shadowed_path(cx: &Ctxt, a: &Route, b: &Route, i: usize, j: usize) -> usize {
    let under = if b.path == "/" {
        String::new()
    } else {
        b.path.clone()
    };
    let next = a.path[under.len()..]
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    let (tokens, message, blamed) = match (&a.written, &b.written) {
        (Some(written), _) => (
            &written.tokens,
            format!(
                "the {} path `{}` is under the {} path `{}`, whose `{under}/{{name}}` routes run \
                 single checks: a check named `{next}` could not be reached; choose a path \
                 outside `{under}/`",
                a.probe, a.path, b.probe, b.path
            ),
            i,
        ),
        (None, Some(written)) => (
            &written.tokens,
            format!(
                "the {} path `{}` puts the default {} path `{}` under its `{under}/{{name}}` \
                 routes, which run single checks; choose another {} path, or move {} too with \
                 `{} = \"...\"`",
                b.probe, b.path, a.probe, a.path, b.probe, a.probe, a.probe
            ),
            j,
        ),
        (None, None) => return i,
    };
    cx.error_spanned_by(tokens, message);
    blamed
}

fn check_list(cx: &Ctxt, checks: SpannedValue<Vec<syn::Path>>) -> Vec<syn::Path> {
    if checks.value.is_empty() {
        cx.error_spanned_by(
            &checks.tokens,
            "`checks = []` lists no check: list the `#[health_check]` functions to serve, like \
             `checks = [postgres]`, or leave `checks` out to serve every registered check",
        );
    }
    let mut seen: Vec<String> = Vec::new();
    for check in &checks.value {
        let written = print::rust(check);
        if seen.contains(&written) {
            cx.error_spanned_by(check, format!("`{written}` is listed twice; remove one"));
        }
        seen.push(written);
    }
    checks.value
}

#[cfg(test)]
mod tests {
    use super::fixed_path;

    #[test]
    fn paths_meant() {
        let cases = [
            ("ready", Some("/ready")),
            ("/ready/", Some("/ready")),
            ("/health//ready", Some("/health/ready")),
            ("/ready?verbose=1", Some("/ready")),
            ("/ready#checks", Some("/ready")),
            ("http://127.0.0.1:8000/health/ready", Some("/health/ready")),
            ("./ready", Some("/ready")),
            ("/ready", None),
            ("/health/{name}", None),
            ("/health ready", None),
            ("/health/../ready", None),
            ("http://127.0.0.1:8000", None),
            ("", None),
        ];
        for (path, fixed) in cases {
            assert_eq!(fixed_path(path).as_deref(), fixed, "{path}");
        }
    }
}
