//! URLs as the kubelet's Go client reads them: `net/url`'s `Parse`, `URL.Parse` (a
//! `Location` resolved against the request's URL, RFC 3986 §5.2), `Hostname`, `Port`,
//! `RequestURI` and `String`, byte for byte where a probe can tell the difference.
//!
//! Go's parser is not the WHATWG one browsers (and the `url` crate) follow: it keeps a host
//! name's case (`LOCALHOST` stays `LOCALHOST`, so the kubelet's redirect checker sees
//! another host), does not turn `127.1` into `127.0.0.1`, and treats `\` as an ordinary
//! byte. A probe that agrees with the kubelet needs Go's rules, hence this module.

use std::fmt;

/// A URL, parsed as Go's `net/url` parses it.
///
/// ```
/// use health_probe::Url;
///
/// let url = Url::parse("http://[::1]:8000/health/ready?verbose").unwrap();
/// assert_eq!((url.hostname(), url.port()), ("::1", "8000"));
/// assert_eq!(url.request_uri(), "/health/ready?verbose");
///
/// // A `Location` is resolved against the URL that answered it (RFC 3986 §5.2).
/// let base = Url::parse("http://10.0.0.7:8080/probes/a/live").unwrap();
/// assert_eq!(base.join("../../ok").unwrap().to_string(), "http://10.0.0.7:8080/ok");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Url {
    scheme: String,
    opaque: String,
    userinfo: Option<String>,
    host: String,
    path: String,
    force_query: bool,
    raw_query: String,
    fragment: String,
}

/// Why a URL does not parse, in Go's words (`parse "…": …`).
///
/// ```
/// use health_probe::Url;
///
/// let error = Url::parse("http://host:80x/").unwrap_err();
/// assert_eq!(error.to_string(), r#"parse "http://host:80x/": invalid port ":80x" after host"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError {
    url: String,
    reason: String,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "parse {:?}: {}", self.url, self.reason)
    }
}

impl std::error::Error for UrlError {}

/// Which part of a URL a byte is escaped or unescaped for (`net/url`'s `encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Path,
    Host,
    Zone,
    UserPassword,
    Fragment,
}

impl Url {
    /// Parses a URL or a relative reference, as `url.Parse` does.
    ///
    /// ```
    /// use health_probe::Url;
    ///
    /// // The host keeps its case, as Go keeps it.
    /// assert_eq!(Url::parse("http://LOCALHOST/x").unwrap().hostname(), "LOCALHOST");
    /// assert!(Url::parse("http://h/\u{7f}").is_err()); // a control character
    /// ```
    pub fn parse(raw: &str) -> Result<Url, UrlError> {
        let (rest, fragment) = raw.split_once('#').unwrap_or((raw, ""));
        let mut url = parse_without_fragment(rest).map_err(|reason| UrlError {
            url: rest.to_owned(),
            reason,
        })?;
        if !fragment.is_empty() {
            url.fragment = escaped(fragment, Part::Fragment).map_err(|reason| UrlError {
                url: raw.to_owned(),
                reason,
            })?;
        }
        Ok(url)
    }

    /// The URL of a Kubernetes `httpGet` probe: `formatURL` of the kubelet's `request.go`
    /// (the path parsed as a URL, or taken as a bare path when it does not parse; the
    /// scheme lower-cased; host and port joined, an IPv6 address in brackets), read back
    /// as `http.NewRequest` reads it.
    ///
    /// ```
    /// use health_probe::Url;
    ///
    /// let url = Url::for_probe("HTTP", "fd00::7", 8080, "/health?full=1").unwrap();
    /// assert_eq!(url.to_string(), "http://[fd00::7]:8080/health?full=1");
    /// assert_eq!(Url::for_probe("http", "10.0.0.7", 80, "ready").unwrap().request_uri(), "/ready");
    /// ```
    pub fn for_probe(scheme: &str, host: &str, port: u16, path: &str) -> Result<Url, UrlError> {
        let mut url = Url::parse(path).unwrap_or_else(|_| Url {
            path: escape(path.as_bytes(), Part::Path),
            ..Url::default()
        });
        url.scheme = scheme.to_ascii_lowercase();
        url.host = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        Url::parse(&url.to_string())
    }

