//! The inbound spool: messages a sender will not send again (Twilio does not
//! retry an inbound webhook answered 5xx), kept on local disk while the
//! database cannot take them, and applied when it can.
//!
//! One file per running instance, `<spool dir>/<instance>.jsonl`, one JSON
//! record per line, each appended and `fsync`ed before the sender is told
//! "stored". The instance holds an exclusive lock on its own file for as
//! long as it runs; the lock goes with the process (a crash or `kill -9`
//! included), so a file nobody holds is a stopped instance's, and whichever
//! instance finds it applies it and deletes it.
//!
//! A record is applied by the channel it came from, through the same path
//! as a live message, and carries the sender's idempotency key (Twilio's
//! `MessageSid`): a record applied twice (a crash between applying and
//! forgetting it) is stored once.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{BufRead, BufReader, Seek, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;
use tokio::sync::Mutex;

/// What applying one record came to.
#[derive(Debug)]
pub enum Applied {
    /// Stored (or found already stored): forget the record.
    Done,
    /// Refused for good (the record is malformed): forget it, loudly.
    Refused(String),
    /// The database is still away: keep this record and those after it.
    Later,
}

/// The spool of this instance, and the files of stopped ones.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    own_path: PathBuf,
    own: Mutex<File>,
}

impl Spool {
    /// Creates `dir` if needed and opens (and locks) this instance's file.
    pub fn open(dir: &Path, instance: &str) -> std::io::Result<Spool> {
        std::fs::create_dir_all(dir)?;
        let own_path = dir.join(format!("{instance}.jsonl"));
        let own = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&own_path)?;
        own.try_lock().map_err(|e| match e {
            TryLockError::Error(e) => e,
            TryLockError::WouldBlock => std::io::Error::other(format!(
                "{} is locked by another process",
                own_path.display()
            )),
        })?;
        Ok(Spool {
            dir: dir.to_owned(),
            own_path,
            own: Mutex::new(own),
        })
    }

    /// Appends `record` and waits until it is on disk.
    pub async fn append(&self, record: &Value) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        let mut own = self.own.lock().await;
        own.write_all(&line)?;
        own.sync_data()
    }

    /// Applies every spooled record, oldest first: this instance's own, then
    /// those of stopped instances. Stops at the first [`Applied::Later`] (the
    /// rest wait for the next call). Returns how many records were applied.
    ///
    /// Records are applied without holding the file: a message that arrives
    /// meanwhile is appended as usual, and only the lines applied are taken
    /// off the front afterwards.
    pub async fn drain<F, Fut>(&self, mut apply: F) -> std::io::Result<usize>
    where
        F: FnMut(Value) -> Fut,
        Fut: std::future::Future<Output = Applied>,
    {
        let lines = {
            let mut own = self.own.lock().await;
            read_lines(&mut own)?
        };
        let (mut applied, consumed) = apply_lines(&lines, &self.own_path, &mut apply).await;
        if consumed > 0 {
            let mut own = self.own.lock().await;
            let now = read_lines(&mut own)?;
            rewrite(&mut own, now.get(consumed..).unwrap_or_default())?;
        }
        if consumed < lines.len() {
            return Ok(applied);
        }
        for entry in std::fs::read_dir(&self.dir)? {
            let path = entry?.path();
            if path == self.own_path || path.extension().is_none_or(|e| e != "jsonl") {
                continue;
            }
            let Ok(mut file) = OpenOptions::new().read(true).write(true).open(&path) else {
                continue;
            };
            // Held: a running instance's own file, applied by that instance.
            if file.try_lock().is_err() {
                continue;
            }
            let lines = read_lines(&mut file)?;
            let (n, consumed) = apply_lines(&lines, &path, &mut apply).await;
            applied += n;
            if consumed == lines.len() {
                std::fs::remove_file(&path)?;
            } else {
                rewrite(&mut file, &lines[consumed..])?;
                return Ok(applied);
            }
        }
        Ok(applied)
    }

    /// Whether anything is waiting in this instance's own file.
    pub async fn holds_any(&self) -> bool {
        let own = self.own.lock().await;
        own.metadata().map(|m| m.len() > 0).unwrap_or(false)
    }
}

