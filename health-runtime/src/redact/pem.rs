//! PEM blocks (`-----BEGIN RSA PRIVATE KEY-----` … `-----END RSA PRIVATE KEY-----`): the
//! body is masked whole, the armour lines kept so the message still says what it held.

use super::mask::MASK;

const BEGIN: &str = "-----BEGIN ";
const END: &str = "-----END ";
const DASHES: &str = "-----";

/// Masks the body of every PEM block; a block cut before its `END` line is masked to the
/// end of the text.
pub(super) fn mask_pem_blocks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(begin) = rest.find(BEGIN) {
        let label_start = begin + BEGIN.len();
        let Some(label_len) = rest[label_start..].find(DASHES) else {
            break;
        };
        let body_start = label_start + label_len + DASHES.len();
        out.push_str(&rest[..body_start]);
        out.push_str(MASK);
        rest = &rest[body_start..];
        match rest.find(END) {
            Some(end) => rest = &rest[end..],
            None => return out,
        }
        out.push_str(END);
        rest = &rest[END.len()..];
    }
    out.push_str(rest);
    out
}
