//! The HTTP port of every sync job (key bundles, token status, outbox POSTs): what the
//! core asks for and what a host answers.
//!
//! The core does no I/O. A host implements [`HttpTransport`]: the Android app through the
//! bindings (a blocking call made off the NFC thread), the desktop harness with `ureq`.
//! GET (conditional fetches of signed documents) and POST (outbox deliveries, requests
//! with a body) are all the core needs. Implementations should stop reading at
//! [`HttpRequest::max_body_bytes`] and report [`TransportError::TooLarge`]; the core
//! checks the length again anyway.

/// The HTTP methods the core uses (RFC 9110 §9.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    Get,
    Post,
}

impl HttpMethod {
    /// The method token as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }
}

/// One request the core wants made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: HttpMethod,
    pub url: String,
    /// Header names in lowercase, e.g. `if-none-match`; a body's type is `content-type`.
    pub headers: Vec<(String, String)>,
    /// The request body (empty for a GET).
    pub body: Vec<u8>,
    /// Whole-request deadline (connect, headers and body).
    pub timeout_ms: u64,
    /// Largest response body the core accepts.
    pub max_body_bytes: u64,
}

impl HttpRequest {
    /// A GET without body.
    pub fn get(url: impl Into<String>, timeout_ms: u64, max_body_bytes: u64) -> Self {
        HttpRequest {
            method: HttpMethod::Get,
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            timeout_ms,
            max_body_bytes,
        }
    }

    /// A POST of `body` as `content_type`.
    pub fn post(
        url: impl Into<String>,
        content_type: &str,
        body: Vec<u8>,
        timeout_ms: u64,
        max_body_bytes: u64,
    ) -> Self {
        HttpRequest {
            method: HttpMethod::Post,
            url: url.into(),
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body,
            timeout_ms,
            max_body_bytes,
        }
    }

    /// Adds a header (name lowercased).
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// The value of a request header, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// The server's answer. Redirects are the transport's business; the core sees the end.
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

/// Makes HTTP requests for the core's sync jobs. Blocking; never called on the APDU path.
pub trait HttpTransport: Send + Sync {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError>;
}
