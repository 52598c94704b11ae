//! Who the visitor is: the widget session behind a visitor token, and the
//! extractor that finds it (with the client's address for rate limits).

use super::*;
use crate::store::db::{self, Db, Row};

/// Who is talking in a session right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The built-in bot; no conversation in the queue yet.
    Bot,
    /// Humans: the conversation exists (queued, assigned or resolved).
    Human,
}

/// A widget session (one visitor, one conversation).
#[derive(Debug, Clone)]
pub struct Session {
    /// Also the conversation's id.
    pub id: String,
    /// Name the visitor gave.
    pub name: Option<String>,
    /// Email the visitor gave.
    pub email: Option<String>,
    /// Bot or humans.
    pub mode: Mode,
    /// Unanswered visitor messages in a row (bot mode).
    pub unanswered: u32,
}

impl Session {
    pub(super) fn customer(&self) -> Customer {
        Customer {
            name: Some(
                self.name
                    .clone()
                    .unwrap_or_else(|| switchboard_core::customers::UNNAMED_VISITOR.into()),
            ),
            email: self.email.clone(),
            phone: None,
        }
    }
}

pub(super) const SESSION_COLS: &str = "id, visitor_name, visitor_email, mode, unanswered";

pub(super) fn session_from(r: &Row) -> AppResult<Session> {
    let mode: String = r.try_get("mode")?;
    let unanswered: i64 = r.try_get("unanswered")?;
    Ok(Session {
        id: r.try_get("id")?,
        name: r.try_get("visitor_name")?,
        email: r.try_get("visitor_email")?,
        mode: if mode == "bot" {
            Mode::Bot
        } else {
            Mode::Human
        },
        unanswered: u32::try_from(unanswered.max(0)).unwrap_or(u32::MAX),
    })
}

pub(super) async fn session(conn: &mut impl Db, id: &str) -> AppResult<Session> {
    let r = db::query(&format!(
        "SELECT {SESSION_COLS} FROM widget_sessions WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound("conversation"))?;
    session_from(&r)
}

/// The visitor behind a request: `Authorization: Bearer <visitor token>`.
pub struct Visitor {
    /// Their session.
    pub session: Session,
    /// Their address.
    pub ip: IpAddr,
}

pub(super) fn client_ip(parts: &Parts, st: &AppState) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    st.client_address(peer, &parts.headers)
}

pub(super) fn widget(parts: &Parts) -> AppResult<Arc<WidgetState>> {
    parts
        .extensions
        .get::<Arc<WidgetState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal("widget state missing".into()))
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> AppResult<Self> {
        let w = widget(parts)?;
        let ip = client_ip(parts, st);
        let key = switchboard_core::ratelimit::address_key(ip);
        let now = st.store.now();
        {
            let mut l = w
                .limits
                .bad_tokens
                .lock()
                .map_err(|_| AppError::Internal("limiter poisoned".into()))?;
            l.check(&key, now).map_err(AppError::RateLimited)?;
        }
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or(AppError::Unauthorized(
                "missing visitor token; start a conversation first",
            ))?;
        let found = if token.starts_with("wv_") && token.len() <= 200 {
            let mut conn = st.store.reader().acquire().await?;
            db::query(&format!(
                "SELECT {SESSION_COLS}, updated_at, \
                 (SELECT c.updated_at FROM conversations c WHERE c.id = widget_sessions.id) AS conversation_updated_at \
                 FROM widget_sessions WHERE token_hash = $1"
            ))
            .bind(token_hash(token))
            .fetch_optional(&mut *conn)
            .await?
        } else {
            None
        };
        match found {
            Some(r) => {
                // Idle past the limit: the token no longer works (the
                // widget then starts over).
                let last: i64 = r.try_get("updated_at")?;
                let conversation: Option<i64> = r.try_get("conversation_updated_at")?;
                let last = crate::clock::from_ms(last.max(conversation.unwrap_or(i64::MIN)));
                let idle = chrono::Duration::days(i64::from(w.config.visitor_idle_days));
                if now - last > idle {
                    return Err(AppError::Unauthorized(
                        "this chat was idle too long and has ended; start a new conversation",
                    ));
                }
                Ok(Visitor {
                    session: session_from(&r)?,
                    ip,
                })
            }
            None => {
                if let Ok(mut l) = w.limits.bad_tokens.lock() {
                    l.record_failure(&key, now);
                }
                Err(AppError::Unauthorized("invalid visitor token"))
            }
        }
    }
}

/// A new visitor token: 256 random bits (shown once, stored hashed).
pub fn new_visitor_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "wv_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}
