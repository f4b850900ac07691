//! The deployment kit in `deploy/`, checked as an operator's tools would.

use super::*;

/// `deploy/sessiond.service` passes `systemd-analyze verify`, with the binary it names put at
/// the binary this build made.
#[test]
fn the_systemd_unit_verifies() {
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/sessiond.service"
    ))
    .unwrap();
    for setting in [
        "User=sessiond",
        "StateDirectory=sessiond",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "LoadCredential=secret-key:",
    ] {
        assert!(unit.contains(setting), "the unit lacks {setting}");
    }
    let bin = env!("CARGO_BIN_EXE_sessiond");
    let unit = unit.replace("/usr/local/bin/sessiond", bin);
    let dir = workdir();
    let path = dir.join("sessiond.service");
    std::fs::write(&path, unit).unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("systemd-analyze: {e}: run scripts/test, which installs it"));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{said}");
    assert!(said.trim().is_empty(), "systemd-analyze says: {said}");
}

/// `scripts/dist` packs the binary with the unit, the example settings and the proxy examples;
/// unpacked into a prefix of its own, the binary starts from there and serves.
#[test]
fn the_release_archive_unpacks_and_its_binary_serves() {
    let out = workdir();
    let dist = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/dist"))
        .args(["--binary", env!("CARGO_BIN_EXE_sessiond"), "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        dist.status.success(),
        "{}",
        String::from_utf8_lossy(&dist.stderr)
    );
    let archive = String::from_utf8(dist.stdout).unwrap().trim().to_owned();
    let prefix = workdir();
    let unpacked = Command::new("tar")
        .args(["-xzf", &archive, "-C"])
        .arg(&prefix)
        .status()
        .unwrap();
    assert!(unpacked.success());
    let top = std::fs::read_dir(&prefix)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    for file in [
        "bin/sessiond",
        "deploy/sessiond.service",
        "deploy/sessiond.env.example",
        "deploy/nginx.conf",
        "docs/forward-auth/nginx.conf",
        "docs/deployment.md",
        "README.md",
    ] {
        assert!(top.join(file).exists(), "the archive lacks {file}");
    }
    let data = workdir();
    let (_server, addr, _) = start_binary(&top.join("bin/sessiond"), &data, &[]);
    let answer = raw_http::send(&addr, "GET /healthz HTTP/1.1", "");
    assert_eq!(raw_http::status(&answer), 200, "{answer}");
}
