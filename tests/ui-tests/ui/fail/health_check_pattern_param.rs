use health_runtime::health_check;

struct Primary;
struct Replica;

#[health_check]
async fn replication((primary, replica): &(Primary, Replica)) -> bool {
    let _ = (primary, replica);
    true
}

fn main() {}
