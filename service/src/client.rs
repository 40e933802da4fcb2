//! Who is asking: the client's address, as rate limits and throttles key it.

use std::net::IpAddr;

use actix_web::HttpRequest;

/// The client's address: the peer, or — only when the peer is a configured proxy — the nearest
/// address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_address(req: &HttpRequest, trusted_proxies: &[String]) -> String {
    let peer = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    if !trusted_proxies.iter().any(|p| p == &peer) {
        return peer;
    }
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    forwarded
        .split(',')
        .rev()
        .map(str::trim)
        .filter(|a| a.parse::<IpAddr>().is_ok())
        .find(|a| !trusted_proxies.iter().any(|p| p == a))
        .map(str::to_owned)
        .unwrap_or(peer)
}
