use health_runtime::health_check;

#[derive(Debug)]
struct PingError;

#[health_check]
async fn ping() -> Result<(), PingError> {
    Err(PingError)
}

fn main() {}
