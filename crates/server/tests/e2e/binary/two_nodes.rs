//! The deployment of docs/deployment.md run the way the guide runs it, without containers: two
//! nodes from deploy/compose/sessiond.env on one PostgreSQL, deploy/nginx.conf in front with a
//! self-signed certificate, and curl as the client. Only the addresses, ports and paths differ.

use sessiond_testkit::free_port;

use super::*;

const ENV_FILE: &str = include_str!("../../../../../deploy/compose/sessiond.env");
const NGINX: &str = include_str!("../../../../../deploy/nginx.conf");
const COMPOSE: &str = include_str!("../../../../../deploy/compose/compose.yaml");
const DOCKERFILE: &str = include_str!("../../../../../Dockerfile");

/// A certificate for app.example.com, as `certs/fullchain.pem` and `certs/privkey.pem`.
fn self_signed(dir: &Path) -> PathBuf {
    let certs = dir.join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=app.example.com"])
        .args(["-addext", "subjectAltName=DNS:app.example.com", "-keyout"])
        .arg(certs.join("privkey.pem"))
        .arg("-out")
        .arg(certs.join("fullchain.pem"))
        .output()
        .unwrap_or_else(|e| panic!("openssl: {e}: run scripts/test, which installs it"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    certs
}

/// What curl got: the status, the headers (lower-cased names) and the body.
struct Answer {
    status: u16,
    headers: String,
    body: String,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// A browser as curl: it reaches `app.example.com` on nginx's ports, trusts the test's
/// certificate and keeps its cookies in a jar.
struct Curl {
    dir: PathBuf,
    resolve: Vec<String>,
}

impl Curl {
    fn run(&self, args: &[&str]) -> Answer {
        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "-i", "--max-time", "10", "--cacert"])
            .arg(self.dir.join("certs/fullchain.pem"))
            .arg("-c")
            .arg(self.dir.join("jar"))
            .arg("-b")
            .arg(self.dir.join("jar"));
        for r in &self.resolve {
            cmd.args(["--resolve", r]);
        }
        let out = cmd
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("curl: {e}: run scripts/test, which installs it"));
        let text = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
        assert!(
            out.status.success(),
            "curl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
        Answer {
            status: head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0),
            headers: head.to_lowercase(),
            body: body.to_owned(),
        }
    }

    fn post(&self, url: &str, origin: &str, csrf: &str, body: &str) -> Answer {
        self.run(&[
            "-X",
            "POST",
            "-H",
            &format!("origin: {origin}"),
            "-H",
            &format!("x-csrf-token: {csrf}"),
            "-H",
            "content-type: application/json",
            "--data",
            body,
            url,
        ])
    }
}

/// How many requests to `route` a node's log holds.
fn served(log: &Path, route: &str) -> usize {
    let needle = format!("\"route\":\"{route}\"");
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .filter(|l| l.contains(&needle))
        .count()
}

