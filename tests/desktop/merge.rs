//! Merge in the real app: from the customer panel of the conversation Ada
//! holds, Grace's mail conversation is merged in (a second click confirms);
//! its message shows in Ada's history and the server has the mail closed,
//! pointing to it. The admin undoes it over the API and the window follows.

use std::time::{Duration, Instant};

use fantoccini::Client as Browser;

use crate::customers::shot;
use crate::harness::DesktopSession;
use crate::page::{click, count, text};
use crate::team::Team;

/// `held` is open in Ada's window; `other` is another conversation of the
/// same customer.
pub async fn merge_from_the_panel(
    b: &Browser,
    desktop: &DesktopSession,
    team: &Team,
    held: &str,
    other: &str,
) {
    let admin = &team.admin;
    let toggle = "[data-testid=conversation-view] [data-testid=customer-toggle]";
    if count(b, toggle).await == 1 {
        click(b, toggle).await;
    }
    let merge = format!("[data-testid=customer-merge][data-conversation-id=\"{other}\"]");
    eventually!("the panel offers the merge", count(b, &merge).await == 1);
    click(b, &merge).await;
    click(b, "[data-testid=customer-merge-confirm]").await;
    eventually!("merged on the server", {
        admin
            .conversation(other)
            .await
            .expect("conv")
            .summary
            .merged_into
            .as_deref()
            == Some(held)
    });
    if count(b, toggle).await == 1 {
        click(b, toggle).await;
    }
    let history = "[data-testid=conversation-view]";
    eventually!("the mail's words in Ada's history", {
        text(b, history)
            .await
            .is_some_and(|t| t.contains("Another copy arrived."))
    });
    shot(desktop, "03g-merged");

    admin.unmerge(other).await.expect("undo");
    eventually!("the undo in the window", {
        text(b, history)
            .await
            .is_some_and(|t| !t.contains("Another copy arrived.") && t.contains("undone"))
    });
}
