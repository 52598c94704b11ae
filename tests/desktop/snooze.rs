//! Snooze in the real app: Ada snoozes the conversation she holds from its
//! header ("In 1 hour"); it leaves Mine for Snoozed (counted in the nav) and
//! the server has it until that minute. Snoozed again for two seconds, it
//! wakes on the server's job, Ada's desktop raises "Back from snooze", and
//! the click opens it, back in Mine.

use std::time::{Duration, Instant};

use chrono::Utc;
use fantoccini::Client as Browser;
use switchboard_api::ConversationState;

use crate::customers::shot;
use crate::day_steps::{click_notification, close_notifications, leave_the_conversation};
use crate::dbus;
use crate::harness::DesktopSession;
use crate::page::{click, count, row};
use crate::team::Team;

/// `held` is Ada's open conversation, shown in the Mine list.
pub async fn snooze_and_wake(b: &Browser, desktop: &DesktopSession, team: &Team, held: &str) {
    let admin = &team.admin;
    click(b, "[data-testid=conversation-view] [data-testid=snooze]").await;
    click(b, "[data-testid=snooze-menu] [data-testid=snooze-hour]").await;
    eventually!("snoozed on the server", {
        let s = admin.conversation(held).await.expect("conv").summary;
        s.state == ConversationState::Snoozed
            && s.snoozed_until.is_some_and(|u| {
                let ahead = u - Utc::now();
                ahead > chrono::Duration::minutes(58) && ahead <= chrono::Duration::minutes(60)
            })
    });
    eventually!("out of Mine", count(b, &row(held)).await == 0);
    eventually!(
        "counted as snoozed",
        count(b, "[data-testid=snoozed-count]").await == 1
    );
    click(b, "[data-testid=nav-snoozed]").await;
    eventually!("listed in Snoozed", {
        count(b, &format!("{} [data-testid=row-snoozed]", row(held))).await == 1
    });
    click(b, &format!("{} button", row(held))).await;
    eventually!(
        "the header says until when",
        count(b, "[data-testid=conversation-view] [data-testid=unsnooze]").await == 1
    );
    shot(desktop, "03e-snoozed");

    // Two seconds more, set by the admin for her: the server's job wakes it.
    leave_the_conversation(b, "away from the snoozed conversation").await;
    close_notifications(desktop);
    let until = chrono::DateTime::from_timestamp(Utc::now().timestamp() + 2, 0).expect("time");
    admin.snooze(held, Some(until)).await.expect("snooze again");
    eventually!(
        "the wake notification on screen",
        dbus::displayed(desktop) > 0
    );
    let subject = admin
        .conversation(held)
        .await
        .expect("conv")
        .summary
        .subject;
    let shown = click_notification(desktop, b, held, &subject).await;
    assert!(
        shown.iter().any(|n| n.summary == "Back from snooze"),
        "{shown:?}"
    );
    let s = admin.conversation(held).await.expect("conv").summary;
    assert_eq!(s.state, ConversationState::Assigned);
    assert_eq!(s.waiting_since, Some(until));
}
