use health_runtime::health_check;

struct Lag(u64);

#[health_check]
async fn replica() -> Result<Lag, String> {
    Ok(Lag(3))
}

fn main() {}
