//! The SMS channel over HTTP against a real server: Twilio's webhooks in
//! (signatures, idempotency, threading by phone number, reopen, media, bad
//! input) and replies out through a local stand-in of Twilio's Messages API
//! that checks requests as Twilio does (auth, fields, length), with retries
//! and status callbacks. SQLite by default; `SWITCHBOARD_TEST_DATABASE=postgres`
//! runs them on PostgreSQL.

mod harness;
mod inbound;
mod media;
mod outbound;
mod spool;
mod twilio;
