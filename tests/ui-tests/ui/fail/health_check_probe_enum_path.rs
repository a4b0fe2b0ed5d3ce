use health_runtime::{health_check, Probe};

#[health_check(probe = Probe::Readiness)]
async fn postgres() {}

fn main() {
    let _ = Probe::Readiness;
}
