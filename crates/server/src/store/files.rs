//! Files kept in the database: agents' uploads in chunks (`uploads`,
//! `upload_chunks`, migration 0015) and inbound email attachments
//! (`attachments`, migration 0003: one row, Base64 text). Written chunk by
//! chunk inside a write ([`insert_chunks`]) and read back chunk by chunk on
//! the read pool ([`chunks`]), so no file is ever held whole in memory on
//! either side; both backends, any instance of a fleet.

use std::io::Read;

use axum::body::Bytes;
use base64::Engine;
use futures_util::Stream;
use sqlx::AnyPool;
use switchboard_api::{AttachmentInfo, Message};

use super::db::{self, Db, Row};
use super::Tx;
use crate::error::{AppError, AppResult};

/// Bytes per stored chunk of an upload.
pub const CHUNK_BYTES: usize = 256 * 1024;

/// Base64 characters read per chunk of an inbound attachment (a multiple of
/// 4, so each piece decodes alone: 192 KiB of bytes).
const B64_CHUNK_CHARS: i32 = 256 * 1024;

/// Where a file's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An agent's upload, in `upload_chunks`.
    Upload,
    /// An inbound email attachment, Base64 in `attachments.data`.
    Inbound,
}

/// What is known of a stored file.
#[derive(Debug, Clone)]
pub struct FileMeta {
    /// Id.
    pub id: String,
    /// Where its bytes are.
    pub kind: Kind,
    /// Its conversation (`None`: an upload not attached yet).
    pub conversation_id: Option<String>,
    /// Its message (`None`: an upload not attached yet).
    pub message_id: Option<String>,
    /// The agent who uploaded it (agents' uploads only).
    pub agent_id: Option<String>,
    /// The widget session of the visitor who uploaded it (visitors' uploads only).
    pub session_id: Option<String>,
    /// Name as given.
    pub filename: String,
    /// Type as stored (sniffed).
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// Chunks (uploads only).
    pub chunks: i64,
    /// The saved reply holding it (uploads only: `ops::uploads::hold`).
    pub saved_reply_id: Option<String>,
}

impl FileMeta {
    /// What a message shows of it.
    pub fn info(&self) -> AttachmentInfo {
        AttachmentInfo {
            id: self.id.clone(),
            filename: self.filename.clone(),
            content_type: self.content_type.clone(),
            size: self.size,
        }
    }
}

fn size_of(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// A stored file by id, upload or inbound attachment.
pub async fn meta(conn: &mut impl Db, id: &str) -> AppResult<Option<FileMeta>> {
    if let Some(r) = db::query(
        "SELECT agent_id, session_id, filename, content_type, size, chunks, conversation_id, message_id, \
         saved_reply_id FROM uploads WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    {
        return Ok(Some(FileMeta {
            id: id.to_owned(),
            kind: Kind::Upload,
            conversation_id: r.try_get("conversation_id")?,
            message_id: r.try_get("message_id")?,
            agent_id: r.try_get("agent_id")?,
            session_id: r.try_get("session_id")?,
            filename: r.try_get("filename")?,
            content_type: r.try_get("content_type")?,
            size: size_of(r.try_get("size")?),
            chunks: r.try_get("chunks")?,
            saved_reply_id: r.try_get("saved_reply_id")?,
        }));
    }
    let Some(r) = db::query(
        "SELECT conversation_id, message_id, filename, content_type, size FROM attachments WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(FileMeta {
        id: id.to_owned(),
        kind: Kind::Inbound,
        conversation_id: r.try_get("conversation_id")?,
        message_id: r.try_get("message_id")?,
        agent_id: None,
        session_id: None,
        filename: r.try_get("filename")?,
        content_type: r.try_get("content_type")?,
        size: size_of(r.try_get("size")?),
        chunks: 0,
        saved_reply_id: None,
    }))
}

/// The uploads attached to `message_id`, in the order they were given.
pub async fn of_message(conn: &mut impl Db, message_id: &str) -> AppResult<Vec<FileMeta>> {
    let found = db::query(
        "SELECT id, agent_id, session_id, filename, content_type, size, chunks, conversation_id FROM uploads \
         WHERE message_id = $1 ORDER BY position, id",
    )
    .bind(message_id)
    .fetch_all(&mut *conn)
    .await?;
    found
        .iter()
        .map(|r| {
            Ok(FileMeta {
                id: r.try_get("id")?,
                kind: Kind::Upload,
                conversation_id: r.try_get("conversation_id")?,
                message_id: Some(message_id.to_owned()),
                agent_id: r.try_get("agent_id")?,
                session_id: r.try_get("session_id")?,
                filename: r.try_get("filename")?,
                content_type: r.try_get("content_type")?,
                size: size_of(r.try_get("size")?),
                chunks: r.try_get("chunks")?,
                saved_reply_id: None,
            })
        })
        .collect()
}

