//! The email channel against real peers: the inbound endpoint (secret,
//! duplicates, attachments, a corpus of hostile MIME), and the full round trip
//! through a real Dovecot (IMAP in) and a real SMTP server on loopback
//! (Python's aiosmtpd, out); several instances sharing the outbox while the
//! SMTP server stalls; mail from another address threading in. SQLite by
//! default; `SWITCHBOARD_TEST_DATABASE=postgres` runs them on PostgreSQL.
//!
//! Without `dovecot` or `aiosmtpd` installed the round-trip tests say so and
//! pass — unless `CI` is set, where a missing peer fails them.

mod attachments;
mod harness;
mod inbound;
mod outbox;
mod roundtrip;
mod sender;
