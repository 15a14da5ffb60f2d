//! The desktop [`HttpTransport`] of every sync job (key sync, token status, outbox POSTs):
//! `ureq` 3 with rustls.
//!
//! Blocking, no async runtime. Every request has one whole-request deadline (connect,
//! headers and body), the body is read through a hard cap, and `ureq`'s errors are mapped
//! onto the engine's [`TransportError`] kinds: a timeout, a refused connection, a body over
//! the cap and a body cut short by the server are told apart. HTTP status codes are not
//! errors here: the engine decides what a 304 or a 503 means.

use std::io;
use std::time::Duration;

use hce_wallet_core::sync::{HttpMethod, HttpRequest, HttpResponse, HttpTransport, TransportError};

/// Identifies the harness to servers (and in nginx access logs).
const USER_AGENT: &str = concat!("hce-wallet-harness/", env!("CARGO_PKG_VERSION"));
/// Redirects followed before giving up (a CDN may redirect once or twice).
const MAX_REDIRECTS: u32 = 4;

/// `ureq`-based transport. Cheap to clone; connections are pooled per agent.
#[derive(Clone, Debug, Default)]
pub struct UreqTransport {
    /// Overrides the request's timeout when set (tests use short ones).
    timeout: Option<Duration>,
}

impl UreqTransport {
    pub fn new() -> Self {
        UreqTransport::default()
    }

    /// A transport that uses `timeout` instead of the engine's per-request deadline.
    pub fn with_timeout(timeout: Duration) -> Self {
        UreqTransport { timeout: Some(timeout) }
    }

    fn agent(&self, request: &HttpRequest) -> ureq::Agent {
        let timeout = self.timeout.unwrap_or(Duration::from_millis(request.timeout_ms));
        ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(MAX_REDIRECTS)
            .user_agent(USER_AGENT)
            .build()
            .new_agent()
    }
}

impl HttpTransport for UreqTransport {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let agent = self.agent(request);
        let limit = request.max_body_bytes;
        let mut response = match request.method {
            HttpMethod::Get => {
                let mut builder = agent.get(&request.url);
                for (name, value) in &request.headers {
                    builder = builder.header(name.as_str(), value.as_str());
                }
                builder.call()
            }
            HttpMethod::Post => {
                let mut builder = agent.post(&request.url);
                for (name, value) in &request.headers {
                    builder = builder.header(name.as_str(), value.as_str());
                }
                builder.send(&request.body[..])
            }
        }
        .map_err(|e| map_error(e, limit))?;
        let status = response.status().as_u16();
        let headers = (response.headers().iter())
            .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        if let Some(len) = response.body().content_length() {
            if len > request.max_body_bytes {
                return Err(TransportError::TooLarge { limit: request.max_body_bytes });
            }
        }
        let body = (response.body_mut().with_config())
            .limit(request.max_body_bytes)
            .read_to_vec()
            .map_err(|e| map_error(e, request.max_body_bytes))?;
        Ok(HttpResponse { status, headers, body })
    }
}

fn map_error(e: ureq::Error, limit: u64) -> TransportError {
    match e {
        ureq::Error::Timeout(_) => TransportError::Timeout,
        ureq::Error::BodyExceedsLimit(_) => TransportError::TooLarge { limit },
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => {
            TransportError::Connect(e.to_string())
        }
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => TransportError::Tls(e.to_string()),
        ureq::Error::Io(io) => map_io(io),
        ureq::Error::Protocol(p) if is_truncation(&p.to_string()) => TransportError::Truncated,
        other => TransportError::Other(other.to_string()),
    }
}

fn map_io(e: io::Error) -> TransportError {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => TransportError::Timeout,
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset => TransportError::Truncated,
        io::ErrorKind::ConnectionRefused
        | io::ErrorKind::AddrNotAvailable
        | io::ErrorKind::NetworkUnreachable
        | io::ErrorKind::HostUnreachable => TransportError::Connect(e.to_string()),
        _ => TransportError::Other(e.to_string()),
    }
}

fn is_truncation(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("eof") || m.contains("closed") || m.contains("incomplete")
}
