//! What the code of `#[health_check]` and `health_routes!` asserts about the user's types,
//! each assertion placed at the user's own token, so that a mistake is one error in the
//! user's terms: these traits' messages, not a bound of the generated code.
//!
//! Each blanket impl is `#[diagnostic::do_not_recommend]`: the compiler then reports the
//! trait asked for, with its message and advice, rather than the bound behind it
//! (`Serialize`, `Display`) under a path of another crate. (Not sealed: a supertrait would
//! be reported as the method's bound, under its path here; they are hidden and have no
//! use outside the generated code.) `check` re-exports them, hidden, so that the compiler
//! prints their short names.

use std::fmt::Display;

use serde::Serialize;

/// A type a check may take as `&T`: provided once and shared by every run, on any thread.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a health check resource: it is not both `Send` and `Sync`",
    label = "not `Send + Sync`",
    note = "a resource is provided once and shared by every run of the check, on any thread",
    note = "take a value that is not `Sync` behind a lock (`&std::sync::Mutex<T>`), provide `Arc` rather than `Rc`, and write a trait object `dyn Trait + Send + Sync`"
)]
pub trait SharedResource {
    /// Compiles only for a shareable `Self`.
    fn assert() {}
}

#[diagnostic::do_not_recommend]
impl<T: Send + Sync + 'static> SharedResource for T {}

/// The error type `E` of a check returning `Result<T, E>`: its text is the check's `error`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a health check's error: it does not implement `Display`",
    label = "does not implement `Display`",
    note = "the text of the error (`to_string()`) is the check's `error` in the report",
    note = "implement `std::fmt::Display` for it, or return `Result<_, String>` with `Err(format!(\"{{error:?}}\"))`"
)]
pub trait ReportedError {
    /// Compiles only for a `Display` `Self`.
    fn assert() {}
}

#[diagnostic::do_not_recommend]
impl<E: Display> ReportedError for E {}

/// The value type `T` of a check returning `Result<T, E>`: reported under `details`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a health check's details: it does not implement `serde::Serialize`",
    label = "does not implement `Serialize`",
    note = "the value of `Ok` is shown as JSON under the check's `details`",
    note = "derive it with `#[derive(serde::Serialize)]`, or return `Result<(), E>` to report no details"
)]
pub trait ReportedDetails {
    /// Compiles only for a `Serialize` `Self`.
    fn assert() {}
}

#[diagnostic::do_not_recommend]
impl<T: Serialize> ReportedDetails for T {}

/// A return type written `Result<T, E>` that is the standard library's `Result`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a return type a health check can have",
    label = "not `std::result::Result`",
    note = "a health check returns `()`, `bool`, `std::result::Result<T, E>` or `health_runtime::CheckOutcome`"
)]
pub trait ReturnedResult {
    /// Compiles only for `Result<T, E>`.
    fn assert() {}
}

#[diagnostic::do_not_recommend]
impl<T, E> ReturnedResult for Result<T, E> {}

/// A function `health_routes!(checks = [...])` may list. Whether it has `#[health_check]`
/// is known only from the registry, when the router is built; the attribute checks the
/// function's shape.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a function, so it cannot be a health check",
    label = "not a function",
    note = "`health_routes!(checks = [...])` lists `async fn`s annotated with `#[health_check]`, by name or path, like `checks = [postgres, db::redis]`"
)]
pub trait CheckFunction<Signature>: Copy + 'static {
    /// Compiles only for a function `Self`.
    fn assert(&self) {}
}

macro_rules! check_function {
    ($($arg:ident),*) => {
        #[diagnostic::do_not_recommend]
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

/// The future of a check, which runs on any thread of the runtime.
///
/// `do_not_recommend`, like the others: without it the compiler reports each part of a held
/// value that is not `Send` as an error of its own (a `RefCell` borrow is two), though it
/// names the value held across the `.await`; one error in the user's terms is the rule.
#[diagnostic::on_unimplemented(
    message = "the future of this health check is not `Send`: it holds a value that is not `Send` across an `.await`",
    label = "its future is not `Send`",
    note = "a check runs on any thread of the runtime, so its future must be `Send`",
    note = "end the value's scope before the `.await` (`drop(guard)`, or a block `{{ ... }}`), or hold a `Send` one: `tokio::sync::Mutex` rather than a `std::sync::MutexGuard`, `Arc` rather than `Rc`, a `Mutex` rather than a `RefCell` borrow"
)]
pub trait SendFuture {
    /// Compiles only for a `Send` `Self`.
    fn assert(&self) {}
}

#[diagnostic::do_not_recommend]
impl<F: Future + Send> SendFuture for F {}
