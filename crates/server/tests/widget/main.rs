//! The live-chat widget and the chatbot, over real HTTP against a real
//! server and database: visitors start conversations, see only what is
//! theirs to see, are rate-limited, follow replies live (SSE, resumable);
//! the built-in bot answers from configured answers and hands off; external
//! bots hand off with a token; first response time counts from the hand-off.
//! SQLite by default; `SWITCHBOARD_TEST_DATABASE=postgres` runs them on PostgreSQL.

mod bot;
mod files;
mod harness;
mod visitor;
