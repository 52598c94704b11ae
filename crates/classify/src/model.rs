//! The classifier: TF-IDF features into a multinomial logistic regression
//! (`linfa-logistic`, L2-regularized, fitted by L-BFGS), whose softmax gives
//! a probability per category — the confidence a threshold is applied to.

use linfa::prelude::*;
use linfa_logistic::{MultiFittedLogisticRegression, MultiLogisticRegression};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::text::terms;
use crate::tfidf::Vectorizer;

/// One labelled text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// What the customer wrote (subject and first message).
    pub text: String,
    /// The category an agent gave it.
    pub category: String,
}

/// How to train.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainParams {
    /// Fewer examples than this: no model.
    pub min_examples: usize,
    /// Fewer distinct categories than this: no model (a model needs a choice).
    pub min_categories: usize,
    /// A term must appear in this many training texts to be a feature.
    pub min_df: usize,
    /// At most this many features (the most widespread terms).
    pub max_features: usize,
    /// L2 regularization weight.
    pub alpha: f64,
    /// L-BFGS iterations at most.
    pub max_iterations: u64,
}

impl Default for TrainParams {
    fn default() -> Self {
        Self {
            min_examples: 20,
            min_categories: 2,
            min_df: 2,
            max_features: 3000,
            alpha: 1.0,
            max_iterations: 100,
        }
    }
}

/// Why no model was trained.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// Not enough labelled texts yet.
    #[error("{have} labelled conversations, at least {need} are needed")]
    TooFewExamples {
        /// How many there are.
        have: usize,
        /// How many are needed.
        need: usize,
    },
    /// All (or all but too few) examples share one category.
    #[error("{have} categories among the labelled conversations, at least {need} are needed")]
    TooFewCategories {
        /// How many there are.
        have: usize,
        /// How many are needed.
        need: usize,
    },
    /// No term is common enough to learn from.
    #[error("the labelled texts share no words to learn from")]
    NoVocabulary,
    /// The solver refused.
    #[error("fitting failed: {0}")]
    Fit(String),
}

/// A stored model that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("stored classifier is unusable: {0}")]
pub struct ModelError(String);

/// What the model thinks of one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Every category with its probability, most likely first (ties by name).
    pub ranked: Vec<(String, f64)>,
}

impl Prediction {
    /// The most likely category.
    pub fn category(&self) -> &str {
        self.ranked.first().map(|(c, _)| c.as_str()).unwrap_or("")
    }

    /// Its probability.
    pub fn confidence(&self) -> f64 {
        self.ranked.first().map(|&(_, p)| p).unwrap_or(0.0)
    }

    /// The category when the model is sure enough: its probability is at
    /// least `min_confidence` and strictly above the runner-up's (a tie is
    /// no decision, whatever the threshold).
    pub fn confident(&self, min_confidence: f64) -> Option<&str> {
        let (best, p) = self.ranked.first()?;
        let second = self.ranked.get(1).map_or(0.0, |&(_, q)| q);
        (*p >= min_confidence && *p > second).then_some(best.as_str())
    }
}

/// A trained classifier; serializable so it can be stored and shared.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Classifier {
    vectorizer: Vectorizer,
    model: MultiFittedLogisticRegression<f64, usize>,
    /// Category ids, sorted; the model's classes index into it.
    categories: Vec<String>,
    examples: usize,
}

