use health_runtime::health_check;

trait Ping {}

#[health_check]
async fn ping(client: &impl Ping) {
    let _ = client;
}

fn main() {}
