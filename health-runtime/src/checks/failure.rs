//! The error messages of the built-in checks: the driver's error and its causes.

use std::error::Error;

use crate::check::CheckOutcome;

/// `error` and its sources, joined with `: `, skipping a source whose text its parent
/// already shows (drivers often repeat their cause).
pub(crate) fn error_chain(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !cause_text.is_empty() && !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// An unhealthy outcome whose message is `context: <error chain>`.
#[allow(
    dead_code,
    reason = "azure-identity alone uses only `error_chain`: it fails no check of its own"
)]
pub(crate) fn failed(context: &str, error: &(dyn Error + 'static)) -> CheckOutcome {
    CheckOutcome::unhealthy(format!("{context}: {}", error_chain(error)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl Error for Layer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }

    #[test]
    fn chain_skips_repeated_causes() {
        let error = Layer(
            "error connecting: Connection refused",
            Some(Box::new(Layer(
                "Connection refused",
                Some(Box::new(Layer("os error 111", None))),
            ))),
        );
        assert_eq!(
            error_chain(&error),
            "error connecting: Connection refused: os error 111"
        );
    }
}
