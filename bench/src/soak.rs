//! Figures 12 and 14: the library as the README deploys it (`health_runtime::serve`), for
//! long runs. With `--soak`, bench-server serves only these (and the upstream and `/stats`):
//!
//! | port | serves |
//! |---|---|
//! | BASE | `/stats`: the requests each server answered (`soak.cached`, `soak.background`, `soak.app`) and each server's connection counters (`serve.PORT.*`) |
//! | BASE+1 | figure 4's real checks cached (TTL 1 s), requests counted |
//! | BASE+2 | figure 4's real checks refreshed in the background (1 s), requests counted |
//! | BASE+3 | figure 14: an application route `/app` beside cached readiness over the real checks |
//! | BASE+9 | the tiny upstream the HTTP checks `GET` |

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::routing::get;
use serde::Serialize;

use crate::baseline::{Clients, RealCounters};
use crate::counters::Counters;
use crate::library::{self, Reuse};
use crate::{TIMEOUT, counted, listen_served};

/// What the application route answers: a small order, serialised for each request.
#[derive(Serialize)]
struct Order {
    id: u64,
    customer: &'static str,
    items: [(&'static str, u32); 3],
    total_cents: u64,
}

async fn app() -> Json<Order> {
    Json(Order {
        id: 4_211,
        customer: "ACME Corporation",
        items: [("widget", 3), ("sprocket", 12), ("flange", 1)],
        total_cents: 12_345,
    })
}

/// The soak servers on BASE+1..=3.
pub async fn serve(
    port: u16,
    clients: &Clients,
    real: &dyn Fn(&str) -> RealCounters,
    counters: &Counters,
    up: &Arc<AtomicBool>,
) {
    let servers = [
        (1, "soak.cached", Reuse::Ttl(Duration::from_secs(1))),
        (
            2,
            "soak.background",
            Reuse::Background(Duration::from_secs(1)),
        ),
        (3, "soak.app", Reuse::Ttl(Duration::from_secs(1))),
    ];
    for (offset, name, reuse) in servers {
        let health = library::real(clients, &real(name), up, TIMEOUT, reuse);
        let mut router: Router = health.router();
        if offset == 3 {
            router = router.route("/app", get(app));
        }
        let router = counted(router, counters.get(name));
        listen_served(port + offset, router, &health, counters).await;
    }
}
