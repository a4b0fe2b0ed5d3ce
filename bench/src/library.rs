//! The same checks through the library: `Health::builder()` and `health.router()`, with
//! the built-in checks (`checks::sqlx`, `checks::redis`, `checks::hyper`) as check bodies.
//! Each body is wrapped only to count its runs on the benchmark's side.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use health_runtime::checks::{self, HttpTarget};
use health_runtime::{Check, Health, HealthBuilder};
use redis::aio::ConnectionManager;

use crate::baseline::{Clients, RealCounters, flag_check};
use crate::counters::Counter;

fn flag(
    name: &'static str,
    counter: &Arc<Counter>,
    flag: &Arc<AtomicBool>,
    timeout: Duration,
) -> Check {
    let counter = Arc::clone(counter);
    let flag = Arc::clone(flag);
    Check::new(name, move || {
        let counter = Arc::clone(&counter);
        let flag = Arc::clone(&flag);
        async move { flag_check(&counter, &flag).await }
    })
    .timeout(timeout)
}

/// N in-process checks.
pub fn in_process(
    names: &[&'static str],
    counter: &Arc<Counter>,
    up: &Arc<AtomicBool>,
    timeout: Duration,
) -> Health {
    in_process_counted(names, counter, up, timeout, 1, 1)
}

/// N in-process checks, each counted against thresholds: unhealthy after `failures`
/// consecutive failed runs, healthy again after `successes` good ones.
pub fn in_process_counted(
    names: &[&'static str],
    counter: &Arc<Counter>,
    up: &Arc<AtomicBool>,
    timeout: Duration,
    failures: u32,
    successes: u32,
) -> Health {
    names
        .iter()
        .fold(Health::builder().without_registered(), |builder, &name| {
            let check = flag(name, counter, up, timeout)
                .failures(failures)
                .successes(successes);
            builder.check(check)
        })
        .build()
        .expect("valid in-process checks")
}

/// How the real checks' results are reused.
pub enum Reuse {
    Uncached,
    Ttl(Duration),
    Background(Duration),
}

/// Postgres `SELECT 1`, Redis `PING`, HTTP `GET` and a flag.
pub fn real(
    clients: &Clients,
    counters: &RealCounters,
    up: &Arc<AtomicBool>,
    timeout: Duration,
    reuse: Reuse,
) -> Health {
    let pool = clients.pg.clone();
    let pg_counter = Arc::clone(&counters.pg);
    let postgres = Check::new("postgres", move || {
        let pool = pool.clone();
        let counter = Arc::clone(&pg_counter);
        async move {
            let _running = counter.enter();
            checks::sqlx::select_one(&pool).await
        }
    });
    let redis = redis_check(&clients.redis, &counters.redis);
    let client = clients.http.clone();
    let target = Arc::new(HttpTarget::get(clients.url.to_string()));
    let http_counter = Arc::clone(&counters.http);
    let http = Check::new("http", move || {
        let client = client.clone();
        let target = Arc::clone(&target);
        let counter = Arc::clone(&http_counter);
        async move {
            let _running = counter.enter();
            checks::hyper::get(&client, &target).await
        }
    });
    let builder: HealthBuilder = Health::builder()
        .without_registered()
        .check(postgres.timeout(timeout))
        .check(redis.timeout(timeout))
        .check(http.timeout(timeout))
        .check(flag("flag", &counters.flag, up, timeout));
    let builder = match reuse {
        Reuse::Uncached => builder,
        Reuse::Ttl(ttl) => builder.cache_ttl(ttl),
        Reuse::Background(period) => builder.background(period),
    };
    builder.build().expect("valid real checks")
}

fn redis_check(connection: &ConnectionManager, counter: &Arc<Counter>) -> Check {
    let connection = connection.clone();
    let counter = Arc::clone(counter);
    Check::new("redis", move || {
        let mut connection = connection.clone();
        let counter = Arc::clone(&counter);
        async move {
            let _running = counter.enter();
            checks::redis::ping(&mut connection).await
        }
    })
}

/// A Redis `PING` (to the server the benchmark freezes) and a flag.
pub fn frozen(
    connection: &ConnectionManager,
    redis_counter: &Arc<Counter>,
    flag_counter: &Arc<Counter>,
    up: &Arc<AtomicBool>,
    timeout: Duration,
) -> Health {
    Health::builder()
        .without_registered()
        .check(redis_check(connection, redis_counter).timeout(timeout))
        .check(flag("flag", flag_counter, up, timeout))
        .build()
        .expect("valid frozen checks")
}