    /// `URL.Parse(reference)`: the URL `reference` leads to from this one, as the Go client
    /// resolves a `Location` header (RFC 3986 §5.2, dot segments removed).
    ///
    /// ```
    /// use health_probe::Url;
    ///
    /// let base = Url::parse("http://10.0.0.7:8080/a/b?x=1").unwrap();
    /// assert_eq!(base.join("c").unwrap().to_string(), "http://10.0.0.7:8080/a/c");
    /// assert_eq!(base.join("?y=2").unwrap().to_string(), "http://10.0.0.7:8080/a/b?y=2");
    /// assert_eq!(base.join("//other/z").unwrap().hostname(), "other");
    /// assert_eq!(base.join("HTTPS://10.0.0.7/./z").unwrap().to_string(), "https://10.0.0.7/z");
    /// ```
    pub fn join(&self, reference: &str) -> Result<Url, UrlError> {
        Ok(self.resolve(&Url::parse(reference)?))
    }

    /// `ResolveReference`.
    fn resolve(&self, reference: &Url) -> Url {
        let mut url = reference.clone();
        if reference.scheme.is_empty() {
            url.scheme.clone_from(&self.scheme);
        }
        if !reference.scheme.is_empty()
            || !reference.host.is_empty()
            || reference.userinfo.is_some()
        {
            // An absolute URL or a network-path reference: only its own dot segments go.
            url.path = escaped_or_raw(resolve_path(&reference.path, ""));
            return url;
        }
        if !reference.opaque.is_empty() {
            url.userinfo = None;
            url.host.clear();
            url.path.clear();
            return url;
        }
        if reference.path.is_empty() && !reference.force_query && reference.raw_query.is_empty() {
            url.raw_query.clone_from(&self.raw_query);
            if reference.fragment.is_empty() {
                url.fragment.clone_from(&self.fragment);
            }
        }
        url.host.clone_from(&self.host);
        url.userinfo.clone_from(&self.userinfo);
        url.path = escaped_or_raw(resolve_path(&self.path, &reference.path));
        url
    }

    /// The scheme, lower-cased (`http`, `https`, ...; empty for a relative reference).
    ///
    /// ```
    /// assert_eq!(health_probe::Url::parse("HTTP://h/").unwrap().scheme(), "http");
    /// ```
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// `host[:port]` as written (IPv6 addresses in brackets).
    ///
    /// ```
    /// assert_eq!(health_probe::Url::parse("http://[::1]:80/").unwrap().host(), "[::1]:80");
    /// ```
    pub fn host(&self) -> &str {
        &self.host
    }

    /// `Hostname()`: the host without its port and without an IPv6 address's brackets —
    /// what the kubelet's redirect checker compares, case and all.
    ///
    /// ```
    /// use health_probe::Url;
    ///
    /// assert_eq!(Url::parse("http://[::1]:8000/").unwrap().hostname(), "::1");
    /// assert_eq!(Url::parse("http://Example.COM:80/").unwrap().hostname(), "Example.COM");
    /// ```
    pub fn hostname(&self) -> &str {
        split_host_port(&self.host).0
    }

    /// `Port()`: the port written after the host, empty when there is none.
    ///
    /// ```
    /// assert_eq!(health_probe::Url::parse("http://h/").unwrap().port(), "");
    /// ```
    pub fn port(&self) -> &str {
        split_host_port(&self.host).1
    }

