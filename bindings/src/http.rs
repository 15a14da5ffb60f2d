//! The app's HTTP client, a foreign trait (Kotlin `HttpTransport`), used by every sync job
//! (key sync, token status, replenishment, outbox POSTs), and its adapter to the core's
//! `HttpTransport` port. Blocking: sync runs on the thread that calls
//! `syncNow`/`onNetworkAvailable`, which must not be the HCE or UI thread.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use hce_wallet::TransportError;

/// One header.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

/// The request method (Kotlin `HttpMethod.GET` / `HttpMethod.POST`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum HttpMethod {
    Get,
    Post,
}

/// A request. The app must give up after `timeout_ms` and refuse response bodies longer
/// than `max_body_bytes` (report [`HttpError::Timeout`] / [`HttpError::TooLarge`]). A POST's
/// content type is among the headers (`content-type`); its body is `body` (empty for GET).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct HttpRequest {
    pub method: HttpMethod,
    pub url: String,
    pub headers: Vec<HttpHeader>,
    pub body: Vec<u8>,
    pub timeout_ms: u64,
    pub max_body_bytes: u64,
}

/// The server's answer (any status; 304 and errors included).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<HttpHeader>,
    pub body: Vec<u8>,
}

/// Transport failures the app reports (Kotlin `HttpException`).
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum HttpError {
    #[error("timed out: {reason}")]
    Timeout { reason: String },
    #[error("could not connect: {reason}")]
    Connect { reason: String },
    #[error("body too large: {reason}")]
    TooLarge { reason: String },
    #[error("offline: {reason}")]
    Offline { reason: String },
    #[error("transport failed: {reason}")]
    Other { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for HttpError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        HttpError::Other { reason: e.reason }
    }
}

/// Implemented by the app with its HTTP client.
#[uniffi::export(with_foreign)]
pub trait HttpTransport: Send + Sync {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError>;
}

/// The foreign transport as the core's port.
pub(crate) struct TransportAdapter(pub(crate) Arc<dyn HttpTransport>);

fn headers(h: &[(String, String)]) -> Vec<HttpHeader> {
    h.iter().map(|(n, v)| HttpHeader { name: n.clone(), value: v.clone() }).collect()
}

impl hce_wallet::HttpTransport for TransportAdapter {
    fn send(
        &self,
        request: &hce_wallet::HttpRequest,
    ) -> Result<hce_wallet::HttpResponse, TransportError> {
        let ffi_request = HttpRequest {
            method: match request.method {
                hce_wallet::HttpMethod::Get => HttpMethod::Get,
                hce_wallet::HttpMethod::Post => HttpMethod::Post,
            },
            url: request.url.clone(),
            headers: headers(&request.headers),
            body: request.body.clone(),
            timeout_ms: request.timeout_ms,
            max_body_bytes: request.max_body_bytes,
        };
        let result = catch_unwind(AssertUnwindSafe(|| self.0.send(ffi_request)))
            .map_err(|_| TransportError::Other("HttpTransport.send failed unexpectedly".into()))?;
        match result {
            Ok(r) => {
                if u64::try_from(r.body.len()).unwrap_or(u64::MAX) > request.max_body_bytes {
                    return Err(TransportError::TooLarge { limit: request.max_body_bytes });
                }
                Ok(hce_wallet::HttpResponse {
                    status: r.status,
                    headers: r.headers.into_iter().map(|h| (h.name, h.value)).collect(),
                    body: r.body,
                })
            }
            Err(HttpError::Timeout { .. }) => Err(TransportError::Timeout),
            Err(HttpError::Connect { reason }) => Err(TransportError::Connect(reason)),
            Err(HttpError::TooLarge { .. }) => {
                Err(TransportError::TooLarge { limit: request.max_body_bytes })
            }
            Err(HttpError::Offline { .. }) => Err(TransportError::Offline),
            Err(HttpError::Other { reason }) => Err(TransportError::Other(reason)),
        }
    }
}
