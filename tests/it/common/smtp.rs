//! A real SMTP server for tests: aiosmtpd (PyPI) writing each message into a maildir. The test
//! command installs it into a venv under target/; `AIOSMTPD_PYTHON` names that venv's python.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SmtpSink {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

fn python() -> String {
    std::env::var("AIOSMTPD_PYTHON")
        .unwrap_or_else(|_| format!("{}/target/smtp-venv/bin/python", env!("CARGO_MANIFEST_DIR")))
}

impl SmtpSink {
    pub async fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let dir =
            std::env::temp_dir().join(format!("admin-console-smtp-{}-{port}", std::process::id()));
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(dir.join(sub)).expect("maildir");
        }
        let mut sink = SmtpSink {
            port,
            dir,
            child: None,
        };
        sink.resume().await;
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Stops accepting mail (the port refuses connections).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts (again) on the same port and waits until it answers.
    pub async fn resume(&mut self) {
        let child = Command::new(python())
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{}", self.port),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd (tests/run.sh installs it under target/smtp-venv)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every message received so far, raw.
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.dir.join(sub)) {
                for entry in entries.flatten() {
                    if let Ok(text) = std::fs::read_to_string(entry.path()) {
                        out.push(text);
                    }
                }
            }
        }
        out
    }

    /// Waits (bounded) for a message to `to` and returns it.
    pub async fn wait_for(&self, to: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(message) = self
                .messages()
                .into_iter()
                .find(|m| m.contains(&format!("X-RcptTo: {to}")))
            {
                return message;
            }
            assert!(Instant::now() < deadline, "no email to {to} arrived");
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The invitation token in an email (quoted-printable soft breaks undone).
pub fn invite_token(message: &str) -> String {
    link_token(message, "/invite/")
}

/// The token after `prefix` (`/invite/`, `/password/reset/`) in an email.
pub fn link_token(message: &str, prefix: &str) -> String {
    let text = message
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let start = text.find(prefix).expect("a link") + prefix.len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}
