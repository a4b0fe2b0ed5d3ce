//! An argument that may be given once: the second occurrence is reported as a duplicate,
//! wherever the argument is parsed.

use quote::ToTokens;

use crate::ctxt::Ctxt;
use crate::print;

pub(crate) struct Once<'c, T> {
    cx: &'c Ctxt,
    /// What a key is called in messages: `argument` or `option`.
    kind: &'static str,
    seen: bool,
    value: Option<T>,
}

impl<'c, T> Once<'c, T> {
    pub(crate) fn new(cx: &'c Ctxt, kind: &'static str) -> Self {
        Once {
            cx,
            kind,
            seen: false,
            value: None,
        }
    }

    /// Records the value `read` reads at `key` (`None` when it was wrong, its error already
    /// reported), or, on a second occurrence, reports ``duplicate argument `key` `` without
    /// reading the value: one mistake, one error.
    pub(crate) fn set(&mut self, key: &impl ToTokens, read: impl FnOnce() -> Option<T>) {
        if self.seen {
            let name = print::rust(key);
            self.cx.error_spanned_by(
                key,
                format!(
                    "duplicate {} `{name}`: it is already set; remove one",
                    self.kind
                ),
            );
            return;
        }
        self.seen = true;
        self.value = read();
    }

    pub(crate) fn get(self) -> Option<T> {
        self.value
    }
}
