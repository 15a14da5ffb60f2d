//! The core as a virtual card behind vsmartcard's `vpcd` reader driver (pcsc-lite).
//!
//! The driver listens (default port [`DEFAULT_PORT`]; one port per slot, from the
//! `CHANNELID` of its reader.conf entry) and the card connects to it. Every message
//! either way is a 2-byte big-endian length and a body (toolchain notes, "Virtual smart
//! card"). A 1-byte body from the driver is a control message: [`CTRL_POWER_OFF`],
//! [`CTRL_POWER_ON`], [`CTRL_RESET`] (no answer) or [`CTRL_GET_ATR`] (answer: the ATR);
//! any longer body is a C-APDU, answered with the R-APDU.
//!
//! Power-off and reset end the field session: the card's `deactivate` runs, as on an
//! Android link loss. When pcscd goes away (EOF or a reset connection) the bridge
//! deactivates the card and reconnects with exponential backoff, so a pcscd restart needs
//! no restart of the card. It stops within one poll interval once `stop` is set.
//!
//! Written here rather than taken from a crate: no maintained Rust crate speaks the vpcd
//! protocol, and it is a dozen lines of framing.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::io::{self, ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hce_wallet_core::apdu::sw;
use hce_wallet_core::router::{Deactivation, Router};

/// The PC/SC name of vpcd's readers (its reader.conf `FRIENDLYNAME`); pcsc-lite appends
/// the slot, e.g. `Virtual PCD 00 00` for the first.
pub const READER_NAME: &str = "Virtual PCD";
/// vpcd's port for its first slot (`CHANNELID 0x8C7B`).
pub const DEFAULT_PORT: u16 = 0x8C7B;
pub const CTRL_POWER_OFF: u8 = 0x00;
pub const CTRL_POWER_ON: u8 = 0x01;
pub const CTRL_RESET: u8 = 0x02;
pub const CTRL_GET_ATR: u8 = 0x04;
/// A minimal valid ATR: direct convention, T=1, one historical byte (`01`), TCK `01`.
pub const DEFAULT_ATR: [u8; 5] = [0x3B, 0x80, 0x80, 0x01, 0x01];

/// A connection that lasted this long resets the reconnection backoff.
const STABLE_SESSION: Duration = Duration::from_secs(1);

/// What the bridge puts behind the reader.
pub trait VirtualCard {
    /// One C-APDU; answers `data ‖ SW1 SW2`.
    fn process(&mut self, apdu: &[u8]) -> Vec<u8>;
    /// Power-off, reset or loss of the reader: end the field session.
    fn deactivate(&mut self);
}

impl VirtualCard for Router {
    fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        Router::process(self, apdu)
    }
    fn deactivate(&mut self) {
        Router::deactivate(self, Deactivation::LinkLoss);
    }
}

/// Where to connect and how patiently.
#[derive(Clone, Debug)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub atr: Vec<u8>,
    /// Read timeout: how often the stop flag is checked while the reader is idle.
    pub poll: Duration,
    /// First and largest delay between connection attempts.
    pub backoff: (Duration, Duration),
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "127.0.0.1".into(),
            port: DEFAULT_PORT,
            atr: DEFAULT_ATR.to_vec(),
            poll: Duration::from_millis(200),
            backoff: (Duration::from_millis(100), Duration::from_secs(2)),
        }
    }
}

/// Things worth telling the user, in order (the CLI prints them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Connected(String),
    Disconnected(String),
    PowerOff,
    PowerOn,
    Reset,
    Apdu {
        command_len: usize,
        sw: [u8; 2],
    },
    /// A message the protocol does not define (ignored).
    Unknown(Vec<u8>),
}

/// Counters of one [`serve`] run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub connections: u32,
    pub apdus: u64,
}

