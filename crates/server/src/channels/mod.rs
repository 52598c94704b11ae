//! Channels: the ways customers write in and replies go back out.
//!
//! Today: email ([`email`]) — a raw-MIME inbound endpoint, IMAP polling and
//! an SMTP outbox; SMS ([`sms`]) — Twilio's webhooks in, its Messages
//! API out; the live-chat widget ([`widget`]) and the chatbot ([`bot`]),
//! whose replies reach visitors through the event log. The rest of the
//! server meets channels at two hooks:
//! [`reply_posted`] (an agent's public reply, inside its transaction) and
//! [`attach_delivery`] (delivery status on messages read back).

pub mod bot;
pub mod email;
pub mod sms;
pub mod widget;

use axum::Router;
use sqlx::AnyConnection;
use switchboard_api::{Delivery, Message};
use switchboard_core::Channel;

use crate::error::AppResult;
use crate::http::AppState;
use crate::rows::ConvRow;
use crate::store::Tx;

/// Called by `ops::post_message` for every public agent reply, in the reply's
/// transaction: queues it on the conversation's channel. Returns the delivery
/// state when the channel sends replies out.
pub async fn reply_posted(
    tx: &mut Tx,
    conv: &ConvRow,
    msg: &Message,
) -> AppResult<Option<Delivery>> {
    match conv.channel {
        Channel::Email => email::outbound::enqueue(tx, conv, msg).await.map(Some),
        Channel::Sms => sms::outbound::enqueue(tx, conv, msg).await.map(Some),
        _ => Ok(None),
    }
}

/// Fills `delivery` on the messages of one conversation that were sent out.
pub async fn attach_delivery(
    conn: &mut AnyConnection,
    conversation_id: &str,
    messages: &mut [Message],
) -> AppResult<()> {
    email::outbound::attach_delivery(&mut *conn, conversation_id, messages).await?;
    sms::outbound::attach_delivery(conn, conversation_id, messages).await
}

/// The channel routes, with their own body limits: email's, SMS's, the
/// widget's (`/widget.js`, `/widget/v1/…`, the agents' typing signal) and
/// the bot's (`/api/v1/bot/…`).
pub fn router(state: AppState, config: &crate::Config) -> Router {
    email::router(state.clone(), config.email.clone())
        .merge(sms::router(state.clone(), config.sms.clone()))
        .merge(widget::router(
            state.clone(),
            config.widget.clone(),
            config.bot.clone(),
        ))
        .merge(bot::router(state, config.bot.clone()))
}

/// Compares two secrets in constant time (length differences included).
pub fn secret_matches(given: &[u8], expected: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    use subtle::ConstantTimeEq;
    // Hash both so the comparison does not leak the expected length.
    let a = Sha256::digest(given);
    let b = Sha256::digest(expected);
    !expected.is_empty() && bool::from(a.ct_eq(&b))
}
