// `tag` for `tags`: the suggestion is the list form, which is accepted.
use health_runtime::health_check;

#[health_check(tag = "db")]
async fn postgres() {}

fn main() {}