fn read_lines(file: &mut File) -> std::io::Result<Vec<String>> {
    file.rewind()?;
    BufReader::new(&*file).lines().collect()
}

/// Applies `lines` in order; returns how many records were applied and how
/// many lines are done with (all, or up to the first one put off).
async fn apply_lines<F, Fut>(lines: &[String], path: &Path, apply: &mut F) -> (usize, usize)
where
    F: FnMut(Value) -> Fut,
    Fut: std::future::Future<Output = Applied>,
{
    let mut applied = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        // A line cut short by a crash mid-append was never acknowledged.
        let Ok(record) = serde_json::from_str::<Value>(line) else {
            tracing::warn!(file = %path.display(), line = i + 1, "spool: an unfinished record is skipped");
            continue;
        };
        match apply(record).await {
            Applied::Done => applied += 1,
            Applied::Refused(why) => {
                tracing::error!(file = %path.display(), line = i + 1, %why, "spool: a record was refused and dropped")
            }
            Applied::Later => return (applied, i),
        }
    }
    (applied, lines.len())
}

/// Replaces the content of `file` with `lines` (empty: truncates), on disk.
fn rewrite(file: &mut File, lines: &[String]) -> std::io::Result<()> {
    let mut content = String::new();
    for l in lines {
        content.push_str(l);
        content.push('\n');
    }
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(content.as_bytes())?;
    file.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dir() -> tempfile::TempDir {
        tempfile::tempdir().expect("temp dir")
    }

    #[tokio::test]
    async fn records_are_applied_in_order_and_forgotten() {
        let d = dir();
        let s = Spool::open(d.path(), "a").expect("spool");
        for i in 0..3 {
            s.append(&json!({ "n": i })).await.expect("append");
        }
        assert!(s.holds_any().await);
        let mut seen = Vec::new();
        let n = s
            .drain(|r| {
                seen.push(r["n"].as_i64());
                async { Applied::Done }
            })
            .await
            .expect("drain");
        assert_eq!(n, 3);
        assert_eq!(seen, [Some(0), Some(1), Some(2)]);
        assert!(!s.holds_any().await, "forgotten once applied");
    }

    #[tokio::test]
    async fn a_record_put_off_keeps_itself_and_those_after_it() {
        let d = dir();
        let s = Spool::open(d.path(), "a").expect("spool");
        for i in 0..4 {
            s.append(&json!({ "n": i })).await.expect("append");
        }
        let n = s
            .drain(|r| async move {
                if r["n"] == 2 {
                    Applied::Later
                } else {
                    Applied::Done
                }
            })
            .await
            .expect("drain");
        assert_eq!(n, 2);
        let mut rest = Vec::new();
        s.drain(|r| {
            rest.push(r["n"].as_i64());
            async { Applied::Done }
        })
        .await
        .expect("drain again");
        assert_eq!(rest, [Some(2), Some(3)], "kept in order, applied once");
    }

    #[tokio::test]
    async fn a_stopped_instances_file_is_applied_and_removed_but_a_running_ones_is_not() {
        let d = dir();
        let running = Spool::open(d.path(), "running").expect("spool");
        running
            .append(&json!({ "from": "running" }))
            .await
            .expect("append");
        {
            let stopped = Spool::open(d.path(), "stopped").expect("spool");
            stopped
                .append(&json!({ "from": "stopped" }))
                .await
                .expect("append");
            // Dropped: its lock goes, as with a process that died.
        }
        // A line cut short by a crash.
        std::fs::OpenOptions::new()
            .append(true)
            .open(d.path().join("stopped.jsonl"))
            .and_then(|mut f| f.write_all(b"{\"from\": \"sto"))
            .expect("torn line");
        let me = Spool::open(d.path(), "me").expect("spool");
        let mut seen = Vec::new();
        me.drain(|r| {
            seen.push(r["from"].as_str().map(str::to_owned));
            async { Applied::Done }
        })
        .await
        .expect("drain");
        assert_eq!(seen, [Some("stopped".to_owned())]);
        assert!(!d.path().join("stopped.jsonl").exists());
        assert!(d.path().join("running.jsonl").exists());
        assert!(
            Spool::open(d.path(), "running").is_err(),
            "a running instance's file is locked"
        );
    }
}
