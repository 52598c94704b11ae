//! The learned layer of auto-categorization: training data, training,
//! storage and the model every instance uses.
//!
//! - **Labels.** A conversation teaches the model when it is resolved by
//!   an agent and its category was set or confirmed by one: given
//!   explicitly at creation (`explicit`), set by an agent (re-categorized,
//!   transferred to a category, or re-confirmed with `PATCH`: `agent`), or
//!   chosen by a rule or the classifier and left as it was by the agent who
//!   resolved it (`rule`, `classifier`: confirmed). A conversation that fell
//!   to the default category (`default`) teaches nothing: leaving `general`
//!   alone is not a decision. Text: subject and first customer message (its
//!   first 4,000 characters), as at arrival. The newest
//!   [`ClassifierConfig::max_examples`] are used.
//! - **Training** (`switchboard-classify`: TF-IDF, multinomial logistic
//!   regression) needs [`ClassifierConfig::min_examples`] labelled
//!   conversations in at least two categories. It runs on a blocking thread,
//!   never inside a write transaction.
//! - **Schedule.** A background job under the fleet-wide lease
//!   `classifier_train` retrains every [`ClassifierConfig::retrain_every`],
//!   or sooner once [`ClassifierConfig::retrain_after`] new labelled
//!   conversations arrived; another instance takes over when the holder
//!   dies. Admins can train at once with `POST /api/v1/classifier/train`.
//! - **Storage.** The model is stored as JSON in `classifier_models`, so a
//!   restart or another instance uses it at once: each instance checks the
//!   stored version at most every [`REFRESH`] when it categorizes.
//! - **Use.** Only when no keyword rule matches, and only at or above
//!   [`ClassifierConfig::min_confidence`]; below it the conversation goes
//!   to `general` (see `switchboard_core::categorize`). How each
//!   conversation was categorized is on its summary (`categorized_by`).

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::Duration as ChronoDuration;
use sqlx::AnyPool;
use switchboard_api::{ClassifierModel, ClassifierStatus};
use switchboard_classify::{Classifier, Example, TrainError, TrainParams};
use switchboard_core::categorize::Learned;

use crate::background::acquire_lease;
use crate::clock::from_ms;
use crate::error::{AppError, AppResult};
use crate::settings::{value, Setting, Settings};
use crate::store::db::{self, Row};
use crate::store::{op, Store};

/// How often an instance looks for a newer stored model.
pub const REFRESH: Duration = Duration::from_secs(2);
/// The lease of the training job (longer than a training run usually takes).
pub const LEASE: &str = "classifier_train";
const LEASE_TTL: ChronoDuration = ChronoDuration::seconds(30);
/// Characters of the first customer message used as text.
const BODY_CHARS: i64 = 4000;

/// Classifier settings.
#[derive(Debug, Clone)]
pub struct ClassifierConfig {
    /// `SWITCHBOARD_CLASSIFIER_MIN_CONFIDENCE` (default 0.6): below this
    /// probability the prediction is not used.
    pub min_confidence: f64,
    /// `SWITCHBOARD_CLASSIFIER_MIN_EXAMPLES` (default 20): labelled
    /// conversations needed before a model is trained.
    pub min_examples: usize,
    /// `SWITCHBOARD_CLASSIFIER_RETRAIN_SECS` (default 600).
    pub retrain_every: Duration,
    /// `SWITCHBOARD_CLASSIFIER_RETRAIN_AFTER` (default 50): new labelled
    /// conversations that trigger retraining before the period is over.
    pub retrain_after: usize,
    /// Newest labelled conversations used for training (default 5000).
    pub max_examples: usize,
    /// How often the training job looks (default 5 s).
    pub check_every: Duration,
}

impl Default for ClassifierConfig {
    fn default() -> Self {
        Self {
            min_confidence: 0.6,
            min_examples: 20,
            retrain_every: Duration::from_secs(600),
            retrain_after: 50,
            max_examples: 5000,
            check_every: Duration::from_secs(5),
        }
    }
}

