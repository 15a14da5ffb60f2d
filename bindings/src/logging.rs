//! Logging: Android's logcat (tag `hce-wallet`) through `android_logger` on Android,
//! `env_logger` (`RUST_LOG`) elsewhere, plus an optional sink the app installs
//! ([`set_log_sink`], STYLE §4: optional, never needed for correct operation).
//! The library never logs keys, session secrets or redemption values; a Kotlin test
//! captures a whole tap through the sink and searches it for them.
//!
//! A sink that throws (a Kotlin exception becomes a Rust panic in the callback) is
//! caught like the listener and HTTP callbacks (issue 12): the record is dropped, the
//! sink is removed so that the next line does not throw again, and the next
//! `Wallet.processApdu`/`onDeactivated` tells the app with `WalletEvent.LogSinkFailed`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once, PoisonError, RwLock};

use log::{LevelFilter, Log, Metadata, Record};

/// Severity, as the app sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl From<log::Level> for LogLevel {
    fn from(l: log::Level) -> Self {
        match l {
            log::Level::Error => LogLevel::Error,
            log::Level::Warn => LogLevel::Warn,
            log::Level::Info => LogLevel::Info,
            log::Level::Debug => LogLevel::Debug,
            log::Level::Trace => LogLevel::Trace,
        }
    }
}

impl From<LogLevel> for LevelFilter {
    fn from(l: LogLevel) -> Self {
        match l {
            LogLevel::Error => LevelFilter::Error,
            LogLevel::Warn => LevelFilter::Warn,
            LogLevel::Info => LevelFilter::Info,
            LogLevel::Debug => LevelFilter::Debug,
            LogLevel::Trace => LevelFilter::Trace,
        }
    }
}

/// A log sink implemented by the app (e.g. to forward to its crash reporter).
#[uniffi::export(with_foreign)]
pub trait LogSink: Send + Sync {
    fn log(&self, level: LogLevel, target: String, message: String);
}

struct Sink {
    sink: Arc<dyn LogSink>,
    level: LevelFilter,
}

struct FfiLogger {
    platform: Box<dyn Log>,
    platform_level: LevelFilter,
    sink: RwLock<Option<Sink>>,
}

impl Log for FfiLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= self.platform_level
            || self
                .sink
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .as_ref()
                .is_some_and(|s| metadata.level() <= s.level)
    }

    fn log(&self, record: &Record<'_>) {
        if record.level() <= self.platform_level {
            self.platform.log(record);
        }
        let failed = {
            let guard = self.sink.read().unwrap_or_else(PoisonError::into_inner);
            match guard.as_ref().filter(|s| record.level() <= s.level) {
                Some(s) => catch_unwind(AssertUnwindSafe(|| {
                    s.sink.log(
                        record.level().into(),
                        record.target().to_owned(),
                        record.args().to_string(),
                    )
                }))
                .is_err(),
                None => false,
            }
        };
        if failed {
            // Not through `log!`: this logger is the one that failed.
            *self.sink.write().unwrap_or_else(PoisonError::into_inner) = None;
            update_max_level(self);
            SINK_FAILED.store(true, Ordering::SeqCst);
        }
    }

    fn flush(&self) {
        self.platform.flush();
    }
}

static INIT: Once = Once::new();
/// Set when the app's sink threw and was removed; taken by [`take_sink_failure`].
static SINK_FAILED: AtomicBool = AtomicBool::new(false);

/// Whether the app's log sink threw (and was removed) since the last call.
pub(crate) fn take_sink_failure() -> bool {
    SINK_FAILED.swap(false, Ordering::SeqCst)
}
static LOGGER: std::sync::OnceLock<&'static FfiLogger> = std::sync::OnceLock::new();

#[cfg(target_os = "android")]
fn platform() -> (Box<dyn Log>, LevelFilter) {
    let level = LevelFilter::Info;
    let config = android_logger::Config::default().with_tag("hce-wallet").with_max_level(level);
    (Box::new(android_logger::AndroidLogger::new(config)), level)
}

#[cfg(not(target_os = "android"))]
fn platform() -> (Box<dyn Log>, LevelFilter) {
    let logger =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).build();
    let level = logger.filter();
    (Box::new(logger), level)
}

/// Tests that log through the process-wide logger (a panic in `guard` logs) or install a
/// sink hold this, so one test's throwing sink never sees another test's records.
#[cfg(test)]
pub(crate) static TEST_LOGGER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Installs the logger once (first wallet, first JNI call or first sink); a logger the
/// host installed earlier is left in place.
pub(crate) fn init() {
    INIT.call_once(|| {
        let (platform, platform_level) = platform();
        let logger: &'static FfiLogger =
            Box::leak(Box::new(FfiLogger { platform, platform_level, sink: RwLock::new(None) }));
        if log::set_logger(logger).is_ok() {
            log::set_max_level(platform_level);
            let _ = LOGGER.set(logger);
        }
    });
}

fn update_max_level(logger: &FfiLogger) {
    let sink_level = logger
        .sink
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .map_or(LevelFilter::Off, |s| s.level);
    log::set_max_level(logger.platform_level.max(sink_level));
}

/// Sends the library's log records at `level` and above to `sink` as well (`None`
/// removes it). Returns false if another logger owned the process before the wallet.
/// A sink that throws is removed; the wallet then reports `WalletEvent.LogSinkFailed`
/// (install it again to resume).
#[uniffi::export]
pub fn set_log_sink(sink: Option<Arc<dyn LogSink>>, level: LogLevel) -> bool {
    init();
    let Some(logger) = LOGGER.get() else { return false };
    *logger.sink.write().unwrap_or_else(PoisonError::into_inner) =
        sink.map(|sink| Sink { sink, level: level.into() });
    update_max_level(logger);
    true
}
