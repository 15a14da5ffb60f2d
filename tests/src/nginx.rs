//! A throwaway nginx on loopback for end-to-end tests (key sync, issue #7).
//!
//! Each [`Nginx`] runs the Debian `nginx` binary as a child process with its own prefix in
//! a temp dir: its own config, pid file, logs and temp paths, no root-owned path touched,
//! `daemon off` and `master_process off` so the child is the only process. It listens on a
//! free loopback port, serves a temp document root, and is killed by its pid when dropped,
//! also when a test fails. The binary is `$NGINX`, else `nginx` on `PATH`, else
//! `/usr/sbin/nginx` (`scripts/install-deps.sh` installs `nginx-light`).

use std::fs;
use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use tempfile::TempDir;

/// How long nginx gets to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A running nginx; stopped when dropped.
pub struct Nginx {
    child: Child,
    port: u16,
    docroot: PathBuf,
    prefix: TempDir,
}

impl Nginx {
    /// Starts nginx serving an empty document root; `locations` is spliced into the
    /// `server` block (e.g. `location = /x { return 500; }`).
    pub fn start(locations: &str) -> io::Result<Nginx> {
        let mut last = None;
        // The port is free when picked but could be taken before nginx binds it.
        for _ in 0..3 {
            match Self::start_once(locations) {
                Ok(n) => return Ok(n),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("nginx did not start")))
    }

    fn start_once(locations: &str) -> io::Result<Nginx> {
        let prefix = tempfile::Builder::new().prefix("hce-nginx-").tempdir()?;
        let docroot = prefix.path().join("www");
        fs::create_dir_all(&docroot)?;
        fs::create_dir_all(prefix.path().join("tmp"))?;
        let port = free_port()?;
        let conf = config(prefix.path(), &docroot, port, locations);
        fs::write(prefix.path().join("nginx.conf"), conf)?;
        let error_log = prefix.path().join("error.log");
        let child = Command::new(binary())
            .arg("-p")
            .arg(prefix.path())
            .arg("-c")
            .arg(prefix.path().join("nginx.conf"))
            .arg("-e")
            .arg(&error_log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let mut nginx = Nginx { child, port, docroot, prefix };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = nginx.child.try_wait()? {
                return Err(io::Error::other(format!(
                    "nginx exited with {status}: {}",
                    nginx.error_log()
                )));
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(nginx);
            }
            if Instant::now() > deadline {
                return Err(io::Error::other("nginx did not start listening in time"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The document root files are served from.
    pub fn docroot(&self) -> &Path {
        &self.docroot
    }

    /// Publishes `bytes` as `name` atomically (write aside, rename), with the mtime set to
    /// `version` seconds after 2026-01-01 so that nginx's ETag (mtime-size) changes with
    /// every version even when two versions have the same size.
    pub fn publish(&self, name: &str, bytes: &[u8], version: u64) -> io::Result<()> {
        let aside = self.prefix.path().join("tmp").join(format!("{name}.new"));
        let mut f = fs::File::create(&aside)?;
        f.write_all(bytes)?;
        let mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600 + version);
        f.set_modified(mtime)?;
        drop(f);
        fs::rename(aside, self.docroot.join(name))
    }

    /// Removes a published file.
    pub fn unpublish(&self, name: &str) -> io::Result<()> {
        fs::remove_file(self.docroot.join(name))
    }

    /// The error log so far (for failure messages).
    pub fn error_log(&self) -> String {
        fs::read_to_string(self.prefix.path().join("error.log")).unwrap_or_default()
    }

    /// What locations that say `access_log posted.log posted;` logged: one line per
    /// request, `METHOD status "Idempotency-Key" body` (the body is read when the location
    /// proxies, e.g. a POST answered by `proxy_method GET` + `proxy_pass`).
    pub fn posted_log(&self) -> String {
        fs::read_to_string(self.prefix.path().join("posted.log")).unwrap_or_default()
    }

    /// Waits (up to 5 s) until `read` (e.g. [`Nginx::posted_log`]) holds at least `n` lines
    /// that `keep` keeps, and returns them all: nginx writes a log line when it finalizes
    /// the request, which may be after the client has its answer.
    pub fn await_lines(
        read: impl Fn() -> String,
        keep: impl Fn(&str) -> bool,
        n: usize,
    ) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let lines: Vec<String> =
                read().lines().filter(|l| keep(l)).map(str::to_owned).collect();
            if lines.len() >= n || Instant::now() > deadline {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The access log so far: one line per request,
    /// `status bytes "request" "If-None-Match" "Idempotency-Key"`.
    pub fn access_log(&self) -> String {
        fs::read_to_string(self.prefix.path().join("access.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // `master_process off`: the child is the whole server.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `$NGINX`, `nginx` on `PATH`, or Debian's `/usr/sbin/nginx`.
pub fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("NGINX") {
        return PathBuf::from(p);
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("nginx"))
        .find(|p| p.is_file());
    on_path.unwrap_or_else(|| PathBuf::from("/usr/sbin/nginx"))
}

/// Whether an nginx binary is there to run.
pub fn available() -> bool {
    binary().is_file()
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

fn config(prefix: &Path, docroot: &Path, port: u16, locations: &str) -> String {
    let p = prefix.display();
    format!(
        r#"daemon off;
master_process off;
worker_processes 1;
pid {p}/nginx.pid;
error_log {p}/error.log info;
events {{ worker_connections 64; }}
http {{
    log_format brief '$status $body_bytes_sent "$request" "$http_if_none_match" "$http_idempotency_key"';
    access_log {p}/access.log brief;
    log_format posted '$request_method $status "$http_idempotency_key" $request_body';
    client_body_temp_path {p}/tmp/body;
    proxy_temp_path {p}/tmp/proxy;
    fastcgi_temp_path {p}/tmp/fastcgi;
    uwsgi_temp_path {p}/tmp/uwsgi;
    scgi_temp_path {p}/tmp/scgi;
    default_type application/octet-stream;
    types {{ application/cose cose; }}
    sendfile on;
    keepalive_timeout 5s;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        etag on;
{locations}
    }}
}}
"#,
        root = docroot.display()
    )
}
