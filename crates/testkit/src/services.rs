//! Private database servers for fault tests: they can be stopped and restarted without
//! disturbing the shared ones other tests use.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A port nothing listens on now (the caller binds it soon after).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sessiond-{name}-{}", free_port()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Polls a service this kit started in another process: there is no event to wait on.
#[allow(clippy::disallowed_methods)]
pub(crate) fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready() {
        assert!(Instant::now() < deadline, "{what} did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn run(cmd: &mut Command) -> bool {
    cmd.output().is_ok_and(|o| o.status.success())
}

/// A redis-server with an fsync'd append-only file: what it acknowledged survives a restart.
pub struct PrivateRedis {
    pub port: u16,
    dir: PathBuf,
}

impl PrivateRedis {
    pub fn start() -> Self {
        let me = Self {
            port: free_port(),
            dir: temp_dir("redis"),
        };
        me.restart();
        me
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn restart(&self) {
        let ok = run(Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--daemonize",
                "yes",
            ])
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ])
            .arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(self.dir.join("redis.log")));
        assert!(
            ok,
            "redis-server did not start (is it installed? scripts/test installs it)"
        );
        wait_until("redis", || {
            run(Command::new("redis-cli").args(["-p", &self.port.to_string(), "ping"]))
        });
    }

    pub fn stop(&self) {
        run(Command::new("redis-cli").args(["-p", &self.port.to_string(), "shutdown"]));
        wait_until("redis shutdown", || {
            !run(Command::new("redis-cli").args(["-p", &self.port.to_string(), "ping"]))
        });
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        run(Command::new("redis-cli").args(["-p", &self.port.to_string(), "shutdown", "nosave"]));
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A PostgreSQL cluster of its own (initdb), run as the `postgres` user when we are root.
pub struct PrivatePostgres {
    pub port: u16,
    dir: PathBuf,
    bin: PathBuf,
}

fn as_postgres(bin: &Path, program: &str) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if root {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(bin.join(program));
        cmd
    } else {
        Command::new(bin.join(program))
    }
}

impl PrivatePostgres {
    pub fn start() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|d| d.filter_map(Result::ok).map(|e| e.path().join("bin")).filter(|p| p.join("initdb").exists()).max())
            .expect("PostgreSQL server binaries not found under /usr/lib/postgresql (scripts/test installs them)");
        let dir = temp_dir("postgres");
        let _ = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&dir)
            .output();
        let ok = run(as_postgres(&bin, "initdb").arg("-D").arg(&dir).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ]));
        assert!(ok, "initdb failed");
        let me = Self {
            port: free_port(),
            dir,
            bin,
        };
        me.restart();
        me
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn restart(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=on",
            self.port,
            self.dir.display()
        );
        let ok = run(as_postgres(&self.bin, "pg_ctl")
            .arg("-D")
            .arg(&self.dir)
            .args(["-o", &opts, "-w", "-l"])
            .arg(self.dir.join("log"))
            .arg("start"));
        assert!(ok, "pg_ctl start failed");
    }

    pub fn stop(&self) {
        run(as_postgres(&self.bin, "pg_ctl")
            .arg("-D")
            .arg(&self.dir)
            .args(["-m", "fast", "-w", "stop"]));
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An OpenLDAP `slapd` on a port of its own, with a small directory: `alice` (in the
/// `netadmins` group), `bob` (in no group), both under `ou=people,dc=example,dc=org`, with the
/// passwords `LDAP_PASSWORD` and `bob password`. It also speaks LDAPS on `tls_port`, and
/// StartTLS, with a certificate for 127.0.0.1 from a CA of its own (`ca_file`).
pub struct PrivateSlapd {
    pub port: u16,
    pub tls_port: u16,
    dir: PathBuf,
}

/// A CA and a server certificate for 127.0.0.1 signed by it, made with the `openssl` tool.
fn make_certificates(dir: &Path) {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap_or_else(|e| panic!("openssl not found ({e})"));
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    openssl(
        &[
            &[
                "req",
                "-x509",
                "-days",
                "2",
                "-subj",
                "/CN=sessiond test CA",
            ][..],
            &ec,
            &["-keyout", "ca.key", "-out", "ca.pem"],
            &["-addext", "basicConstraints=critical,CA:TRUE"],
            &["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req", "-subj", "/CN=127.0.0.1"][..],
            &ec,
            &["-keyout", "server.key", "-out", "server.csr"],
        ]
        .concat(),
    );
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "server.ext",
        "-out",
        "server.pem",
    ]);
}

