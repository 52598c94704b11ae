//! The admin's side in the real app (setting up the team, mail from a third
//! address marked) and the app against two server instances behind nginx.

use super::*;

/// An admin's side of the app: sign in as an admin, add an agent and a
/// category from the Admin view (checked on the server), and see every
/// open conversation in All, whoever holds it; mail from an address other
/// than the customer's is marked in its conversation.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_admin_sets_up_the_team() {
    let _one = ONE_AT_A_TIME.lock().await;
    step("start");
    let team = team().await;
    let admin = team.admin.clone();
    let queued = conversation(
        &admin,
        "billing",
        "Dorothy Vaughan",
        "FORTRAN manual",
        "Where is it?",
    )
    .await;
    let held = conversation(
        &admin,
        "billing",
        "Mary Jackson",
        "Badge renewal",
        "Mine expired.",
    )
    .await;
    admin
        .transfer(
            &held,
            &TransferRequest {
                to_agent_id: Some(team.bob_id.clone()),
                to_category_id: None,
                note: None,
            },
        )
        .await
        .expect("to Bob");
    let desktop = DesktopSession::start();
    let b = desktop.launch().await;

    step("Sign in as the admin");
    sign_in(&b, &team.url, team::ADMIN_EMAIL).await;

    step("All: every open conversation, whoever holds it");
    click(&b, "[data-testid=nav-all]").await;
    eventually!(
        "both conversations in All",
        count(&b, &row(&queued)).await == 1 && count(&b, &row(&held)).await == 1
    );

    step("Add an agent from the Admin view");
    click(&b, "[data-testid=nav-admin]").await;
    type_into(&b, "[data-testid=new-agent-name]", "Grace Hopper").await;
    type_into(&b, "[data-testid=new-agent-email]", "grace@e2e.test").await;
    type_into(&b, "[data-testid=new-agent-password]", PASSWORD).await;
    by_testid(&b, "[data-testid=new-agent-role]")
        .await
        .select_by_value("agent")
        .await
        .expect("role");
    by_testid(
        &b,
        "[data-testid=new-agent] input[type=checkbox][value=billing]",
    )
    .await
    .click()
    .await
    .expect("billing skill");
    click(&b, "[data-testid=new-agent-submit]").await;
    eventually!("the agent on the server", {
        admin.agents().await.expect("agents").iter().any(|a| {
            a.email == "grace@e2e.test" && a.categories == ["billing"] && a.role == Role::Agent
        })
    });
    assert_eq!(count(&b, "[data-testid=new-agent-error]").await, 0);
    Client::new(&team.url)
        .expect("client")
        .login("grace@e2e.test", PASSWORD)
        .await
        .expect("the new agent signs in with the password set");

    step("Add a category from the Admin view");
    type_into(&b, "[data-testid=new-category-name]", "Returns").await;
    by_testid(&b, "[data-testid=new-category-routing]")
        .await
        .select_by_value("round_robin")
        .await
        .expect("routing");
    type_into(&b, "[data-testid=new-category-threshold]", "600").await;
    // One keyword per line: Enter between them, as typed.
    let enter = char::from(fantoccini::key::Key::Enter);
    type_into(
        &b,
        "[data-testid=new-category-keywords]",
        &format!("return{enter}refund"),
    )
    .await;
    click(&b, "[data-testid=new-category-submit]").await;
    eventually!("the category on the server", {
        admin
            .categories()
            .await
            .expect("categories")
            .iter()
            .any(|c| c.name == "Returns")
    });
    let returns = admin
        .categories()
        .await
        .expect("categories")
        .into_iter()
        .find(|c| c.name == "Returns")
        .expect("Returns");
    assert_eq!(returns.routing, RoutingMode::RoundRobin, "{returns:?}");
    assert_eq!(returns.wait_threshold_secs, 600, "{returns:?}");
    assert_eq!(returns.keywords, ["return", "refund"], "{returns:?}");
    assert_eq!(count(&b, "[data-testid=new-category-error]").await, 0);
    screenshot(&b, "09-admin").await;

    step("Mail from another address is marked in the conversation");
    mail_from_another_address_is_marked(&b, &team.url).await;
    b.close().await.ok();
}

