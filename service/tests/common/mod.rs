//! What the tests of the real `shopcredit` binary share: the binary, a free port, a server process
//! that is killed when dropped, and waiting for it to answer.

use std::net::TcpListener;
use std::process::Child;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_shopcredit");

/// A running `shopcredit serve`, killed (SIGKILL) and reaped when dropped.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until `GET {base}{path}` answers 2xx (`/healthz`: the process is up; `/readyz`: it can
/// take traffic).
pub async fn wait_until_ok(base: &str, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(format!("{base}{path}")).await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{base}{path} did not answer 2xx within 30 s");
}
