//! Statistics, the printed table and `target/bench/desktop.json`.

use super::*;

pub(crate) fn median(v: Vec<f64>) -> f64 {
    percentile(&v, 50.0)
}

pub(crate) fn percentile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
    s[rank.clamp(1, s.len()) - 1]
}

pub(crate) fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NAN, f64::max)
}

/// The empty Tauri window's figures: the baseline of the ratios.
#[derive(Debug, Default)]
pub(crate) struct Baseline {
    pub(crate) starts: Vec<Start>,
    pub(crate) pss: u64,
    /// Without GPU compositing, as Switchboard draws.
    pub(crate) pss_plain: u64,
    /// Idle animation-frame intervals (the display's own pace).
    pub(crate) frames: Vec<f64>,
    /// Scrolling a plain 300-row list.
    pub(crate) steady: Vec<f64>,
    pub(crate) fling: Vec<f64>,
    pub(crate) plain_steady: Vec<f64>,
    pub(crate) plain_fling: Vec<f64>,
}

/// The figures of one team size.
#[derive(Debug, Default)]
pub(crate) struct SizeFigures {
    pub(crate) size: usize,
    /// Messages per conversation (the message mode above 1).
    pub(crate) messages: usize,
    /// Seeding the server (s).
    pub(crate) seed_s: f64,
    /// The first fill's end → the cache's search index built (s; the
    /// message mode).
    pub(crate) index_s: Option<f64>,
    /// PSS 10 s after the index build, in the process that filled and
    /// indexed (KiB; the message mode).
    pub(crate) pss_indexed: u64,
    /// Keystroke → results rendered in the search dialog (the message mode).
    pub(crate) search: Vec<SearchSample>,
    pub(crate) open: usize,
    /// Launch → the cache holds the whole history (s).
    pub(crate) first_sync_s: f64,
    /// Launch → the first queue rows (s).
    pub(crate) open_rows_s: f64,
    pub(crate) starts: Vec<Start>,
    pub(crate) pss: u64,
    pub(crate) switch_ms: Vec<f64>,
    /// Frames from the click to the first frame with rows (1: the next one).
    pub(crate) switch_frames: Vec<f64>,
    /// `list_window` round trips (160 rows), ms.
    pub(crate) reads: Vec<f64>,
    pub(crate) steady: Vec<f64>,
    pub(crate) fling: Vec<f64>,
    pub(crate) rows_after_fling: Option<f64>,
    pub(crate) event_ms: Vec<f64>,
    pub(crate) event_sent_ms: Vec<f64>,
    pub(crate) late_ms: Vec<f64>,
}

pub(crate) struct Report {
    pub(crate) baseline: Baseline,
    /// Starts with the demo team cached.
    pub(crate) starts: Vec<Start>,
    pub(crate) sizes: Vec<SizeFigures>,
    /// All open (breach and notification figures).
    pub(crate) stress: Option<SizeFigures>,
    pub(crate) samples: usize,
}

/// A frame interval within one 60 Hz frame plus timer jitter; a dropped
/// frame shows as ≥ 33 ms.
pub(crate) const FRAME_BUDGET_MS: f64 = 20.0;

pub(crate) fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "MISS"
    }
}

