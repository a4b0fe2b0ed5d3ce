//! What the registration binaries print: the checks a handle expecting `library_check`
//! has, or the error that it is missing.

/// Builds a handle that expects `library_check` and prints what became of it.
pub fn print_registration() {
    let built = health_runtime::Health::builder()
        .expect_checks(["library_check"])
        .build();
    match built {
        Ok(health) => {
            let names: Vec<_> = health
                .checks()
                .iter()
                .map(|c| c.name().to_owned())
                .collect();
            println!("registered: {}", names.join(","));
        }
        Err(error) => println!("error: {error}"),
    }
}
