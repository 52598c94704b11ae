//! Channels: the ways customers write in and replies go back out.
//!
//! Today: email ([`email`]) — a raw-MIME inbound endpoint, IMAP polling and
//! an SMTP outbox; SMS ([`sms`]) — Twilio's webhooks in, its Messages
//! API out; the live-chat widget ([`widget`]) and the chatbot ([`bot`]),
//! whose replies reach visitors through the event log. Channels do protocol
//! work only: they call the domain (`ops`) and the outbox below them, and
//! the domain reaches them through one trait it defines
//! ([`crate::ops::Outbound`], implemented by [`Replies`]).

pub mod bot;
pub mod email;
pub mod sms;
pub mod spooled;
pub mod widget;

use futures_util::future::BoxFuture;
use switchboard_api::{Delivery, Message};
use switchboard_core::Channel;

use crate::error::AppResult;
use crate::ops::Outbound;
use crate::rows::ConvRow;
use crate::store::Tx;

/// How public replies leave: queued in the reply's own transaction on the
/// conversation's channel (email and SMS; chat and bot replies reach the
/// visitor through the event log). Handlers pass it to
/// [`crate::ops::post_message`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Replies;

impl Outbound for Replies {
    fn reply_posted<'a>(
        &'a self,
        tx: &'a mut Tx,
        conv: &'a ConvRow,
        msg: &'a Message,
    ) -> BoxFuture<'a, AppResult<Option<Delivery>>> {
        Box::pin(async move {
            match conv.channel {
                Channel::Email => email::outbound::enqueue(tx, conv, msg).await.map(Some),
                Channel::Sms => sms::outbound::enqueue(tx, conv, msg).await.map(Some),
                _ => Ok(None),
            }
        })
    }
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
