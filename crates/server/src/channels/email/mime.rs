//! A reply's files as MIME parts: the text first, then each file as an
//! attachment part (`Content-Disposition: attachment` with its name, the
//! bytes in Base64), built with lettre's typed builders. The files are read
//! from the database when the reply is sent (lettre builds a message
//! whole, so a reply's files are in memory for the length of its send).

use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart, SinglePart};

use crate::error::AppResult;
use crate::ops::uploads::sniff::served_type;
use crate::store::files;

/// A file to send.
#[derive(Debug, Clone)]
pub struct File {
    /// Its name.
    pub name: String,
    /// Its type (as served: inert types only, else `application/octet-stream`).
    pub content_type: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// The files attached to reply `message_id`, in order.
pub async fn files_of(reader: &sqlx::AnyPool, message_id: &str) -> AppResult<Vec<File>> {
    let metas = {
        let mut conn = reader.acquire().await?;
        files::of_message(&mut *conn, message_id).await?
    };
    let mut out = Vec::with_capacity(metas.len());
    for m in &metas {
        out.push(File {
            name: m.filename.clone(),
            content_type: served_type(&m.content_type).to_owned(),
            bytes: files::read_all(reader, m).await?,
        });
    }
    Ok(out)
}

/// `multipart/mixed`: the text, then the files (taken, so each file's
/// bytes are freed once encoded). A reply of files alone gets a short text
/// naming them, so every mail client shows a body.
pub fn mixed(text: &str, files: Vec<File>) -> MultiPart {
    let text = if text.trim().is_empty() {
        text_for_files(&files)
    } else {
        text.to_owned()
    };
    let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(text));
    for f in files {
        let ctype = ContentType::parse(&f.content_type).unwrap_or_else(|_| {
            ContentType::parse("application/octet-stream").unwrap_or(ContentType::TEXT_PLAIN)
        });
        parts = parts.singlepart(Attachment::new(f.name).body(f.bytes, ctype));
    }
    parts
}

/// The text of a reply that has files and no words: `Attached: a.pdf, b.png`.
pub fn text_for_files(files: &[File]) -> String {
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    format!("Attached: {}", names.join(", "))
}