#[test]
fn two_nodes_behind_nginx_with_tls_act_as_one_service() {
    let dir = workdir();
    let certs = self_signed(&dir);
    let secret = dir.join("secret.key");
    std::fs::write(
        &secret,
        sessiond_core::Token::generate().unwrap().hash().to_hex(),
    )
    .unwrap();
    let db = FreshDatabase::create("two_nodes");
    let (port_1, port_2, port_80) = (free_port(), free_port(), free_port());

    let nginx = sessiond_testkit::PrivateNginx::start(
        &NGINX
            .replace("sessiond-1:8080", &format!("127.0.0.1:{port_1}"))
            .replace("sessiond-2:8080", &format!("127.0.0.1:{port_2}"))
            .replace("app:3000", "127.0.0.1:9")
            .replace("listen 443 ssl;", "listen 127.0.0.1:{listen} ssl;")
            .replace("listen 80;", &format!("listen 127.0.0.1:{port_80};"))
            .replace("/etc/nginx/certs/", &format!("{}/", certs.display())),
    );
    let origin = format!("https://app.example.com:{}", nginx.port);
    let url = |path: &str| format!("{origin}{path}");
    let secret_path = secret.display().to_string();
    let vars = [
        ("SESSIOND_STORE_URL", db.url.as_str()),
        ("SESSIOND_SECRET_KEY_FILE", secret_path.as_str()),
        ("SESSIOND_PUBLIC_URL", origin.as_str()),
        ("SESSIOND_TRUSTED_PROXIES", "127.0.0.1"),
    ];

    // The guide's commands: the shared settings, `migrate` once, the first user, two nodes
    // started from folders of their own.
    std::fs::write(dir.join(".env"), ENV_FILE).unwrap();
    sessiond_fed(&dir, &vars, &["migrate"], "");
    sessiond_fed(
        &dir,
        &vars,
        &["users", "add", "alice", "--role", "oss", "--password-stdin"],
        "correct horse battery\n",
    );
    let mut nodes = Vec::new();
    for port in [port_1, port_2] {
        let node_dir = workdir();
        std::fs::write(node_dir.join(".env"), ENV_FILE).unwrap();
        let bind = format!("127.0.0.1:{port}");
        let mut node_vars = vars.to_vec();
        node_vars.push(("SESSIOND_BIND", &bind));
        let (server, _, log) = start_with_log(&node_dir, &node_vars);
        nodes.push((server, log));
    }

    let curl = Curl {
        dir: dir.clone(),
        resolve: [nginx.port, port_80]
            .iter()
            .map(|p| format!("app.example.com:{p}:127.0.0.1"))
            .collect(),
    };
    let plain = curl.run(&[&format!("http://app.example.com:{port_80}/login")]);
    assert_eq!(plain.status, 301, "{}", plain.headers);
    assert!(
        plain
            .headers
            .contains("location: https://app.example.com/login")
    );
    assert_eq!(curl.run(&[&url("/readyz")]).status, 200);

    // A forged X-Forwarded-For is replaced by nginx, so the nodes record the real address.
    let login = curl.run(&[
        "-H",
        &format!("origin: {origin}"),
        "-H",
        "x-forwarded-for: 203.0.113.9",
        "-H",
        "content-type: application/json",
        "--data",
        r#"{"username":"alice","password":"correct horse battery"}"#,
        &url("/api/session/login"),
    ]);
    assert_eq!(login.status, 200, "{}{}", login.headers, login.body);
    let cookie = login
        .headers
        .lines()
        .find(|l| l.starts_with("set-cookie: __host-sessiond="))
        .unwrap_or_else(|| panic!("no __Host- cookie: {}", login.headers));
    assert!(
        cookie.contains("secure") && cookie.contains("httponly"),
        "{cookie}"
    );
    let csrf = login.json()["csrf_token"].as_str().unwrap().to_owned();

    // Either node answers for the session, and takes the CSRF token the other one issued.
    for _ in 0..4 {
        let check = curl.run(&[&url("/api/session/check")]);
        assert_eq!(check.status, 200, "{}", check.body);
        assert_eq!(check.json()["username"], "alice");
    }
    for _ in 0..4 {
        let kept = curl.post(&url("/api/session/keepalive"), &origin, &csrf, "{}");
        assert_eq!(kept.status, 200, "{}", kept.body);
    }
    for (_, log) in &nodes {
        assert!(
            served(log, "/api/session/check") > 0,
            "a node served no check"
        );
        assert!(
            served(log, "/api/session/keepalive") > 0,
            "a node served no keep-alive"
        );
    }
    let logs: String = nodes
        .iter()
        .map(|(_, log)| std::fs::read_to_string(log).unwrap())
        .collect();
    let success = logs.lines().find(|l| l.contains("LOGIN_SUCCESS")).unwrap();
    assert!(success.contains("\"ip\":\"127.0.0.1\""), "{success}");

    // One node stops: the other serves every request.
    drop(nodes.remove(0));
    for _ in 0..4 {
        assert_eq!(curl.run(&[&url("/api/session/check")]).status, 200);
    }
    let out = curl.post(&url("/api/session/logout"), &origin, &csrf, "{}");
    assert_eq!(out.status, 200, "{}", out.body);
    assert_eq!(curl.run(&[&url("/api/session/check")]).status, 401);
}

/// The container files say what docs/deployment.md says they do; no engine runs here, so
/// the test above runs their commands without one.
#[test]
fn the_container_files_run_the_tested_settings() {
    let stages = DOCKERFILE
        .lines()
        .filter(|l| l.starts_with("FROM "))
        .count();
    assert_eq!(stages, 2, "two stages");
    for line in [
        "USER sessiond",
        "VOLUME /var/lib/sessiond",
        "http://127.0.0.1:8080/healthz",
        "ENTRYPOINT [\"sessiond\"]",
    ] {
        assert!(DOCKERFILE.contains(line), "the Dockerfile lacks {line}");
    }
    for line in [
        "env_file: sessiond.env",
        "../nginx.conf:/etc/nginx/conf.d/default.conf",
        "sessiond-1:",
        "sessiond-2:",
        "command: [\"migrate\"]",
        "ipv4_address: 10.89.0.10",
    ] {
        assert!(COMPOSE.contains(line), "compose.yaml lacks {line}");
    }
    assert!(ENV_FILE.contains("SESSIOND_TRUSTED_PROXIES=10.89.0.10"));
    assert!(ENV_FILE.contains("SESSIOND_STORE_URL=postgres://sessiond:sessiond@db/sessiond"));
}
