//! Learned auto-categorization over HTTP: labelled conversations are the
//! resolved ones whose category an agent set or confirmed; training (on
//! demand and by the background job) stores a model every instance uses;
//! a new conversation without matching keywords gets the learned category
//! above the confidence threshold, `general` below it; keyword rules win.

use std::time::Duration;

use serde_json::Value;
use switchboard_api::{
    AgentStatus, CategorySource, ClassifierStatus, Conversation, RoutingMode, Session,
};

use crate::helpers::{expect_err, spawn_app, TestApp};

/// Customer texts whose category is clear but which match no rule below.
const SHIPPING_TEXT: (&str, &str) = (
    "Parcel still missing",
    "My parcel has not arrived and the tracking has not moved in a week. Where is my order?",
);

/// `n` messages per category from the labelled set's training split.
fn labelled(categories: &[&str], n: usize) -> Vec<(String, String, String)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/categorize/messages.jsonl"
    );
    let text = std::fs::read_to_string(path).expect("labelled set");
    let mut out = Vec::new();
    for cat in categories {
        let rows = text
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).expect("jsonl"))
            // The API channel needs a subject.
            .filter(|v| v["split"] == "train" && v["category"] == *cat && v["subject"] != "")
            .take(n);
        for v in rows {
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            out.push((s("subject"), s("body"), s("category")));
        }
    }
    out
}

async fn setup(app: &TestApp) -> Session {
    app.category_with("billing", RoutingMode::Manual, 300, &["invoice", "refund"])
        .await;
    app.category_with("technical", RoutingMode::Manual, 300, &["/crash(ed|es)?/"])
        .await;
    app.category("shipping").await;
    app.agent(
        "Rita",
        &["billing", "technical", "shipping", "general"],
        AgentStatus::Available,
    )
    .await
}

/// Creates labelled conversations (explicit category, resolved by an agent).
async fn seed_labelled(app: &TestApp, agent: &Session, per_category: usize) -> usize {
    let rows = labelled(&["billing", "technical", "shipping"], per_category);
    for (subject, body, category) in &rows {
        let c = app.conversation(subject, body, Some(category)).await;
        agent.claim(&c.summary.id).await.expect("claim");
        agent.resolve(&c.summary.id).await.expect("resolve");
    }
    rows.len()
}

fn source(c: &Conversation) -> Option<CategorySource> {
    c.summary.categorized_by.as_ref().map(|b| b.source)
}