type Row = (String, String, String, String, String, &'static str);

fn start_ms(v: &[Start]) -> f64 {
    median(v.iter().map(|s| s.from_process).collect())
}

fn pace(v: &[f64]) -> String {
    format!("{:.1} / {:.1} ms", percentile(v, 50.0), percentile(v, 99.0))
}

impl SizeFigures {
    fn first_frame(&self) -> usize {
        self.switch_frames.iter().filter(|f| **f <= 1.0).count()
    }

    /// The rows of the printed table for this size.
    fn rows(&self, base: &Baseline, samples: usize, full: bool) -> Vec<Row> {
        let mib = |k: u64| k as f64 / 1024.0;
        let empty_start = start_ms(&base.starts);
        let start = start_ms(&self.starts);
        let n = self.size;
        let mut rows: Vec<Row> = Vec::new();
        if self.messages > 1 {
            rows.push((
                format!(
                    "seeded {n} × {} = {} messages (server operations)",
                    self.messages,
                    n * self.messages
                ),
                format!("{:.1} s", self.seed_s),
                String::new(),
                String::new(),
                "—".to_owned(),
                "",
            ));
        }
        rows.push((
            format!(
                "first fill of {n}: whole history (queue rows after {:.1} s)",
                self.open_rows_s
            ),
            format!("{:.1} s", self.first_sync_s),
            String::new(),
            format!("{:.0}/s", n as f64 / self.first_sync_s),
            "≤ 20 s".to_owned(),
            verdict(self.first_sync_s <= 20.0),
        ));
        if self.messages > 1 {
            rows.extend(self.message_rows(base));
        }
        if full {
            let pss_ratio = self.pss as f64 / base.pss as f64;
            let steady_p99 = percentile(&self.steady, 99.0);
            let fling_p99 = percentile(&self.fling, 99.0);
            let switch_pass =
                !self.switch_frames.is_empty() && self.first_frame() == self.switch_frames.len();
            rows.extend([
                (
                    format!("cold start → first rendered queue, {n} cached (median of {STARTS})"),
                    format!("{start:.0} ms"),
                    format!("{empty_start:.0} ms"),
                    format!("{:.2}×", start / empty_start),
                    "≤ 1.5×".to_owned(),
                    verdict(start / empty_start <= 1.5),
                ),
                (
                    format!(
                        "memory idle, PSS app + WebKit children ({n} cached{})",
                        self.with_messages()
                    ),
                    format!("{:.0} MiB", mib(self.pss)),
                    format!("{:.0} MiB", mib(base.pss)),
                    format!("{pss_ratio:.2}×"),
                    "≤ 1.25×".to_owned(),
                    verdict(pss_ratio <= 1.25),
                ),
                (
                    "  the same, vs the empty window also without GPU compositing".to_owned(),
                    format!("{:.0} MiB", mib(self.pss)),
                    format!("{:.0} MiB", mib(base.pss_plain)),
                    format!("{:.2}×", self.pss as f64 / base.pss_plain as f64),
                    "—".to_owned(),
                    "",
                ),
                (
                    format!(
                        "back to the queue of {} rows: rows in the first frame after the click",
                        self.open
                    ),
                    format!(
                        "{} of {} ({:.0} / {:.0} ms to the frame after)",
                        self.first_frame(),
                        self.switch_frames.len(),
                        percentile(&self.switch_ms, 50.0),
                        percentile(&self.switch_ms, 99.0)
                    ),
                    String::new(),
                    String::new(),
                    "every one".to_owned(),
                    verdict(switch_pass),
                ),
                (
                    "reading a block of 160 rows (list_window): median / p99 of 20".to_owned(),
                    format!(
                        "{:.1} / {:.1} ms",
                        percentile(&self.reads, 50.0),
                        percentile(&self.reads, 99.0)
                    ),
                    String::new(),
                    String::new(),
                    "—".to_owned(),
                    "",
                ),
                (
                    "scrolling 48 px/frame: frame interval median / p99".to_owned(),
                    format!("{:.1} / {steady_p99:.1} ms", percentile(&self.steady, 50.0)),
                    pace(&base.steady),
                    String::new(),
                    format!("p99 ≤ {FRAME_BUDGET_MS:.0} ms (one frame)"),
                    verdict(steady_p99 <= FRAME_BUDGET_MS),
                ),
                (
                    "fling through all rows in 600 frames (placeholder rows): median / p99"
                        .to_owned(),
                    format!("{:.1} / {fling_p99:.1} ms", percentile(&self.fling, 50.0)),
                    pace(&base.fling),
                    String::new(),
                    format!("p99 ≤ {FRAME_BUDGET_MS:.0} ms (one frame)"),
                    verdict(fling_p99 <= FRAME_BUDGET_MS),
                ),
                (
                    "  the fling's last scroll → the rows there on screen".to_owned(),
                    self.rows_after_fling
                        .map(|ms| format!("{ms:.0} ms"))
                        .unwrap_or_else(|| "not within 5 s".to_owned()),
                    String::new(),
                    String::new(),
                    "—".to_owned(),
                    "",
                ),
            ]);
        }
        if !self.search.is_empty() {
            rows.extend(self.search_rows());
        }
        let event_p99 = percentile(&self.event_ms, 99.0);
        let late_max = max(&self.late_ms);
        rows.extend([
            (
                format!(
                    "transfer (API returned) → Notify, median / p99 ({} of {samples})",
                    self.event_ms.len()
                ),
                format!(
                    "{:.1} / {event_p99:.1} ms",
                    percentile(&self.event_ms, 50.0)
                ),
                String::new(),
                String::new(),
                "p99 ≤ 100 ms".to_owned(),
                verdict(event_p99 <= 100.0 && self.event_ms.len() == samples),
            ),
            (
                "transfer (API call sent) → Notify, median / p99".to_owned(),
                format!(
                    "{:.1} / {:.1} ms",
                    percentile(&self.event_sent_ms, 50.0),
                    percentile(&self.event_sent_ms, 99.0)
                ),
                String::new(),
                String::new(),
                "—".to_owned(),
                "",
            ),
            (
                format!(
                    "breach (3 s threshold) → Notify lateness, median / max ({})",
                    self.late_ms.len()
                ),
                format!("{:.0} / {late_max:.0} ms", percentile(&self.late_ms, 50.0)),
                String::new(),
                String::new(),
                "max ≤ 1 s".to_owned(),
                verdict(late_max <= 1000.0 && !self.late_ms.is_empty()),
            ),
        ]);
        rows
    }

    /// `, 1,000,000 messages` in the message mode.
    fn with_messages(&self) -> String {
        if self.messages > 1 {
            format!(", {} messages", self.size * self.messages)
        } else {
            String::new()
        }
    }

    /// The index build and the memory right after it (the message mode).
    fn message_rows(&self, base: &Baseline) -> Vec<Row> {
        let mib = |k: u64| k as f64 / 1024.0;
        let ratio = self.pss_indexed as f64 / base.pss as f64;
        vec![
            (
                "the fill's end → search index built (in the background)".to_owned(),
                self.index_s
                    .map(|s| format!("{s:.0} s"))
                    .unwrap_or_else(|| "not within 1 h".to_owned()),
                String::new(),
                String::new(),
                "—".to_owned(),
                "",
            ),
            (
                "memory idle 10 s after the index build (the same process)".to_owned(),
                format!("{:.0} MiB", mib(self.pss_indexed)),
                format!("{:.0} MiB", mib(base.pss)),
                format!("{ratio:.2}×"),
                "≤ 1.25×".to_owned(),
                verdict(ratio <= 1.25),
            ),
        ]
    }

    /// Keystroke → results rendered in the search dialog.
    fn search_rows(&self) -> Vec<Row> {
        let ms: Vec<f64> = self.search.iter().map(|s| s.ms).collect();
        let p99 = percentile(&ms, 99.0);
        let unconfirmed = self.search.iter().filter(|s| s.unconfirmed).count();
        let mut rows = vec![(
            format!(
                "search: keystroke → results rendered, p50 / p99 ({} keystrokes{})",
                ms.len(),
                if unconfirmed > 0 {
                    format!(", {unconfirmed} unconfirmed")
                } else {
                    String::new()
                }
            ),
            format!("{:.1} / {p99:.1} ms", percentile(&ms, 50.0)),
            String::new(),
            String::new(),
            "p99 ≤ 50 ms".to_owned(),
            verdict(p99 <= 50.0),
        )];
        let answered: Vec<f64> = self
            .search
            .iter()
            .map(|s| s.answered_ms)
            .filter(|a| a.is_finite())
            .collect();
        if !answered.is_empty() {
            rows.push((
                "  … of which keystroke → the cache's answer parsed, p50 / p99".to_owned(),
                format!(
                    "{:.1} / {:.1} ms",
                    percentile(&answered, 50.0),
                    percentile(&answered, 99.0)
                ),
                String::new(),
                String::new(),
                "—".to_owned(),
                "",
            ));
        }
        if let Some(s) = slowest(&self.search) {
            rows.push((
                format!(
                    "  the slowest keystroke: {:?} ({} rows)",
                    s.typed, s.results
                ),
                format!("{:.1} ms", s.ms),
                String::new(),
                String::new(),
                "—".to_owned(),
                "",
            ));
        }
        rows
    }

    fn search_json(&self) -> Value {
        if self.search.is_empty() {
            return Value::Null;
        }
        let ms: Vec<f64> = self.search.iter().map(|s| s.ms).collect();
        json!({
            "keystrokes": ms.len(),
            "p50": percentile(&ms, 50.0),
            "p99": percentile(&ms, 99.0),
            "max": max(&ms),
            "slowest": slowest(&self.search).map(|s| json!({ "typed": s.typed, "ms": s.ms, "rows": s.results })),
            "unconfirmed": self.search.iter().filter(|s| s.unconfirmed).count(),
            "samples": self.search.iter().map(|s| json!([s.typed, s.ms, s.results, s.answered_ms.is_finite().then_some(s.answered_ms)])).collect::<Vec<_>>(),
        })
    }

    fn json(&self, base: &Baseline) -> Value {
        let start = start_ms(&self.starts);
        let empty_start = start_ms(&base.starts);
        json!({
            "conversations": self.size,
            "messages_per_conversation": self.messages,
            "seed_s": self.seed_s,
            "search_index_built_after_fill_s": self.index_s,
            "memory_pss_kib_after_index_build": (self.messages > 1).then_some(self.pss_indexed),
            "search_keystroke_to_results_ms": self.search_json(),
            "open": self.open,
            "first_sync_s": self.first_sync_s,
            "first_sync_conversations_per_s": self.size as f64 / self.first_sync_s,
            "first_queue_rows_s": self.open_rows_s,
            "cold_start_ms": { "median": start, "ratio": start / empty_start,
                "runs": self.starts.iter().map(|s| json!({"from_process_ms": s.from_process, "steps_ms": steps_json(&s.steps)})).collect::<Vec<_>>() },
            "memory_pss_kib": { "switchboard": self.pss, "ratio": self.pss as f64 / base.pss as f64,
                "ratio_without_compositing": self.pss as f64 / base.pss_plain as f64 },
            "queue_view_render_ms": self.switch_ms,
            "queue_view_frames": self.switch_frames,
            "list_window_read_ms": { "median": percentile(&self.reads, 50.0), "p99": percentile(&self.reads, 99.0) },
            "scroll_frame_ms": {
                "steady": { "median": percentile(&self.steady, 50.0), "p99": percentile(&self.steady, 99.0) },
                "fling": { "median": percentile(&self.fling, 50.0), "p99": percentile(&self.fling, 99.0), "rows_after_ms": self.rows_after_fling } },
            "event_to_notification_ms": { "median": percentile(&self.event_ms, 50.0), "p99": percentile(&self.event_ms, 99.0),
                "from_sent_p99": percentile(&self.event_sent_ms, 99.0), "samples": self.event_ms.len() },
            "breach_lateness_ms": { "median": percentile(&self.late_ms, 50.0), "max": max(&self.late_ms), "samples": self.late_ms.len() },
        })
    }
}

/// One size's figures as soon as they are taken (the whole table comes at
/// the end).
pub(crate) fn print_size(base: &Baseline, f: &SizeFigures, samples: usize, full: bool) {
    println!(
        "— {} cached{} ({} open), as measured:",
        f.size,
        f.with_messages(),
        f.open
    );
    print_rows(&f.rows(base, samples, full));
}

fn print_rows(rows: &[Row]) {
    for (what, sb, empty, ratio, target, v) in rows {
        println!("{what:<74} {sb:>22} {empty:>14} {ratio:>8}  {target:<24} {v}");
    }
}

impl Report {
    pub(crate) fn print_and_save(&self) {
        let base = &self.baseline;
        let empty_start = start_ms(&base.starts);
        let start = start_ms(&self.starts);
        println!();
        println!("Desktop benchmark (release builds; Switchboard vs an empty Tauri 2 window)");
        println!(
            "{:<74} {:>22} {:>14} {:>8}  {:<24} ",
            "", "Switchboard", "empty", "ratio", "target"
        );
        print_rows(&[
            (
                "cold start → first rendered queue, demo team (median of 5)".to_owned(),
                format!("{start:.0} ms"),
                format!("{empty_start:.0} ms"),
                format!("{:.2}×", start / empty_start),
                "≤ 1.5×".to_owned(),
                verdict(start / empty_start <= 1.5),
            ),
            (
                "idle animation-frame interval, median / p99".to_owned(),
                String::new(),
                pace(&base.frames),
                String::new(),
                "—".to_owned(),
                "",
            ),
            (
                "the plain list without GPU compositing: 48 px/frame; fling".to_owned(),
                String::new(),
                format!("{}; {}", pace(&base.plain_steady), pace(&base.plain_fling)),
                String::new(),
                "—".to_owned(),
                "",
            ),
        ]);
        for f in &self.sizes {
            println!(
                "— {} cached{} ({} open):",
                f.size,
                f.with_messages(),
                f.open
            );
            print_rows(&f.rows(base, self.samples, true));
        }
        if let [small, .., big] = &self.sizes[..] {
            println!(
                "first fill {}→{}: {:.1}× the time for {:.0}× the data ({:.0} vs {:.0} conversations/s)",
                small.size,
                big.size,
                big.first_sync_s / small.first_sync_s,
                big.size as f64 / small.size as f64,
                small.size as f64 / small.first_sync_s,
                big.size as f64 / big.first_sync_s
            );
        }
        if let Some(f) = &self.stress {
            println!("— stress: {} cached, all open:", f.size);
            print_rows(&f.rows(base, self.samples, false));
        }
        let json = json!({
            "empty_window": {
                "cold_start_ms": empty_start,
                "runs": base.starts.iter().map(|s| json!({"from_process_ms": s.from_process, "steps_ms": steps_json(&s.steps)})).collect::<Vec<_>>(),
                "memory_pss_kib": base.pss, "memory_pss_kib_without_compositing": base.pss_plain,
                "idle_frame_ms": { "median": percentile(&base.frames, 50.0), "p99": percentile(&base.frames, 99.0) },
                "plain_list": { "steady_p99": percentile(&base.steady, 99.0), "fling_p99": percentile(&base.fling, 99.0) } },
            "demo": { "cold_start_ms": start, "ratio": start / empty_start,
                "runs": self.starts.iter().map(|s| json!({"from_process_ms": s.from_process, "from_webdriver_ms": s.from_launch, "rows_before_first_poll": s.already, "steps_ms": steps_json(&s.steps)})).collect::<Vec<_>>() },
            "sizes": self.sizes.iter().map(|f| f.json(base)).collect::<Vec<_>>(),
            "stress_all_open": self.stress.as_ref().map(|f| f.json(base)),
            "measured_at": Utc::now().to_rfc3339(),
        });
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .map(|p| p.join("bench"))
            .unwrap_or_else(|| PathBuf::from("bench"));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("desktop.json");
        match std::fs::write(
            &path,
            serde_json::to_string_pretty(&json).unwrap_or_default(),
        ) {
            Ok(()) => println!("written to {}", path.display()),
            Err(e) => eprintln!("could not write {}: {e}", path.display()),
        }
    }
}

/// Start-up steps as a JSON object, ms from the process start.
pub(crate) fn steps_json(steps: &[(String, f64)]) -> Value {
    Value::Object(
        steps
            .iter()
            .map(|(name, ms)| (name.clone(), json!(ms)))
            .collect(),
    )
}
