//! Values the application provides at run time, looked up by type by the checks.

use std::any::{Any, TypeId, type_name};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use super::CheckOutcome;
use crate::redact::Secrets;

/// One provided value, type-erased, with the order it was provided in.
#[derive(Clone)]
struct Entry {
    value: Arc<dyn Any + Send + Sync>,
    provided: u64,
}

/// A store of resources keyed by type: a pool, a client, a loaded model.
///
/// A check's parameters (`&PgPool`) are looked up here each time the check runs, so a
/// resource provided, replaced or removed at run time is seen by the next run. A missing
/// resource makes the check report `"<Type> not initialised"`.
///
/// A value provided behind an `Arc` satisfies a check of the value's type: after
/// `provide(Arc::new(pool))`, a check taking `&PgPool` finds the pool, as after
/// `provide(pool)`; whichever was provided last is the one found.
///
/// ```
/// use std::sync::Arc;
/// use health_runtime::check::Resources;
///
/// struct Model(&'static str);
///
/// let resources = Resources::default();
/// assert!(resources.get::<Model>().is_none());
/// resources.provide(Model("minilm"));
/// assert_eq!(resources.get::<Model>().unwrap().0, "minilm");
/// let old = resources.provide(Model("mpnet"));
/// assert_eq!(old.unwrap().0, "minilm");
/// resources.provide(Arc::new(Model("e5")));
/// assert_eq!(resources.get::<Model>().unwrap().0, "e5");
/// assert!(resources.remove::<Model>().is_some());
/// assert!(!resources.contains::<Model>());
/// ```
///
/// Two resources of one type (a primary and a replica pool) are told apart by newtypes,
/// each its own type: `struct Replica(PgPool);` and a check taking `&Replica`.
#[derive(Default)]
pub struct Resources {
    entries: RwLock<Entries>,
    secrets: Secrets,
}

#[derive(Default)]
struct Entries {
    by_type: HashMap<TypeId, Entry>,
    provided: u64,
}

impl Resources {
    /// Provides `value`, replacing and returning the previous value of the same type.
    pub fn provide<T: Send + Sync + 'static>(&self, value: T) -> Option<Arc<T>> {
        self.provide_arc(Arc::new(value))
    }

    /// Provides a value already behind an `Arc`, replacing and returning the previous
    /// value of type `T`.
    pub fn provide_arc<T: Send + Sync + 'static>(&self, value: Arc<T>) -> Option<Arc<T>> {
        let mut entries = self.write();
        entries.provided += 1;
        let entry = Entry {
            value,
            provided: entries.provided,
        };
        let old = entries.by_type.insert(TypeId::of::<T>(), entry);
        old.map(|entry| downcast(entry.value))
    }

    /// Removes the value of type `T` (provided as `T` or as `Arc<T>`) and returns it;
    /// checks needing it report not initialised.
    pub fn remove<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let mut entries = self.write();
        let wrapped = entries.by_type.remove(&TypeId::of::<Arc<T>>());
        let plain = entries.by_type.remove(&TypeId::of::<T>());
        newest(plain, wrapped)
    }

    /// The value of type `T`, if one was provided (as `T` or as `Arc<T>`).
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let entries = self.read();
        let plain = entries.by_type.get(&TypeId::of::<T>()).cloned();
        let wrapped = entries.by_type.get(&TypeId::of::<Arc<T>>()).cloned();
        drop(entries);
        newest(plain, wrapped)
    }

    /// Whether a value of type `T` was provided (as `T` or as `Arc<T>`).
    pub fn contains<T: Send + Sync + 'static>(&self) -> bool {
        let entries = self.read();
        entries.by_type.contains_key(&TypeId::of::<T>())
            || entries.by_type.contains_key(&TypeId::of::<Arc<T>>())
    }

    /// The secret values scrubbed from every report of the checks using these resources.
    /// A run that finds a secret inside a provided client (a password in its connection
    /// settings) adds it here.
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        self.entries
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Entries> {
        self.entries
            .write()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

/// The value of the entry provided last: `plain` holds a `T`, `wrapped` an `Arc<T>`.
fn newest<T: Send + Sync + 'static>(
    plain: Option<Entry>,
    wrapped: Option<Entry>,
) -> Option<Arc<T>> {
    match (plain, wrapped) {
        (Some(plain), Some(wrapped)) if wrapped.provided > plain.provided => {
            Some(unwrap_arc(wrapped))
        }
        (Some(plain), _) => Some(downcast(plain.value)),
        (None, Some(wrapped)) => Some(unwrap_arc(wrapped)),
        (None, None) => None,
    }
}

