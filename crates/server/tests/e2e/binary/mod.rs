//! Runs of the compiled `sessiond` binary: start-up, configuration errors, the CLI.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod admin;
mod cli;
mod config;
mod deploy;
mod limits;
mod logs;
mod monitoring;
mod one_secret;
mod postgres_schema;
mod two_nodes;

pub(crate) fn workdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "sessiond-bin-{}",
        sessiond_core::Token::generate().unwrap().hash().to_hex()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `sessiond` run in `dir` with only the variables given (none inherited from the developer).
pub(crate) fn sessiond(dir: &Path, vars: &[(&str, &str)]) -> Command {
    sessiond_at(Path::new(env!("CARGO_BIN_EXE_sessiond")), dir, vars)
}

/// The same with the binary at `bin` (one unpacked from the release archive).
pub(crate) fn sessiond_at(bin: &Path, dir: &Path, vars: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(bin);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd
}

/// `sessiond args...` run in `dir` to completion; the test fails with its stderr unless it
/// succeeds.
pub(crate) fn sessiond_ok(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = sessiond(dir, &[]).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "sessiond {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `sessiond args...` with only `vars`, `input` written to its stdin, run to completion: the
/// test fails with its stderr unless it succeeds. Returns its stdout.
pub(crate) fn sessiond_fed(
    dir: &Path,
    vars: &[(&str, &str)],
    args: &[&str],
    input: &str,
) -> String {
    let mut child = sessiond(dir, vars)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "sessiond {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A PostgreSQL database of its own for a run of the binary (the binary has no schema
/// setting), dropped with this.
pub(crate) struct FreshDatabase {
    pub(crate) url: String,
    base: String,
    name: String,
}

impl FreshDatabase {
    pub(crate) fn create(prefix: &str) -> Self {
        let base = sessiond_testkit::stores::postgres_url();
        let name = format!(
            "{prefix}_{}",
            &sessiond_core::Token::generate().unwrap().hash().to_hex()[..12]
        );
        assert!(
            psql(&base, &format!("CREATE DATABASE {name}")),
            "could not create a database at {base}: run scripts/test"
        );
        let url = match base.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("unexpected URL {base}"),
        };
        Self { url, base, name }
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        psql(
            &self.base,
            &format!("DROP DATABASE {} WITH (FORCE)", self.name),
        );
    }
}

fn psql(url: &str, sql: &str) -> bool {
    Command::new("psql")
        .arg(url)
        .args(["-qc", sql])
        .status()
        .is_ok_and(|s| s.success())
}

/// One HTTP/1.1 request over a fresh connection, with `headers` besides Host and a JSON
/// Content-Type: (status, the session cookie it set, body). `None` when the server is gone.
pub(crate) fn exchange(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Option<(u16, Option<String>, String)> {
    use std::io::Read as _;
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let status = out.get(9..12)?.parse().ok()?;
    let token = out
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: sessiond="))
        .and_then(|v| v.split(';').next())
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    Some((
        status,
        token,
        out.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned(),
    ))
}

/// A running `sessiond serve`, killed when dropped: a failing test never leaves one behind.
pub(crate) struct Server(pub std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `serve`; returns it, its address and everything it printed before listening.
fn start(dir: &Path) -> (Server, String, String) {
    start_with(dir, &[])
}

/// The same with more variables.
pub(crate) fn start_with(dir: &Path, vars: &[(&str, &str)]) -> (Server, String, String) {
    start_binary(Path::new(env!("CARGO_BIN_EXE_sessiond")), dir, vars)
}

/// [`start_with`] with the binary at `bin`.
// The child is handed to `Server`, whose drop waits for it; clippy cannot see that far.
#[allow(clippy::zombie_processes)]
pub(crate) fn start_binary(
    bin: &Path,
    dir: &Path,
    vars: &[(&str, &str)],
) -> (Server, String, String) {
    let mut all = vec![("SESSIOND_BIND", "127.0.0.1:0")];
    all.extend_from_slice(vars);
    let mut child = sessiond_at(bin, dir, &all)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "sessiond exited early:\n{seen}"
        );
        seen.push_str(&line);
        if let Some(rest) = line.split("listening on http://").nth(1) {
            let addr = rest.split('"').next().unwrap().to_owned();
            // Keep draining stdout so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in out.lines() {});
            return (Server(child), addr, seen);
        }
        assert!(Instant::now() < deadline, "no listening line:\n{seen}");
    }
}

/// Starts `sessiond serve` with its log (stdout) going to a file, for tests that read what it
/// logs while it serves. Returns the server, its address and the log's path.
pub(crate) fn start_with_log(dir: &Path, vars: &[(&str, &str)]) -> (Server, String, PathBuf) {
    let log_path = dir.join("sessiond.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut all = vec![("SESSIOND_BIND", "127.0.0.1:0")];
    all.extend_from_slice(vars);
    let child = sessiond(dir, &all)
        .arg("serve")
        .stdout(log)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    let addr = loop {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        if let Some(rest) = text.split("listening on http://").nth(1) {
            break rest.split('"').next().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "no listening line:\n{text}");
        std::thread::sleep(Duration::from_millis(50));
    };
    (server, addr, log_path)
}

/// The first-start password never reaches stdout (the log stream): without a terminal it is
/// written to a file only its owner may read, and the log says where.
#[test]
fn first_start_creates_admin_and_hands_over_the_password_privately_once() {
    let dir = workdir();
    let (server, addr, printed) = start(&dir);
    let file = dir.join("data/initial-admin-password");
    let password = std::fs::read_to_string(&file).unwrap();
    assert!(password.len() >= 20);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "owner only");
    }
    assert!(!printed.contains(&password), "not on stdout:\n{printed}");
    assert!(
        printed.contains("initial-admin-password"),
        "the log says where:\n{printed}"
    );
    let body = format!("{{\"username\":\"admin\",\"password\":\"{password}\"}}");
    let res = raw_http::login(&addr, &body);
    assert!(res.contains("\"role\":\"superadmin\""), "{res}");
    drop(server);
    assert!(dir.join("data/sessiond.db").exists() && dir.join("data/secret.key").exists());

    std::fs::remove_file(&file).unwrap();
    let (_server, _, printed) = start(&dir);
    assert!(!file.exists(), "only on the first start:\n{printed}");
    assert!(!printed.contains(&password));
}

