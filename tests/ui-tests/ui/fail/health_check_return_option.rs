use health_runtime::health_check;

#[health_check]
async fn lookup() -> Option<()> {
    Some(())
}

fn main() {}