/// Serves `card` to the vpcd driver until `stop` is set. Connection failures and lost
/// connections are retried forever; only an unusable configuration returns an error.
pub fn serve(
    config: &Config,
    card: &mut dyn VirtualCard,
    stop: &AtomicBool,
    on_event: &mut dyn FnMut(Event),
) -> io::Result<Stats> {
    if config.atr.is_empty() || config.atr.len() > usize::from(u16::MAX) {
        return Err(io::Error::new(ErrorKind::InvalidInput, "the ATR must be 1..=65535 bytes"));
    }
    let mut stats = Stats::default();
    let mut delay = config.backoff.0;
    let address = format!("{}:{}", config.host, config.port);
    while !stop.load(Ordering::SeqCst) {
        let stream = (address.as_str())
            .to_socket_addrs()
            .and_then(|mut addrs| {
                addrs.next().ok_or_else(|| io::Error::new(ErrorKind::NotFound, "no address"))
            })
            .and_then(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)));
        let stream = match stream {
            Ok(s) => s,
            Err(e) => {
                log::debug!("vpcd at {address}: {e}; retrying in {delay:?}");
                sleep_unless_stopped(delay, config.poll, stop);
                delay = delay.saturating_mul(2).min(config.backoff.1);
                continue;
            }
        };
        stats.connections = stats.connections.saturating_add(1);
        on_event(Event::Connected(address.clone()));
        let connected = Instant::now();
        let end = session(stream, config, card, stop, on_event, &mut stats);
        // Whatever ended the connection, the field session is over.
        card.deactivate();
        match end {
            Ok(()) if stop.load(Ordering::SeqCst) => break,
            Ok(()) => on_event(Event::Disconnected("closed by the reader".into())),
            Err(e) => on_event(Event::Disconnected(e.to_string())),
        }
        // A peer that accepts and hangs up at once must not make this a busy loop.
        if connected.elapsed() < STABLE_SESSION {
            sleep_unless_stopped(delay, config.poll, stop);
            delay = delay.saturating_mul(2).min(config.backoff.1);
        } else {
            delay = config.backoff.0;
        }
    }
    Ok(stats)
}

fn sleep_unless_stopped(total: Duration, slice: Duration, stop: &AtomicBool) {
    let mut left = total;
    while !left.is_zero() && !stop.load(Ordering::SeqCst) {
        let step = left.min(slice);
        std::thread::sleep(step);
        left = left.saturating_sub(step);
    }
}

/// One connection: returns `Ok` on EOF or stop, `Err` on an I/O error.
fn session(
    mut stream: TcpStream,
    config: &Config,
    card: &mut dyn VirtualCard,
    stop: &AtomicBool,
    on_event: &mut dyn FnMut(Event),
    stats: &mut Stats,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(config.poll))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut frames = FrameReader::default();
    loop {
        if stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        let frame = match frames.next(&mut stream) {
            Ok(Some(frame)) => frame,
            Ok(None) => return Ok(()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        match frame.as_slice() {
            [CTRL_POWER_OFF] => {
                card.deactivate();
                on_event(Event::PowerOff);
            }
            [CTRL_POWER_ON] => on_event(Event::PowerOn),
            [CTRL_RESET] => {
                card.deactivate();
                on_event(Event::Reset);
            }
            [CTRL_GET_ATR] => write_frame(&mut stream, &config.atr)?,
            [_] | [] => on_event(Event::Unknown(frame.clone())),
            apdu => {
                let mut answer = card.process(apdu);
                if answer.len() > usize::from(u16::MAX) || answer.len() < 2 {
                    log::error!("card answer of {} bytes cannot be framed", answer.len());
                    answer = sw::UNKNOWN.to_bytes().to_vec();
                }
                stats.apdus = stats.apdus.saturating_add(1);
                let sw = answer.last_chunk::<2>().copied().unwrap_or_default();
                write_frame(&mut stream, &answer)?;
                on_event(Event::Apdu { command_len: apdu.len(), sw });
            }
        }
    }
}

/// Sends one `length ‖ body` message; `body` must fit a u16 length (checked by callers).
pub fn write_frame(w: &mut impl Write, body: &[u8]) -> io::Result<()> {
    let len = u16::try_from(body.len())
        .map_err(|_| io::Error::new(ErrorKind::InvalidInput, "frame longer than 65535 bytes"))?;
    let mut message = Vec::with_capacity(body.len().saturating_add(2));
    message.extend_from_slice(&len.to_be_bytes());
    message.extend_from_slice(body);
    w.write_all(&message)?;
    w.flush()
}

/// Reassembles `length ‖ body` messages across reads that time out part-way, so a read
/// timeout (used to poll the stop flag) never loses bytes.
#[derive(Debug, Default)]
pub struct FrameReader {
    buffer: Vec<u8>,
}

impl FrameReader {
    /// The next complete message; `Ok(None)` on a clean EOF between messages. A read
    /// timeout comes back as the `WouldBlock`/`TimedOut` error, with the partial message kept.
    pub fn next(&mut self, r: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
        loop {
            if let Some(frame) = self.take() {
                return Ok(Some(frame));
            }
            let mut chunk = [0u8; 4096];
            match r.read(&mut chunk)? {
                0 if self.buffer.is_empty() => return Ok(None),
                0 => {
                    return Err(io::Error::new(
                        ErrorKind::UnexpectedEof,
                        format!("connection closed inside a message ({} bytes)", self.buffer.len()),
                    ))
                }
                n => self.buffer.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            }
        }
    }

    fn take(&mut self) -> Option<Vec<u8>> {
        let (len, rest) = self.buffer.split_first_chunk::<2>()?;
        let len = usize::from(u16::from_be_bytes(*len));
        let body = rest.get(..len)?.to_vec();
        self.buffer.drain(..len + 2);
        Some(body)
    }
}
