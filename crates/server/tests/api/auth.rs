//! Login, logout, and the failed-login limit.

use serde_json::json;
use switchboard_api::{AgentStatus, Role};

use crate::helpers::*;

async fn login_raw(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.http
        .post(app.api("/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn login_me_and_logout() {
    let app = spawn_app().await;
    assert_eq!(app.admin.agent.role, Role::Admin);
    assert_eq!(app.admin.agent.email, ADMIN_EMAIL);
    let me = app.admin.me().await.unwrap();
    assert_eq!(me.id, app.admin.agent.id);

    let zed = app.agent("Zed", &[], AgentStatus::Offline).await;
    assert_eq!(zed.agent.role, Role::Agent);
    assert_eq!(zed.agent.status, AgentStatus::Offline);
    // Emails are matched case-insensitively.
    let again = app
        .client
        .login(&zed.agent.email.to_uppercase(), PASSWORD)
        .await
        .unwrap();
    assert_eq!(again.agent.id, zed.agent.id);
    assert_ne!(again.token(), zed.token(), "each login its own token");
    let s = zed.set_status(AgentStatus::Busy).await.unwrap();
    assert_eq!(s.status, AgentStatus::Busy);
    again.logout().await.unwrap();
    expect_err(again.me().await, 401, "unauthorized");
    zed.me().await.unwrap();
    // A password change revokes every session of that agent.
    app.admin
        .patch_agent(
            &zed.agent.id,
            &switchboard_api::AgentPatch {
                password: Some("another-long-password".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    expect_err(zed.me().await, 401, "unauthorized");
    app.client
        .login(&zed.agent.email, "another-long-password")
        .await
        .unwrap();
}

#[tokio::test]
async fn repeated_failed_logins_are_limited_per_account() {
    let app = spawn_app().await;
    let victim = app.agent("Victim", &[], AgentStatus::Offline).await;
    let bystander = app.agent("Bystander", &[], AgentStatus::Offline).await;
    let email = victim.agent.email.clone();

    let mut limited = None;
    for attempt in 1..=20 {
        let r = login_raw(&app, &email, &format!("guess-number-{attempt}")).await;
        match r.status().as_u16() {
            401 => {
                expect_error_body(r, 401, "unauthorized").await;
            }
            429 => {
                limited = Some((attempt, r));
                break;
            }
            s => panic!("unexpected status {s}"),
        }
    }
    let (attempt, r) = limited.expect("failed logins are limited");
    assert!(
        attempt > 3,
        "a few typos are allowed (limited at {attempt})"
    );
    let retry: u64 = r
        .headers()
        .get("retry-after")
        .expect("429 carries Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds");
    assert!(retry >= 1);
    let v = expect_error_body(r, 429, "rate_limited").await;
    assert_eq!(v["error"]["retry_after_secs"], retry);

    // The right password is refused too while the account is limited:
    // otherwise a guesser would simply keep going and notice the one answer
    // that is not a 429, and the limit would not slow guessing at all.
    let r = login_raw(&app, &email, PASSWORD).await;
    assert!(r.headers().get("retry-after").is_some());
    expect_error_body(r, 429, "rate_limited").await;
    // Spelling the email differently does not dodge it.
    let r = login_raw(&app, &format!("  {}  ", email.to_uppercase()), PASSWORD).await;
    expect_error_body(r, 429, "rate_limited").await;

    // Other accounts log in as usual, and existing sessions keep working.
    app.client
        .login(&bystander.agent.email, PASSWORD)
        .await
        .unwrap();
    app.client.login(ADMIN_EMAIL, PASSWORD).await.unwrap();
    victim.me().await.unwrap();

    // Once Retry-After has passed, the right password works again.
    app.advance(retry as i64);
    let s = app.client.login(&email, PASSWORD).await.unwrap();
    assert_eq!(s.agent.id, victim.agent.id);
}

#[tokio::test]
async fn parallel_guesses_do_not_get_past_the_limit() {
    let app = spawn_app().await;
    let victim = app.agent("Victim", &[], AgentStatus::Offline).await;
    let email = victim.agent.email.clone();
    // Thirty guesses fired at once: the limit must hold for attempts in
    // flight too, or a guesser just sends them in parallel bursts.
    let results = futures_util::future::join_all((0..30).map(|i| {
        let app = &app;
        let email = email.clone();
        async move {
            login_raw(app, &email, &format!("parallel-guess-{i}"))
                .await
                .status()
                .as_u16()
        }
    }))
    .await;
    let wrong = results.iter().filter(|s| **s == 401).count();
    let limited = results.iter().filter(|s| **s == 429).count();
    assert_eq!(wrong + limited, 30, "{results:?}");
    assert!(
        wrong <= 10,
        "{wrong} guesses were checked; the limit is 10: {results:?}"
    );
    let r = login_raw(&app, &email, PASSWORD).await;
    expect_error_body(r, 429, "rate_limited").await;
}
