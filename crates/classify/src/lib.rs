//! # switchboard-classify
//!
//! The learned layer of auto-categorization: a text classifier trained on a
//! team's own resolved conversations whose category an agent set or
//! confirmed. Admin keyword/regex rules (`switchboard_core::categorize`)
//! come first; this model is asked only when no rule matches, and its answer
//! is used only above a confidence threshold.
//!
//! - [`text`]: the tokenizer (lowercase, Unicode word split, bigrams);
//! - [`tfidf`]: TF-IDF features;
//! - [`model`]: multinomial logistic regression (`linfa-logistic`) with a
//!   probability per category, serializable for storage;
//! - [`eval`]: accuracy, macro-F1, per-category precision/recall and
//!   coverage at a threshold, for the benchmark.
//!
//! Pure and IO-free like `switchboard-core`; a crate of its own so the
//! numeric dependencies (`ndarray`, `linfa`, `argmin`) stay out of core and
//! out of the desktop app, which depends on core.
//!
//! ```
//! use switchboard_classify::{Classifier, Example, TrainParams};
//! let mut examples = Vec::new();
//! for i in 0..10 {
//!     examples.push(Example { text: format!("refund invoice {i}"), category: "billing".into() });
//!     examples.push(Example { text: format!("app crash error {i}"), category: "technical".into() });
//! }
//! let model = Classifier::train(&examples, &TrainParams::default()).unwrap();
//! let p = model.predict("the app crashed with an error").unwrap();
//! assert_eq!(p.confident(0.6), Some("technical"));
//! ```
#![deny(missing_docs)]

pub mod eval;
pub mod model;
pub mod text;
pub mod tfidf;

pub use model::{Classifier, Example, ModelError, Prediction, TrainError, TrainParams};
