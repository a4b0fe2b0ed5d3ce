//! Items the macros' generated code names. Not public API: no stability promise.

use std::any::{TypeId, type_name};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

pub use linkme;

pub use crate::check::generated::{HEALTH_CHECKS, StaticCheck};
pub use crate::check::{
    CheckFunction, CheckFuture, CheckOutcome, IntoCheckOutcome, ReportedDetails, ReportedError,
    ResourceLookup, Resources, ReturnedResult, SendFuture, SharedResource,
};
pub use crate::error::ConfigError;
pub use crate::health::Health;
pub use crate::http::RouteOptions;
pub use health_rules::{Probe, ProbeSet};

/// Boxes the future of one check run.
pub fn box_check<F>(future: F) -> CheckFuture
where
    F: Future<Output = CheckOutcome> + Send + 'static,
{
    Box::pin(future)
}

/// The identity of a function item, stored by `#[health_check]` in its descriptor and
/// computed again by `health_routes!(checks = [...])` from the listed value. Fn items of
/// non-generic functions are `'static` (their parameters' lifetimes are late-bound), and
/// every way of naming one (a path, an import, a re-export) gives the same type.
pub const fn type_id_of<F: Copy + 'static>(_function: F) -> TypeId {
    TypeId::of::<F>()
}

// The generated code asserts each rule of a check once, at the user's token, with the traits
// of `check::assert`. The rest of it goes through the dispatch below: a method found on
// `Wrapper<T>` when `T` obeys the rule, else on `&Wrapper<T>`, whose fallback compiles for
// any `T`. So a broken rule is one error, the assertion's, never a second one from the code
// after it. No fallback runs: the assertion fails the build.

/// The resource of type `T` a check takes as `&T`: looked up by [`RequireShareable`] when
/// `T: Send + Sync`, else by [`RequireUnshareable`].
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

/// `require` for a resource that is not `Send + Sync`, which `SharedResource` reports.
pub trait RequireUnshareable<T> {
    fn require(
        &self,
        _: &mut ResourceLookup,
        _: &Resources,
        _: &'static str,
    ) -> Option<Unshareable<T>> {
        None
    }
}

impl<T> RequireUnshareable<T> for &Resource<T> {}

/// What the lookup of an unshareable resource gives: `Send + Sync` itself, so that the run
/// holding it adds no error of its own.
pub struct Unshareable<T>(PhantomData<fn() -> T>);

impl<T> std::ops::Deref for Unshareable<T> {
    type Target = T;

    fn deref(&self) -> &T {
        unreachable!("a check taking an unshareable resource does not compile")
    }
}

/// Whether the check's future is asserted `Send`: only when its resources are shareable,
/// since a future holding `&T` of a `T` that is not `Sync` is the resource's mistake,
/// reported as such.
pub struct ResourceGate<R>(PhantomData<fn() -> R>);

impl<R> ResourceGate<R> {
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        ResourceGate(PhantomData)
    }
}

/// A future that never completes, `Send` and `Sync`: what a gate gives instead of a future
/// whose mistake is reported elsewhere.
pub struct Unchecked;

impl Future for Unchecked {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

pub trait GateShareable {
    fn future<'f, F>(&self, future: &'f F) -> &'f F;
}

impl<R: Send + Sync + 'static> GateShareable for ResourceGate<R> {
    fn future<'f, F>(&self, future: &'f F) -> &'f F {
        future
    }
}

pub trait GateUnshareable {
    fn future<'f, F>(&self, _: &'f F) -> &'f Unchecked {
        &Unchecked
    }
}

impl<R> GateUnshareable for &ResourceGate<R> {}

/// Passes the check's future on when it is `Send`, else one that is, so that the boxed run
/// adds no error to the one `SendFuture` reports.
pub struct SendGate<F>(PhantomData<fn() -> F>);

impl<F> SendGate<F> {
    pub fn of(_future: &F) -> Self {
        SendGate(PhantomData)
    }
}

pub trait PassSend {
    fn pass<F: Future>(&self, future: F) -> F;
}

impl<G: Send> PassSend for SendGate<G> {
    fn pass<F: Future>(&self, future: F) -> F {
        future
    }
}

pub trait PassUnsend {
    fn pass<F: Future>(&self, _: F) -> std::future::Pending<F::Output> {
        std::future::pending()
    }
}

impl<G> PassUnsend for &SendGate<G> {}

/// What the user's check returned: converted when its type is supported, which
/// `IntoCheckOutcome` or `ReturnedResult` asserts.
pub struct Returned<T>(PhantomData<fn() -> T>);

impl<T> Returned<T> {
    pub fn of(_output: &T) -> Self {
        Returned(PhantomData)
    }
}

pub trait ConvertSupported<T> {
    fn outcome(&self, output: T) -> CheckOutcome;
}

impl<T: IntoCheckOutcome> ConvertSupported<T> for Returned<T> {
    fn outcome(&self, output: T) -> CheckOutcome {
        output.into_check_outcome()
    }
}

pub trait ConvertUnsupported<T> {
    fn outcome(&self, _: T) -> CheckOutcome {
        unreachable!("a check of an unsupported return type does not compile")
    }
}

impl<T> ConvertUnsupported<T> for &Returned<T> {}

/// One entry of `health_routes!(checks = [...])`.
#[derive(Debug, Clone, Copy)]
pub struct ListedCheck {
    function: TypeId,
    written: &'static str,
    path: &'static str,
}

/// The entry for `function`, written `written` in the list; `CheckFunction` asserts that it
/// is a function.
pub fn listed<F: 'static>(_function: F, written: &'static str) -> ListedCheck {
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