impl Classifier {
    /// Trains on labelled texts.
    pub fn train(examples: &[Example], params: &TrainParams) -> Result<Self, TrainError> {
        if examples.len() < params.min_examples.max(1) {
            return Err(TrainError::TooFewExamples {
                have: examples.len(),
                need: params.min_examples.max(1),
            });
        }
        let mut categories: Vec<String> = examples.iter().map(|e| e.category.clone()).collect();
        categories.sort();
        categories.dedup();
        let need = params.min_categories.max(2);
        if categories.len() < need {
            return Err(TrainError::TooFewCategories {
                have: categories.len(),
                need,
            });
        }
        let docs: Vec<Vec<String>> = examples.iter().map(|e| terms(&e.text)).collect();
        let vectorizer = Vectorizer::fit(&docs, params.min_df, params.max_features);
        if vectorizer.is_empty() {
            return Err(TrainError::NoVocabulary);
        }
        let mut x = Array2::<f64>::zeros((docs.len(), vectorizer.len()));
        for (i, doc) in docs.iter().enumerate() {
            for (col, w) in vectorizer.transform(doc) {
                x[[i, col]] = w;
            }
        }
        let y: Array1<usize> = examples
            .iter()
            .map(|e| categories.binary_search(&e.category).unwrap_or(0))
            .collect();
        let model = MultiLogisticRegression::default()
            .alpha(params.alpha)
            .max_iterations(params.max_iterations)
            .fit(&Dataset::new(x, y))
            .map_err(|e| TrainError::Fit(e.to_string()))?;
        Ok(Self {
            vectorizer,
            model,
            categories,
            examples: examples.len(),
        })
    }

    /// The categories it knows, sorted.
    pub fn categories(&self) -> &[String] {
        &self.categories
    }

    /// How many examples it was trained on.
    pub fn examples(&self) -> usize {
        self.examples
    }

    /// How many features (terms) it uses.
    pub fn features(&self) -> usize {
        self.vectorizer.len()
    }

    /// Probabilities for `text`; `None` when no word of it is known (then
    /// there is nothing to go on but the categories' base rates).
    pub fn predict(&self, text: &str) -> Option<Prediction> {
        let v = self.vectorizer.transform(&terms(text));
        if v.is_empty() {
            return None;
        }
        let mut x = Array2::<f64>::zeros((1, self.vectorizer.len()));
        for (col, w) in v {
            x[[0, col]] = w;
        }
        let probs = self.model.predict_probabilities(&x);
        let mut ranked: Vec<(String, f64)> = self
            .model
            .classes()
            .iter()
            .zip(probs.row(0).iter())
            .filter_map(|(&c, &p)| self.categories.get(c).map(|name| (name.clone(), p)))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Some(Prediction { ranked })
    }

    /// The model as JSON, for storage.
    pub fn to_json(&self) -> Result<String, ModelError> {
        serde_json::to_string(self).map_err(|e| ModelError(e.to_string()))
    }