impl ClassifierConfig {
    /// Reads the `SWITCHBOARD_CLASSIFIER_*` settings (empty ones count as unset).
    pub fn from_settings(s: &Settings) -> anyhow::Result<Self> {
        let var = |v: &Option<Setting>| value(v).map(str::to_owned);
        let mut c = Self::default();
        if let Some(v) = var(&s.classifier_min_confidence) {
            let p: f64 = v.trim().parse().map_err(|_| {
                anyhow::anyhow!(
                    "SWITCHBOARD_CLASSIFIER_MIN_CONFIDENCE must be a number from 0 to 1"
                )
            })?;
            if !(0.0..=1.0).contains(&p) {
                anyhow::bail!("SWITCHBOARD_CLASSIFIER_MIN_CONFIDENCE must be from 0 to 1");
            }
            c.min_confidence = p;
        }
        let count = |name: &str, v: &Option<Setting>| -> anyhow::Result<Option<u64>> {
            var(v)
                .map(|v| {
                    v.trim()
                        .parse::<u64>()
                        .map_err(|_| anyhow::anyhow!("{name} must be a whole number"))
                })
                .transpose()
        };
        if let Some(n) = count(
            "SWITCHBOARD_CLASSIFIER_MIN_EXAMPLES",
            &s.classifier_min_examples,
        )? {
            c.min_examples = n.max(2) as usize;
        }
        if let Some(n) = count(
            "SWITCHBOARD_CLASSIFIER_RETRAIN_SECS",
            &s.classifier_retrain_secs,
        )? {
            c.retrain_every = Duration::from_secs(n.max(10));
        }
        if let Some(n) = count(
            "SWITCHBOARD_CLASSIFIER_RETRAIN_AFTER",
            &s.classifier_retrain_after,
        )? {
            c.retrain_after = n.max(1) as usize;
        }
        Ok(c)
    }

    fn params(&self) -> TrainParams {
        TrainParams {
            min_examples: self.min_examples,
            ..TrainParams::default()
        }
    }
}

/// The stored model as this instance last saw it.
#[derive(Default)]
struct Seen {
    model: Option<Arc<Classifier>>,
    version: Option<String>,
    info: Option<ClassifierModel>,
    checked: Option<Instant>,
}

/// This instance's copy of the stored model.
#[derive(Clone)]
pub struct ModelCache {
    config: Arc<ClassifierConfig>,
    seen: Arc<RwLock<Seen>>,
}

impl ModelCache {
    /// An empty cache.
    pub fn new(config: ClassifierConfig) -> Self {
        Self {
            config: Arc::new(config),
            seen: Arc::new(RwLock::new(Seen::default())),
        }
    }

    /// The settings.
    pub fn config(&self) -> &ClassifierConfig {
        &self.config
    }

    /// The learned layer for `switchboard_core::categorize`, if a model
    /// exists (reloaded when another instance stored a newer one). A broken
    /// or unreachable model never stops categorization: it is logged and the
    /// rules and default go on alone.
    pub async fn learned(&self, reader: &AnyPool) -> Option<(Learned, f64)> {
        if let Err(e) = self.refresh(reader).await {
            tracing::warn!(error = %e, "classifier model not refreshed");
        }
        let model = self.seen.read().ok()?.model.clone()?;
        let learned: Learned = Arc::new(move |text: &str| {
            let p = model.predict(text)?;
            // A tie is no answer (Prediction::confident with no threshold).
            let category = p.confident(0.0)?.to_owned();
            Some((category, p.confidence()))
        });
        Some((learned, self.config.min_confidence))
    }

    async fn refresh(&self, reader: &AnyPool) -> AppResult<()> {
        let due = self
            .seen
            .read()
            .map(|s| s.checked.is_none_or(|t| t.elapsed() >= REFRESH))
            .unwrap_or(true);
        if !due {
            return Ok(());
        }
        let version: Option<String> =
            db::query("SELECT version FROM classifier_models WHERE id = 'current'")
                .fetch_optional_scalar(reader)
                .await?;
        let known = self.seen.read().ok().and_then(|s| s.version.clone());
        if version.is_none() || version == known {
            if let Ok(mut s) = self.seen.write() {
                s.checked = Some(Instant::now());
            }
            return Ok(());
        }
        let row = db::query(
            "SELECT version, model, trained_at, examples, categories, features FROM classifier_models WHERE id = 'current'",
        )
        .fetch_one(reader)
        .await?;
        let json: String = row.try_get("model")?;
        let model = tokio::task::spawn_blocking(move || Classifier::from_json(&json))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let info = model_info(&row)?;
        let version: String = row.try_get("version")?;
        if let Ok(mut s) = self.seen.write() {
            s.checked = Some(Instant::now());
            s.version = Some(version);
            match model {
                Ok(m) => {
                    s.model = Some(Arc::new(m));
                    s.info = Some(info);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "stored classifier ignored");
                    s.model = None;
                    s.info = None;
                }
            }
        }
        Ok(())
    }

    fn install(&self, version: String, model: Classifier, info: ClassifierModel) {
        if let Ok(mut s) = self.seen.write() {
            s.model = Some(Arc::new(model));
            s.version = Some(version);
            s.info = Some(info);
            s.checked = Some(Instant::now());
        }
    }

    /// What `GET /api/v1/classifier` shows.
    pub async fn status(&self, reader: &AnyPool) -> AppResult<ClassifierStatus> {
        self.refresh(reader).await?;
        let labelled = labelled_count(reader).await?;
        Ok(ClassifierStatus {
            model: self.seen.read().ok().and_then(|s| s.info.clone()),
            min_confidence: self.config.min_confidence,
            min_examples: self.config.min_examples,
            labelled_conversations: labelled,
        })
    }
}

