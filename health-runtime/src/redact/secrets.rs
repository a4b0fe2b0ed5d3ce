//! The secret values one `Health` knows about: registered by the application and by the
//! checks that were given credentials, and scrubbed from everything a run reports.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, RwLock};

use super::mask::MASK;

/// A set of secret values scrubbed, exactly and wherever they appear, from every error,
/// `details` value and log line of the checks of one [`Health`](crate::Health) — the first
/// line of redaction, before the patterns of [`redact`](crate::redact::redact).
///
/// Each value is also scrubbed in its URL-encoded forms (`p@ss/word` as `p%40ss%2Fword`),
/// as drivers print it inside connection strings.
///
/// ```
/// use health_runtime::redact::Secrets;
///
/// let secrets = Secrets::default();
/// secrets.add("hunter2/#?");
/// assert_eq!(secrets.scrub("auth failed for hunter2/#?"), "auth failed for ***");
/// assert_eq!(secrets.scrub("redis://:hunter2%2F%23%3F@cache"), "redis://:***@cache");
/// ```
///
/// Cheap to clone: every clone is the same set.
#[derive(Clone, Default)]
pub struct Secrets {
    /// Every form of every secret, longest first, so that a secret containing another is
    /// replaced whole.
    forms: Arc<RwLock<Vec<String>>>,
    /// The values given to [`Secrets::add`], which are kept for good.
    kept: Arc<RwLock<HashSet<String>>>,
    /// Per rotating secret, its current value and the one before.
    rotating: Arc<Mutex<HashMap<String, Rotation>>>,
}

/// A rotating secret's values still scrubbed: the current one, and the one it replaced,
/// which requests sent before the rotation may still report.
#[derive(Default)]
struct Rotation {
    current: String,
    previous: Option<String>,
}

impl Secrets {
    /// Adds a secret value, for good; an empty value is ignored.
    pub fn add(&self, secret: impl AsRef<str>) {
        let secret = secret.as_ref();
        // Checks add the password of their client before every run: most adds are repeats.
        if secret.is_empty() || self.read_kept().contains(secret) {
            return;
        }
        self.kept
            .write()
            .unwrap_or_else(|poison| poison.into_inner())
            .insert(secret.to_owned());
        self.insert(secret);
    }

    /// Makes `secret` the current value of the rotating secret `name` (an access token
    /// refreshed before it expires, say). The value it replaces is still scrubbed, since
    /// requests sent with it may report it after the rotation; the one before that is no
    /// longer, unless it was also given to [`Secrets::add`]. So a token refreshed every
    /// hour for months costs two entries, not thousands.
    ///
    /// ```
    /// use health_runtime::redact::Secrets;
    ///
    /// let secrets = Secrets::default();
    /// secrets.rotate("openai-token", "token-one");
    /// secrets.rotate("openai-token", "token-two");
    /// secrets.rotate("openai-token", "token-three");
    /// assert_eq!(secrets.scrub("token-three token-two"), "*** ***");
    /// assert_eq!(secrets.scrub("token-one"), "token-one");
    /// ```
    pub fn rotate(&self, name: &str, secret: impl AsRef<str>) {
        let secret = secret.as_ref();
        if secret.is_empty() {
            return;
        }
        let retired = {
            let mut rotating = self
                .rotating
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            let rotation = rotating.entry(name.to_owned()).or_default();
            if rotation.current == secret {
                return;
            }
            let replaced = std::mem::replace(&mut rotation.current, secret.to_owned());
            let retired = std::mem::replace(
                &mut rotation.previous,
                (!replaced.is_empty()).then_some(replaced),
            );
            self.insert(secret);
            retired.filter(|retired| {
                !self.read_kept().contains(retired)
                    && !rotating.values().any(|other| {
                        other.current == *retired || other.previous.as_ref() == Some(retired)
                    })
            })
        };
        if let Some(retired) = retired {
            let forms = encoded_forms(&retired);
            self.forms
                .write()
                .unwrap_or_else(|poison| poison.into_inner())
                .retain(|form| !forms.contains(form));
        }
    }

    /// Adds every form of `secret` to the forms scrubbed.
    fn insert(&self, secret: &str) {
        if self.read().iter().any(|form| form == secret) {
            return;
        }
        let mut forms = self
            .forms
            .write()
            .unwrap_or_else(|poison| poison.into_inner());
        for form in encoded_forms(secret) {
            if !forms.contains(&form) {
                forms.push(form);
            }
        }
        forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
    }

    /// Whether no secret was added yet (nothing is scrubbed but the patterns).
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// The length in bytes of the longest form of any secret (0 when there is none).
    pub(crate) fn longest_form(&self) -> usize {
        self.read().first().map_or(0, String::len)
    }

    /// `text` with every known secret replaced by `***`.
    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let forms = self.read();
        let mut text = Cow::Borrowed(text);
        for form in forms.iter() {
            if text.contains(form.as_str()) {
                text = Cow::Owned(text.replace(form.as_str(), MASK));
            }
        }
        text
    }

    fn read_kept(&self) -> std::sync::RwLockReadGuard<'_, HashSet<String>> {
        self.kept
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<String>> {
        self.forms
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets({} forms)", self.read().len())
    }
}

/// The secret as written, percent-encoded (upper- and lowercase hex) and form-encoded.
fn encoded_forms(secret: &str) -> Vec<String> {
    let upper = percent_encode(secret, b"0123456789ABCDEF");
    let lower = percent_encode(secret, b"0123456789abcdef");
    let form: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let mut forms = vec![secret.to_owned()];
    for encoded in [upper, lower, form] {
        if !forms.contains(&encoded) {
            forms.push(encoded);
        }
    }
    forms
}

/// Every byte but RFC 3986's unreserved characters as `%XX`.
fn percent_encode(secret: &str, hex: &[u8; 16]) -> String {
    let mut out = String::with_capacity(secret.len() * 3);
    for byte in secret.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(hex[usize::from(byte >> 4)]));
            out.push(char::from(hex[usize::from(byte & 0xf)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_every_form_and_keeps_the_rest() {
        let secrets = Secrets::default();
        secrets.add("pa ss/wörd");
        secrets.add("");
        let text =
            "pa ss/wörd | pa%20ss%2Fw%C3%B6rd | pa+ss%2Fw%C3%B6rd | pa%20ss%2fw%c3%b6rd | ok";
        assert_eq!(secrets.scrub(text), "*** | *** | *** | *** | ok");
        assert!(matches!(secrets.scrub("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_rotating_secret_keeps_two_values_and_never_one_added_for_good() {
        let secrets = Secrets::default();
        secrets.add("kept/one");
        for n in 0..1000 {
            secrets.rotate("token", format!("token-{n}"));
        }
        secrets.rotate("token", "kept/one");
        secrets.rotate("token", "token-after");
        secrets.rotate("token", "token-last");
        assert_eq!(secrets.scrub("token-last token-after"), "*** ***");
        assert_eq!(secrets.scrub("token-999 kept/one"), "token-999 ***");
        // The kept secret, the two live tokens: each in its encoded forms, nothing more.
        assert!(secrets.read().len() <= 3 * 4, "{secrets:?}");
    }

    #[test]
    fn a_secret_containing_another_is_replaced_whole() {
        let secrets = Secrets::default();
        secrets.add("abc");
        secrets.add("abcdef");
        assert_eq!(secrets.scrub("x abcdef y abc"), "x *** y ***");
        assert!(!format!("{secrets:?}").contains("abc"));
    }
}
