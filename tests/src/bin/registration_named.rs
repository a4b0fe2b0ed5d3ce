//! Names `checklib` with `use checklib as _;`, which links it: its `#[health_check]` is
//! registered.

use checklib as _;

fn main() {
    tests::registration::print_registration();
}