    /// A stored model, checked for consistency before use (a model whose
    /// parts disagree would fail at prediction time).
    pub fn from_json(json: &str) -> Result<Self, ModelError> {
        let c: Self = serde_json::from_str(json).map_err(|e| ModelError(e.to_string()))?;
        let params = c.model.params();
        let ok = c.vectorizer.is_consistent()
            && !c.vectorizer.is_empty()
            && params.nrows() == c.vectorizer.len()
            && params.ncols() == c.model.classes().len()
            && c.model.intercept().len() == c.model.classes().len()
            && c.model.classes().iter().all(|&k| k < c.categories.len())
            && params
                .iter()
                .chain(c.model.intercept().iter())
                .all(|w| w.is_finite());
        if !ok {
            return Err(ModelError("its parts do not agree".into()));
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(text: &str, category: &str) -> Example {
        Example {
            text: text.into(),
            category: category.into(),
        }
    }

    fn tiny() -> Vec<Example> {
        let mut v = Vec::new();
        for i in 0..6 {
            v.push(ex(
                &format!("invoice refund charged twice card {i}"),
                "billing",
            ));
            v.push(ex(
                &format!("app crash error screen freezes {i}"),
                "technical",
            ));
            v.push(ex(
                &format!("parcel delivery tracking courier late {i}"),
                "shipping",
            ));
        }
        v
    }

    fn params() -> TrainParams {
        TrainParams {
            min_examples: 3,
            min_df: 1,
            ..TrainParams::default()
        }
    }

    #[test]
    fn learns_a_separable_set() {
        let c = Classifier::train(&tiny(), &params()).unwrap();
        assert_eq!(c.categories(), ["billing", "shipping", "technical"]);
        assert_eq!(c.examples(), 18);
        let p = c.predict("I was charged twice, refund please").unwrap();
        assert_eq!(p.category(), "billing");
        assert_eq!(
            c.predict("the app shows an error").unwrap().category(),
            "technical"
        );
        assert_eq!(
            c.predict("where is my parcel?").unwrap().category(),
            "shipping"
        );
        let total: f64 = p.ranked.iter().map(|(_, q)| q).sum();
        assert!((total - 1.0).abs() < 1e-9, "probabilities sum to 1");
        assert_eq!(p.ranked.len(), 3);
    }

    #[test]
    fn unknown_words_and_empty_input_give_no_prediction() {
        let c = Classifier::train(&tiny(), &params()).unwrap();
        assert!(c.predict("").is_none());
        assert!(c.predict("zxqv blorp").is_none());
        assert!(c.predict("the and of 1234").is_none());
    }

    #[test]
    fn mixed_text_is_less_confident_than_clear_text() {
        let c = Classifier::train(&tiny(), &params()).unwrap();
        let clear = c.predict("invoice refund charged").unwrap().confidence();
        let mixed = c.predict("invoice crash").unwrap().confidence();
        assert!(mixed < clear, "{mixed} < {clear}");
    }

    #[test]
    fn threshold_and_ties() {
        let p = Prediction {
            ranked: vec![("billing".into(), 0.7), ("technical".into(), 0.3)],
        };
        assert_eq!(p.confident(0.6), Some("billing"));
        assert_eq!(p.confident(0.7), Some("billing"), "at the threshold counts");
        assert_eq!(p.confident(0.71), None);
        let tie = Prediction {
            ranked: vec![("a".into(), 0.5), ("b".into(), 0.5)],
        };
        assert_eq!(tie.confident(0.0), None, "a tie decides nothing");
        let empty = Prediction { ranked: vec![] };
        assert_eq!(empty.confident(0.0), None);
        assert_eq!(empty.category(), "");
    }

    #[test]
    fn refuses_too_little_to_learn_from() {
        let few = &tiny()[..2];
        assert_eq!(
            Classifier::train(few, &TrainParams::default()).unwrap_err(),
            TrainError::TooFewExamples { have: 2, need: 20 }
        );
        let one: Vec<Example> = (0..30)
            .map(|i| ex(&format!("refund {i}"), "billing"))
            .collect();
        assert_eq!(
            Classifier::train(&one, &TrainParams::default()).unwrap_err(),
            TrainError::TooFewCategories { have: 1, need: 2 }
        );
        let no_words: Vec<Example> = (0..30)
            .map(|i| ex("12 34", if i % 2 == 0 { "a" } else { "b" }))
            .collect();
        assert_eq!(
            Classifier::train(&no_words, &TrainParams::default()).unwrap_err(),
            TrainError::NoVocabulary
        );
    }

    #[test]
    fn survives_a_round_trip_and_rejects_a_tampered_model() {
        let c = Classifier::train(&tiny(), &params()).unwrap();
        let json = c.to_json().unwrap();
        let back = Classifier::from_json(&json).unwrap();
        assert_eq!(
            back.predict("refund for my invoice"),
            c.predict("refund for my invoice")
        );
        assert!(Classifier::from_json("{}").is_err());
        assert!(Classifier::from_json("not json").is_err());
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["categories"] = serde_json::json!(["only"]);
        assert!(
            Classifier::from_json(&v.to_string()).is_err(),
            "class index out of range"
        );
    }

    #[test]
    fn training_is_deterministic() {
        let a = Classifier::train(&tiny(), &params()).unwrap();
        let b = Classifier::train(&tiny(), &params()).unwrap();
        assert_eq!(a.to_json().unwrap(), b.to_json().unwrap());
    }
}
