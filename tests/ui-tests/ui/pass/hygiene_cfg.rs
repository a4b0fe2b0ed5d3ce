//! Checks behind `cfg`, whichever order the attributes are written in: a check compiled out
//! is neither registered nor listable; one compiled in is served.

#[path = "../support/serve.rs"]
mod serve;

use health_runtime::{Health, health_check, health_routes};

#[cfg(all())]
#[health_check]
async fn cfg_before() {}

#[health_check]
#[cfg(all())]
async fn cfg_after() {}

#[cfg(any())]
#[health_check]
async fn compiled_out_before() {}

#[health_check]
#[cfg(any())]
async fn compiled_out_after() {}

#[health_check(name = "cfg_attr_kept")]
#[cfg_attr(all(), cfg(all()))]
async fn cfg_attr_kept() {}

#[health_check]
#[cfg_attr(all(), cfg(any()))]
async fn cfg_attr_compiled_out() {}

#[cfg_attr(all(), health_check(name = "attribute_from_cfg_attr"))]
async fn through_cfg_attr() {}

fn main() {
    let health = Health::new();
    serve::assert_ready(
        health_routes!(health),
        &["attribute_from_cfg_attr", "cfg_after", "cfg_attr_kept", "cfg_before"],
    );
    serve::assert_ready(
        health_routes!(health, checks = [cfg_before, cfg_after, through_cfg_attr]),
        &["attribute_from_cfg_attr", "cfg_after", "cfg_before"],
    );
}
