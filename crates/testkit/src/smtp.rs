//! An SMTP server on loopback (Python's aiosmtpd) that accepts every
//! message, refuses recipients whose address starts with `reject`, and files
//! each message (with its envelope as `X-Envelope-From`/`X-Envelope-To`
//! headers) for the test to read. Killed when dropped.
//!
//! [`SmtpSink::start_stalling`] makes it a slow server: it files each
//! message as soon as the data is in, then waits before answering DATA (so
//! a client that gives up or dies meanwhile has delivered it all the same,
//! the worst case for duplicates). [`SmtpSink::counts_by_message_id`]
//! counts what arrived per `Message-ID`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use crate::process::{die_with_parent, free_port, require, wait_for_port};

const SINK: &str = r#"
import asyncio, os, sys
from aiosmtpd.controller import Controller

class Sink:
    def __init__(self, out, stall):
        self.out = out
        self.stall = stall
        self.n = 0
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"
    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        path = os.path.join(self.out, "%04d.eml" % self.n)
        with open(path + ".tmp", "wb") as f:
            f.write(("X-Envelope-From: %s\r\nX-Envelope-To: %s\r\n" % (envelope.mail_from, ",".join(envelope.rcpt_tos))).encode())
            f.write(envelope.original_content)
        os.rename(path + ".tmp", path)
        if self.stall > 0:
            await asyncio.sleep(self.stall)
        return "250 Message accepted"

port, out, stall = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
c = Controller(Sink(out, stall), hostname="127.0.0.1", port=port)
c.start()
print("ready", flush=True)
try:
    asyncio.get_event_loop().run_forever()
except KeyboardInterrupt:
    pass
"#;

/// An SMTP server on loopback (aiosmtpd) that files every message it accepts.
pub struct SmtpSink {
    /// The loopback port it listens on.
    pub port: u16,
    dir: TempDir,
    child: Child,
}

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}

impl SmtpSink {
    /// `None` when aiosmtpd is not installed and CI is not set.
    pub fn start() -> Option<Self> {
        Self::start_stalling(Duration::ZERO)
    }

    /// A sink that files each message as soon as its data is in, then waits
    /// `stall` before answering DATA's `250` (each connection on its own:
    /// others are served meanwhile). `None` as for [`SmtpSink::start`].
    pub fn start_stalling(stall: Duration) -> Option<Self> {
        let present = Command::new(python())
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !require("aiosmtpd", present, "pip install aiosmtpd") {
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).expect("mkdir");
        let script = dir.path().join("sink.py");
        std::fs::write(&script, SINK).expect("script");
        let port = free_port();
        let log = dir.path().join("sink.log");
        let logf = std::fs::File::create(&log).expect("log");
        let mut cmd = Command::new(python());
        cmd.arg(&script)
            .arg(port.to_string())
            .arg(&out)
            .arg(stall.as_secs_f64().to_string())
            .stdin(Stdio::null())
            .stdout(logf.try_clone().expect("log"))
            .stderr(logf);
        die_with_parent(&mut cmd);
        let mut child = cmd.spawn().expect("start aiosmtpd");
        wait_for_port(port, &mut child, &log);
        Some(Self { port, dir, child })
    }

    /// `smtp://127.0.0.1:PORT` (STARTTLS only if offered: the sink offers none).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The raw messages received so far, oldest first.
    pub fn received(&self) -> Vec<String> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("out"))
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .collect()
    }

    /// How many times each `Message-ID` (as written, angle brackets and
    /// all) arrived; a message without one counts under `""`.
    pub fn counts_by_message_id(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for raw in self.received() {
            *out.entry(header(&raw, "Message-ID").unwrap_or_default())
                .or_insert(0) += 1;
        }
        out
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of header `name` in a raw message (unfolded), if present.
pub fn header(raw: &str, name: &str) -> Option<String> {
    let head = raw.split("\r\n\r\n").next().unwrap_or(raw);
    let mut out: Option<String> = None;
    let mut current = false;
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if current {
                if let Some(v) = out.as_mut() {
                    v.push(' ');
                    v.push_str(line.trim());
                }
            }
            continue;
        }
        current = false;
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case(name) && out.is_none() {
                out = Some(v.trim().to_owned());
                current = true;
            }
        }
    }
    out
}
