//! A TCP proxy between the app and its database that can fail the way networks and servers do:
//! refuse new connections (nothing listens: "connection refused"), freeze (connections are accepted
//! and kept, but no byte passes either way until it thaws) and cut every open connection.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What the proxy lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mode {
    frozen: bool,
    /// Bumped by [`FaultyProxy::cut`]: connections opened before the bump are closed.
    cuts: u64,
}

/// A proxy on `127.0.0.1:<port>` in front of `upstream`; stops when dropped.
pub struct FaultyProxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    mode: watch::Sender<Mode>,
    acceptor: Mutex<Option<JoinHandle<()>>>,
}

impl FaultyProxy {
    /// Starts a proxy to `upstream` on a free port.
    pub async fn start(upstream: SocketAddr) -> Arc<FaultyProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let addr = listener.local_addr().expect("proxy address");
        let proxy = Arc::new(FaultyProxy {
            addr,
            upstream,
            mode: watch::Sender::new(Mode {
                frozen: false,
                cuts: 0,
            }),
            acceptor: Mutex::new(None),
        });
        proxy.serve(listener);
        proxy
    }

    /// The port the proxy listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Stops listening: new connections are refused by the operating system; open ones stay.
    pub async fn refuse(&self) {
        let acceptor = self.acceptor.lock().expect("acceptor lock").take();
        if let Some(acceptor) = acceptor {
            acceptor.abort();
            // Once the task has stopped, its listener is closed.
            let _ = acceptor.await;
        }
    }

    /// Listens again on the same port.
    pub async fn accept(self: &Arc<Self>) {
        if self.acceptor.lock().expect("acceptor lock").is_some() {
            return;
        }
        let listener = TcpListener::bind(self.addr)
            .await
            .unwrap_or_else(|e| panic!("proxy cannot listen on {} again: {e}", self.addr));
        self.serve(listener);
    }

    /// No byte passes on any connection, open or new, until [`FaultyProxy::thaw`].
    pub fn freeze(&self) {
        self.mode.send_modify(|m| m.frozen = true);
    }

    /// Bytes pass again, those held back first.
    pub fn thaw(&self) {
        self.mode.send_modify(|m| m.frozen = false);
    }

    /// Closes every open connection, both ways, as a failing network or server would.
    pub fn cut(&self) {
        self.mode.send_modify(|m| m.cuts += 1);
    }

    fn serve(self: &Arc<Self>, listener: TcpListener) {
        let upstream = self.upstream;
        let mode = self.mode.subscribe();
        let acceptor = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mode = mode.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(upstream).await {
                        relay(client, server, mode).await;
                    }
                });
            }
        });
        *self.acceptor.lock().expect("acceptor lock") = Some(acceptor);
    }
}

impl Drop for FaultyProxy {
    fn drop(&mut self) {
        if let Some(acceptor) = self.acceptor.lock().ok().and_then(|mut a| a.take()) {
            acceptor.abort();
        }
        self.cut();
    }
}

/// Copies bytes both ways until either side closes or the connection is cut; both sockets are
/// closed on return.
async fn relay(client: TcpStream, server: TcpStream, mut mode: watch::Receiver<Mode>) {
    let opened_at_cut = mode.borrow().cuts;
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let up = pipe(client_read, server_write, mode.clone());
    let down = pipe(server_read, client_write, mode.clone());
    let cut = async {
        let _ = mode.wait_for(|m| m.cuts != opened_at_cut).await;
    };
    tokio::select! {
        _ = up => {}
        _ = down => {}
        () = cut => {}
    }
}

/// One direction of a connection: reads, then waits out any freeze before writing on.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut mode: watch::Receiver<Mode>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if mode.wait_for(|m| !m.frozen).await.is_err() {
            return;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}
