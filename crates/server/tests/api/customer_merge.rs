//! Merging two customer profiles of one person (admins): identities,
//! conversations and notes move to the kept one; the other answers as a
//! redirect; a new message from a moved identity lands on the kept one; an
//! undo puts back exactly what moved.

use switchboard_api::{AgentStatus, Customer, CustomerPatch, NewConversation, Session};

use crate::helpers::*;

async fn writes(
    admin: &Session,
    subject: &str,
    email: Option<&str>,
    phone: Option<&str>,
) -> String {
    admin
        .create_conversation(&NewConversation {
            customer: Customer {
                name: email.map(|_| "Ada Lovelace".to_owned()),
                email: email.map(str::to_owned),
                phone: phone.map(str::to_owned),
            },
            subject: subject.into(),
            body: "Hello".into(),
            category_id: Some("billing".into()),
        })
        .await
        .expect("conversation")
        .summary
        .id
}

async fn profile_of(admin: &Session, conversation: &str) -> String {
    admin
        .conversation(conversation)
        .await
        .expect("read")
        .summary
        .customer_id
        .expect("a profile")
}

#[tokio::test]
async fn two_profiles_of_one_person_merge_and_unmerge() {
    let app = spawn_app().await;
    app.category("billing").await;
    let admin = &app.admin;
    let by_mail = writes(admin, "Invoice", Some("ada@example.com"), None).await;
    let by_phone = writes(admin, "Text", None, Some("+442071234567")).await;
    let (kept, other) = (
        profile_of(admin, &by_mail).await,
        profile_of(admin, &by_phone).await,
    );
    assert_ne!(kept, other, "nothing said they were one person");
    admin
        .patch_customer(
            &other,
            &CustomerPatch {
                notes: Some("Prefers texts.".into()),
                ..CustomerPatch::default()
            },
        )
        .await
        .expect("notes");
    let agent = app.agent("Pat", &["billing"], AgentStatus::Available).await;
    let since = app.last_seq().await;
    expect_err(
        agent.merge_customers(&kept, &other).await,
        403,
        "admin_only",
    );
    expect_err(
        admin.merge_customers(&kept, &kept).await,
        422,
        "same_customer",
    );
    let merged = admin.merge_customers(&kept, &other).await.expect("merge");
    assert_eq!(merged.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(merged.notes, "Prefers texts.");
    let values: Vec<&str> = merged.identities.iter().map(|i| i.value.as_str()).collect();
    assert_eq!(values, ["ada@example.com", "+442071234567"]);
    let details = admin.customer(&kept).await.expect("details");
    let mut ids: Vec<&str> = details
        .conversations
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    ids.sort();
    let mut both = [by_mail.as_str(), by_phone.as_str()];
    both.sort();
    assert_eq!(ids, both);
    // The old profile answers as the kept one: old links work.
    let redirected = admin.customer(&other).await.expect("redirect");
    assert_eq!(redirected.customer.id, kept);
    assert_eq!(profile_of(admin, &by_phone).await, kept);
    expect_err(
        admin.merge_customers(&kept, &other).await,
        409,
        "already_merged",
    );
    // Both profiles' events, and the moved conversation's.
    let events = sync_all(admin, since, 500).await;
    let kinds: Vec<(&str, Option<&str>)> = events
        .iter()
        .map(|e| (e.kind.as_str(), e.conversation_id.as_deref()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("customer.updated", None),
            ("customer.updated", None),
            ("conversation.updated", Some(by_phone.as_str()))
        ]
    );
    // An edit through the old id changes the kept profile.
    let edited = admin
        .patch_customer(
            &other,
            &CustomerPatch {
                company: Some("Analytical Engines".into()),
                ..CustomerPatch::default()
            },
        )
        .await
        .expect("edit through the old id");
    assert_eq!(edited.id, kept);
    // A new text from the moved number lands on the kept profile.
    let later = writes(admin, "Again", None, Some("+44 20 7123 4567")).await;
    assert_eq!(profile_of(admin, &later).await, kept);

    // Undone: what moved goes back; what came since stays.
    let back = admin.unmerge_customer(&other).await.expect("undo");
    assert_eq!(back.merged_into, None);
    assert_eq!(
        back.identities
            .iter()
            .map(|i| i.value.as_str())
            .collect::<Vec<_>>(),
        ["+442071234567"]
    );
    assert_eq!(profile_of(admin, &by_phone).await, other);
    assert_eq!(profile_of(admin, &later).await, kept);
    let kept_now = admin.customer(&kept).await.expect("kept");
    assert_eq!(
        kept_now.customer.notes, "",
        "what the merge added is taken out"
    );
    assert_eq!(
        kept_now.customer.company.as_deref(),
        Some("Analytical Engines"),
        "an edit made since stays"
    );
    expect_err(admin.unmerge_customer(&other).await, 409, "not_merged");
}
