//! An upload's body on its way in: written to an anonymous temporary file
//! as it arrives (never held whole in memory), measured, hashed and its
//! first bytes kept for sniffing. The file is then copied into the database
//! in one write ([`super::store_upload`]); a body over the limit, or one
//! that breaks off, never reaches the database at all, and the temporary
//! file goes away with its handle (also when the process dies).

use std::io::{Seek, SeekFrom, Write};
use std::time::Duration;

use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};

use super::sniff::HEAD_BYTES;
use crate::error::AppError;

/// A body read whole into a temporary file.
#[derive(Debug)]
pub struct Staged {
    /// The bytes, positioned at the start.
    pub file: std::fs::File,
    /// How many.
    pub size: u64,
    /// Their SHA-256, lowercase hex.
    pub sha256: String,
    /// The first bytes (up to [`HEAD_BYTES`]), for sniffing.
    pub head: Vec<u8>,
}

/// Why a body was not staged.
#[derive(Debug)]
pub enum StageError {
    /// Longer than the limit (the rest of the body was read and dropped,
    /// so the client gets the answer).
    TooLarge,
    /// Reading the body or writing the file failed.
    Failed(AppError),
}

/// How much of an over-long body is still read (and dropped) before the
/// answer, so a client that is still sending gets the 413 instead of a
/// broken connection; beyond it the connection is simply closed.
const DRAIN_BYTES: u64 = 256 * 1024 * 1024;
/// …and for how long at most.
const DRAIN_TIME: Duration = Duration::from_secs(30);

/// Reads `body` into a temporary file in `dir`, refusing more than `max`
/// bytes.
pub async fn stage<E: std::fmt::Display>(
    dir: &std::path::Path,
    body: impl Stream<Item = Result<Bytes, E>> + Unpin,
    max: u64,
) -> Result<Staged, StageError> {
    let mut body = body;
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        StageError::Failed(AppError::Internal(format!(
            "staging an upload: {what}: {e}"
        )))
    };
    let mut file = tempfile::tempfile_in(dir).map_err(|e| fail("temporary file", &e))?;
    let mut hash = Sha256::new();
    let mut head = Vec::with_capacity(HEAD_BYTES);
    let mut size: u64 = 0;
    while let Some(piece) = body.next().await {
        let piece = piece.map_err(|e| {
            StageError::Failed(AppError::bad_request(
                "upload_interrupted",
                format!("the upload broke off: {e}"),
            ))
        })?;
        size = size.saturating_add(piece.len() as u64);
        if size > max {
            drain(&mut body).await;
            return Err(StageError::TooLarge);
        }
        hash.update(&piece);
        if head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - head.len()).min(piece.len());
            head.extend_from_slice(&piece[..take]);
        }
        // A local file: each write of a piece (a few KiB) is brief.
        file.write_all(&piece)
            .map_err(|e| fail("writing the temporary file", &e))?;
    }
    file.seek(SeekFrom::Start(0))
        .map_err(|e| fail("rewinding the temporary file", &e))?;
    Ok(Staged {
        file,
        size,
        sha256: hex::encode(hash.finalize()),
        head,
    })
}

async fn drain<E>(body: &mut (impl Stream<Item = Result<Bytes, E>> + Unpin)) {
    let mut dropped: u64 = 0;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while let Some(Ok(piece)) = body.next().await {
            dropped = dropped.saturating_add(piece.len() as u64);
            if dropped > DRAIN_BYTES {
                break;
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(pieces: Vec<&'static [u8]>) -> impl Stream<Item = Result<Bytes, String>> + Unpin {
        futures_util::stream::iter(pieces.into_iter().map(|p| Ok(Bytes::from_static(p))))
    }

    #[tokio::test]
    async fn a_body_is_measured_hashed_and_kept_in_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = stage(dir.path(), body(vec![b"hello ", b"world"]), 100)
            .await
            .unwrap();
        assert_eq!(s.size, 11);
        assert_eq!(s.head, b"hello world");
        assert_eq!(
            s.sha256,
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        let mut back = String::new();
        std::io::Read::read_to_string(&mut s.file, &mut back).unwrap();
        assert_eq!(back, "hello world");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "anonymous"
        );
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let r = stage(dir.path(), body(vec![b"12345", b"67890", b"x"]), 10).await;
        assert!(matches!(r, Err(StageError::TooLarge)));
        let exact = stage(dir.path(), body(vec![b"12345", b"67890"]), 10).await;
        assert_eq!(exact.unwrap().size, 10);
    }
}
