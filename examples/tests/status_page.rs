//! The status page in a real browser (`tests/browser/status_page.mjs`): Debian's chromium,
//! driven by playwright-core, against the quickstart with a private redis-server that the
//! script freezes with SIGSTOP, and against a page whose check errors carry markup, served
//! here. `scripts/install-test-deps` installs chromium, Node and the script's packages.
//!
//! `UPDATE_SCREENSHOT=1` writes the README's screenshot, `docs/status-page.png`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use health_runtime::{Check, Health};
use tests::example;
use tests::secrets::QUICKSTART_UI_TOKEN;

/// An error a dependency could return, made of markup that runs if the page ever renders
/// it as HTML.
const HOSTILE_ERROR: &str =
    "<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A service whose only check fails with [`HOSTILE_ERROR`], on a free loopback port.
async fn hostile_page() -> String {
    let health = Health::builder()
        .without_registered()
        .check(Check::new("hostile", || async {
            Err::<(), _>(HOSTILE_ERROR)
        }))
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = axum::Router::new().merge(health.router());
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/health/ui")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_page_in_chromium() {
    let browser = workspace().join("tests/browser");
    assert!(
        browser.join("node_modules/playwright-core").exists()
            && browser.join("node_modules/axe-core").exists()
            && Path::new("/usr/bin/chromium").exists(),
        "chromium and the browser test's packages are missing: run scripts/install-test-deps"
    );
    let screenshot = if std::env::var_os("UPDATE_SCREENSHOT").is_some() {
        workspace().join("docs/status-page.png")
    } else {
        std::env::temp_dir().join(format!("status-page-{}.png", std::process::id()))
    };
    let hostile = hostile_page().await;
    let started = Instant::now();
    let mut command = Command::new("node");
    command
        .arg("status_page.mjs")
        .current_dir(&browser)
        .env("QUICKSTART", example::binary("quickstart"))
        .env("HEALTH_TOKEN", QUICKSTART_UI_TOKEN)
        .env("HOSTILE_URL", &hostile)
        .env("SCREENSHOT", &screenshot);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("run node (scripts/install-test-deps installs it)");
    tests::capture::output("status_page", &output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        output.status.success(),
        "the browser test failed after {:?}:\n{stdout}\n{stderr}",
        started.elapsed()
    );
    assert!(stdout.contains("every expectation met"), "{stdout}");
    assert!(started.elapsed() < Duration::from_secs(120));
    let png = std::fs::read(&screenshot).expect("the screenshot was written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{}",
        png.len()
    );
    if std::env::var_os("UPDATE_SCREENSHOT").is_none() {
        let _ = std::fs::remove_file(&screenshot);
    }
}
