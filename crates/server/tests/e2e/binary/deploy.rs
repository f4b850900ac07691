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
