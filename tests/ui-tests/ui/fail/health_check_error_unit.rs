use health_runtime::health_check;

#[health_check]
async fn ping() -> Result<(), ()> {
    Err(())
}

fn main() {}
