//! The real `shopcredit` binary, as a newcomer uses it: start with no set-up, mint a token, use it.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{free_port, wait_until_ok, Server, BIN};

/// A command run in `dir` with no inherited shopcredit configuration (the defaults are under test).
fn shopcredit(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("SHOPCREDIT_CONFIG");
    cmd
}

fn run(dir: &Path, args: &[&str]) -> Output {
    shopcredit(dir, args).output().expect("shopcredit runs")
}

fn last_line(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_fresh_directory_serves_on_sqlite_and_a_cli_admin_token_registers_a_shop() {
    let dir = tempfile::tempdir().unwrap();
    let created = run(dir.path(), &["token", "create", "--role", "admin"]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let token = last_line(&created);
    assert!(
        token.starts_with("sc_") && !token.contains(' '),
        "last line is the token alone: {token:?}"
    );
    assert!(
        dir.path().join("data/shopcredit.db").exists(),
        "the default SQLite file is created"
    );
    let grid = run(dir.path(), &["grid", "create", "G01", "文三社区"]);
    assert!(
        grid.status.success(),
        "{}",
        String::from_utf8_lossy(&grid.stderr)
    );

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = Server(
        shopcredit(dir.path(), &["serve"])
            .env("SHOPCREDIT_BIND_ADDR", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_until_ok(&base, "/healthz").await;
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{base}/v1/shops"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "name": "老王面馆", "address": "文三路 1 号", "category": "restaurant", "grid": "G01",
            "owner_name": "王芳", "owner_phone": "13800138000"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    let rescored = run(dir.path(), &["rescore"]);
    assert!(
        rescored.status.success(),
        "{}",
        String::from_utf8_lossy(&rescored.stderr)
    );
    let summary = String::from_utf8_lossy(&rescored.stdout);
    assert!(
        summary.contains("rescored 1 shops under policy"),
        "{summary}"
    );
    assert!(
        String::from_utf8_lossy(&rescored.stderr).contains("1/1"),
        "progress is shown"
    );

    let revoked = run(dir.path(), &["token", "revoke", &token[..11]]);
    assert!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    let listed = run(dir.path(), &["token", "list"]);
    assert!(listed.status.success());
    let table = String::from_utf8_lossy(&listed.stdout);
    assert!(!table.contains(&token), "never a secret: {table}");
    let row = table
        .lines()
        .find(|l| l.starts_with("1  "))
        .unwrap_or_else(|| panic!("token 1 is listed: {table}"));
    assert!(row.contains(&token[..11]) && row.contains("admin"), "{row}");
    assert!(row.contains("district"), "{row}");
    assert!(!row.ends_with("  -"), "its revocation time is shown: {row}");
    let refused = client
        .get(format!("{base}/v1/shops"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
}

#[test]
fn grids_must_be_registered_before_a_token_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let refused = run(
        dir.path(),
        &["token", "create", "--role", "inspector", "--grid", "G02"],
    );
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("G02") && message.contains("grid create"),
        "{message}"
    );
    assert!(run(dir.path(), &["grid", "create", "g02", "古荡"])
        .status
        .success());
    let again = run(dir.path(), &["grid", "create", "G02", "古荡"]);
    assert!(!again.status.success(), "a grid is registered once");
    assert!(!run(dir.path(), &["grid", "create", "G 3", "x"])
        .status
        .success());
    let created = run(
        dir.path(),
        &["token", "create", "--role", "inspector", "--grid", "G02"],
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let listed = String::from_utf8_lossy(&run(dir.path(), &["token", "list"]).stdout).into_owned();
    assert!(
        listed.contains("inspector") && listed.contains("grid G02"),
        "{listed}"
    );
}

#[test]
fn token_create_refuses_an_owner_without_a_shop_and_an_unknown_role() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["token", "create", "--role", "owner"][..],
        &["token", "create", "--role", "mayor"][..],
        &["token", "create", "--role", "owner", "--shop", "42"][..],
    ] {
        let out = run(dir.path(), args);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(
            !String::from_utf8_lossy(&out.stderr).trim().is_empty(),
            "{args:?} says why"
        );
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("sc_"),
            "no token printed"
        );
    }
}

#[test]
fn migrate_runs_alone_and_reads_database_url() {
    let dir = tempfile::tempdir().unwrap();
    let out = shopcredit(dir.path(), &["migrate"])
        .env("DATABASE_URL", "sqlite://elsewhere/x.db")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("elsewhere/x.db").exists());
}

#[test]
fn a_malformed_config_file_is_reported_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("shopcredit.toml"), "bind_addr = 5").unwrap();
    let out = run(dir.path(), &["migrate"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("shopcredit.toml"));
}
