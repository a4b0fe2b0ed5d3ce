//! Serving a pass file's router: each request goes through the router as a real one does
//! (tower's `oneshot`), on one runtime with the timers the checks' timeouts need.

#![allow(dead_code)]

use std::future::Future;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::Value;
use tokio::runtime::Runtime;
use tower::ServiceExt;

pub struct Server {
    runtime: Runtime,
    router: Router,
}

impl Server {
    pub fn new(router: Router) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        Server { runtime, router }
    }

    /// Runs `future` on the server's runtime, where the checks run (to connect a client
    /// that spawns its own task, for example).
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// The status and JSON body of `GET path`.
    pub fn get(&self, path: &str) -> (u16, Value) {
        self.runtime.block_on(async {
            let request = Request::get(path).body(Body::empty()).unwrap();
            let response = self.router.clone().oneshot(request).await.unwrap();
            let status = response.status().as_u16();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            (status, serde_json::from_slice(&body).unwrap())
        })
    }

    /// Asserts that the router serves exactly the readiness checks `names`, each healthy,
    /// both in the readiness report and on its own route.
    pub fn assert_ready(&self, names: &[&str]) {
        let (status, body) = self.get("/health/started");
        assert_eq!(status, 200, "startup: {body}");
        let (status, body) = self.get("/health/ready");
        assert_eq!(status, 200, "readiness: {body}");
        let mut served: Vec<&str> = body["checks"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        served.sort_unstable();
        let mut expected = names.to_vec();
        expected.sort_unstable();
        assert_eq!(served, expected, "{body}");
        for name in names {
            assert_eq!(body["checks"][name]["healthy"], true, "{name}: {body}");
            let (status, one) = self.get(&format!("/health/ready/{name}"));
            assert_eq!(status, 200, "{name}: {one}");
        }
    }
}

/// [`Server::assert_ready`] on a router of its own.
pub fn assert_ready(router: Router, names: &[&str]) {
    Server::new(router).assert_ready(names);
}
