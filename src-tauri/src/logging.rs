//! The app's log: to stderr, and once the app knows its log directory, also
//! to daily files there (`switchboard.YYYY-MM-DD.log`, the last 7 kept).
//!
//! A desktop app's stderr goes nowhere an agent can find it; the files are
//! what support asks for when something went wrong ("send us the log"), and
//! what the end-to-end tests keep beside their screenshots. The level comes
//! from `SWITCHBOARD_LOG` (an `EnvFilter` directive; `info` by default).
//! Tokens and message text are never logged, so the files hold nothing a
//! customer or the keychain would mind.

use std::path::Path;
use std::sync::OnceLock;

use tracing_appender::rolling::{RollingFileAppender, RollingWriter, Rotation};
use tracing_subscriber::fmt::writer::{MakeWriter, MakeWriterExt, OptionalWriter};

/// Name part of the log files.
pub const FILE_PREFIX: &str = "switchboard";

/// How many daily files are kept.
const KEEP_FILES: usize = 7;

/// The log file once [`to_dir`] set it.
static FILE: OnceLock<RollingFileAppender> = OnceLock::new();

/// Writes to the log file if there is one yet, else nowhere.
struct LogFile;

impl<'a> MakeWriter<'a> for LogFile {
    type Writer = OptionalWriter<RollingWriter<'a>>;

    fn make_writer(&'a self) -> Self::Writer {
        match FILE.get() {
            Some(file) => OptionalWriter::some(file.make_writer()),
            None => OptionalWriter::none(),
        }
    }
}

/// Installs the global subscriber (stderr only until [`to_dir`]). Called
/// once, first thing; a second call changes nothing.
pub fn init() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SWITCHBOARD_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        // Plain text: the same lines go to a file.
        .with_ansi(false)
        .with_writer(std::io::stderr.and(LogFile))
        .try_init();
}

/// From now on the log also goes to daily files in `dir` (created if
/// missing). Only the first call counts.
pub fn to_dir(dir: &Path) -> Result<(), tracing_appender::rolling::InitError> {
    if FILE.get().is_some() {
        return Ok(());
    }
    // Made first: the appender's pruning of old files complains on stderr
    // about a directory that is not there yet.
    let _ = std::fs::create_dir_all(dir);
    let file = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(FILE_PREFIX)
        .filename_suffix("log")
        .max_log_files(KEEP_FILES)
        .build(dir)?;
    let _ = FILE.set(file);
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        dir = %dir.display(),
        "switchboard started; logging to this directory"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_logged_after_to_dir_land_in_a_file_there() {
        let root = tempfile::tempdir().expect("temp dir");
        let dir = root.path().join("logs");
        init();
        tracing::info!("before the file");
        to_dir(&dir).expect("log dir");
        tracing::info!(marker = "after-the-file", "a line");
        let text: String = std::fs::read_dir(&dir)
            .expect("read log dir")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(FILE_PREFIX))
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect();
        assert!(text.contains("after-the-file"), "{text}");
        assert!(text.contains("logging to this directory"), "{text}");
        assert!(!text.contains("before the file"), "{text}");
        assert!(
            !text.contains('\u{1b}'),
            "no colour codes in the file: {text}"
        );
    }
}
