use health_runtime::health_check;

#[health_check]
async fn postgres()
where
    u8: Copy,
{
}

fn main() {}
