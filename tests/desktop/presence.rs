//! Who is looking, in the real app and over the API: Ada's window reports
//! the conversation it shows (the admin's event stream receives it); the
//! admin, looking at the same conversation through the API client, starts
//! a reply and Ada's window says so on the conversation and its row; Ada
//! types and the admin's stream says she is typing a reply.

use std::time::{Duration, Instant};

use fantoccini::Client as Browser;
use switchboard_api::{Composing, EventStream, Presence, PresenceReport, StreamItem};

use crate::customers::shot;
use crate::harness::DesktopSession;
use crate::page::{count, row, type_into};
use crate::team::Team;

/// The next frame about `agent` on the admin's stream that `pred` accepts.
async fn frame_of(
    stream: &mut EventStream,
    agent: &str,
    pred: impl Fn(&Presence) -> bool,
) -> Presence {
    let wait = async {
        loop {
            match stream.next_item().await {
                Some(Ok(StreamItem::Presence(p))) if p.agent_id == agent && pred(&p) => return p,
                Some(Ok(_)) => continue,
                other => panic!("the admin's stream ended: {other:?}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .expect("a presence frame from the app")
}

/// `held` is open in Ada's window.
pub async fn who_is_looking(b: &Browser, desktop: &DesktopSession, team: &Team, held: &str) {
    let admin = &team.admin;
    let mut stream = admin.events(None).await.expect("stream");
    // Ada's window repeats what it shows every few seconds.
    frame_of(&mut stream, &team.ada_id, |p| {
        p.conversation_id.as_deref() == Some(held)
    })
    .await;

    let asked = Instant::now();
    admin
        .report_presence(&PresenceReport {
            conversation_id: Some(held.to_owned()),
            composing: Some(Composing::Reply),
        })
        .await
        .expect("report");
    let typing = format!("{} is typing a reply", admin.agent.name);
    eventually!("Ada's window says the admin is typing", {
        crate::page::text(b, "[data-testid=presence-line]")
            .await
            .is_some_and(|t| t.contains(&typing))
    });
    eprintln!(
        "presence shown in the window {:?} after the report",
        asked.elapsed()
    );
    eventually!(
        "the row shows who views it",
        count(b, &format!("{} [data-testid=row-viewers]", row(held))).await == 1
    );
    shot(desktop, "03f-presence");

    // Ada writes a reply: the admin's stream hears it.
    type_into(
        b,
        "[data-testid=composer-input]",
        "Checking with the warehouse",
    )
    .await;
    frame_of(&mut stream, &team.ada_id, |p| {
        p.conversation_id.as_deref() == Some(held) && p.composing == Some(Composing::Reply)
    })
    .await;
    crate::harness::by_testid(b, "[data-testid=composer-input]")
        .await
        .clear()
        .await
        .ok();
    admin
        .report_presence(&PresenceReport::default())
        .await
        .expect("gone");
    eventually!(
        "the line gone once the admin looks away",
        count(b, "[data-testid=presence-line]").await == 0
    );
}
