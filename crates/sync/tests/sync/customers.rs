//! Customer profiles on the desktop: the side panel's profile and the
//! customer's conversations on every channel from the server (visible ones
//! and a count of the rest), kept in the cache with the `customer.updated`
//! events, so the panel still answers with the server stopped.

use switchboard_api::{Customer, CustomerPatch, NewConversation, Session};
use switchboard_sync::ConnectionState;

use crate::helpers::*;
use crate::wait_until;

async fn write(admin: &Session, category: &str, subject: &str, customer: Customer) -> String {
    admin
        .create_conversation(&NewConversation {
            customer,
            subject: subject.into(),
            body: "Hello".into(),
            category_id: Some(category.into()),
        })
        .await
        .expect("conversation")
        .summary
        .id
}

fn ada(email: Option<&str>, phone: Option<&str>) -> Customer {
    Customer {
        name: Some("Ada Lovelace".into()),
        email: email.map(str::to_owned),
        phone: phone.map(str::to_owned),
    }
}

#[tokio::test]
async fn the_side_panel_online_and_offline() {
    let mut srv = TestServer::spawn().await;
    srv.category("billing").await;
    srv.category("tech").await;
    let pat = srv.agent("Pat", &["billing"]).await;
    let admin = &srv.admin;
    // One person: by email, then by email and phone, then by phone alone.
    let first = write(
        admin,
        "billing",
        "Invoice",
        ada(Some("ada@example.com"), None),
    )
    .await;
    let second = write(
        admin,
        "billing",
        "Refund",
        ada(Some("ADA@example.com"), Some("+442071234567")),
    )
    .await;
    let hidden = write(
        admin,
        "tech",
        "Login",
        Customer {
            name: None,
            email: None,
            phone: Some("+442071234567".into()),
        },
    )
    .await;

    let engine = engine(&pat, &srv.cache_path("pat.db")).await;
    wait_online(&engine).await;
    let panel = engine.customer_panel(&second).await.expect("panel");
    assert!(!panel.offline);
    let profile = panel.customer.clone().expect("profile");
    assert_eq!(profile.name.as_deref(), Some("Ada Lovelace"));
    let ids: Vec<&str> = panel.conversations.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [second.as_str(), first.as_str()],
        "Pat's, newest first"
    );
    assert_eq!(panel.hidden_conversations, Some(1), "tech's is counted");
    let _ = hidden;

    // Another agent's edit reaches this cache as an event.
    admin
        .patch_customer(
            &profile.id,
            &CustomerPatch {
                notes: Some("Call after 5 pm.".into()),
                ..CustomerPatch::default()
            },
        )
        .await
        .expect("edit");
    wait_until!("the edit synced", {
        engine
            .cache()
            .customer(&profile.id)
            .await
            .expect("cached")
            .is_some_and(|p| p.notes == "Call after 5 pm.")
    });

    // Offline: the cache's profile and the conversations it holds.
    srv.stop().await;
    wait_until!("offline", engine.state() == ConnectionState::Offline);
    let panel = engine.customer_panel(&first).await.expect("panel offline");
    assert!(panel.offline);
    assert_eq!(
        panel.customer.as_ref().map(|p| p.notes.as_str()),
        Some("Call after 5 pm.")
    );
    let ids: Vec<&str> = panel.conversations.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, [second.as_str(), first.as_str()]);
    assert_eq!(panel.hidden_conversations, None, "only the server knows");
    let edit = engine
        .update_customer(&profile.id, &CustomerPatch::default())
        .await;
    assert!(edit.is_err(), "editing needs the server");
}
