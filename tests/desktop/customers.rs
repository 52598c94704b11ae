//! The customer side panel in the real app: the same person writes by
//! email, by SMS (from a phone an admin put on the profile) and in the
//! widget (giving the same email); the panel of the conversation Ada holds
//! lists all of them with their channels, counts the one in a category she
//! does not work in, and opens another with one click. In a narrow window
//! (the test's) the panel opens from the conversation's header.

use std::time::{Duration, Instant};

use fantoccini::Client as Browser;
use switchboard_api::{IdentityKind, NewIdentity, Session};
use switchboard_testkit::email::deliver;
use switchboard_testkit::twilio::deliver_text;
use switchboard_testkit::widget::start_chat;

use crate::day_steps::X11_MOVES;
use crate::harness::{artifacts_dir, DesktopSession};
use crate::page::{attr, click, count, view};
use crate::team::Team;

/// Grace Hopper's mail: from the address of her API conversation.
fn mail(subject: &str, body: &str) -> String {
    format!(
        "From: Grace Hopper <grace.hopper@customer.test>\r\nTo: support@acme.test\r\n\
         Subject: {subject}\r\nMessage-ID: <{}@customer.test>\r\n\
         Date: Fri, 4 Dec 2026 09:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        subject.replace(' ', "-").to_lowercase()
    )
}

async fn to_billing(admin: &Session, id: &str) {
    admin.recategorize(id, "billing").await.expect("to billing");
}

/// The screen as a person sees it, read from the X server (WebKit's
/// WebDriver screenshot of this view did not answer, and left the session
/// waiting: issue 20).
pub fn shot(desktop: &DesktopSession, name: &str) {
    let path = artifacts_dir().join(format!("{name}.png"));
    let path = path.to_string_lossy();
    desktop.run("python3", &[X11_MOVES, "shot", &path]);
    eprintln!("screenshot (X): {path}");
}

/// `held` is Ada's open conversation with Grace (the API channel). Returns
/// the id of Grace's mail conversation.
pub async fn one_customer_on_three_channels(
    b: &Browser,
    desktop: &DesktopSession,
    team: &Team,
    held: &str,
) -> String {
    let admin = &team.admin;
    let profile = admin
        .conversation(held)
        .await
        .expect("held")
        .summary
        .customer_id
        .expect("a profile");
    admin
        .add_identity(
            &profile,
            &NewIdentity {
                kind: IdentityKind::Phone,
                value: "+1 555 010 2222".into(),
            },
        )
        .await
        .expect("phone on the profile");

    let by_mail = deliver(&team.url, mail("Second invoice", "Another copy arrived.")).await
        ["conversation_id"]
        .as_str()
        .expect("mail conversation")
        .to_owned();
    assert_eq!(
        deliver_text(
            &team.url,
            "SMe2e0001",
            "+15550102222",
            "Texting about the refund"
        )
        .await,
        200
    );
    let by_text = admin
        .conversations(switchboard_api::View::All)
        .await
        .expect("list")
        .into_iter()
        .find(|c| c.customer.phone.as_deref() == Some("+15550102222"))
        .expect("the text's conversation")
        .id;
    let by_chat = start_chat(
        &team.url,
        "Grace",
        "grace.hopper@customer.test",
        "Hello from the website",
    )
    .await;
    for id in [&by_mail, &by_text, &by_chat] {
        to_billing(admin, id).await;
        assert_eq!(
            admin
                .conversation(id)
                .await
                .expect("conv")
                .summary
                .customer_id
                .as_deref(),
            Some(profile.as_str()),
            "one customer"
        );
    }
    // One more, left in General: not Ada's to see, only counted.
    deliver(&team.url, mail("Account question", "Unrelated.")).await;

    // The test window is narrow: the panel opens from the header.
    let toggle = "[data-testid=conversation-view] [data-testid=customer-toggle]";
    if count(b, toggle).await == 1 {
        click(b, toggle).await;
    }
    let panel = "[data-testid=customer-panel]";
    let listed = format!("{panel} [data-testid=customer-conversation]");
    eventually!(
        "the panel lists her four conversations",
        count(b, &listed).await == 4
    );
    for (id, channel) in [
        (&by_chat, "chat"),
        (&by_text, "sms"),
        (&by_mail, "email"),
        (&held.to_owned(), "api"),
    ] {
        let sel = format!("{listed}[data-conversation-id=\"{id}\"]");
        assert_eq!(
            attr(b, &sel, "data-channel").await.as_deref(),
            Some(channel)
        );
    }
    eventually!(
        "the hidden one counted",
        count(b, &format!("{panel} [data-testid=customer-hidden]")).await == 1
    );
    shot(desktop, "03b-customer-panel");

    // One click opens the text conversation, whose panel is the same person.
    click(b, &format!("{listed}[data-conversation-id=\"{by_text}\"]")).await;
    crate::harness::by_testid(b, &view(&by_text)).await;
    if count(b, toggle).await == 1 {
        // Narrow: the conversation is shown; the panel is one click away.
        eventually!("the conversation shown", count(b, panel).await == 0);
        click(b, toggle).await;
    }
    eventually!(
        "the text's panel",
        attr(b, panel, "data-customer-id").await.as_deref() == Some(profile.as_str())
    );
    shot(desktop, "03c-customer-panel-sms");
    if count(b, toggle).await == 1 {
        click(b, toggle).await;
        eventually!("the panel closed", count(b, panel).await == 0);
    }
    by_mail
}