fn model_info(row: &Row) -> AppResult<ClassifierModel> {
    let categories: String = row.try_get("categories")?;
    Ok(ClassifierModel {
        trained_at: from_ms(row.try_get("trained_at")?),
        examples: row.try_get::<i64, _>("examples")?.max(0) as usize,
        categories: serde_json::from_str(&categories)
            .map_err(|e| AppError::Internal(format!("stored classifier categories: {e}")))?,
        features: row.try_get::<i64, _>("features")?.max(0) as usize,
    })
}

/// Conversations that count as labelled (see the module docs).
const LABELLED: &str = "c.state = 'resolved' AND c.category_id IS NOT NULL \
    AND c.category_source IN ('explicit', 'agent', 'rule', 'classifier') \
    AND EXISTS (SELECT 1 FROM resolutions r WHERE r.conversation_id = c.id AND r.agent_id IS NOT NULL)";

/// How many labelled conversations there are.
pub async fn labelled_count(reader: &AnyPool) -> AppResult<usize> {
    let n: i64 = db::query(&format!(
        "SELECT COUNT(*) FROM conversations c WHERE {LABELLED}"
    ))
    .fetch_scalar(reader)
    .await?;
    Ok(n.max(0) as usize)
}

/// The newest `limit` labelled conversations as training examples.
pub async fn labelled_examples(reader: &AnyPool, limit: usize) -> AppResult<Vec<Example>> {
    let sql = format!(
        "SELECT c.subject, c.category_id, \
         (SELECT SUBSTR(m.body, 1, {BODY_CHARS}) FROM messages m WHERE m.conversation_id = c.id AND m.kind = 'customer' \
          ORDER BY m.seq LIMIT 1) AS body \
         FROM conversations c WHERE {LABELLED} ORDER BY c.updated_at DESC, c.id LIMIT $1"
    );
    let rows = db::query(&sql)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(reader)
        .await?;
    rows.iter()
        .map(|r| {
            let subject: String = r.try_get("subject")?;
            let body: Option<String> = r.try_get("body")?;
            Ok(Example {
                text: format!("{subject}\n{}", body.unwrap_or_default()),
                category: r.try_get("category_id")?,
            })
        })
        .collect()
}