/// `$1, $2, …, $n`.
fn marks(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A file's description from a row with `id, filename, content_type, size`.
fn info_of(r: &Row) -> AppResult<AttachmentInfo> {
    Ok(AttachmentInfo {
        id: r.try_get("id")?,
        filename: r.try_get("filename")?,
        content_type: r.try_get("content_type")?,
        size: size_of(r.try_get("size")?),
    })
}

/// The files of the messages of `conversation_ids`: (conversation,
/// message, file), agents' uploads first in their order, then inbound
/// email attachments in theirs.
pub async fn infos_of(
    conn: &mut impl Db,
    conversation_ids: &[&str],
) -> AppResult<Vec<(String, String, AttachmentInfo)>> {
    if conversation_ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = marks(conversation_ids.len());
    let sql = format!(
        "SELECT id, conversation_id, message_id, filename, content_type, size, 0 AS src, position AS pos \
         FROM uploads WHERE conversation_id IN ({marks}) AND message_id IS NOT NULL \
         UNION ALL SELECT id, conversation_id, message_id, filename, content_type, size, 1 AS src, \
         created_at AS pos FROM attachments WHERE conversation_id IN ({marks}) ORDER BY src, pos, id"
    );
    let mut q = db::query(&sql);
    for id in conversation_ids {
        q = q.bind(*id);
    }
    q.fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get("conversation_id")?,
                r.try_get("message_id")?,
                info_of(r)?,
            ))
        })
        .collect()
}

/// The files saved replies `reply_ids` hold: (reply, file), in no order.
pub async fn held_infos(
    conn: &mut impl Db,
    reply_ids: &[&str],
) -> AppResult<Vec<(String, AttachmentInfo)>> {
    if reply_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, saved_reply_id, filename, content_type, size FROM uploads WHERE saved_reply_id IN ({})",
        marks(reply_ids.len())
    );
    let mut q = db::query(&sql);
    for id in reply_ids {
        q = q.bind(*id);
    }
    q.fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("saved_reply_id")?, info_of(r)?)))
        .collect()
}

/// Fills `attachments` on the messages of one conversation.
pub async fn attach_infos(
    conn: &mut impl Db,
    conversation_id: &str,
    messages: &mut [Message],
) -> AppResult<()> {
    for (_, message_id, info) in infos_of(conn, &[conversation_id]).await? {
        if let Some(m) = messages.iter_mut().find(|m| m.id == message_id) {
            m.attachments.push(info);
        }
    }
    Ok(())
}

/// Writes `source` as the chunks of upload `id` (the `uploads` row must be
/// there first); returns how many. Runs inside the upload's write.
pub async fn insert_chunks(tx: &mut Tx, id: &str, source: &mut impl Read) -> AppResult<i64> {
    let mut n: i64 = 0;
    loop {
        let mut chunk = Vec::with_capacity(CHUNK_BYTES);
        source
            .by_ref()
            .take(CHUNK_BYTES as u64)
            .read_to_end(&mut chunk)
            .map_err(|e| AppError::Internal(format!("reading a staged upload: {e}")))?;
        if chunk.is_empty() {
            return Ok(n);
        }
        db::query("INSERT INTO upload_chunks (upload_id, n, data) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(n)
            .bind(chunk)
            .execute(&mut *tx)
            .await?;
        n += 1;
    }
}

/// Removes uploads and their chunks.
pub async fn delete_uploads(tx: &mut Tx, ids: &[String]) -> AppResult<()> {
    for id in ids {
        db::query("DELETE FROM upload_chunks WHERE upload_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        db::query("DELETE FROM uploads WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Reads chunk `n` of a file (`None` past its end).
pub async fn chunk(reader: &AnyPool, file: &FileMeta, n: i64) -> AppResult<Option<Bytes>> {
    let mut conn = reader.acquire().await?;
    match file.kind {
        Kind::Upload => {
            if n >= file.chunks {
                return Ok(None);
            }
            let data: Vec<u8> =
                db::query("SELECT data FROM upload_chunks WHERE upload_id = $1 AND n = $2")
                    .bind(&file.id)
                    .bind(n)
                    .fetch_optional_scalar(&mut *conn)
                    .await?
                    .ok_or_else(|| {
                        AppError::Internal(format!("upload {} lacks its chunk {n}", file.id))
                    })?;
            Ok(Some(Bytes::from(data)))
        }
        Kind::Inbound => {
            let start = i32::try_from(n)
                .ok()
                .and_then(|n| n.checked_mul(B64_CHUNK_CHARS))
                .and_then(|s| s.checked_add(1))
                .ok_or_else(|| AppError::Internal("attachment too large to read".into()))?;
            let piece: Option<String> =
                db::query("SELECT substr(data, $1, $2) FROM attachments WHERE id = $3")
                    .bind(start)
                    .bind(B64_CHUNK_CHARS)
                    .bind(&file.id)
                    .fetch_optional_scalar(&mut *conn)
                    .await?;
            let piece = piece.unwrap_or_default();
            if piece.is_empty() {
                return Ok(None);
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(piece.trim().as_bytes())
                .map_err(|e| AppError::Internal(format!("stored attachment is not base64: {e}")))?;
            Ok(Some(Bytes::from(bytes)))
        }
    }
}

/// A file's bytes, chunk by chunk (each read when the previous was taken).
pub fn chunks(reader: AnyPool, file: FileMeta) -> impl Stream<Item = AppResult<Bytes>> + Send {
    futures_util::stream::try_unfold(0i64, move |n| {
        let (reader, file) = (reader.clone(), file.clone());
        async move {
            Ok(chunk(&reader, &file, n)
                .await?
                .map(|bytes| (bytes, n.saturating_add(1))))
        }
    })
}

/// A file's bytes in one buffer (for a mail, which lettre builds whole).
pub async fn read_all(reader: &AnyPool, file: &FileMeta) -> AppResult<Vec<u8>> {
    let mut out = Vec::with_capacity(usize::try_from(file.size).unwrap_or(0));
    let mut n = 0;
    while let Some(bytes) = chunk(reader, file, n).await? {
        out.extend_from_slice(&bytes);
        n += 1;
    }
    Ok(out)
}
