//! [`PrivateCaddy`] and [`PrivateTraefik`]: real proxies for the forward-auth tests, each on a
//! free port in the foreground with its files in a folder of its own, stopped when dropped.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::services::{free_port, run, temp_dir, wait_until};

/// A proxy process, its port and its folder.
struct Proxy {
    port: u16,
    dir: PathBuf,
    child: Child,
}

impl Proxy {
    /// Spawns `cmd` (its log into the folder) and waits until `GET /` through it is routed,
    /// which is when the proxy has read its configuration.
    fn spawn(name: &str, mut cmd: Command, port: u16, dir: PathBuf) -> Self {
        let log = dir.join(format!("{name}.log"));
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{name} could not start ({e}): run scripts/test, which installs it")
            });
        wait_until(name, || {
            if let Ok(Some(status)) = child.try_wait() {
                let said = std::fs::read_to_string(&log).unwrap_or_default();
                panic!("{name} ended ({status}): {said}");
            }
            routed(port)
        });
        Self { port, dir, child }
    }
}

/// Whether `GET /` gets an answer other than "no route" (404).
fn routed(port: u16) -> bool {
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let request = "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    let mut head = [0u8; 12];
    s.write_all(request.as_bytes()).is_ok()
        && s.read_exact(&mut head).is_ok()
        && !head.ends_with(b"404")
}

impl Drop for Proxy {
    fn drop(&mut self) {
        run(Command::new("kill").args(["-TERM", &self.child.id().to_string()]));
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Debian's Caddy, over plain HTTP, its admin API off.
pub struct PrivateCaddy(Proxy);

impl PrivateCaddy {
    /// Starts Caddy with `caddyfile`, in which `{listen}` is replaced by its port.
    pub fn start(caddyfile: &str) -> Self {
        let (port, dir) = (free_port(), temp_dir("caddy"));
        let config = format!(
            "{{\n\tadmin off\n\tauto_https off\n}}\n{}",
            caddyfile.replace("{listen}", &port.to_string())
        );
        let file = dir.join("Caddyfile");
        std::fs::write(&file, config).unwrap();
        let mut cmd = Command::new("caddy");
        cmd.args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&file)
            .env("HOME", &dir)
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("XDG_CONFIG_HOME", dir.join("config"));
        Self(Proxy::spawn("caddy", cmd, port, dir))
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.0.port)
    }
}

/// Traefik with one entry point and `dynamic` as its file provider's configuration.
pub struct PrivateTraefik(Proxy);

impl PrivateTraefik {
    pub fn start(dynamic: &str) -> Self {
        let (port, dir) = (free_port(), temp_dir("traefik"));
        let file = dir.join("dynamic.yml");
        std::fs::write(&file, dynamic).unwrap();
        let mut cmd = Command::new(traefik_binary());
        cmd.arg(format!("--entryPoints.web.address=127.0.0.1:{port}"))
            .arg(format!("--providers.file.filename={}", file.display()))
            .args([
                "--global.checkNewVersion=false",
                "--global.sendAnonymousUsage=false",
            ])
            .args(["--log.level=ERROR"])
            .env("HOME", &dir);
        Self(Proxy::spawn("traefik", cmd, port, dir))
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.0.port)
    }
}

/// `SESSIOND_TEST_TRAEFIK`, or where scripts/test installs it (target/traefik), or the PATH.
fn traefik_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("SESSIOND_TEST_TRAEFIK") {
        return path.into();
    }
    let installed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/traefik/bin/traefik");
    if installed.exists() {
        installed
    } else {
        PathBuf::from("traefik")
    }
}
