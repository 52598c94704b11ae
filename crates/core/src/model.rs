//! The vocabulary of the inbox: states, channels, statuses, roles, message kinds.
//!
//! Each enum has a stable snake_case wire/database spelling via [`as_str`] and
//! a `parse` that refuses anything else, so an invalid value cannot exist past
//! the edge.
//!
//! [`as_str`]: ConversationState::as_str

use serde::{Deserialize, Serialize};

/// The default wait threshold of a category, in seconds.
pub const DEFAULT_WAIT_THRESHOLD_SECS: u64 = 300;

/// A value that could not be parsed into one of the enums here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{value}`")]
pub struct ParseError {
    /// Which kind of value was expected.
    pub what: &'static str,
    /// What was given.
    pub value: String,
}

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable snake_case spelling used on the wire and in the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the snake_case spelling; anything else is an error.
            pub fn parse(value: &str) -> Result<Self, ParseError> {
                match value {
                    $($text => Ok($name::$variant),)+
                    other => Err(ParseError { what: $what, value: other.to_owned() }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> { Self::parse(s) }
        }
    };
}

wire_enum!(
    /// Where a conversation is in its life.
    ConversationState, "conversation state" {
        /// Open, nobody holds it.
        Queued => "queued",
        /// Open and held by exactly one agent.
        Assigned => "assigned",
        /// Held by its agent and set aside until a time or the customer's
        /// next message ([`crate::snooze`]): not in their open work, never
        /// overdue.
        Snoozed => "snoozed",
        /// Closed; a new customer message reopens it.
        Resolved => "resolved",
    }
);

wire_enum!(
    /// How a customer is recognised when they write in
    /// ([`crate::customers`]).
    IdentityKind, "identity kind" {
        /// An email address (lower-cased).
        Email => "email",
        /// A phone number in E.164 (`+` and 8 to 15 digits).
        Phone => "phone",
        /// The live-chat widget's visitor id.
        Visitor => "visitor",
    }
);

wire_enum!(
    /// How the customer reached us.
    Channel, "channel" {
        /// Email (IMAP or the raw inbound endpoint).
        Email => "email",
        /// SMS over the Twilio-compatible webhook.
        Sms => "sms",
        /// The live-chat widget.
        Chat => "chat",
        /// A chatbot hand-off.
        Bot => "bot",
        /// Created through the HTTP API by an integrator or admin.
        Api => "api",
    }
);

wire_enum!(
    /// An agent's presence, which steers routing.
    AgentStatus, "agent status" {
        /// Receives new conversations and may claim.
        Available => "available",
        /// Receives nothing new, may still claim and work.
        Busy => "busy",
        /// Receives nothing and may not claim.
        Offline => "offline",
    }
);

wire_enum!(
    /// What an account may do.
    Role, "role" {
        /// Works conversations of their categories.
        Agent => "agent",
        /// Sees everything and manages agents and categories.
        Admin => "admin",
    }
);

wire_enum!(
    /// Who wrote a message and who sees it.
    MessageKind, "message kind" {
        /// Written by the customer.
        Customer => "customer",
        /// A public reply by a human agent.
        Agent => "agent",
        /// Written by a chatbot.
        Bot => "bot",
        /// An internal note: agents only, never sent over any channel.
        Note => "note",
        /// A system line (assigned, transferred, resolved …).
        System => "system",
    }
);

wire_enum!(
    /// How a category hands out new conversations.
    RoutingMode, "routing mode" {
        /// Agents claim from the queue.
        Manual => "manual",
        /// Each new conversation goes to the next eligible agent in rotation.
        RoundRobin => "round_robin",
    }
);

wire_enum!(
    /// Who a saved reply belongs to (see [`crate::saved_replies`]).
    ReplyScope, "saved reply scope" {
        /// The whole team's: every agent sees it, admins manage it.
        Team => "team",
        /// One agent's own: only they see and manage it.
        Personal => "personal",
    }
);

impl MessageKind {
    /// Whether the customer can ever see this message.
    pub fn is_public(self) -> bool {
        !matches!(self, MessageKind::Note | MessageKind::System)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_enum_round_trips_through_its_spelling() {
        for s in ConversationState::ALL {
            assert_eq!(ConversationState::parse(s.as_str()), Ok(*s));
        }
        for s in Channel::ALL {
            assert_eq!(Channel::parse(s.as_str()), Ok(*s));
        }
        for s in AgentStatus::ALL {
            assert_eq!(AgentStatus::parse(s.as_str()), Ok(*s));
        }
        for s in Role::ALL {
            assert_eq!(Role::parse(s.as_str()), Ok(*s));
        }
        for s in MessageKind::ALL {
            assert_eq!(MessageKind::parse(s.as_str()), Ok(*s));
        }
        for s in RoutingMode::ALL {
            assert_eq!(RoutingMode::parse(s.as_str()), Ok(*s));
        }
        for s in ReplyScope::ALL {
            assert_eq!(ReplyScope::parse(s.as_str()), Ok(*s));
        }
    }

    #[test]
    fn unknown_spellings_are_refused() {
        let err = AgentStatus::parse("Available").unwrap_err();
        assert_eq!(err.what, "agent status");
        assert!(RoutingMode::parse("roundrobin").is_err());
    }

    #[test]
    fn serde_uses_the_same_spelling_as_as_str() {
        for m in RoutingMode::ALL {
            let json = serde_json::to_string(m).unwrap();
            assert_eq!(json, format!("\"{}\"", m.as_str()));
        }
        for s in AgentStatus::ALL {
            let json = serde_json::to_string(s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
    }

    #[test]
    fn notes_and_system_lines_are_never_public() {
        assert!(!MessageKind::Note.is_public());
        assert!(!MessageKind::System.is_public());
        assert!(MessageKind::Agent.is_public());
        assert!(MessageKind::Customer.is_public());
    }
}
