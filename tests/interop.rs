//! Interoperability with an independent gRPC implementation (Python grpcio,
//! stubs generated from proto/lp_rpc.proto): its client talks to
//! `lpconform serve`, and `lpconform run` talks to its server. Skipped with a
//! message when python3 lacks grpcio and grpcio-tools.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/grpcio_peer.py");
const STARTUP_DEADLINE: Duration = Duration::from_secs(60);

fn grpcio_available() -> bool {
    let available = Command::new("python3")
        .args(["-c", "import grpc, grpc_tools"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !available {
        eprintln!("skipped: python3 with grpcio and grpcio-tools is not installed (pip install grpcio grpcio-tools)");
    }
    available
}

/// Kills the child process when the test ends, however it ends.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The child's first line of output, or a panic naming what was awaited.
fn first_line(stdout: ChildStdout, what: &str) -> String {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(line);
    });
    receiver
        .recv_timeout(STARTUP_DEADLINE)
        .unwrap_or_else(|_| panic!("{what} printed nothing within {STARTUP_DEADLINE:?}"))
}

#[test]
fn grpcio_client_talks_to_lpconform_serve() {
    if !grpcio_available() {
        return;
    }
    for transport_args in [&["--h2c"][..], &[]] {
        let mut server = ChildGuard(
            Command::new(env!("CARGO_BIN_EXE_lpconform"))
                .args(["serve", "--listen", "127.0.0.1:0"])
                .args(transport_args)
                .stdout(Stdio::piped())
                .spawn()
                .expect("lpconform serve starts"),
        );
        let line = first_line(server.0.stdout.take().unwrap(), "lpconform serve");
        let url = line
            .split_whitespace()
            .find(|word| word.starts_with("http"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"));
        let output = Command::new("python3").args([PEER, "client", url]).output().unwrap();
        assert!(
            output.status.success(),
            "grpcio client against {url} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn lpconform_run_talks_to_a_grpcio_server() {
    if !grpcio_available() {
        return;
    }
    let mut peer = ChildGuard(
        Command::new("python3")
            .args([PEER, "server"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 starts"),
    );
    let port = first_line(peer.0.stdout.take().unwrap(), "the grpcio server");
    let target = format!("http://127.0.0.1:{}", port.trim());
    // Its snapshots are not recorded: the pending ones go to a scratch directory, not suites/.
    let snapshots = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_lpconform"))
        .args(["run", "--target", &target, "--snapshots"])
        .arg(snapshots.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"),
        "{stdout}"
    );
}
