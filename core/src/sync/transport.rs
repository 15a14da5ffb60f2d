//! The HTTP port of key sync: what the engine asks for and what a host answers.
//!
//! The core does no I/O. A host implements [`HttpTransport`]: the Android app through the
//! bindings (a blocking call made off the NFC thread), the desktop harness with `ureq`.
//! Only GET is needed. Implementations should stop reading at
//! [`HttpRequest::max_body_bytes`] and report [`TransportError::TooLarge`]; the engine
//! checks the length again anyway.

/// One GET the engine wants made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    pub url: String,
    /// Header names in lowercase, e.g. `if-none-match`.
    pub headers: Vec<(String, String)>,
    /// Whole-request deadline (connect, headers and body).
    pub timeout_ms: u64,
    /// Largest body the engine accepts.
    pub max_body_bytes: u64,
}

impl HttpRequest {
    /// The value of a request header, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// The server's answer. Redirects are the transport's business; the engine sees the end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of a response header, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim())
}

/// Why no response arrived. Messages must not carry response bodies.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("request timed out")]
    Timeout,
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("response body over the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("response body truncated (connection closed early)")]
    Truncated,
    #[error("TLS failure: {0}")]
    Tls(String),
    #[error("no network")]
    Offline,
    #[error("transport failure: {0}")]
    Other(String),
}

/// Makes HTTP GETs for the sync engine. Blocking; never called on the APDU path.
pub trait HttpTransport: Send + Sync {
    fn get(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError>;
}
