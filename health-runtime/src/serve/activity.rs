//! Activity tracking: a request is in flight from its headers until its response body
//! ends, so that idle connections are told from busy ones. It costs a request two atomic
//! counts and a store of the coarse clock, and no allocation: the router's future and
//! body are wrapped, not boxed again.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, ready};

use axum::Router;
use axum::body::Body;
use axum::response::Response;
use axum::routing::future::RouteFuture;
use hyper::body::{Frame, Incoming, SizeHint};

use super::connections::Conn;

/// A request in flight on a connection, from its headers until its response body ends.
struct InFlight(Arc<Conn>);

impl InFlight {
    fn begin(conn: &Arc<Conn>) -> InFlight {
        conn.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(Arc::clone(conn))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let conn = &self.0;
        conn.last_active.store(conn.clock.now(), Ordering::Release);
        conn.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The router, as hyper calls it for each request of one connection.
pub(super) struct ConnService {
    pub(super) router: Router,
    pub(super) conn: Arc<Conn>,
}

impl hyper::service::Service<hyper::Request<Incoming>> for ConnService {
    type Response = hyper::Response<TrackedBody>;
    type Error = Infallible;
    type Future = Tracked;

    fn call(&self, request: hyper::Request<Incoming>) -> Self::Future {
        let in_flight = InFlight::begin(&self.conn);
        // A `Router` is always ready.
        let future = tower_service::Service::call(&mut self.router.clone(), request);
        Tracked {
            future,
            in_flight: Some(in_flight),
        }
    }
}

/// The router's response future, keeping its request in flight into the response body.
pub(super) struct Tracked {
    future: RouteFuture<Infallible>,
    in_flight: Option<InFlight>,
}

impl Future for Tracked {
    type Output = Result<hyper::Response<TrackedBody>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let response: Response = ready!(Pin::new(&mut self.future).poll(cx))?;
        let in_flight = self.in_flight.take();
        Poll::Ready(Ok(response.map(|body| TrackedBody {
            body,
            _in_flight: in_flight,
        })))
    }
}

/// A response body that keeps its request in flight until it is sent or dropped.
pub(super) struct TrackedBody {
    body: Body,
    _in_flight: Option<InFlight>,
}

impl http_body::Body for TrackedBody {
    type Data = hyper::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
