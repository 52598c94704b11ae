//! Jobs run once across the fleet: the breach watcher (announced once, taken
//! over when its holder dies or is stopped), behind nginx, under SIGTERM.

use super::*;

/// Counts `overdue` announcements of `conversation` in the whole log.
async fn overdue_events(s: &Session, conversation: &str) -> usize {
    let mut since = 0;
    let mut n = 0;
    loop {
        let page = s.sync(since, 1000).await.expect("sync");
        n += page
            .events
            .iter()
            .filter(|e| e.conversation_id.as_deref() == Some(conversation))
            .filter(|e| e.data.get("change").and_then(|c| c.as_str()) == Some("overdue"))
            .count();
        since = page.next;
        if !page.more {
            return n;
        }
    }
}

async fn wait_for_overdue(s: &Session, conversation: &str, within: Duration) {
    let what = format!("an overdue announcement for {conversation}");
    eventually(&what, within, || async {
        overdue_events(s, conversation).await > 0
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn breaches_are_announced_once_across_the_fleet_and_the_job_survives_its_holder() {
    let (db, mut first) = fleet(1).await;
    // The first instance has taken the watch lease before the second starts.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let second = Instance::start(&db).await;
    let admin = login(&second.url, ADMIN).await;
    admin
        .create_category(&NewCategory {
            name: "Fast".into(),
            id: Some("fast".into()),
            routing: Some(RoutingMode::Manual),
            wait_threshold_secs: Some(1),
            keywords: vec![],
        })
        .await
        .expect("category");
    let c1 = create(&admin, 1, "fast").await;
    wait_for_overdue(&admin, &c1, Duration::from_secs(10)).await;
    // Both instances keep ticking; the breach stays announced once.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(overdue_events(&admin, &c1).await, 1);

    // The holder dies; the survivor takes the lease over once it expires.
    first[0].kill();
    let c2 = create(&admin, 2, "fast").await;
    wait_for_overdue(&admin, &c2, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(overdue_events(&admin, &c2).await, 1);
    assert_eq!(overdue_events(&admin, &c1).await, 1);

    // A reply ends the waiting period; a new customer message starts another,
    // which is announced again when it breaches.
    let agent = agents(&admin, std::slice::from_ref(&second), "fast", 1, 10)
        .await
        .remove(0);
    // The older overdue conversation must be taken first.
    let refused = agent.claim(&c2).await.expect_err("overdue-first");
    assert_eq!(refused.code(), Some("overdue_first"));
    agent.claim(&c1).await.expect("claim the older one");
    agent.claim(&c2).await.expect("claim");
    agent.reply(&c2, "On it").await.expect("reply");
    admin
        .post_message(
            &c2,
            &NewMessage {
                body: "still broken".into(),
                internal: true,
                client_id: None,
                attachment_ids: vec![],
            },
        )
        .await
        .expect("note");
    let raw = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/conversations/{c2}/customer_messages",
            second.url
        ))
        .bearer_auth(admin.token())
        .json(&serde_json::json!({ "body": "Any news?" }))
        .send()
        .await
        .expect("customer message");
    assert_eq!(raw.status(), 201);
    let deadline = Instant::now() + Duration::from_secs(10);
    while overdue_events(&admin, &c2).await < 2 {
        assert!(
            Instant::now() < deadline,
            "the second waiting period was not announced"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(first);
}

/// nginx (Debian's) in front of two instances with the repository's own
/// example config: the API and the live stream work through it, and the
/// stream survives losing an instance by reconnecting with Last-Event-ID.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_behind_nginx_with_the_example_config() {
    let (_db, mut instances) = fleet(2).await;
    let proxy = nginx::Nginx::start([&instances[0].url, &instances[1].url]);
    let front = proxy.url.clone();
    let client = Client::new(&front).expect("client");
    let deadline = Instant::now() + Duration::from_secs(20);
    while client.health().await.is_err() {
        assert!(Instant::now() < deadline, "nginx did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let admin = client
        .login(ADMIN, PASSWORD)
        .await
        .expect("login through nginx");
    let start = client.health().await.expect("health").last_seq;
    let mut stream = admin
        .events(Some(start))
        .await
        .expect("stream through nginx");
    let mut created = Vec::new();
    for i in 0..6 {
        created.push(create(&admin, i, "general").await);
    }
    let mut last = start;
    let mut seen = BTreeSet::new();
    let got = tokio::time::timeout(Duration::from_secs(15), async {
        while seen.len() < created.len() {
            match stream.next().await {
                Some(Ok(ev)) => {
                    assert_eq!(ev.seq, last + 1, "no gap through the proxy");
                    last = ev.seq;
                    if ev.kind == "conversation.created" {
                        seen.insert(ev.conversation_id.clone().unwrap_or_default());
                    }
                }
                other => panic!("stream broke: {other:?}"),
            }
        }
    })
    .await;
    assert!(got.is_ok(), "events arrived through nginx");
    // Lose an instance: a new stream resumes from the last seen event through
    // whichever instance nginx picks, and writes keep working.
    drop(stream);
    instances[0].kill();
    let more = admin
        .create_conversation(&conversation(99, "general"))
        .await
        .expect("write after losing an instance");
    let mut resumed = admin
        .events(Some(last))
        .await
        .expect("resume through nginx");
    let next = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            match resumed.next().await {
                Some(Ok(ev)) if ev.conversation_id.as_deref() == Some(more.summary.id.as_str()) => {
                    return ev
                }
                Some(Ok(ev)) => assert!(ev.seq > last),
                other => panic!("stream broke: {other:?}"),
            }
        }
    })
    .await
    .expect("the resumed stream delivered the new conversation");
    assert!(next.seq > last);
}

/// `/health/details` of one instance, as the admin.
async fn details(url: &str, admin: &Session) -> switchboard_api::HealthDetails {
    reqwest::Client::new()
        .get(format!("{url}/api/v1/health/details"))
        .bearer_auth(admin.token())
        .send()
        .await
        .expect("details")
        .json()
        .await
        .expect("details body")
}

fn holder_of(d: &switchboard_api::HealthDetails, job: &str) -> Option<String> {
    d.jobs.iter().find(|j| j.name == job)?.holder.clone()
}

/// SIGTERM under load: the instance that holds the breach watcher exits 0
/// within its 10 s bound, every conversation it answered 201 is stored, and
/// the other instance holds the watcher within 2 s of the exit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_exits_0_keeps_every_accepted_write_and_hands_over_the_leases() {
    let (_db, mut instances) = fleet(2).await;
    let admin = login(&instances[0].url, ADMIN).await;
    // Wait until one of them holds the watcher; that one is stopped.
    let mut ids = Vec::new();
    for i in &instances {
        ids.push(details(&i.url, &admin).await.instance);
    }
    let mut holder = None;
    for _ in 0..100 {
        let d = details(&instances[0].url, &admin).await;
        if let Some(h) = holder_of(&d, "threshold_watch") {
            holder = ids.iter().position(|id| *id == h);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stopped = holder.expect("an instance holds the breach watcher");
    let other = 1 - stopped;
    let on_stopped = Client::new(&instances[stopped].url)
        .expect("client")
        .resume(admin.token())
        .await
        .expect("token works");
    let on_other = Client::new(&instances[other].url)
        .expect("client")
        .resume(admin.token())
        .await
        .expect("token works");
    const N: usize = 300;
    let writes = (0..N).map(|i| {
        let s = on_stopped.clone();
        async move {
            tokio::time::sleep(Duration::from_millis((i as u64 % 100) * 10)).await;
            s.create_conversation(&conversation(i, "general"))
                .await
                .ok()
                .map(|c| c.summary.id)
        }
    });
    let pid = instances[stopped].child.id() as i32;
    let stop = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        // SAFETY: a signal to our own child.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        Instant::now()
    };
    let (accepted, signalled) = tokio::join!(join_all(writes), stop);
    let status = loop {
        if let Some(s) = instances[stopped].child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(12),
            "the instance did not stop within its 10 s bound"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let exited = Instant::now();
    assert!(status.success(), "exit status {status}");
    let accepted: Vec<String> = accepted.into_iter().flatten().collect();
    assert!(
        !accepted.is_empty(),
        "some writes were accepted before the stop"
    );
    let mut lost = 0;
    for id in &accepted {
        if on_other.conversation(id).await.is_err() {
            lost += 1;
        }
    }
    eprintln!(
        "SIGTERM under load: sent {N}, accepted {}, lost {lost}, stopped in {} ms",
        accepted.len(),
        (exited - signalled).as_millis()
    );
    assert_eq!(lost, 0, "every conversation answered 201 is stored");
    let taken = loop {
        let d = details(&instances[other].url, &admin).await;
        if holder_of(&d, "threshold_watch").as_deref() == Some(ids[other].as_str()) {
            break exited.elapsed();
        }
        assert!(
            exited.elapsed() < Duration::from_secs(2),
            "the other instance did not take the breach watcher within 2 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!(
        "the other instance took the breach watcher {} ms after the exit",
        taken.as_millis()
    );
}

/// The `woken` events of `conversation` in the whole log, with their times.
async fn woken_events(s: &Session, conversation: &str) -> Vec<chrono::DateTime<chrono::Utc>> {
    let mut since = 0;
    let mut out = Vec::new();
    loop {
        let page = s.sync(since, 1000).await.expect("sync");
        out.extend(
            page.events
                .iter()
                .filter(|e| e.conversation_id.as_deref() == Some(conversation))
                .filter(|e| e.data.get("change").and_then(|c| c.as_str()) == Some("woken"))
                .map(|e| e.at),
        );
        since = page.next;
        if !page.more {
            return out;
        }
    }
}

/// Snoozes a conversation until the start of a second about 3 s ahead on
/// the instances in `on`, then checks it woke once, in that very second,
/// waiting from it.
async fn snooze_wakes_once_at_its_second(admin: &Session, on: &[Instance]) {
    category(admin, "later", RoutingMode::Manual).await;
    let agent = agents(admin, on, "later", 1, 10).await.remove(0);
    let id = create(admin, 1, "later").await;
    agent.claim(&id).await.expect("claim");
    let until =
        chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp() + 3, 0).expect("a time");
    agent.snooze(&id, Some(until)).await.expect("snooze");
    eventually("the conversation woke", Duration::from_secs(15), || async {
        !woken_events(admin, &id).await.is_empty()
    })
    .await;
    // Every instance keeps ticking: still woken once.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let woken = woken_events(admin, &id).await;
    assert_eq!(woken.len(), 1, "woken once: {woken:?}");
    let late = woken[0] - until;
    assert!(
        late >= chrono::Duration::zero() && late < chrono::Duration::seconds(1),
        "woke {late} after its second"
    );
    let c = admin.conversation(&id).await.expect("read");
    assert_eq!(
        c.summary.state,
        switchboard_api::ConversationState::Assigned
    );
    assert_eq!(c.summary.waiting_since, Some(until));
}

/// Two instances on PostgreSQL: the one holding the watch lease wakes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_snooze_wakes_once_at_its_second_across_two_instances() {
    let (_db, instances) = fleet(2).await;
    let admin = login(&instances[1].url, ADMIN).await;
    snooze_wakes_once_at_its_second(&admin, &instances).await;
}

/// The embedded SQLite: its one instance wakes it the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_snooze_wakes_once_at_its_second_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("team.db").display());
    create_admin(&db);
    let instance = Instance::start(&db).await;
    let admin = login(&instance.url, ADMIN).await;
    snooze_wakes_once_at_its_second(&admin, std::slice::from_ref(&instance)).await;
}
