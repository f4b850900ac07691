//! [`PrivateNginx`]: a real nginx for the forward-auth tests.

use std::path::PathBuf;
use std::process::Command;

use crate::services::{free_port, run, temp_dir, wait_until};

/// An nginx of its own: `server` (an `http`-level configuration, e.g. docs/forward-auth/nginx.conf)
/// runs on a free port in the foreground, and is stopped by its PID when dropped.
pub struct PrivateNginx {
    pub port: u16,
    dir: PathBuf,
    child: std::process::Child,
}

impl PrivateNginx {
    /// Starts nginx with `http_config`, in which `{listen}` is replaced by its port.
    pub fn start(http_config: &str) -> Self {
        let port = free_port();
        let dir = temp_dir("nginx");
        let d = dir.display();
        let config = format!(
            "worker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n access_log off;\n client_body_temp_path {d}/body;\n \
             proxy_temp_path {d}/proxy;\n fastcgi_temp_path {d}/fastcgi;\n \
             uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n{}\n}}\n",
            http_config.replace("{listen}", &port.to_string())
        );
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, config).unwrap();
        let child = Command::new(nginx_binary())
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(&conf)
            .args(["-g", "daemon off;"])
            .spawn()
            .unwrap_or_else(|e| {
                panic!("nginx could not start ({e}): run scripts/test, which installs it")
            });
        wait_until("nginx", || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Self { port, dir, child }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn nginx_binary() -> PathBuf {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("nginx"))
}

impl Drop for PrivateNginx {
    fn drop(&mut self) {
        // TERM, not KILL: the master then stops its workers too.
        run(Command::new("kill").args(["-TERM", &self.child.id().to_string()]));
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
