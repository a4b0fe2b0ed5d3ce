//! What every test server offers the fault matrix: an address to connect to and the
//! faults of a real outage — frozen, thawed, killed, restarted on the same port.

use std::net::SocketAddr;

use crate::fault_proxy::{Fault, FaultProxy};

/// A private server (or an in-process stand-in) that the tests may break.
///
/// The application under test keeps running across every fault: it must notice the fault
/// through its checks alone, and recover by itself once the server is back.
pub trait Dependency: Send {
    /// Where clients connect: `127.0.0.1:<port>`, the same before and after a restart.
    fn addr(&self) -> SocketAddr;

    /// Stops answering while keeping its port and connections (SIGSTOP to every process
    /// of the server): requests hang.
    fn freeze(&self);

    /// Answers again after [`Dependency::freeze`], on the same connections.
    fn thaw(&self);

    /// Dies at once (SIGKILL, works on a frozen server too): connections drop, the port
    /// refuses.
    fn kill(&mut self);

    /// Kills the server if it runs and starts it again on the same port, with the same
    /// data and credentials.
    fn restart(&mut self);
}

/// An in-process server behind its proxy fails the way a process would: frozen, every
/// byte held; killed, every connection reset and new ones refused; restarted, relaying
/// again on the same port.
impl Dependency for FaultProxy {
    fn addr(&self) -> SocketAddr {
        FaultProxy::addr(self)
    }

    fn freeze(&self) {
        self.set(Fault::Blackhole);
    }

    fn thaw(&self) {
        self.set(Fault::None);
    }

    fn kill(&mut self) {
        self.set(Fault::Crash);
    }

    fn restart(&mut self) {
        self.set(Fault::None);
    }
}

/// Implements [`Dependency`] for a server type by handing every fault to one of its
/// fields (its [`Daemon`](crate::daemon::Daemon), or the [`FaultProxy`](crate::fault_proxy::FaultProxy) in front of
/// an in-process server).
#[macro_export]
macro_rules! delegate_dependency {
    ($server:ty, $field:ident) => {
        impl $crate::dependency::Dependency for $server {
            fn addr(&self) -> ::std::net::SocketAddr {
                self.$field.addr()
            }
            fn freeze(&self) {
                self.$field.freeze()
            }
            fn thaw(&self) {
                self.$field.thaw()
            }
            fn kill(&mut self) {
                self.$field.kill()
            }
            fn restart(&mut self) {
                self.$field.restart()
            }
        }
    };
}
