//! The errors of one macro invocation, collected so that every mistake is reported in one
//! pass. Every parser and validator takes `&Ctxt` and carries on after recording an error.

use std::cell::RefCell;
use std::fmt::Display;
use std::thread;

use quote::ToTokens;

pub(crate) struct Ctxt {
    // `None` once checked, so that a forgotten `check` is caught when the context drops.
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Ctxt {
    pub(crate) fn new() -> Self {
        Ctxt {
            errors: RefCell::new(Some(Vec::new())),
        }
    }

    /// Records an error underlining all of `tokens`.
    pub(crate) fn error_spanned_by(&self, tokens: impl ToTokens, message: impl Display) {
        self.syn_error(syn::Error::new_spanned(tokens, message));
    }

    pub(crate) fn syn_error(&self, error: syn::Error) {
        self.errors
            .borrow_mut()
            .as_mut()
            .expect("errors recorded after `Ctxt::check`")
            .push(error);
    }

    /// Every recorded error, combined in the order of the code they underline, as the user
    /// reads it, whatever order the checks found them in.
    pub(crate) fn check(self) -> syn::Result<()> {
        let mut errors = self
            .errors
            .borrow_mut()
            .take()
            .expect("`Ctxt::check` called twice");
        errors.sort_by_key(|error| position(error.span()));
        let mut errors = errors.into_iter();
        let Some(mut combined) = errors.next() else {
            return Ok(());
        };
        for error in errors {
            combined.combine(error);
        }
        Err(combined)
    }
}

/// The line and column where `span` starts; the same for every span outside a macro.
fn position(span: proc_macro2::Span) -> (usize, usize) {
    if !proc_macro::is_available() {
        return (0, 0);
    }
    let span = span.unwrap();
    (span.line(), span.column())
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        if !thread::panicking() && self.errors.borrow().is_some() {
            panic!("forgot to check for errors");
        }
    }
}