fn unwrap_arc<T: Send + Sync + 'static>(entry: Entry) -> Arc<T> {
    Arc::clone(&downcast::<Arc<T>>(entry.value))
}

impl fmt::Debug for Resources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resources")
            .field("provided", &self.read().by_type.len())
            .field("secrets", &self.secrets)
            .finish()
    }
}

fn downcast<T: Send + Sync + 'static>(value: Arc<dyn Any + Send + Sync>) -> Arc<T> {
    value
        .downcast::<T>()
        .expect("resource entries are keyed by the TypeId of their value")
}

/// Collects the resources a check needs and remembers which are missing, so the check
/// reports all of them at once: `"PgPool, ConnectionManager not initialised"`.
///
/// Used by the code `#[health_check]` generates and by [`Check::with_resource`](crate::Check::with_resource);
/// a check written with [`Check::from_fn`](crate::Check::from_fn) can use it the same way.
///
/// ```
/// use health_runtime::check::{ResourceLookup, Resources};
///
/// struct PgPool;
/// let resources = Resources::default();
/// let mut lookup = ResourceLookup::new();
/// assert!(lookup.require::<PgPool>(&resources, "PgPool").is_none());
/// assert_eq!(lookup.not_initialised().message(), Some("PgPool not initialised"));
/// ```
#[derive(Debug, Default)]
pub struct ResourceLookup {
    missing: Vec<Cow<'static, str>>,
}

impl ResourceLookup {
    /// A lookup with nothing missing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Looks up `T`, recording `display_name` as missing when it was not provided.
    pub fn require<T: Send + Sync + 'static>(
        &mut self,
        resources: &Resources,
        display_name: impl Into<Cow<'static, str>>,
    ) -> Option<Arc<T>> {
        let found = resources.get::<T>();
        if found.is_none() {
            self.missing.push(display_name.into());
        }
        found
    }

    /// The outcome of a check whose resources were not all provided.
    pub fn not_initialised(&self) -> CheckOutcome {
        CheckOutcome::unhealthy(format!("{} not initialised", self.missing.join(", ")))
    }
}

/// The readable name of a type for messages: the last path segment of each component,
/// so `sqlx_core::pool::Pool<sqlx_postgres::Postgres>` reads `Pool<Postgres>`.
pub(crate) fn short_type_name<T: ?Sized>() -> String {
    shorten(type_name::<T>())
}

fn shorten(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut segment_start = 0;
    for (i, c) in full.char_indices() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            continue;
        }
        out.push_str(last_segment(&full[segment_start..i]));
        out.push(c);
        segment_start = i + c.len_utf8();
    }
    out.push_str(last_segment(&full[segment_start..]));
    out
}

fn last_segment(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortens_paths_inside_generics() {
        assert_eq!(shorten("alloc::string::String"), "String");
        assert_eq!(
            shorten("sqlx_core::pool::Pool<sqlx_postgres::Postgres>"),
            "Pool<Postgres>"
        );
        assert_eq!(shorten("(u8, std::sync::Arc<a::B>)"), "(u8, Arc<B>)");
    }

    #[test]
    fn lookup_reports_every_missing_resource() {
        let resources = Resources::default();
        resources.provide(1u8);
        let mut lookup = ResourceLookup::new();
        assert!(lookup.require::<u8>(&resources, "u8").is_some());
        assert!(lookup.require::<u16>(&resources, "u16").is_none());
        assert!(lookup.require::<u32>(&resources, "u32").is_none());
        assert_eq!(
            lookup.not_initialised().message(),
            Some("u16, u32 not initialised")
        );
    }
}
