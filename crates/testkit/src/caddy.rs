//! [`PrivateCaddy`]: a real Caddy for the forward-auth tests.

use std::path::PathBuf;
use std::process::Command;

use crate::services::{free_port, run, temp_dir, wait_until};

/// A Caddy of its own, on a free port in the foreground, over plain HTTP, with its admin API
/// off and its data in a folder of its own; stopped when dropped.
pub struct PrivateCaddy {
    pub port: u16,
    dir: PathBuf,
    child: std::process::Child,
}

impl PrivateCaddy {
    /// Starts Caddy with `caddyfile`, in which `{listen}` is replaced by its port.
    pub fn start(caddyfile: &str) -> Self {
        let port = free_port();
        let dir = temp_dir("caddy");
        let config = format!(
            "{{\n\tadmin off\n\tauto_https off\n}}\n{}",
            caddyfile.replace("{listen}", &port.to_string())
        );
        let file = dir.join("Caddyfile");
        std::fs::write(&file, config).unwrap();
        let log = dir.join("caddy.log");
        let mut child = Command::new("caddy")
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&file)
            .env("HOME", &dir)
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("caddy could not start ({e}): run scripts/test, which installs it")
            });
        wait_until("caddy", || {
            if let Ok(Some(status)) = child.try_wait() {
                let said = std::fs::read_to_string(&log).unwrap_or_default();
                panic!("caddy ended ({status}): {said}");
            }
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Self { port, dir, child }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for PrivateCaddy {
    fn drop(&mut self) {
        run(Command::new("kill").args(["-TERM", &self.child.id().to_string()]));
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
