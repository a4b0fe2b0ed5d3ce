//! Values the application provides at run time, looked up by type by the checks.

use std::any::{Any, TypeId, type_name};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use crate::CheckOutcome;

type Slot = Arc<dyn Any + Send + Sync>;

/// A store of resources keyed by type: a pool, a client, a loaded model.
///
/// A check's parameters (`&PgPool`) are looked up here each time the check runs, so a
/// resource provided, replaced or removed at run time is seen by the next run. A missing
/// resource makes the check report `"<Type> not initialised"`.
///
/// ```
/// use health_runtime::Resources;
///
/// struct Model(&'static str);
///
/// let resources = Resources::default();
/// assert!(resources.get::<Model>().is_none());
/// resources.provide(Model("minilm"));
/// assert_eq!(resources.get::<Model>().unwrap().0, "minilm");
/// let old = resources.provide(Model("mpnet"));
/// assert_eq!(old.unwrap().0, "minilm");
/// assert_eq!(resources.remove::<Model>().unwrap().0, "mpnet");
/// ```
#[derive(Default)]
pub struct Resources {
    slots: RwLock<HashMap<TypeId, Slot>>,
}

impl Resources {
    /// Provides `value`, replacing and returning the previous value of the same type.
    pub fn provide<T: Send + Sync + 'static>(&self, value: T) -> Option<Arc<T>> {
        self.provide_arc(Arc::new(value))
    }

    /// Provides a value already behind an `Arc`, replacing and returning the previous one.
    pub fn provide_arc<T: Send + Sync + 'static>(&self, value: Arc<T>) -> Option<Arc<T>> {
        let old = self.write().insert(TypeId::of::<T>(), value);
        old.map(downcast)
    }

    /// Removes and returns the value of type `T`; checks needing it report not initialised.
    pub fn remove<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.write().remove(&TypeId::of::<T>()).map(downcast)
    }

    /// The value of type `T`, if one was provided.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let slots = self
            .slots
            .read()
            .unwrap_or_else(|poison| poison.into_inner());
        slots.get(&TypeId::of::<T>()).cloned().map(downcast)
    }

    /// Whether a value of type `T` was provided.
    pub fn contains<T: Send + Sync + 'static>(&self) -> bool {
        let slots = self
            .slots
            .read()
            .unwrap_or_else(|poison| poison.into_inner());
        slots.contains_key(&TypeId::of::<T>())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<TypeId, Slot>> {
        self.slots
            .write()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

impl fmt::Debug for Resources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let slots = self
            .slots
            .read()
            .unwrap_or_else(|poison| poison.into_inner());
        f.debug_struct("Resources")
            .field("provided", &slots.len())
            .finish()
    }
}

fn downcast<T: Send + Sync + 'static>(slot: Slot) -> Arc<T> {
    slot.downcast::<T>()
        .expect("resource slots are keyed by the TypeId of their value")
}

/// Collects the resources a check needs and remembers which are missing, so the check
/// reports all of them at once: `"PgPool, ConnectionManager not initialised"`.
///
/// Used by the code `#[health_check]` generates and by [`Check::with_resource`](crate::Check::with_resource).
///
/// ```
/// use health_runtime::{ResourceLookup, Resources};
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