/// A customer's mail, then someone else's answer to it (by its headers),
/// through the server's inbound email endpoint: in the conversation (All),
/// the answer shows its real sender and the mark, as text; the customer's
/// own mail has none.
async fn mail_from_another_address_is_marked(b: &Browser, url: &str) {
    use switchboard_testkit::email::deliver;
    let first = deliver(
        url,
        "From: Katherine Johnson <katherine@customer.test>\r\nTo: support@e2e.test\r\n\
Subject: Orbit figures\r\nMessage-ID: <k1@customer.test>\r\n\r\nPlease check my figures.\r\n",
    )
    .await;
    let id = first["conversation_id"].as_str().expect("id").to_owned();
    let other = deliver(
        url,
        "From: Mallory Other <mallory@elsewhere.test>\r\nTo: support@e2e.test\r\n\
Subject: Re: Orbit figures\r\nMessage-ID: <m1@elsewhere.test>\r\nIn-Reply-To: <k1@customer.test>\r\n\r\n\
Send the <b>results</b> to me instead.\r\n",
    )
    .await;
    assert_eq!(other["conversation_id"], id.as_str(), "threaded in");
    click(b, "[data-testid=nav-all]").await;
    open(b, &id).await;
    let mark = by_testid(b, "[data-testid=message] [data-testid=other-sender]").await;
    let text = mark.text().await.expect("mark text");
    assert!(
        text.contains("From mallory@elsewhere.test — not the customer's address"),
        "{text}"
    );
    assert_eq!(count(b, "[data-testid=other-sender]").await, 1);
    let messages = b
        .find_all(Locator::Css("[data-testid=message][data-kind=customer]"))
        .await
        .expect("messages");
    assert_eq!(messages.len(), 2);
    let own = messages[0].text().await.expect("text");
    assert!(own.contains("Please check my figures."), "{own}");
    assert!(!own.contains("not the customer's address"), "{own}");
    let theirs = messages[1].text().await.expect("text");
    assert!(
        theirs.contains("Mallory Other <mallory@elsewhere.test>"),
        "{theirs}"
    );
    assert!(
        theirs.contains("Send the <b>results</b> to me instead."),
        "{theirs}"
    );
    assert_eq!(
        count(b, "[data-testid=conversation-view] b").await,
        0,
        "customer text became markup"
    );
    screenshot(b, "10-other-sender").await;
}

/// The app against two server instances on PostgreSQL behind nginx (the
/// repository's example config): it is given the one address and works
/// unchanged — sign-in, the live queue, claim and reply — including writes
/// made through the other instance, and it keeps working when the instance
/// it was streaming from goes away.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_app_against_two_instances_behind_nginx() {
    let _one = ONE_AT_A_TIME.lock().await;
    step("start");
    let db = postgres::server().fresh_database().await;
    let mut team = team_on(db, 2, tempfile::tempdir().expect("dir")).await;
    let proxy = nginx::Nginx::start([&team.servers[0].url(), &team.servers[1].url()]);
    let front = Client::new(&proxy.url).expect("client");
    let deadline = Instant::now() + Duration::from_secs(20);
    while front.health().await.is_err() {
        assert!(Instant::now() < deadline, "nginx did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    step("Writes through each instance directly, reads by the app through nginx");
    let a = switchboard_testkit::accounts::login(&team.servers[0].url(), team::ADMIN_EMAIL).await;
    let b_admin =
        switchboard_testkit::accounts::login(&team.servers[1].url(), team::ADMIN_EMAIL).await;
    let first = conversation(&a, "billing", "Grace Hopper", "Refund", "Charged twice.").await;

    let desktop = DesktopSession::start();
    let b = desktop.launch().await;
    sign_in(&b, &proxy.url, "ada@e2e.test").await;
    eventually!("the queue through nginx", rows(&b).await == 1);
    eventually!(
        "online through nginx",
        connection_state(&b).await.as_deref() == Some("online")
    );

    // One written through each instance shows up.
    step("Live");
    let second = conversation(
        &b_admin,
        "billing",
        "Alan Turing",
        "Invoice",
        "Address change.",
    )
    .await;
    let third = conversation(&a, "billing", "Ada Byron", "VAT", "Add my VAT id.").await;
    for id in [&second, &third] {
        by_testid(&b, &row(id)).await;
    }

    step("Claim and reply through the one address");
    click(&b, &row(&first)).await;
    claim(&b).await;
    eventually!(
        "the claim",
        assignee_of(&a, &first).await.as_deref() == Some(team.ada_id.as_str())
    );
    composer_mode(&b, "reply").await;
    send(&b, "Refunded through the fleet.").await;
    eventually!("the reply", {
        b_admin
            .conversation(&first)
            .await
            .expect("conv")
            .messages
            .iter()
            .any(|m| m.kind == MessageKind::Agent && m.body.contains("through the fleet"))
    });
    screenshot(&b, "fleet-01-conversation").await;

    step("One instance goes away; the app reconnects through nginx to the other");
    let gone = team.servers.remove(0);
    gone.stop().await;
    let fourth = conversation(
        &b_admin,
        "billing",
        "Hedy Lamarr",
        "Shipping",
        "Where is my parcel?",
    )
    .await;
    click(&b, "[data-testid=nav-queue]").await;
    by_testid(&b, &row(&fourth)).await;
    eventually!(
        "online again",
        connection_state(&b).await.as_deref() == Some("online")
    );
    click(&b, &row(&fourth)).await;
    claim(&b).await;
    eventually!(
        "a claim after losing an instance",
        assignee_of(&b_admin, &fourth).await.as_deref() == Some(team.ada_id.as_str())
    );
    screenshot(&b, "fleet-02-after-failover").await;
    b.close().await.ok();
    let _ = team.admin.clone();
}
