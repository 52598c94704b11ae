//! Messages, notes and system lines, and the delivery of replies.

use super::*;

/// One message, note or system line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Message {
    /// Id.
    pub id: String,
    /// Its conversation.
    pub conversation_id: String,
    /// `customer|agent|bot|note|system`.
    pub kind: MessageKind,
    /// Display name of who wrote it.
    pub author: String,
    /// The agent who wrote it (agent replies and notes).
    #[serde(default)]
    pub author_id: Option<String>,
    /// Plain text. Render as text, never as HTML.
    pub body: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// The client's idempotency key, if one was given.
    #[serde(default)]
    pub client_id: Option<String>,
    /// True on a customer message that came by email from an address other
    /// than the conversation's customer's: it threaded into the conversation
    /// (by `In-Reply-To`/`References`, the `[#SB-…]` subject token or a
    /// `+sb-…` address tag) but someone else sent it. `author` then names
    /// that sender (name and address), never the customer; show agents that
    /// it is not from the customer's address. Replies still go to the
    /// customer. Absent (false) on every other message, and from servers
    /// that predate it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub from_other_address: bool,
    /// With `from_other_address`: the address the mail came from (absent
    /// when it named none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_address: Option<String>,
    /// For an agent reply on a channel that sends it out (email): how its
    /// delivery stands. Absent for everything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
    /// Files that came with it: an agent reply's uploads, an inbound
    /// email's attachments. Download with `GET /api/v1/attachments/{id}`.
    /// Empty from servers that predate it.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional, as = "Option<Vec<AttachmentInfo>>"))]
    pub attachments: Vec<AttachmentInfo>,
}

/// A file on a message: what a client shows (name, size, type) and the id
/// to download it by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AttachmentInfo {
    /// Id (`GET /api/v1/attachments/{id}`).
    pub id: String,
    /// The file's name as given by its sender (show it as text).
    pub filename: String,
    /// The type sniffed from its bytes (never from the name).
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
}

/// `POST /api/v1/uploads` → 201: a stored file, ready to attach to a reply
/// (`attachment_ids` of [`NewMessage`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Upload {
    /// Id, to attach and to download.
    pub id: String,
    /// The file name given with the upload (`?filename=`), cleaned of
    /// paths and control characters.
    pub filename: String,
    /// The same as `filename` (the design's name for the field).
    pub name: String,
    /// The type sniffed from the bytes (never trusted from the name).
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// How an agent reply's delivery over its channel stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Delivery {
    /// `sending` (queued or being retried), `sent`, `delivered` (SMS: the
    /// carrier confirmed it reached the phone), or `failed` (gave up, or the
    /// carrier reported it undelivered).
    pub status: DeliveryStatus,
    /// Attempts made so far.
    #[serde(default)]
    pub attempts: u32,
    /// Why the last attempt failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When the next attempt is due (while `sending`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When it was handed to the mail server (once `sent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
}

/// Delivery states of an outgoing reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting to be sent, or to be retried after a temporary failure.
    Sending,
    /// Accepted by the outgoing mail server (SMS: by the provider).
    Sent,
    /// SMS only: the carrier reported it delivered to the handset.
    Delivered,
    /// Given up: see `error`.
    Failed,
}

impl DeliveryStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sending" => Some(DeliveryStatus::Sending),
            "sent" => Some(DeliveryStatus::Sent),
            "delivered" => Some(DeliveryStatus::Delivered),
            "failed" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }
}

/// `POST /api/v1/conversations/{id}/messages`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewMessage {
    /// Text.
    pub body: String,
    /// `true`: an internal note.
    #[serde(default)]
    pub internal: bool,
    /// Idempotency key chosen by the client (e.g. a UUID made offline).
    #[serde(default)]
    pub client_id: Option<String>,
    /// Uploads (`POST /api/v1/uploads`, by the same agent, not attached
    /// elsewhere) to send with the reply, at most 10. `attachments` is
    /// taken as the same field.
    #[serde(default, alias = "attachments")]
    #[cfg_attr(feature = "ts", ts(optional, as = "Option<Vec<String>>"))]
    pub attachment_ids: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_other_address_flag_is_optional_on_the_wire() {
        // An older server's message (no flag) still parses, as not flagged.
        let old = r#"{"id":"m1","conversation_id":"c1","kind":"customer","author":"Carla",
            "author_id":null,"body":"Hi","created_at":"2026-03-02T09:00:00Z","client_id":null}"#;
        let m: Message = serde_json::from_str(old).unwrap();
        assert!(!m.from_other_address);
        assert!(m.attachments.is_empty());
        assert_eq!(m.from_address, None);
        // An ordinary message is written without them; a flagged one with both.
        let plain = serde_json::to_value(&m).unwrap();
        assert!(plain.get("from_other_address").is_none());
        assert!(plain.get("from_address").is_none());
        let flagged = Message {
            author: "Olga Other <olga@example.com>".into(),
            from_other_address: true,
            from_address: Some("olga@example.com".into()),
            ..m
        };
        let v = serde_json::to_value(&flagged).unwrap();
        assert_eq!(v["from_other_address"], true);
        assert_eq!(v["from_address"], "olga@example.com");
        assert_eq!(serde_json::from_value::<Message>(v).unwrap(), flagged);
    }
}

#[cfg(test)]
mod attachment_tests {
    use super::*;

    #[test]
    fn a_new_message_takes_attachment_ids_or_attachments_or_neither() {
        let plain: NewMessage = serde_json::from_str(r#"{"body":"Hi"}"#).unwrap();
        assert!(plain.attachment_ids.is_empty());
        let ids: NewMessage =
            serde_json::from_str(r#"{"body":"Hi","attachment_ids":["u1","u2"]}"#).unwrap();
        assert_eq!(ids.attachment_ids, ["u1", "u2"]);
        let design: NewMessage =
            serde_json::from_str(r#"{"body":"Hi","attachments":["u3"]}"#).unwrap();
        assert_eq!(design.attachment_ids, ["u3"]);
    }
}
