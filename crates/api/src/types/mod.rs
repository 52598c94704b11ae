//! Request and response bodies of `/api/v1`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::{AgentStatus, Channel, ConversationState, MessageKind, Role, RoutingMode};

#[cfg(feature = "openapi")]
use utoipa::{IntoParams, ToSchema};

mod agents;
mod categories;
mod common;
mod conversations;
mod customers;
mod messages;
mod metrics;
mod presence;
mod saved_replies;
mod search;
mod sync;
mod tags;

pub use agents::*;
pub use categories::*;
pub use common::*;
pub use conversations::*;
pub use customers::*;
pub use messages::*;
pub use metrics::*;
pub use presence::*;
pub use saved_replies::*;
pub use search::*;
pub use sync::*;
pub use tags::*;

#[cfg(test)]
mod tests {
    use super::Customer;

    fn customer(name: Option<&str>, email: Option<&str>, phone: Option<&str>) -> Customer {
        Customer {
            name: name.map(str::to_owned),
            email: email.map(str::to_owned),
            phone: phone.map(str::to_owned),
        }
    }

    #[test]
    fn a_customer_is_called_by_name_else_email_else_phone_else_customer() {
        let c = customer(Some("Mary Jackson"), Some("m@x.io"), Some("+15550100"));
        assert_eq!(c.display_name(), "Mary Jackson");
        assert_eq!(
            customer(None, Some("m@x.io"), Some("+15550100")).display_name(),
            "m@x.io"
        );
        assert_eq!(
            customer(Some("  "), Some(""), Some(" +15550100 ")).display_name(),
            "+15550100"
        );
        assert_eq!(customer(None, None, None).display_name(), "Customer");
        assert_eq!(
            customer(Some(" "), None, Some("\t")).display_name(),
            Customer::FALLBACK_NAME
        );
    }
}