/// Trains on the current labelled conversations and stores the model. With
/// `lease_holder`, the model is stored only while that holder still has the
/// training lease (the background job); without, unconditionally (an
/// admin's request). `Ok(Err(_))`: not enough to learn from.
pub async fn train(
    store: &Store,
    cache: &ModelCache,
    lease_holder: Option<String>,
) -> AppResult<Result<ClassifierModel, TrainError>> {
    let labelled = labelled_count(store.reader()).await?;
    let examples = labelled_examples(store.reader(), cache.config.max_examples).await?;
    let params = cache.config.params();
    let n = examples.len();
    let trained = tokio::task::spawn_blocking(move || Classifier::train(&examples, &params))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let model = match trained {
        Ok(m) => m,
        Err(e) => return Ok(Err(e)),
    };
    let json = model
        .to_json()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let categories = model.categories().to_vec();
    let features = model.features();
    let version = crate::store::new_id();
    let v = version.clone();
    let cats_json = serde_json::to_string(&categories).unwrap_or_else(|_| "[]".into());
    let stored_at = store
        .write(op(move |tx| {
            Box::pin(async move {
                if let Some(holder) = &lease_holder {
                    if !acquire_lease(tx, LEASE, holder, LEASE_TTL).await? {
                        return Ok(None);
                    }
                }
                let now = tx.now.timestamp_millis();
                db::query(
                    "INSERT INTO classifier_models (id, version, model, trained_at, examples, labelled, categories, features) \
                     VALUES ('current', $1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (id) DO UPDATE SET version = $1, model = $2, trained_at = $3, examples = $4, \
                     labelled = $5, categories = $6, features = $7",
                )
                .bind(&v)
                .bind(&json)
                .bind(now)
                .bind(n as i64)
                .bind(labelled as i64)
                .bind(&cats_json)
                .bind(features as i64)
                .execute(&mut *tx)
                .await?;
                Ok(Some(now))
            })
        }))
        .await?;
    let Some(at) = stored_at else {
        return Ok(Err(TrainError::Fit(
            "another instance took over training".into(),
        )));
    };
    let info = ClassifierModel {
        trained_at: from_ms(at),
        examples: n,
        categories,
        features,
    };
    cache.install(version, model, info.clone());
    tracing::info!(examples = n, features, "classifier trained");
    Ok(Ok(info))
}

/// Whether the training job should train now: no model yet (and enough
/// labels), the period is over, or enough new labels arrived.
pub fn training_due(
    config: &ClassifierConfig,
    labelled: usize,
    last: Option<(chrono::DateTime<chrono::Utc>, usize)>,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    if labelled < config.min_examples {
        return false;
    }
    match last {
        None => true,
        Some((at, seen)) => {
            let period = ChronoDuration::from_std(config.retrain_every)
                .unwrap_or(ChronoDuration::seconds(600));
            now - at >= period || labelled >= seen + config.retrain_after
        }
    }
}

async fn last_training(
    reader: &AnyPool,
) -> AppResult<Option<(chrono::DateTime<chrono::Utc>, usize)>> {
    let row = db::query("SELECT trained_at, labelled FROM classifier_models WHERE id = 'current'")
        .fetch_optional(reader)
        .await?;
    row.map(|r| {
        Ok((
            from_ms(r.try_get("trained_at")?),
            r.try_get::<i64, _>("labelled")?.max(0) as usize,
        ))
    })
    .transpose()
}

/// The training job: runs until the store goes away; trains only while this
/// instance holds the `classifier_train` lease.
pub async fn run(store: Store, cache: ModelCache, instance: String) {
    let mut tick = tokio::time::interval(cache.config.check_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let holder = instance.clone();
        let held = store
            .write(op(move |tx| {
                Box::pin(async move { acquire_lease(tx, LEASE, &holder, LEASE_TTL).await })
            }))
            .await;
        match held {
            Ok(true) => {}
            Ok(false) => continue,
            Err(AppError::ShuttingDown) => return,
            Err(e) => {
                tracing::warn!(error = %e, "classifier lease failed; retrying");
                continue;
            }
        }
        let due = async {
            let labelled = labelled_count(store.reader()).await?;
            let last = last_training(store.reader()).await?;
            AppResult::Ok(training_due(&cache.config, labelled, last, store.now()))
        }
        .await;
        match due {
            Ok(true) => match train(&store, &cache, Some(instance.clone())).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::debug!(reason = %e, "classifier not trained"),
                Err(AppError::ShuttingDown) => return,
                Err(e) => tracing::warn!(error = %e, "classifier training failed; retrying"),
            },
            Ok(false) => {}
            Err(AppError::ShuttingDown) => return,
            Err(e) => tracing::warn!(error = %e, "classifier check failed; retrying"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_is_due_on_first_labels_period_or_enough_new_ones() {
        let c = ClassifierConfig::default();
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        assert!(!training_due(&c, 19, None, t0), "below the minimum");
        assert!(training_due(&c, 20, None, t0), "first model");
        let last = Some((t0, 100));
        assert!(!training_due(
            &c,
            120,
            last,
            t0 + ChronoDuration::seconds(60)
        ));
        assert!(
            training_due(&c, 150, last, t0 + ChronoDuration::seconds(60)),
            "50 new"
        );
        assert!(
            training_due(&c, 100, last, t0 + ChronoDuration::seconds(600)),
            "period over"
        );
        assert!(
            !training_due(&c, 10, last, t0 + ChronoDuration::seconds(6000)),
            "labels gone"
        );
    }
}