    /// `RequestURI()`: the path and query of the request line (`/` for an empty path).
    ///
    /// ```
    /// assert_eq!(health_probe::Url::parse("http://h").unwrap().request_uri(), "/");
    /// ```
    pub fn request_uri(&self) -> String {
        let mut uri = if self.opaque.is_empty() {
            if self.path.is_empty() {
                "/".to_owned()
            } else {
                self.path.clone()
            }
        } else if self.opaque.starts_with("//") {
            format!("{}:{}", self.scheme, self.opaque)
        } else {
            self.opaque.clone()
        };
        if self.force_query || !self.raw_query.is_empty() {
            uri.push('?');
            uri.push_str(&self.raw_query);
        }
        uri
    }

    /// The URL without its user information, as the Go client writes a `Referer`.
    pub(crate) fn without_userinfo(&self) -> Url {
        Url {
            userinfo: None,
            ..self.clone()
        }
    }

    /// Whether it has user information (`user:password@`).
    ///
    /// ```
    /// assert!(health_probe::Url::parse("http://me@h/").unwrap().has_userinfo());
    /// ```
    pub fn has_userinfo(&self) -> bool {
        self.userinfo.is_some()
    }
}

/// `URL.String()`.
impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        if !self.scheme.is_empty() {
            out.push_str(&self.scheme);
            out.push(':');
        }
        if self.opaque.is_empty() {
            if !self.scheme.is_empty() || !self.host.is_empty() || self.userinfo.is_some() {
                if !self.host.is_empty() || !self.path.is_empty() || self.userinfo.is_some() {
                    out.push_str("//");
                }
                if let Some(userinfo) = &self.userinfo {
                    out.push_str(userinfo);
                    out.push('@');
                }
                out.push_str(&escape(self.host.as_bytes(), Part::Host));
            }
            if !self.path.is_empty() && !self.path.starts_with('/') && !self.host.is_empty() {
                out.push('/');
            }
            if out.is_empty()
                && self
                    .path
                    .split('/')
                    .next()
                    .is_some_and(|first| first.contains(':'))
            {
                out.push_str("./");
            }
            out.push_str(&self.path);
        } else {
            out.push_str(&self.opaque);
        }
        if self.force_query || !self.raw_query.is_empty() {
            out.push('?');
            out.push_str(&self.raw_query);
        }
        if !self.fragment.is_empty() {
            out.push('#');
            out.push_str(&self.fragment);
        }
        f.write_str(&out)
    }
}

/// `parse(rawURL, viaRequest=false)`.
fn parse_without_fragment(raw: &str) -> Result<Url, String> {
    if raw.bytes().any(|b| b < b' ' || b == 0x7f) {
        return Err("net/url: invalid control character in URL".to_owned());
    }
    let mut url = Url::default();
    if raw == "*" {
        url.path = "*".to_owned();
        return Ok(url);
    }
    let (scheme, rest) = split_scheme(raw)?;
    url.scheme = scheme.to_ascii_lowercase();
    let mut rest = if rest.ends_with('?') && rest.matches('?').count() == 1 {
        url.force_query = true;
        &rest[..rest.len() - 1]
    } else {
        let (before, query) = rest.split_once('?').unwrap_or((rest, ""));
        url.raw_query = query.to_owned();
        before
    };
    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            // A rootless path after a scheme is opaque (`mailto:x`).
            url.opaque = rest.to_owned();
            return Ok(url);
        }
        if rest.split('/').next().is_some_and(|s| s.contains(':')) {
            return Err("first path segment in URL cannot contain colon".to_owned());
        }
    }
    if (!url.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let authority = &rest[2..];
        let (authority, path) = match authority.find('/') {
            Some(at) => authority.split_at(at),
            None => (authority, ""),
        };
        let (userinfo, host) = parse_authority(authority)?;
        url.userinfo = userinfo;
        url.host = host;
        rest = path;
    }
    url.path = escaped(rest, Part::Path)?;
    Ok(url)
}

