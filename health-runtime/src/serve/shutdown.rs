//! The shutdown sequence: serve until a termination signal (or the application) begins
//! shutdown, keep serving through the drain delay, then wait for the shutdown guards and
//! the requests in flight within one bound; a second signal exits at once.

use std::io;
use std::pin::pin;
use std::sync::Arc;

use super::Serve;
use super::accept::accept_loop;
use super::connections::Connections;

/// Serves until shutdown ends (see [`Serve`]).
pub(super) async fn run(serve: Serve) -> io::Result<()> {
    let Serve {
        listener,
        router,
        health,
        settings,
        max_connections,
        shutdown_timeout,
        counters,
    } = serve;
    let lifecycle = &health.state.lifecycle;
    lifecycle.listen();
    let conns = Arc::new(Connections::new(max_connections, counters));
    // Owns the listener: dropping it stops accepting and closes the socket; idle
    // connections are swept for as long as it accepts.
    let accept = accept_loop(listener, Arc::clone(&conns), settings, router);
    let sweep = conns.sweep_every(settings);
    let mut accepting = Box::pin(async {
        tokio::select! {
            () = accept => {}
            () = sweep => {}
        }
    });

    // A termination signal, or the application (or another listener of the same
    // signal, a gRPC server's `shutdown_signal()`) beginning the shutdown. Every
    // listener reads the one count of signals, so only a signal after those received
    // so far is a second one, which exits at once.
    tokio::select! {
        biased;
        () = lifecycle.signalled(1) => {}
        () = &mut accepting => {}
        () = lifecycle.shutdown_began() => {}
    }
    let second = lifecycle.signals_received().max(1) + 1;
    if lifecycle.begin_shutdown() {
        tracing::info!("shutdown began; readiness now reports shutting_down");
    }
    tracing::info!(
        drain_delay = ?health.drain_delay,
        shutdown_timeout = ?shutdown_timeout,
        "draining before the server stops"
    );
    tokio::select! {
        () = &mut accepting => {}
        () = tokio::time::sleep(health.drain_delay) => {}
        () = lifecycle.signalled(second) => return exit_at_once(&conns),
    }

    let mut bound = pin!(tokio::time::sleep(shutdown_timeout));
    let held = health.beacons.held();
    if !held.is_empty() {
        tracing::info!(?held, "waiting for the shutdown guards still held");
    }
    tokio::select! {
        () = &mut accepting => {}
        () = health.beacons.released() => {}
        () = &mut bound => {
            tracing::warn!(
                held = ?health.beacons.held(),
                ?shutdown_timeout,
                "shutdown timeout reached with shutdown guards still held; exiting"
            );
            conns.abort_all();
            return Ok(());
        }
        () = lifecycle.signalled(second) => return exit_at_once(&conns),
    }

    drop(accepting);
    conns.close_all_gracefully();
    tokio::select! {
        () = conns.all_closed() => {}
        () = &mut bound => {
            tracing::warn!(
                open = conns.open(),
                ?shutdown_timeout,
                "shutdown timeout reached with connections still open; closing them"
            );
        }
        () = lifecycle.signalled(second) => return exit_at_once(&conns),
    }
    conns.abort_all();
    Ok(())
}

fn exit_at_once(conns: &Connections) -> io::Result<()> {
    tracing::warn!(
        open = conns.open(),
        "second termination signal during shutdown; exiting at once"
    );
    conns.abort_all();
    Ok(())
}