pub const LDAP_PASSWORD: &str = "alice ldap password";

impl PrivateSlapd {
    pub fn start() -> Self {
        let port = free_port();
        let me = Self {
            port,
            tls_port: std::iter::repeat_with(free_port)
                .find(|p| *p != port)
                .unwrap_or_default(),
            dir: temp_dir("slapd"),
        };
        let d = me.dir.display();
        std::fs::create_dir_all(me.dir.join("db")).unwrap();
        make_certificates(&me.dir);
        std::fs::write(
            me.dir.join("slapd.conf"),
            format!(
                "include /etc/ldap/schema/core.schema\n\
                 include /etc/ldap/schema/cosine.schema\n\
                 include /etc/ldap/schema/inetorgperson.schema\n\
                 modulepath /usr/lib/ldap\n\
                 moduleload back_mdb\n\
                 pidfile {d}/slapd.pid\n\
                 TLSCACertificateFile {d}/ca.pem\n\
                 TLSCertificateFile {d}/server.pem\n\
                 TLSCertificateKeyFile {d}/server.key\n\
                 database mdb\n\
                 suffix \"dc=example,dc=org\"\n\
                 rootdn \"cn=admin,dc=example,dc=org\"\n\
                 rootpw admin-secret\n\
                 directory {d}/db\n"
            ),
        )
        .unwrap();
        std::fs::write(
            me.dir.join("data.ldif"),
            format!(
                "dn: dc=example,dc=org\nobjectClass: dcObject\nobjectClass: organization\n\
                 o: Example\ndc: example\n\n\
                 dn: ou=people,dc=example,dc=org\nobjectClass: organizationalUnit\nou: people\n\n\
                 dn: ou=groups,dc=example,dc=org\nobjectClass: organizationalUnit\nou: groups\n\n\
                 dn: uid=alice,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\n\
                 uid: alice\ncn: Alice Admin\nsn: Admin\nuserPassword: {LDAP_PASSWORD}\n\n\
                 dn: uid=bob,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\n\
                 uid: bob\ncn: Bob\nsn: Builder\nuserPassword: bob password\n\n\
                 dn: cn=netadmins,ou=groups,dc=example,dc=org\nobjectClass: groupOfNames\n\
                 cn: netadmins\nmember: uid=alice,ou=people,dc=example,dc=org\n"
            ),
        )
        .unwrap();
        let conf = me.dir.join("slapd.conf");
        let loaded = Command::new("slapadd")
            .arg("-f")
            .arg(&conf)
            .arg("-l")
            .arg(me.dir.join("data.ldif"))
            .output()
            .unwrap_or_else(|e| {
                panic!("slapadd not found ({e}): run scripts/test, which installs slapd")
            });
        assert!(
            loaded.status.success(),
            "slapadd: {}",
            String::from_utf8_lossy(&loaded.stderr)
        );
        let started = Command::new("slapd")
            .arg("-f")
            .arg(&conf)
            .arg("-h")
            .arg(format!("{}/ {}/", me.url(), me.ldaps_url()))
            .output()
            .unwrap();
        assert!(
            started.status.success(),
            "slapd: {}",
            String::from_utf8_lossy(&started.stderr)
        );
        wait_until("slapd", || {
            std::net::TcpStream::connect(("127.0.0.1", me.port)).is_ok()
                && std::net::TcpStream::connect(("127.0.0.1", me.tls_port)).is_ok()
        });
        me
    }

    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    pub fn ldaps_url(&self) -> String {
        format!("ldaps://127.0.0.1:{}", self.tls_port)
    }

    /// The PEM of the CA that signed the server's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    fn pid(dir: &Path) -> Option<i32> {
        std::fs::read_to_string(dir.join("slapd.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    pub fn stop(&self) {
        if let Some(pid) = Self::pid(&self.dir) {
            let _ = Command::new("kill").arg(pid.to_string()).output();
            wait_until("slapd to stop", || {
                std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err()
            });
        }
    }
}

impl Drop for PrivateSlapd {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
