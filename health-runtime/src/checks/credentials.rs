//! Built-in checks over a provided client register the password inside its configuration
//! before each run, so that the exact value is scrubbed from the report and the logs even
//! where no pattern would recognise it.

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;

use crate::check::resources::short_type_name;
use crate::check::{Check, IntoCheckOutcome, ResourceLookup, Resources};

/// As [`Check::with_resource`], and before each run the secrets `secrets_of` finds in the
/// resource are added to the [`Resources`]' secrets.
#[track_caller]
pub(crate) fn with_resource_secrets<T, S, F, Fut>(
    name: impl Into<Cow<'static, str>>,
    secrets_of: S,
    check: F,
) -> Check
where
    T: Send + Sync + 'static,
    S: Fn(&T) -> Option<String> + Send + Sync + 'static,
    F: Fn(Arc<T>) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoCheckOutcome,
{
    let type_name: Arc<str> = short_type_name::<T>().into();
    Check::from_fn(name, move |resources: &Resources| {
        let mut lookup = ResourceLookup::new();
        match lookup.require::<T>(resources, type_name.to_string()) {
            Some(resource) => {
                if let Some(secret) = secrets_of(&resource) {
                    resources.secrets().add(secret);
                }
                let run = check(resource);
                Box::pin(async move { run.await.into_check_outcome() })
            }
            None => {
                let outcome = lookup.not_initialised();
                Box::pin(async move { outcome })
            }
        }
    })
}

/// The password in the `Debug` form of a driver's options (`password: Some("…")`), for
/// drivers whose options keep it without a getter (sqlx).
#[cfg(any(feature = "sqlx", feature = "sqlx-mysql"))]
pub(crate) fn debug_password(options: &impl std::fmt::Debug) -> Option<String> {
    let debug = format!("{options:?}");
    let start = debug.find("password: Some(\"")? + "password: Some(\"".len();
    unescape_debug_str(&debug[start..])
}

/// The string a `Debug`-printed `"…"` holds, read up to its closing quote.
#[cfg(any(feature = "sqlx", feature = "sqlx-mysql"))]
fn unescape_debug_str(quoted: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                '0' => out.push('\0'),
                'u' => {
                    let hex: String = chars.by_ref().skip(1).take_while(|&c| c != '}').collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                other => out.push(other),
            },
            other => out.push(other),
        }
    }
    None
}

#[cfg(all(test, feature = "sqlx"))]
mod tests {
    use super::*;

    #[test]
    fn reads_the_password_of_sqlx_options() {
        let options = sqlx::postgres::PgConnectOptions::new()
            .host("db")
            .password("p\"a\\ss\n\u{7}wörd");
        assert_eq!(
            debug_password(&options).as_deref(),
            Some("p\"a\\ss\n\u{7}wörd")
        );
        let none = sqlx::postgres::PgConnectOptions::new().host("db");
        // PGPASSWORD may be set in the environment running the tests.
        assert_eq!(debug_password(&none), std::env::var("PGPASSWORD").ok());
    }
}
