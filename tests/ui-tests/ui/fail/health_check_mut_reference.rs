use health_runtime::health_check;

struct Connection;

#[health_check]
async fn ping(connection: &mut Connection) -> bool {
    let _ = connection;
    true
}

fn main() {}