#[tokio::test]
async fn learns_from_labelled_conversations_and_categorizes_new_ones() {
    let app = spawn_app().await;
    let agent = setup(&app).await;

    // Nothing to learn from yet: a clear refusal, and no model.
    let err = expect_err(
        app.admin.train_classifier().await,
        422,
        "not_enough_examples",
    );
    assert!(err.message.contains("at least 20"), "{}", err.message);
    let before = app.admin.classifier().await.unwrap();
    assert!(before.model.is_none());
    assert_eq!(before.labelled_conversations, 0);

    // Without a model: no rule matches → general, by default.
    let c = app
        .conversation(SHIPPING_TEXT.0, SHIPPING_TEXT.1, None)
        .await;
    assert_eq!(c.summary.category_id.as_deref(), Some("general"));
    assert_eq!(source(&c), Some(CategorySource::Default));

    let explicit = seed_labelled(&app, &agent, 12).await;

    // What does and does not count as a label:
    // a default category left alone and resolved: no;
    agent.claim(&c.summary.id).await.unwrap();
    agent.resolve(&c.summary.id).await.unwrap();
    // a rule's choice resolved unchanged (confirmed): yes;
    let ruled = app
        .conversation("Refund", "Please send my money back", None)
        .await;
    assert_eq!(source(&ruled), Some(CategorySource::Rule));
    agent.claim(&ruled.summary.id).await.unwrap();
    agent.resolve(&ruled.summary.id).await.unwrap();
    // a default re-categorized by an agent and resolved: yes;
    let fixed = app
        .conversation(
            "Courier",
            "The courier left my parcel at the wrong door",
            None,
        )
        .await;
    assert_eq!(source(&fixed), Some(CategorySource::Default));
    let s = agent
        .recategorize(&fixed.summary.id, "shipping")
        .await
        .unwrap();
    assert_eq!(
        s.categorized_by.map(|b| b.source),
        Some(CategorySource::Agent)
    );
    agent.claim(&fixed.summary.id).await.unwrap();
    agent.resolve(&fixed.summary.id).await.unwrap();
    // an explicit category not yet resolved: no.
    app.conversation("Tracking", "Where is my parcel", Some("shipping"))
        .await;

    let status = app.admin.classifier().await.unwrap();
    assert_eq!(status.labelled_conversations, explicit + 2);
    assert!(status.model.is_none(), "not trained yet");

    // Agents may look but not train.
    expect_err(agent.train_classifier().await, 403, "admin_only");
    let trained: ClassifierStatus = app.admin.train_classifier().await.unwrap();
    let model = trained.model.expect("a model");
    assert_eq!(model.examples, explicit + 2);
    assert_eq!(model.categories, ["billing", "shipping", "technical"]);
    assert!(model.features > 0);
    assert_eq!(agent.classifier().await.unwrap().model, Some(model));

    // No keyword matches: the learned category, with its confidence.
    let c = app
        .conversation(SHIPPING_TEXT.0, SHIPPING_TEXT.1, None)
        .await;
    assert_eq!(c.summary.category_id.as_deref(), Some("shipping"));
    let by = c.summary.categorized_by.clone().expect("categorized_by");
    assert_eq!(by.source, CategorySource::Classifier);
    let confidence = by.confidence.expect("confidence");
    assert!(
        (trained.min_confidence..=1.0).contains(&confidence),
        "{confidence}"
    );
    // It is on the event agents sync from, too.
    let events = app.all_events().await;
    let created = events
        .iter()
        .rev()
        .find(|e| e.kind == "conversation.created")
        .expect("created event");
    assert_eq!(
        created.data["conversation"]["categorized_by"]["source"],
        "classifier"
    );

    // Words the model never saw: general.
    let c = app
        .conversation("Zorblat", "Quixotic flibbertigibbet wumpus", None)
        .await;
    assert_eq!(c.summary.category_id.as_deref(), Some("general"));
    assert_eq!(source(&c), Some(CategorySource::Default));

    // Keyword rules still win over the classifier: the same shipping text
    // with a billing keyword goes to billing, by rule.
    let with_keyword = format!("{} Also I need the invoice.", SHIPPING_TEXT.1);
    let c = app.conversation(SHIPPING_TEXT.0, &with_keyword, None).await;
    assert_eq!(c.summary.category_id.as_deref(), Some("billing"));
    assert_eq!(source(&c), Some(CategorySource::Rule));
    assert_eq!(c.summary.categorized_by.unwrap().confidence, None);
}

#[tokio::test]
async fn the_threshold_decides_and_the_stored_model_survives_a_restart() {
    let mut app = spawn_app().await;
    let agent = setup(&app).await;
    seed_labelled(&app, &agent, 12).await;
    app.admin.train_classifier().await.unwrap();
    let c = app
        .conversation(SHIPPING_TEXT.0, SHIPPING_TEXT.1, None)
        .await;
    assert_eq!(source(&c), Some(CategorySource::Classifier));
    let p = c.summary.categorized_by.unwrap().confidence.unwrap();

    // A new process on the same database uses the stored model at once
    // (no training): just above this text's probability, it is not sure
    // enough, so the text goes to general.
    app.restart_with(|cfg| cfg.classifier.min_confidence = (p + 0.01).min(1.0))
        .await;
    let c = app
        .conversation(SHIPPING_TEXT.0, SHIPPING_TEXT.1, None)
        .await;
    assert_eq!(c.summary.category_id.as_deref(), Some("general"));
    assert_eq!(source(&c), Some(CategorySource::Default));
    assert!(app.admin.classifier().await.unwrap().model.is_some());

    // Just below it, the same model decides.
    app.restart_with(|cfg| cfg.classifier.min_confidence = (p - 0.01).max(0.0))
        .await;
    let c = app
        .conversation(SHIPPING_TEXT.0, SHIPPING_TEXT.1, None)
        .await;
    assert_eq!(c.summary.category_id.as_deref(), Some("shipping"));
    assert_eq!(source(&c), Some(CategorySource::Classifier));
}

#[tokio::test]
async fn the_background_job_trains_once_there_are_enough_labels() {
    let mut app = spawn_app().await;
    let agent = setup(&app).await;
    seed_labelled(&app, &agent, 12).await;
    app.restart_with(|cfg| {
        cfg.background = true;
        cfg.classifier.check_every = Duration::from_millis(100);
    })
    .await;
    let mut status = app.admin.classifier().await.unwrap();
    for _ in 0..300 {
        if status.model.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        status = app.admin.classifier().await.unwrap();
    }
    let model = status.model.expect("the job trained a model");
    assert_eq!(model.examples, 36);
    let c = app
        .conversation(SHIPPING_TEXT.0, SHIPPING_TEXT.1, None)
        .await;
    assert_eq!(c.summary.category_id.as_deref(), Some("shipping"));
}
