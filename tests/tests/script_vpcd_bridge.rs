//! The vpcd bridge (`tests/src/vpcd.rs`) against a stand-in for the vpcd driver: a TCP
//! listener speaking the driver's side of the protocol. (The real driver, under pcscd, is
//! exercised by `make test-vpcd`.)

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hce_wallet_core::router::Router;
use hce_wallet_harness::loopback::Loopback;
use hce_wallet_harness::vpcd::{self, Config, Event, FrameReader, Stats};
use proptest::prelude::*;

const SELECT: &[u8] = b"\x00\xA4\x04\x00\x09\xF0hce-loop\x00";
const COUNT: &[u8] = &[0x80, 0x04, 0x00, 0x00, 0x00];
const TIMEOUT: Duration = Duration::from_secs(10);

struct Bridge {
    port: u16,
    stop: Arc<AtomicBool>,
    events: Arc<Mutex<Vec<Event>>>,
    thread: Option<JoinHandle<io::Result<Stats>>>,
}

impl Bridge {
    fn start(port: u16) -> Bridge {
        let stop = Arc::new(AtomicBool::new(false));
        let events = Arc::new(Mutex::new(Vec::new()));
        let config = Config {
            port,
            poll: Duration::from_millis(50),
            backoff: (Duration::from_millis(20), Duration::from_millis(200)),
            ..Config::default()
        };
        let (s, e) = (stop.clone(), events.clone());
        let thread = std::thread::spawn(move || {
            let mut router = Router::new();
            router.register(Box::new(Loopback::new()));
            vpcd::serve(&config, &mut router, &s, &mut |ev| e.lock().unwrap().push(ev))
        });
        Bridge { port, stop, events, thread: Some(thread) }
    }

    /// Sets the stop flag and requires the bridge to return within a second.
    fn stop(mut self) -> Stats {
        self.stop.store(true, Ordering::SeqCst);
        let started = Instant::now();
        let thread = self.thread.take().unwrap();
        while !thread.is_finished() {
            assert!(started.elapsed() < Duration::from_secs(1), "bridge ignored the stop flag");
            std::thread::sleep(Duration::from_millis(10));
        }
        thread.join().unwrap().unwrap()
    }

    fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// The driver's side: accepts the card's connection, with a deadline.
fn accept(listener: &TcpListener) -> TcpStream {
    listener.set_nonblocking(true).unwrap();
    let started = Instant::now();
    loop {
        match listener.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false).unwrap();
                s.set_read_timeout(Some(TIMEOUT)).unwrap();
                return s;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                assert!(started.elapsed() < TIMEOUT, "the bridge never connected");
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
}

fn send(s: &mut TcpStream, body: &[u8]) {
    vpcd::write_frame(s, body).unwrap();
}

fn receive(s: &mut TcpStream) -> Vec<u8> {
    let mut len = [0u8; 2];
    s.read_exact(&mut len).unwrap();
    let mut body = vec![0u8; usize::from(u16::from_be_bytes(len))];
    s.read_exact(&mut body).unwrap();
    body
}

fn exchange(s: &mut TcpStream, body: &[u8]) -> Vec<u8> {
    send(s, body);
    receive(s)
}

/// Nothing arrives within `wait` (control messages other than GET ATR have no answer).
fn assert_silent(s: &mut TcpStream, wait: Duration) {
    s.set_read_timeout(Some(wait)).unwrap();
    let mut byte = [0u8; 1];
    let r = s.read(&mut byte);
    assert!(
        matches!(&r, Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)),
        "unexpected answer {r:?} {byte:?}"
    );
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
}

