//! Shared access signatures: the tokens a Service Bus key signs for the CBS node.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use ring::hmac;

/// How long a token signed for one check run is valid: a run lasts seconds at most.
pub(super) const TOKEN_LIFETIME: Duration = Duration::from_secs(300);

/// `SharedAccessSignature sr=<audience>&sig=<signature>&se=<expiry>&skn=<key name>`, the
/// HMAC-SHA256 by `key` of the URL-encoded audience and the expiry (seconds since the
/// epoch), as the service documents it.
pub(super) fn token(audience: &str, key_name: &str, key: &str, expiry: u64) -> String {
    let resource = encode(audience);
    let signed = format!("{resource}\n{expiry}");
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes()),
        signed.as_bytes(),
    );
    let signature = base64::engine::general_purpose::STANDARD.encode(tag.as_ref());
    format!(
        "SharedAccessSignature sr={resource}&sig={}&se={expiry}&skn={}",
        encode(&signature),
        encode(key_name)
    )
}

/// The expiry of a token signed now, in seconds since the epoch.
pub(super) fn expiry_from_now() -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (now + TOKEN_LIFETIME).as_secs()
}

/// The expiry (`se=`, seconds since the epoch) of a ready-made signature, sent as its
/// `expiration` on `$cbs`.
pub(super) fn signature_expiry(signature: &str) -> Option<SystemTime> {
    let fields = signature.strip_prefix("SharedAccessSignature ")?;
    let (_, seconds) = form_urlencoded::parse(fields.as_bytes()).find(|(key, _)| key == "se")?;
    Some(UNIX_EPOCH + Duration::from_secs(seconds.parse().ok()?))
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_of_a_ready_made_signature() {
        let signature = token("sb://ns/q", "listen", "a2V5", 1_700_000_000);
        assert_eq!(
            signature_expiry(&signature),
            Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        );
        assert_eq!(signature_expiry("Bearer x"), None);
    }

    /// The signature the service computes for these inputs (HMAC-SHA256 over
    /// `sb%3A%2F%2Fns.servicebus.windows.net%2Fq\n1700000000` with the key's UTF-8 bytes).
    #[test]
    fn token_shape() {
        let token = token(
            "sb://ns.servicebus.windows.net/q",
            "listen",
            "a2V5",
            1_700_000_000,
        );
        assert!(
            token.starts_with(
                "SharedAccessSignature sr=sb%3A%2F%2Fns.servicebus.windows.net%2Fq&sig="
            ),
            "{token}"
        );
        assert!(token.ends_with("&se=1700000000&skn=listen"), "{token}");
        let sig = token
            .split("&sig=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap();
        let decoded: String = form_urlencoded::parse(format!("s={sig}").as_bytes())
            .next()
            .unwrap()
            .1
            .into_owned();
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(decoded)
                .unwrap()
                .len(),
            32
        );
    }
}
