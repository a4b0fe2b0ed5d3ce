//! The text of an error of `azure_identity` or of the transport, its causes included.

/// `error` and its sources, joined with `: `, a source its parent already shows left out
/// (azure_core and hyper repeat their causes).
pub(super) fn error_text(error: &(dyn std::error::Error + 'static)) -> String {
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
