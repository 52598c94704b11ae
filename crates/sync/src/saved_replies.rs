//! The composer's saved replies, decided without a window: which the
//! picker offers for a conversation and in what order ([`offer`]), and a
//! reply filled in from what the cache knows ([`fill`]), so both work
//! offline. The rules are `switchboard_core::saved_replies` (`pick`,
//! `fill`); this module only feeds them the cached values.
//!
//! A fill from the cache gives the same text as the server's
//! `POST /conversations/{id}/saved_replies/{reply_id}/fill`: the same core
//! function, the same values (the conversation's customer name, the
//! signed-in agent's name, the conversation's id).

use switchboard_api::{Agent, ConversationSummary, FilledReply, SavedReply};
use switchboard_core::saved_replies::{self as rules, Candidate, Values};

/// The replies the picker offers in a conversation of `category_id` for
/// what was typed after `/` (`query`): those without a category scope and
/// those of this category, best match first (core's `pick`).
pub fn offer(replies: &[SavedReply], query: &str, category_id: Option<&str>) -> Vec<SavedReply> {
    let candidates: Vec<Candidate<'_>> = replies
        .iter()
        .map(|r| Candidate {
            title: &r.title,
            body: &r.body,
            category_id: r.category_id.as_deref(),
        })
        .collect();
    rules::pick(&candidates, query, category_id)
        .into_iter()
        .filter_map(|i| replies.get(i).cloned())
        .collect()
}

/// `reply` filled in for `conversation` by `agent`: each variable replaced
/// by its value, a missing one (a customer known by address only) left as
/// its placeholder and listed in `missing`.
pub fn fill(reply: &SavedReply, conversation: &ConversationSummary, agent: &Agent) -> FilledReply {
    let filled = rules::fill(
        &reply.body,
        &Values {
            customer_name: conversation.customer.name.as_deref(),
            agent_name: Some(&agent.name),
            conversation_id: Some(&conversation.id),
        },
    );
    FilledReply {
        reply_id: reply.id.clone(),
        conversation_id: conversation.id.clone(),
        text: filled.text,
        missing: filled.missing.iter().map(|v| v.name().to_owned()).collect(),
        attachments: reply.attachments.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use switchboard_api::{AgentStatus, Channel, ConversationState, Customer, ReplyScope, Role};

    fn reply(id: &str, title: &str, body: &str, category: Option<&str>) -> SavedReply {
        SavedReply {
            id: id.into(),
            title: title.into(),
            body: body.into(),
            scope: ReplyScope::Team,
            owner_id: None,
            category_id: category.map(Into::into),
            attachments: vec!["up-1".into()],
            files: vec![],
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn conversation(name: Option<&str>) -> ConversationSummary {
        ConversationSummary {
            id: "c-1".into(),
            channel: Channel::Email,
            customer: Customer {
                name: name.map(Into::into),
                email: Some("grace@example.com".into()),
                phone: None,
            },
            subject: "Refund".into(),
            category_id: Some("billing".into()),
            state: ConversationState::Assigned,
            assignee_id: Some("a-1".into()),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            waiting_since: None,
            overdue: false,
            first_response_at: None,
            preview: String::new(),
            categorized_by: None,
            customer_id: None,
            tags: Vec::new(),
            snoozed_until: None,
            merged_into: None,
        }
    }

    fn agent() -> Agent {
        Agent {
            id: "a-1".into(),
            name: "Ada Agent".into(),
            email: "ada@example.com".into(),
            role: Role::Agent,
            status: AgentStatus::Available,
            categories: vec!["billing".into()],
            capacity: 5,
            open_conversations: 1,
        }
    }

    #[test]
    fn offers_by_category_and_match() {
        let all = vec![
            reply("r1", "Thanks for waiting", "Thanks!", None),
            reply("r2", "Refund approved", "Your refund…", Some("billing")),
            reply("r3", "Reset your password", "Click…", Some("technical")),
        ];
        let titles = |v: Vec<SavedReply>| v.into_iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(titles(offer(&all, "", Some("billing"))), ["r2", "r1"]);
        assert_eq!(titles(offer(&all, "re", Some("technical"))), ["r3"]);
        assert_eq!(titles(offer(&all, "ref", None)), Vec::<String>::new());
        assert_eq!(titles(offer(&all, "wait", None)), ["r1"]);
    }

    #[test]
    fn fills_from_the_cached_conversation_and_agent() {
        let r = reply(
            "r2",
            "Refund approved",
            "Hi {{customer.first_name}}, done ({{conversation.id}}). {{agent.name}}",
            None,
        );
        let f = fill(&r, &conversation(Some("Grace Hopper")), &agent());
        assert_eq!(f.text, "Hi Grace, done (c-1). Ada Agent");
        assert!(f.missing.is_empty());
        assert_eq!(f.attachments, ["up-1"]);
        let f = fill(&r, &conversation(None), &agent());
        assert_eq!(f.text, "Hi {{customer.first_name}}, done (c-1). Ada Agent");
        assert_eq!(f.missing, ["customer.first_name"]);
    }
}
