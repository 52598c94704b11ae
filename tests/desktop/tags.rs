//! Tags in the real app: an admin makes one while Ada works (it reaches her
//! window as an event), she puts it on the conversation she holds from its
//! header, the list filtered by it shows that conversation alone, and she
//! takes it off again; each step is checked on the server.

use std::time::{Duration, Instant};

use fantoccini::{Client as Browser, Locator};
use switchboard_api::NewTag;

use crate::customers::shot;
use crate::harness::{by_testid, DesktopSession};
use crate::page::{attr, click, count, row, rows};
use crate::team::Team;

async fn choose(b: &Browser, select: &str, value: &str) {
    by_testid(b, select)
        .await
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("choose {value} in {select}: {e}"));
}

async fn tags_on_server(team: &Team, id: &str) -> Vec<String> {
    team.admin
        .conversation(id)
        .await
        .expect("conv")
        .summary
        .tags
}

/// `held` is Ada's open conversation, shown in the Mine list.
pub async fn tag_filter_untag(b: &Browser, desktop: &DesktopSession, team: &Team, held: &str) {
    team.admin
        .create_tag(&NewTag {
            name: "VIP".into(),
            id: None,
            colour: Some("#1a237e".into()),
            keywords: vec![],
        })
        .await
        .expect("tag");
    let view = "[data-testid=conversation-view]";
    let add = format!("{view} [data-testid=tag-add]");
    eventually!(
        "the new tag offered in the header",
        count(b, &format!("{add} option[value=vip]")).await == 1
    );
    choose(b, &add, "vip").await;
    eventually!(
        "tagged on the server",
        tags_on_server(team, held).await == ["vip"]
    );
    let chip = format!("{view} [data-testid=tag-chip][data-tag-id=vip]");
    eventually!("the chip in the header", count(b, &chip).await == 1);
    eventually!(
        "the chip on the row",
        count(b, &format!("{} [data-testid=tag-chip]", row(held))).await == 1
    );

    // The list shows only what carries it.
    let before = rows(b).await;
    choose(b, "[data-testid=tag-filter]", "vip").await;
    eventually!("filtered to the tagged one", {
        rows(b).await == 1 && count(b, &row(held)).await == 1
    });
    shot(desktop, "03d-tags");
    choose(b, "[data-testid=tag-filter]", "").await;
    eventually!("the whole list again", rows(b).await == before);

    // Taken off from the chip.
    click(b, &format!("{chip} [data-testid=tag-remove]")).await;
    eventually!(
        "untagged on the server",
        tags_on_server(team, held).await.is_empty()
    );
    eventually!("the chip gone", count(b, &chip).await == 0);
    // The header is drawn again with the change: wait for its tag list.
    eventually!(
        "the tag offered again",
        attr(b, &add, "aria-label").await.as_deref() == Some("Add a tag")
    );
    // Nothing else in the window is a chip of it.
    assert_eq!(
        b.find_all(Locator::Css("[data-testid=tag-chip][data-tag-id=vip]"))
            .await
            .map(|v| v.len())
            .unwrap_or(0),
        0
    );
}