/// `getScheme`: `scheme:rest`, or no scheme when the text before the first `:` is not one.
fn split_scheme(raw: &str) -> Result<(&str, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err("missing protocol scheme".to_owned()),
            b':' => return Ok((&raw[..i], &raw[i + 1..])),
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

fn parse_authority(authority: &str) -> Result<(Option<String>, String), String> {
    let (userinfo, host) = match authority.rfind('@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
        None => (None, authority),
    };
    let host = parse_host(host)?;
    let Some(userinfo) = userinfo else {
        return Ok((None, host));
    };
    if !userinfo.bytes().all(is_userinfo_byte) {
        return Err("net/url: invalid userinfo".to_owned());
    }
    // Validated as Go validates it; kept as written, which is how `String()` prints it
    // for any userinfo that parses.
    for part in userinfo.splitn(2, ':') {
        unescape(part, Part::UserPassword)?;
    }
    Ok((Some(userinfo.to_owned()), host))
}

fn is_userinfo_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&b)
}

/// `parseHost`: `host[:port]`, an IPv6 literal in brackets with an optional zone.
fn parse_host(host: &str) -> Result<String, String> {
    if host.starts_with('[') {
        let close = host.rfind(']').ok_or("missing ']' in host")?;
        let colon_port = &host[close + 1..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {colon_port:?} after host"));
        }
        if let Some(zone) = host[..close].find("%25") {
            let address = unescape(&host[..zone], Part::Host)?;
            let zone_id = unescape(&host[zone..close], Part::Zone)?;
            let tail = unescape(&host[close..], Part::Host)?;
            return Ok(lossy([address, zone_id, tail].concat()));
        }
    } else if let Some(colon) = host.rfind(':') {
        let colon_port = &host[colon..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {colon_port:?} after host"));
        }
    }
    unescape(host, Part::Host).map(lossy)
}

fn lossy(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// `validOptionalPort`: empty, or `:` and digits.
fn valid_optional_port(port: &str) -> bool {
    port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
}

/// `splitHostPort` of `net/url`: a valid numeric port is split off, then brackets.
fn split_host_port(host_port: &str) -> (&str, &str) {
    let (mut host, mut port) = (host_port, "");
    if let Some(colon) = host_port.rfind(':')
        && valid_optional_port(&host_port[colon..])
    {
        (host, port) = (&host_port[..colon], &host_port[colon + 1..]);
    }
    if host.len() >= 2 && host.starts_with('[') && host.ends_with(']') {
        host = &host[1..host.len() - 1];
    }
    (host, port)
}

/// What `EscapedPath()` (or `EscapedFragment()`) returns for a part written as `raw`: the
/// text itself when it is a valid escaping, else Go's own escaping of its decoded bytes.
fn escaped(raw: &str, part: Part) -> Result<String, String> {
    let decoded = unescape(raw, part)?;
    if valid_encoded(raw, part) {
        Ok(raw.to_owned())
    } else {
        Ok(escape(&decoded, part))
    }
}

/// `setPath` after `resolvePath`, whose input was already escaped: cannot fail.
fn escaped_or_raw(path: String) -> String {
    escaped(&path, Part::Path).unwrap_or(path)
}

/// `validEncoded`: no byte that Go would escape, bar `%` (checked by unescaping).
fn valid_encoded(text: &str, part: Part) -> bool {
    text.bytes()
        .all(|b| b"!$&'()*+,;=:@[]%".contains(&b) || !should_escape(b, part))
}

/// `shouldEscape` for the parts a probe's URLs use.
fn should_escape(c: u8, part: Part) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if matches!(part, Part::Host | Part::Zone) && b"!$&'()*+,;=:[]<>\"".contains(&c) {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => match part {
            Part::Path => c == b'?',
            Part::UserPassword => matches!(c, b'@' | b'/' | b'?' | b':'),
            Part::Fragment => false,
            Part::Host | Part::Zone => true,
        },
        b'!' | b'(' | b')' | b'*' if part == Part::Fragment => false,
        _ => true,
    }
}

