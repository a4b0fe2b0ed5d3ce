//! The page's only style and script, inline, and the `Content-Security-Policy` that allows
//! exactly them (by their SHA-256 hashes) and nothing from another origin.

use std::sync::OnceLock;

use axum::http::HeaderValue;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The page's style. Colours pass WCAG AA contrast (4.5:1) against their backgrounds;
/// status is always written out too, never shown by colour alone.
pub(super) const STYLE: &str = r#"
:root{color-scheme:light;--fg:#1b1f24;--muted:#4d5661;--line:#d0d7de;--ok:#1a7f37;--warn:#8a5a00;--bad:#b42318;--bg:#fff;--panel:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
.skip{position:absolute;left:-10000px}
.skip:focus{left:1rem;top:1rem;background:var(--bg);padding:.5rem;z-index:1}
header{display:flex;flex-wrap:wrap;align-items:baseline;gap:.5rem 1.5rem;padding:1rem 1.5rem;border-bottom:1px solid var(--line);background:var(--panel)}
h1{font-size:1.3rem;margin:0}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
main{padding:0 1.5rem 2rem}
#live-status{color:var(--muted);margin:0}
.states{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:.5rem;margin:0}
.states div{border:1px solid var(--line);border-radius:6px;padding:.5rem .75rem}
.states dt{color:var(--muted);font-size:.85rem}
.states dd{margin:0;font-weight:600}
table{border-collapse:collapse;width:100%}
caption{text-align:left;color:var(--muted);padding:.25rem 0}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
thead th{font-size:.85rem;color:var(--muted)}
td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:1rem;color:#fff;font-weight:600;white-space:nowrap}
.ok{background:var(--ok)}.warn{background:var(--warn)}.bad{background:var(--bad)}.none{background:var(--muted)}
.error{color:var(--bad);overflow-wrap:anywhere}
.muted{color:var(--muted)}
th .muted{font-weight:400;font-size:.85rem}
svg{display:block}
.spark{fill:none;stroke:#0550ae;stroke-width:1.5}
.t-healthy{fill:var(--ok)}.t-degraded{fill:#bf8700}.t-unhealthy{fill:var(--bad)}
ol.transitions{padding-left:1.25rem}
ol.transitions li{margin:.2rem 0}
form{display:flex;gap:.5rem;align-items:center;flex-wrap:wrap}
input{font:inherit;padding:.25rem .5rem;border:1px solid var(--muted);border-radius:4px}
button{font:inherit;padding:.25rem .75rem;border:1px solid var(--fg);border-radius:4px;background:var(--bg);color:var(--fg);cursor:pointer}
:focus-visible{outline:3px solid #0969da;outline-offset:2px}
.notice{border-left:4px solid var(--warn);padding:.5rem .75rem;background:var(--panel)}
"#;

/// The page's script: asks the live fragment every 300 ms and swaps it in when it
/// changed, keeping the focus where it was; stops asking while the tab is hidden.
pub(super) const SCRIPT: &str = r#"
(() => {
  const main = document.getElementById('main');
  const status = document.getElementById('live-status');
  const url = main.dataset.live;
  let shown = null;
  let busy = false;
  async function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const response = await fetch(url, { cache: 'no-store', credentials: 'same-origin' });
      const html = await response.text();
      if (html !== shown) {
        const focused = document.activeElement && document.activeElement.id;
        main.innerHTML = html;
        shown = html;
        const again = focused && document.getElementById(focused);
        if (again) again.focus();
      }
      status.textContent = 'Live: updated ' + new Date().toLocaleTimeString();
    } catch (error) {
      status.textContent = 'Live updates paused: the service does not answer';
    } finally {
      busy = false;
    }
  }
  status.textContent = 'Live: updating every 300 ms';
  setInterval(refresh, 300);
  refresh();
})();
"#;

/// The `Content-Security-Policy` of every page response.
pub(super) fn content_security_policy() -> HeaderValue {
    static POLICY: OnceLock<HeaderValue> = OnceLock::new();
    POLICY
        .get_or_init(|| {
            let policy = format!(
                "default-src 'none'; script-src '{}'; style-src '{}'; img-src data:; \
                 connect-src 'self'; form-action 'self'; base-uri 'none'; \
                 frame-ancestors 'none'",
                hash(SCRIPT),
                hash(STYLE)
            );
            HeaderValue::from_str(&policy).expect("the policy is ASCII")
        })
        .clone()
}

/// The CSP source of an inline element with this text: `sha256-<base64>`.
fn hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_the_inline_assets_by_hash_and_no_other_origin() {
        let policy = content_security_policy();
        let policy = policy.to_str().unwrap();
        assert!(policy.starts_with("default-src 'none';"), "{policy}");
        assert!(policy.contains(&format!("script-src '{}'", hash(SCRIPT))));
        assert!(policy.contains(&format!("style-src '{}'", hash(STYLE))));
        assert!(
            !policy.contains("unsafe") && !policy.contains("http"),
            "{policy}"
        );
        // RFC 4648 test vector, through the same encoding.
        assert_eq!(
            hash(""),
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }
}
