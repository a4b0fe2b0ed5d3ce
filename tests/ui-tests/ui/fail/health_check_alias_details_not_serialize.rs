// A `Result` behind an alias is checked as a whole.
use health_runtime::health_check;

struct Lag(u64);

#[health_check]
async fn replica() -> std::io::Result<Lag> {
    Ok(Lag(3))
}

fn main() {}