/// `unescape`: `%XX` decoded, with Go's checks (a host may %-encode only non-ASCII bytes).
fn unescape(text: &str, part: Part) -> Result<Vec<u8>, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let escape = &text[i..(i + 3).min(text.len())];
                let (Some(high), Some(low)) = (
                    bytes.get(i + 1).and_then(|b| hex(*b)),
                    bytes.get(i + 2).and_then(|b| hex(*b)),
                ) else {
                    return Err(format!("invalid URL escape {escape:?}"));
                };
                let value = high << 4 | low;
                if part == Part::Host && high < 8 && escape != "%25" {
                    return Err(format!("invalid URL escape {escape:?}"));
                }
                if part == Part::Zone
                    && escape != "%25"
                    && value != b' '
                    && should_escape(value, Part::Host)
                {
                    return Err(format!("invalid URL escape {escape:?}"));
                }
                out.push(value);
                i += 3;
            }
            c => {
                if matches!(part, Part::Host | Part::Zone) && c < 0x80 && should_escape(c, part) {
                    return Err(format!(
                        "invalid character {:?} in host name",
                        char::from(c).to_string()
                    ));
                }
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// `escape`: every byte Go escapes in that part as `%XX` (upper-case hex).
fn escape(bytes: &[u8], part: Part) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if should_escape(b, part) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(char::from(b));
        }
    }
    out
}