#[test]
fn control_messages_apdus_and_reconnect() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let bridge = Bridge::start(listener.local_addr().unwrap().port());
    let mut s = accept(&listener);

    assert_eq!(exchange(&mut s, &[vpcd::CTRL_GET_ATR]), [0x3B, 0x80, 0x80, 0x01, 0x01]);
    send(&mut s, &[vpcd::CTRL_POWER_ON]);
    assert_silent(&mut s, Duration::from_millis(150));
    assert_eq!(exchange(&mut s, SELECT), [0x90, 0x00]);

    // A frame split across the bridge's read timeout (50 ms) is reassembled.
    s.write_all(&[0x00, 0x08, 0x80, 0x01, 0x00]).unwrap();
    std::thread::sleep(Duration::from_millis(150));
    s.write_all(&[0x00, 0x02, 0xAB, 0xCD, 0x00]).unwrap();
    assert_eq!(receive(&mut s), [0xAB, 0xCD, 0x90, 0x00]);

    // Extended APDUs, answers longer than 255 bytes.
    let mut long_echo = vec![0x80, 0x01, 0x00, 0x00, 0x00, 0x03, 0xE8];
    long_echo.extend((0..1000u32).map(|i| (i * 7) as u8));
    long_echo.extend([0x00, 0x00]);
    let answer = exchange(&mut s, &long_echo);
    assert_eq!(answer.len(), 1002);
    assert_eq!(answer[..1000], long_echo[7..1007]);
    assert_eq!(exchange(&mut s, COUNT), [0, 0, 0, 3, 0x90, 0x00]);

    // Unknown control byte: ignored, no answer, the session goes on.
    send(&mut s, &[0x03]);
    assert_silent(&mut s, Duration::from_millis(150));
    assert_eq!(exchange(&mut s, COUNT), [0, 0, 0, 4, 0x90, 0x00]);

    // Reset and power-off end the field session: nothing is selected afterwards.
    send(&mut s, &[vpcd::CTRL_RESET]);
    assert_eq!(exchange(&mut s, COUNT), [0x69, 0x85]);
    assert_eq!(exchange(&mut s, SELECT), [0x90, 0x00]);
    send(&mut s, &[vpcd::CTRL_POWER_OFF]);
    assert_eq!(exchange(&mut s, COUNT), [0x69, 0x85]);

    // The driver goes away mid-session (pcscd restart): the bridge reconnects, and the
    // lost link ended the session.
    assert_eq!(exchange(&mut s, SELECT), [0x90, 0x00]);
    drop(s);
    let mut s = accept(&listener);
    assert_eq!(exchange(&mut s, &[vpcd::CTRL_GET_ATR]).len(), 5);
    assert_eq!(exchange(&mut s, COUNT), [0x69, 0x85]);

    // Also when the whole listener disappears for a while and comes back.
    let port = bridge.port;
    drop(listener);
    drop(s);
    std::thread::sleep(Duration::from_millis(400));
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let mut s = accept(&listener);
    assert_eq!(exchange(&mut s, SELECT), [0x90, 0x00]);

    let stats = bridge.events();
    let stats_connected = stats.iter().filter(|e| matches!(e, Event::Connected(_))).count();
    assert_eq!(stats_connected, 3);
    assert!(stats.contains(&Event::Reset) && stats.contains(&Event::PowerOff));
    assert!(stats.contains(&Event::Unknown(vec![0x03])));
    let totals = bridge.stop();
    assert_eq!(totals.connections, 3);
    assert_eq!(totals.apdus, 11);
}

#[test]
fn stop_is_honoured_while_nothing_listens() {
    // A port that was just free: connection attempts fail and back off.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let bridge = Bridge::start(port);
    std::thread::sleep(Duration::from_millis(300));
    let stats = bridge.stop();
    assert_eq!(stats, Stats::default());
}

#[test]
fn stop_is_honoured_inside_a_session() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let bridge = Bridge::start(listener.local_addr().unwrap().port());
    let mut s = accept(&listener);
    assert_eq!(exchange(&mut s, SELECT), [0x90, 0x00]);
    assert_eq!(bridge.stop(), Stats { connections: 1, apdus: 1 });
    // The bridge closed its side.
    let mut byte = [0u8; 1];
    assert_eq!(s.read(&mut byte).unwrap(), 0);
}

#[test]
fn invalid_atr_is_refused() {
    let config = Config { atr: vec![], ..Config::default() };
    let mut router = Router::new();
    let r = vpcd::serve(&config, &mut router, &AtomicBool::new(false), &mut |_| {});
    assert_eq!(r.unwrap_err().kind(), io::ErrorKind::InvalidInput);
}

/// Hands out the bytes in the given chunk sizes, with a timeout error before each chunk.
struct Choppy {
    data: Vec<u8>,
    chunks: Vec<usize>,
    timed_out: bool,
}

impl Read for Choppy {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.data.is_empty() {
            return Ok(0);
        }
        if !self.timed_out {
            self.timed_out = true;
            return Err(io::ErrorKind::WouldBlock.into());
        }
        self.timed_out = false;
        let want = self.chunks.pop().unwrap_or(usize::MAX).max(1);
        let n = want.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data.drain(..n);
        Ok(n)
    }
}

proptest! {
    #[test]
    fn frames_survive_any_chunking_and_timeouts(
        frames in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..600), 0..8),
        chunks in prop::collection::vec(1usize..700, 0..40),
    ) {
        let mut wire = Vec::new();
        for f in &frames {
            vpcd::write_frame(&mut wire, f).unwrap();
        }
        let mut reader = FrameReader::default();
        let mut source = Choppy { data: wire, chunks, timed_out: false };
        let mut got = Vec::new();
        loop {
            match reader.next(&mut source) {
                Ok(Some(f)) => got.push(f),
                Ok(None) => break,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => panic!("{e}"),
            }
        }
        prop_assert_eq!(got, frames);
    }

    #[test]
    fn eof_inside_a_frame_is_an_error(body in prop::collection::vec(any::<u8>(), 1..100),
                                      cut in any::<prop::sample::Index>()) {
        let mut wire = Vec::new();
        vpcd::write_frame(&mut wire, &body).unwrap();
        let cut = 1 + cut.index(wire.len() - 1);
        let mut reader = FrameReader::default();
        let err = reader.next(&mut &wire[..cut]).unwrap_err();
        prop_assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }
}

#[test]
fn a_peer_that_hangs_up_at_once_is_retried_with_backoff() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let bridge = Bridge::start(listener.local_addr().unwrap().port());
    let started = Instant::now();
    let mut accepted = 0;
    while started.elapsed() < Duration::from_millis(600) {
        drop(accept(&listener));
        accepted += 1;
    }
    // Backoff 20, 40, 80, 160, 200, 200 ms…: a handful of connections, not thousands.
    assert!((2..=10).contains(&accepted), "{accepted} connections in 600 ms");
    assert!(bridge.stop().connections >= 2);
}