/// Serve-time warnings (here a trusted proxy range of every address) are for `serve`; a CLI
/// tool on the same configuration does not repeat them.
#[test]
fn only_serve_prints_the_serve_time_warnings() {
    let dir = workdir();
    let vars = [("SESSIOND_TRUSTED_PROXIES", "0.0.0.0/0")];
    let mut add = sessiond(&dir, &vars)
        .args(["users", "add", "bob", "--role", "oss", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(b"a long password\n")
        .unwrap();
    let out = add.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let warning = "SESSIOND_TRUSTED_PROXIES includes a range of every address";
    assert!(!all.contains(warning), "{all}");
    let (_server, _, printed) = start_with(&dir, &vars);
    assert!(printed.contains(warning), "serve warns:\n{printed}");
}

/// A tiny blocking HTTP client for the binary tests, to keep them free of an async runtime.
pub(crate) mod raw_http {
    use std::io::{Read as _, Write as _};

    /// Sends `head` (the request line and any headers, without the final line break) and
    /// `body`, and returns the whole answer.
    pub(crate) fn send(addr: &str, head: &str, body: &str) -> String {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        write!(
            s,
            "{head}\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    /// The status code of an answer `send` returned.
    pub(crate) fn status(answer: &str) -> u16 {
        answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    pub(super) fn login(addr: &str, body: &str) -> String {
        let head = "POST /api/session/login HTTP/1.1\r\nContent-Type: application/json";
        send(addr, head, body)
    }
}

#[test]
fn sigterm_stops_the_server_gracefully() {
    let dir = workdir();
    let (mut server, _, _) = start(&dir);
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(server.0.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            assert!(status.success(), "clean exit on SIGTERM: {status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
