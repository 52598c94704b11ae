//! A reply's files on SMS. Each reply's files ride on parts of their own,
//! after its text, at most [`FILES_PER_PART`] to a part (the `attachments`
//! column of `sms_outbox`: the upload ids it carries). When the part is
//! sent, each file becomes a signed, expiring link served by this server
//! (`outbox::media`, `GET /public/media/{id}`): with MMS, Twilio's
//! `MediaUrl` fields (Twilio fetches them); without, lines of the text
//! (`name: link`), which a person opens later, so they last longer.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use switchboard_api::AttachmentInfo;

use crate::outbox::media::MediaConfig;
use crate::store::files::{self, FileMeta};

/// Files carried by one part (one request to Twilio). Twilio takes 10
/// `MediaUrl`s; 5 keeps a part of links under its 1600 characters.
pub const FILES_PER_PART: usize = 5;

/// Characters of a file's name shown before its link.
const NAME_CHARS: usize = 40;

/// The `attachments` value of each file part of a reply, in order.
pub fn groups(files: &[AttachmentInfo]) -> Vec<String> {
    files
        .chunks(FILES_PER_PART)
        .map(|g| {
            g.iter()
                .map(|f| f.id.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// What a file part sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carried {
    /// MMS: `MediaUrl` fields.
    Media(Vec<String>),
    /// No MMS: a text of links.
    Links(String),
}

/// The links of a file part's files (the upload ids in `ids`), signed now.
pub async fn carried(
    reader: &sqlx::AnyPool,
    media: &Arc<MediaConfig>,
    public_url: &str,
    mms: bool,
    ids: &str,
    now: DateTime<Utc>,
) -> Result<Carried, String> {
    let mut found: Vec<FileMeta> = Vec::new();
    let mut conn = reader
        .acquire()
        .await
        .map_err(|e| format!("reading the reply's files: {e}"))?;
    for id in ids.split_whitespace() {
        match files::meta(&mut *conn, id).await {
            Ok(Some(f)) => found.push(f),
            Ok(None) => return Err(format!("the file {id} of this reply is gone")),
            Err(e) => return Err(format!("reading the reply's files: {e}")),
        }
    }
    let ttl = if mms { media.ttl() } else { media.link_ttl() };
    let mut links = Vec::with_capacity(found.len());
    for f in &found {
        let url = media.url(public_url, &f.id, now, ttl).ok_or_else(|| {
            "no key to sign media links with (SWITCHBOARD_MEDIA_URL_SECRET)".to_owned()
        })?;
        links.push((f.filename.clone(), url));
    }
    Ok(if mms {
        Carried::Media(links.into_iter().map(|(_, url)| url).collect())
    } else {
        Carried::Links(link_text(&links))
    })
}

/// `name: link` lines, names shortened.
pub fn link_text(links: &[(String, String)]) -> String {
    links
        .iter()
        .map(|(name, url)| {
            let short: String = name
                .chars()
                .filter(|c| !c.is_control())
                .take(NAME_CHARS)
                .collect();
            format!("{short}: {url}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: &str) -> AttachmentInfo {
        AttachmentInfo {
            id: id.into(),
            filename: format!("{id}.png"),
            content_type: "image/png".into(),
            size: 1,
        }
    }

    #[test]
    fn files_are_grouped_five_to_a_part() {
        let files: Vec<_> = (0..7).map(|i| info(&format!("f{i}"))).collect();
        assert_eq!(groups(&files), ["f0 f1 f2 f3 f4", "f5 f6"]);
        assert!(groups(&[]).is_empty());
    }

    #[test]
    fn a_part_of_five_links_fits_one_request() {
        let url = format!(
            "{}/public/media/{}?expires=1772442000&sig={}",
            "https://support.example-company-with-a-long-name.com/switchboard",
            "0".repeat(32),
            "a".repeat(64)
        );
        let links: Vec<_> = (0..FILES_PER_PART)
            .map(|i| {
                (
                    format!("{i}{}", "a very long file name indeed ".repeat(5)),
                    url.clone(),
                )
            })
            .collect();
        let text = link_text(&links);
        assert!(text.chars().count() <= 1600, "{}", text.chars().count());
        assert_eq!(text.lines().count(), FILES_PER_PART);
    }
}