/// `resolvePath`: `reference` merged onto `base` and its dot segments removed, as Go does
/// (RFC 3986 §5.2.3 and §5.2.4).
fn resolve_path(base: &str, reference: &str) -> String {
    let full = if reference.is_empty() {
        base.to_owned()
    } else if !reference.starts_with('/') {
        let directory = base.rfind('/').map_or("", |slash| &base[..=slash]);
        format!("{directory}{reference}")
    } else {
        reference.to_owned()
    };
    if full.is_empty() {
        return String::new();
    }
    let mut out = String::from("/");
    let mut first = true;
    let mut last = "";
    for element in full.split('/') {
        last = element;
        match element {
            "." => first = false,
            ".." => {
                let kept = out[1..]
                    .rfind('/')
                    .map(|slash| out[1..][..slash].to_owned());
                out.truncate(1);
                match kept {
                    Some(kept) => out.push_str(&kept),
                    None => first = true,
                }
            }
            _ => {
                if !first {
                    out.push('/');
                }
                out.push_str(element);
                first = false;
            }
        }
    }
    if last == "." || last == ".." {
        out.push('/');
    }
    if out.len() > 1 && out.as_bytes()[1] == b'/' {
        out.remove(0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(base: &str, reference: &str) -> String {
        Url::parse(base)
            .unwrap()
            .join(reference)
            .map_or_else(|e| format!("error: {e}"), |u| u.to_string())
    }

    /// RFC 3986 §5.4's examples, as `TestResolveReference` in Go's `net/url` runs them.
    #[test]
    fn resolves_the_rfc_3986_examples() {
        let base = "http://a/b/c/d;p?q";
        for (reference, want) in [
            ("g:h", "g:h"),
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("g/", "http://a/b/c/g/"),
            ("/g", "http://a/g"),
            ("//g", "http://g"),
            ("?y", "http://a/b/c/d;p?y"),
            ("g?y", "http://a/b/c/g?y"),
            ("#s", "http://a/b/c/d;p?q#s"),
            ("g#s", "http://a/b/c/g#s"),
            ("g?y#s", "http://a/b/c/g?y#s"),
            (";x", "http://a/b/c/;x"),
            ("g;x", "http://a/b/c/g;x"),
            ("g;x?y#s", "http://a/b/c/g;x?y#s"),
            ("", "http://a/b/c/d;p?q"),
            (".", "http://a/b/c/"),
            ("./", "http://a/b/c/"),
            ("..", "http://a/b/"),
            ("../", "http://a/b/"),
            ("../g", "http://a/b/g"),
            ("../..", "http://a/"),
            ("../../", "http://a/"),
            ("../../g", "http://a/g"),
            ("../../../g", "http://a/g"),
            ("../../../../g", "http://a/g"),
            ("/./g", "http://a/g"),
            ("/../g", "http://a/g"),
            ("g.", "http://a/b/c/g."),
            (".g", "http://a/b/c/.g"),
            ("g..", "http://a/b/c/g.."),
            ("..g", "http://a/b/c/..g"),
            ("./../g", "http://a/b/g"),
            ("./g/.", "http://a/b/c/g/"),
            ("g/./h", "http://a/b/c/g/h"),
            ("g/../h", "http://a/b/c/h"),
            ("g;x=1/./y", "http://a/b/c/g;x=1/y"),
            ("g;x=1/../y", "http://a/b/c/y"),
            ("g?y/./x", "http://a/b/c/g?y/./x"),
            ("g?y/../x", "http://a/b/c/g?y/../x"),
            ("g#s/./x", "http://a/b/c/g#s/./x"),
            ("g#s/../x", "http://a/b/c/g#s/../x"),
            ("http:g", "http:g"),
        ] {
            assert_eq!(join(base, reference), want, "{reference:?}");
        }
    }

    #[test]
    fn keeps_the_host_as_written() {
        let url = Url::parse("http://LocalHost:8080/x").unwrap();
        assert_eq!((url.hostname(), url.port()), ("LocalHost", "8080"));
        assert_eq!(Url::parse("http://127.1/").unwrap().hostname(), "127.1");
        let v6 = Url::parse("http://[fe80::1%25eth0]:80/").unwrap();
        assert_eq!(v6.hostname(), "fe80::1%eth0");
        assert_eq!(Url::parse("http://h:/").unwrap().port(), "");
    }

    #[test]
    fn escapes_what_go_escapes_and_keeps_valid_escapes() {
        let url = Url::parse("http://h/a b/%7e/caf\u{e9}?q=1 2").unwrap();
        // Not a valid escaping (a space): Go escapes the decoded path anew, `%7e` included.
        assert_eq!(url.request_uri(), "/a%20b/~/caf%C3%A9?q=1 2");
        // A valid escaping is kept as written.
        assert_eq!(Url::parse("/x/%7e").unwrap().request_uri(), "/x/%7e");
        assert_eq!(Url::parse("/a%2Fb").unwrap().request_uri(), "/a%2Fb");
        assert_eq!(join("http://h/x/", "./a%20b"), "http://h/x/a%20b");
    }

    #[test]
    fn refuses_what_go_refuses() {
        for (bad, reason) in [
            ("http://h/\n", "invalid control character"),
            (":x", "missing protocol scheme"),
            ("http://[::1/", "missing ']' in host"),
            ("http://h:8x/", "invalid port"),
            ("http://h/%zz", "invalid URL escape"),
            ("http://%41/", "invalid URL escape"),
            ("http://h h/", "invalid character"),
            ("1a:b", "first path segment in URL cannot contain colon"),
            ("http://us er@h/", "invalid userinfo"),
        ] {
            let error = Url::parse(bad).expect_err(bad).to_string();
            assert!(error.contains(reason), "{bad}: {error}");
        }
        // A scheme followed by a rootless path is opaque, not an error.
        assert_eq!(Url::parse("mailto:x@y").unwrap().opaque, "x@y");
        assert!(
            Url::parse("x/y:z").is_ok(),
            "the colon is not in the first segment"
        );
        assert!(Url::parse("./a:b").is_ok());
    }

    #[test]
    fn request_uri_and_string_agree_with_go() {
        assert_eq!(Url::parse("http://h").unwrap().request_uri(), "/");
        assert_eq!(Url::parse("http://h?").unwrap().request_uri(), "/?");
        assert_eq!(Url::parse("http://h/p#f").unwrap().request_uri(), "/p");
        assert_eq!(
            Url::parse("http://u:p@h/p?q#f").unwrap().to_string(),
            "http://u:p@h/p?q#f"
        );
        assert_eq!(
            Url::parse("http://u:p@h/p")
                .unwrap()
                .without_userinfo()
                .to_string(),
            "http://h/p"
        );
    }
}
