use health_runtime::health_check;

#[health_check]
async fn everything(
    a: &u8, b: &u16, c: &u32, d: &u64, e: &u128, f: &i8, g: &i16,
    h: &i32, i: &i64, j: &i128, k: &bool, l: &char, m: &String,
) {
    let _ = (a, b, c, d, e, f, g, h, i, j, k, l, m);
}

fn main() {}
