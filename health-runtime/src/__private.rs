//! Items the macros' generated code names. Not public API: no stability promise.

use std::any::{TypeId, type_name};
use std::marker::PhantomData;
use std::sync::Arc;

pub use linkme;

pub use crate::ConfigError;
pub use crate::check::generated::{HEALTH_CHECKS, StaticCheck};
pub use crate::check::{CheckFuture, CheckOutcome, IntoCheckOutcome, ResourceLookup, Resources};
pub use crate::health::Health;
pub use crate::http::RouteOptions;
pub use crate::probe::{Probe, ProbeSet};

/// Boxes the future of one check run. Spanned at the user's function by the macro, so a
/// non-`Send` future is reported there.
pub fn box_check<F>(future: F) -> CheckFuture
where
    F: Future<Output = CheckOutcome> + Send + 'static,
{
    Box::pin(future)
}

/// Converts what the user's check returned. Spanned at the user's return type by the
/// macro, so an unsupported type is reported there.
pub fn into_outcome<T: IntoCheckOutcome>(value: T) -> CheckOutcome {
    value.into_check_outcome()
}

/// The identity of a function item, stored by `#[health_check]` in its descriptor and
/// computed again by `health_routes!(checks = [...])` from the listed value. Fn items of
/// non-generic functions are `'static` (their parameters' lifetimes are late-bound), and
/// every way of naming one (a path, an import, a re-export) gives the same type.
pub const fn type_id_of<F: Copy + 'static>(_function: F) -> TypeId {
    TypeId::of::<F>()
}

/// The resource of type `T` a check takes as `&T`. Its `require` is
/// [`ResourceLookup::require`] when `T: Send + Sync`; otherwise the fallback of
/// [`RequireUnshareable`] is picked, so that the only error the compiler reports is that
/// the check's future is not `Send`, on the check's name, rather than a second one about
/// the lookup.
pub struct Resource<T>(PhantomData<fn() -> T>);

impl<T> Resource<T> {
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Resource(PhantomData)
    }
}

/// `require` for a resource that can be shared between the runs of a check.
pub trait RequireShareable<T> {
    fn require(
        &self,
        lookup: &mut ResourceLookup,
        resources: &Resources,
        display: &'static str,
    ) -> Option<Arc<T>>;
}

impl<T: Send + Sync + 'static> RequireShareable<T> for Resource<T> {
    fn require(
        &self,
        lookup: &mut ResourceLookup,
        resources: &Resources,
        display: &'static str,
    ) -> Option<Arc<T>> {
        lookup.require::<T>(resources, display)
    }
}

/// `require` for a resource that is not `Send + Sync`: the check cannot compile (its
/// future holds the resource), so this is never called.
pub trait RequireUnshareable<T> {
    fn require(&self, _: &mut ResourceLookup, _: &Resources, _: &'static str) -> Option<Arc<T>> {
        None
    }
}

impl<T> RequireUnshareable<T> for &Resource<T> {}

/// A function, so something `health_routes!(checks = [...])` may list. Whether it has
/// `#[health_check]` is known only from the registry, when the router is built; the
/// attribute checks the function's shape.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a function, so it cannot be a health check",
    label = "not a function",
    note = "`health_routes!(checks = [...])` lists `async fn`s annotated with `#[health_check]`, by name or path, like `checks = [postgres, db::redis]`"
)]
pub trait CheckFunction<Signature>: Copy + 'static {}

macro_rules! check_function {
    ($($arg:ident),*) => {
        impl<F, R, $($arg),*> CheckFunction<fn($($arg),*) -> R> for F
        where
            F: Fn($($arg),*) -> R + Copy + 'static,
        {
        }
    };
}

check_function!();
check_function!(A1);
check_function!(A1, A2);
check_function!(A1, A2, A3);
check_function!(A1, A2, A3, A4);
check_function!(A1, A2, A3, A4, A5);
check_function!(A1, A2, A3, A4, A5, A6);
check_function!(A1, A2, A3, A4, A5, A6, A7);
check_function!(A1, A2, A3, A4, A5, A6, A7, A8);
check_function!(A1, A2, A3, A4, A5, A6, A7, A8, A9);
check_function!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10);
check_function!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11);
check_function!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12);

/// One entry of `health_routes!(checks = [...])`.
#[derive(Debug, Clone, Copy)]
pub struct ListedCheck {
    function: TypeId,
    written: &'static str,
    path: &'static str,
}

/// The entry for `function`, written `written` in the list.
pub fn listed<F: CheckFunction<S>, S>(_function: F, written: &'static str) -> ListedCheck {
    ListedCheck {
        function: TypeId::of::<F>(),
        written,
        path: type_name::<F>(),
    }
}

/// The router `health_routes!` expands to.
#[track_caller]
pub fn routes<S>(health: &Health, options: RouteOptions) -> axum::Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    health.router_with(options)
}

/// The router of `health_routes!(checks = [...])`: only the listed checks.
///
/// # Panics
///
/// When a listed function has no `#[health_check]`, like any other configuration error
/// of the router.
#[track_caller]
pub fn routes_of<S>(
    health: &Health,
    options: RouteOptions,
    listed: &[ListedCheck],
) -> axum::Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    match find_listed(listed) {
        Ok(checks) => health.router_with(options.only(checks)),
        Err(error) => panic!("{error}"),
    }
}

/// The descriptors of the listed functions, each once however many times it is listed
/// (under different paths or imports).
fn find_listed(listed: &[ListedCheck]) -> Result<Vec<&'static StaticCheck>, ConfigError> {
    let mut checks: Vec<&'static StaticCheck> = Vec::with_capacity(listed.len());
    for entry in listed {
        let check = crate::check::find_registered(entry.function).ok_or_else(|| {
            ConfigError::NotACheck {
                function: entry.written.to_owned(),
                path: entry.path.to_owned(),
            }
        })?;
        if !checks.iter().any(|known| std::ptr::eq(*known, check)) {
            checks.push(check);
        }
    }
    Ok(checks)
}
