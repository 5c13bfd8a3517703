//! `https` targets: the real binary against a TLS server on loopback whose certificate a
//! test authority signs, both made by `openssl` for the test. With the authority trusted
//! through `SSL_CERT_FILE` (which the operating system's certificate store honours), the
//! run goes through without an error; without it, loadgate refuses the target and says
//! why, before any load is sent.

mod common;

use common::*;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A test certificate authority (`ca.pem`, the file to trust) and a server certificate
/// for `localhost` and 127.0.0.1 that it signed, with its key, all written into `dir`.
/// Returns (authority, server certificate, server key).
fn make_certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let [ca, ca_key, cert, key] =
        ["ca.pem", "ca-key.pem", "cert.pem", "key.pem"].map(|name| dir.join(name));
    let openssl = |args: &[&str], key: &Path, out: &Path| {
        let output = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
            ])
            .args(["-nodes", "-days", "2"])
            .args(args)
            .arg("-keyout")
            .arg(key)
            .arg("-out")
            .arg(out)
            .output()
            .expect("openssl runs");
        assert!(output.status.success(), "{}", text(&output));
    };
    openssl(&["-subj", "/CN=loadgate test CA"], &ca_key, &ca);
    let signed_by = [ca.to_str().unwrap(), ca_key.to_str().unwrap()];
    openssl(
        &[
            "-CA",
            signed_by[0],
            "-CAkey",
            signed_by[1],
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-addext",
            "extendedKeyUsage=serverAuth",
        ],
        &key,
        &cert,
    );
    (ca, cert, key)
}

/// Serves `200 secure` over TLS on 127.0.0.1 for at most a minute, on a thread of its
/// own; returns its port and the count of requests answered.
fn serve_tls(cert: &Path, key: &Path) -> (u16, Arc<AtomicUsize>) {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let answered = Arc::new(AtomicUsize::new(0));
    let count = answered.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap().port()).unwrap();
            let serve = async {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let (acceptor, count) = (acceptor.clone(), count.clone());
                    tokio::spawn(async move {
                        let Ok(mut tls) = acceptor.accept(stream).await else {
                            return;
                        };
                        let mut head = Vec::new();
                        let mut buf = [0u8; 4096];
                        loop {
                            // One request after another on the kept-alive connection.
                            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                                match tls.read(&mut buf).await {
                                    Ok(0) | Err(_) => return,
                                    Ok(n) => head.extend_from_slice(&buf[..n]),
                                }
                            }
                            head.clear();
                            count.fetch_add(1, Ordering::Relaxed);
                            let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecure";
                            if tls.write_all(answer).await.is_err() {
                                return;
                            }
                        }
                    });
                }
            };
            let _ = tokio::time::timeout(Duration::from_secs(60), serve).await;
        });
    });
    (rx.recv().unwrap(), answered)
}

const SCENARIO: &str = r#"name: tls
timeout: 5s
load:
  stages:
    - { users: 2, over: 2s }
flows:
  - name: f
    think: 50ms
    steps:
      - http: { name: secure, path: /, expect: { body_contains: secure } }
"#;

#[test]
fn ci_has_openssl() {
    if std::env::var_os("CI").is_some() {
        let installed = cfg!(openssl_present);
        assert!(
            installed,
            "CI is set but openssl is not on the PATH: `apt-get install openssl` (.ci/run does)"
        );
    }
}

#[test]
#[cfg_attr(
    not(openssl_present),
    ignore = "openssl is not installed (apt-get install openssl)"
)]
fn a_trusted_certificate_carries_the_run_and_an_untrusted_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = make_certificates(dir.path());
    let (port, answered) = serve_tls(&cert, &key);
    let (scenario_dir, scenario) = scenario_file(SCENARIO);
    let run = |target: &str, out: &str, trust: Option<&Path>| {
        let mut command = loadgate();
        command
            .args(["run", scenario.to_str().unwrap(), "--target", target])
            .arg("--out")
            .arg(scenario_dir.path().join(out));
        match trust {
            Some(cert) => command.env("SSL_CERT_FILE", cert),
            None => command.env_remove("SSL_CERT_FILE"),
        };
        command.output().unwrap()
    };

    for (host, out) in [("localhost", "by-name"), ("127.0.0.1", "by-address")] {
        let target = format!("https://{host}:{port}");
        let output = run(&target, out, Some(&ca));
        assert_eq!(output.status.code(), Some(0), "{target}: {}", text(&output));
        let summary = read_summary(&scenario_dir.path().join(out));
        let secure = &summary.metrics.steps["secure"];
        assert!(secure.count > 0, "{target}: requests went out");
        assert_eq!(secure.errors, 0, "{target}: {:?}", secure.failures);
    }
    let served = answered.load(Ordering::Relaxed);
    assert!(served > 0);

    let refused = run(&format!("https://localhost:{port}"), "untrusted", None);
    assert_ne!(refused.status.code(), Some(0), "{}", text(&refused));
    let said = text(&refused).to_lowercase();
    assert!(said.contains("certificate"), "names the reason: {said}");
    assert!(
        !scenario_dir
            .path()
            .join("untrusted")
            .join("summary.json")
            .exists(),
        "no run folder for a refused target"
    );
    assert_eq!(
        answered.load(Ordering::Relaxed),
        served,
        "no request was answered for the refused run"
    );
}
