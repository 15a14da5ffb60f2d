//! The app's HTTP client, a foreign trait (Kotlin `HttpTransport`), used by key sync.
//! Blocking: key sync runs on the thread that calls `syncNow`/`onNetworkAvailable`,
//! which must not be the HCE or UI thread.

/// One header.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

/// A GET request.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct HttpRequest {
    pub url: String,
    pub headers: Vec<HttpHeader>,
}

/// The server's answer.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<HttpHeader>,
    pub body: Vec<u8>,
}

/// Transport failures the app reports (Kotlin `HttpException`).
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum HttpError {
    #[error("timed out: {message}")]
    Timeout { message: String },
    #[error("could not connect: {message}")]
    Connect { message: String },
    #[error("body too large: {message}")]
    TooLarge { message: String },
    #[error("transport failed: {message}")]
    Other { message: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for HttpError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        HttpError::Other { message: e.reason }
    }
}

/// Implemented by the app with its HTTP client.
#[uniffi::export(with_foreign)]
pub trait HttpTransport: Send + Sync {
    fn get(&self, request: HttpRequest) -> Result<HttpResponse, HttpError>;
}
