//! Classifier benchmark: trains on the `train` split of the labelled set
//! (`data/categorize/messages.jsonl`, see `data/categorize/README.md`) and
//! scores the held-out `test` split — accuracy, macro-F1, per-category
//! precision/recall, coverage at the confidence threshold — plus training
//! time and prediction latency. Measured and printed, never asserted.
//!
//! `cargo xtask bench --only classifier` (or `cargo bench -p
//! switchboard-classify --bench accuracy`). The threshold is
//! `SWITCHBOARD_CLASSIFIER_MIN_CONFIDENCE` (default 0.6), as in the server.

use std::path::PathBuf;
use std::time::Instant;

use serde::Deserialize;
use switchboard_classify::eval::evaluate;
use switchboard_classify::{Classifier, Example, TrainParams};

#[derive(Deserialize)]
struct Row {
    subject: String,
    body: String,
    category: String,
    split: String,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("classifier bench failed: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/categorize/messages.jsonl");
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let rows: Vec<Row> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let threshold: f64 = std::env::var("SWITCHBOARD_CLASSIFIER_MIN_CONFIDENCE")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.6);
    // What the server trains on: subject and first message.
    let example = |r: &Row| Example {
        text: format!("{}\n{}", r.subject, r.body),
        category: r.category.clone(),
    };
    let train: Vec<Example> = rows
        .iter()
        .filter(|r| r.split == "train")
        .map(example)
        .collect();
    let test: Vec<Example> = rows
        .iter()
        .filter(|r| r.split == "test")
        .map(example)
        .collect();
    let params = TrainParams::default();

    let mut times = Vec::new();
    let mut model = None;
    for _ in 0..3 {
        let t = Instant::now();
        model = Some(Classifier::train(&train, &params)?);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let model = model.ok_or("no model")?;
    times.sort_by(f64::total_cmp);

    let t = Instant::now();
    let results: Vec<_> = test
        .iter()
        .map(|e| (e.category.clone(), model.predict(&e.text)))
        .collect();
    let per_prediction_us = t.elapsed().as_secs_f64() * 1e6 / test.len().max(1) as f64;
    let report = evaluate(&results, threshold, "general");

    println!("classifier: multinomial logistic regression over TF-IDF (unigrams + bigrams)");
    println!(
        "labelled set: {} messages ({} train / {} held-out test), {} features",
        rows.len(),
        train.len(),
        test.len(),
        model.features()
    );
    println!(
        "training: median {:.0} ms of 3 (min {:.0}, max {:.0}); prediction: {:.0} µs per message",
        times[1], times[0], times[2], per_prediction_us
    );
    println!();
    println!(
        "held-out accuracy (top category): {:.1}%",
        report.accuracy * 100.0
    );
    println!("held-out macro-F1:                {:.3}", report.macro_f1);
    println!(
        "at confidence ≥ {:.2}: coverage {:.1}% of messages, accuracy on those {:.1}%; \
         with `general` below it: {:.1}% right",
        report.threshold,
        report.coverage * 100.0,
        report.confident_accuracy * 100.0,
        report.accuracy_with_fallback * 100.0
    );
    println!();
    println!(
        "{:<12} {:>8} {:>10} {:>8} {:>6}",
        "category", "support", "precision", "recall", "F1"
    );
    for c in &report.per_category {
        println!(
            "{:<12} {:>8} {:>9.1}% {:>7.1}% {:>6.3}",
            c.category,
            c.support,
            c.precision * 100.0,
            c.recall * 100.0,
            c.f1
        );
    }
    println!();
    println!(
        "{:<10} {:>9} {:>20} {:>22}",
        "threshold", "coverage", "accuracy (covered)", "accuracy (w/ general)"
    );
    for th in [0.4, 0.5, 0.6, 0.7, 0.8, 0.9] {
        let r = evaluate(&results, th, "general");
        println!(
            "{:<10.2} {:>8.1}% {:>19.1}% {:>21.1}%",
            th,
            r.coverage * 100.0,
            r.confident_accuracy * 100.0,
            r.accuracy_with_fallback * 100.0
        );
    }
    Ok(())
}
