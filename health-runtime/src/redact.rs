//! What of an error message may be shown in a response.

/// The longest error message a response carries; the rest is cut with `…`.
pub const MAX_ERROR_LEN: usize = 1024;

/// The form of a check's error message that is safe to put in a response.
pub(crate) fn public_error(message: String) -> String {
    cap(message)
}

fn cap(mut message: String) -> String {
    if message.len() > MAX_ERROR_LEN {
        let mut end = MAX_ERROR_LEN;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push('…');
    }
    message
}
