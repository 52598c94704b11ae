//! Figures taken inside the page: lists, frames, scrolling.

use super::*;

/// Waits until the queue says it holds at least `n` conversations (at most
/// 10 minutes: then the bench stops here).
pub(crate) async fn wait_queue_count(b: &Browser, n: usize) {
    if let Err(count) = queue_count_within(b, n, Duration::from_secs(600)).await {
        panic!("the queue never reached {n} (at {count})");
    }
}

/// Waits up to `within` until the queue's badge says at least `n`; the
/// last count seen when it does not.
pub(crate) async fn queue_count_within(
    b: &Browser,
    n: usize,
    within: Duration,
) -> Result<(), usize> {
    let deadline = Instant::now() + within;
    loop {
        let text = b
            .execute(
                "const e = document.querySelector('[data-testid=queue-count]'); return e ? e.textContent : null;",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let count: usize = text
            .chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap_or(0);
        if count >= n {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(count);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits until the cache is filled: online, with no fill progress shown.
pub(crate) async fn wait_filled(b: &Browser) {
    let deadline = Instant::now() + Duration::from_secs(1800);
    loop {
        let done = b
            .execute(
                "const c = document.querySelector('[data-testid=connection-state]'); \
                 return !!c && c.dataset.state === 'online' && !document.querySelector('[data-testid=sync-progress]');",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        if done {
            return;
        }
        assert!(Instant::now() < deadline, "the cache was never filled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// From an empty view, click the queue: ms to the first frame with rows.
/// Five times; the samples.
pub(crate) async fn view_switch(b: &Browser) -> (Vec<f64>, Vec<f64>) {
    // Calls back with [ms from the click to the frame after the one that
    // first has rows, animation frames from the click to that first one].
    // Frame 1 means the rows were ready for the first frame after the click:
    // the switch took at most one frame. The ms carry the wait for the next
    // frame and one more frame (a floor of about 17–33 ms at 60 Hz).
    let script = r#"
        const done = arguments[arguments.length - 1];
        const q = (s) => document.querySelector(s);
        const until = (cond, then) => {
            const t0 = performance.now();
            let frames = 0;
            const tick = () => cond() ? then(frames) : (performance.now() - t0 > 30000 ? done(null) : (frames++, requestAnimationFrame(tick)));
            tick();
        };
        q('[data-testid=nav-mine]').click();
        until(() => !q('[data-testid=conversation-row]'), () => {
            setTimeout(() => {
                const t0 = performance.now();
                q('[data-testid=nav-queue]').click();
                until(() => q('[data-testid=conversation-row]'),
                      (frames) => requestAnimationFrame(() => done([performance.now() - t0, frames])));
            }, 300);
        });
    "#;
    let mut ms = Vec::new();
    let mut frames = Vec::new();
    for _ in 0..5 {
        match b.execute_async(script, vec![]).await {
            Ok(v) => match v.as_array().map(|a| {
                (
                    a.first().and_then(Value::as_f64),
                    a.get(1).and_then(Value::as_f64),
                )
            }) {
                Some((Some(t), Some(f))) => {
                    ms.push(t);
                    frames.push(f);
                }
                _ => eprintln!("  view switch: {v:?}"),
            },
            Err(e) => eprintln!("  view switch: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    (ms, frames)
}

/// In-page round trips of the `list_window` command the list reads its
/// blocks with (160 rows of the queue from `offset`), ms.
pub(crate) async fn list_reads(b: &Browser, total: usize) -> Vec<f64> {
    let script = r#"
        const [total] = arguments;
        const done = arguments[arguments.length - 1];
        const invoke = window.__TAURI_INTERNALS__.invoke;
        (async () => {
            const out = [];
            for (let i = 0; i < 20; i++) {
                const offset = Math.floor((i / 20) * Math.max(0, total - 160));
                const t0 = performance.now();
                const w = await invoke('list_window', { view: 'queue', offset, limit: 160, find: null });
                if (!w || w.rows.length === 0) return done(null);
                out.push(performance.now() - t0);
            }
            done(out);
        })().catch(() => done(null));
    "#;
    frame_intervals(b, script, vec![json!(total)], "list reads").await
}

/// Runs an in-page script that calls back with a list of frame intervals.
pub(crate) async fn frame_intervals(
    b: &Browser,
    script: &str,
    args: Vec<Value>,
    what: &str,
) -> Vec<f64> {
    match b.execute_async(script, args).await {
        Ok(v) => v
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default(),
        Err(e) => {
            eprintln!("  {what}: {e}");
            Vec::new()
        }
    }
}

/// Animation-frame intervals of a page doing nothing, ms (`frames` of them).
pub(crate) async fn idle_frames(b: &Browser, frames: usize) -> Vec<f64> {
    let script = r#"
        const [frames] = arguments;
        const done = arguments[arguments.length - 1];
        const out = [];
        let last = null;
        const frame = (ts) => {
            if (last !== null) out.push(ts - last);
            last = ts;
            if (out.length >= frames) return done(out);
            requestAnimationFrame(frame);
        };
        setTimeout(() => requestAnimationFrame(frame), 200);
    "#;
    frame_intervals(b, script, vec![json!(frames)], "idle frames").await
}

/// The in-page scroll loop shared by the queue and the plain list: scrolls
/// `el` every animation frame by `step` px, or (null) through the whole of
/// it in `frames` frames, and calls back with the frame intervals.
pub(crate) const SCROLL_LOOP: &str = r#"
        el.scrollTop = 0;
        const by = step ?? Math.max(1, (el.scrollHeight - el.clientHeight) / frames);
        const out = [];
        let last = null, n = 0;
        const frame = (ts) => {
            if (last !== null) out.push(ts - last);
            last = ts;
            if (n++ >= frames) return done(out);
            el.scrollTop = n * by;
            requestAnimationFrame(frame);
        };
        setTimeout(() => requestAnimationFrame(frame), 200);
"#;

/// Builds a plain list of 300 rows (72 px, three lines of text each) in
/// the page and scrolls it as [`scroll`] scrolls the queue. Frame intervals, ms.
pub(crate) async fn static_list_scroll(b: &Browser, step: Option<f64>, frames: usize) -> Vec<f64> {
    let build = r#"
        const [step, frames] = arguments;
        const done = arguments[arguments.length - 1];
        let el = document.getElementById('bench-static-list');
        if (!el) {
            el = document.createElement('div');
            el.id = 'bench-static-list';
            Object.assign(el.style, { position: 'fixed', inset: '0', overflowY: 'auto',
                background: '#fff', fontFamily: 'system-ui, sans-serif', fontSize: '14px' });
            for (let i = 0; i < 300; i++) {
                const row = document.createElement('div');
                Object.assign(row.style, { height: '72px', boxSizing: 'border-box', padding: '6px 12px',
                    borderBottom: '1px solid #ddd', overflow: 'hidden', whiteSpace: 'nowrap' });
                for (const text of [`Customer ${i}`, `Subject line ${i} — a preview of the first message`, 'Chat · Billing']) {
                    const line = document.createElement('div');
                    line.textContent = text;
                    row.appendChild(line);
                }
                el.appendChild(row);
            }
            document.body.appendChild(el);
        }
    "#;
    let script = format!("{build}{SCROLL_LOOP}");
    frame_intervals(
        b,
        &script,
        vec![json!(step), json!(frames)],
        "plain list scroll in the empty window",
    )
    .await
}

/// Flings the queue through the whole list in `frames` frames (as
/// [`scroll`] with no step), then waits, one animation frame at a time, for
/// the rows at the end (the list draws placeholders while flung). The frame
/// intervals, and the ms from the last scroll to the frame with those rows.
pub(crate) async fn fling_then_rows(b: &Browser, frames: usize) -> (Vec<f64>, Option<f64>) {
    let script = r#"
        const [frames] = arguments;
        const done = arguments[arguments.length - 1];
        const el = document.querySelector('[data-testid=conversation-list]');
        el.scrollTop = 0;
        const by = Math.max(1, (el.scrollHeight - el.clientHeight) / frames);
        const out = [];
        let last = null, n = 0, stopped = 0;
        const rows = () => el.querySelector('[data-testid=conversation-row]') !== null
            && el.querySelector('[data-testid=conversation-row-loading]') === null;
        const settle = () => {
            if (rows()) return done({ frames: out, rows_ms: performance.now() - stopped });
            if (performance.now() - stopped > 5000) return done({ frames: out, rows_ms: null });
            requestAnimationFrame(settle);
        };
        const frame = (ts) => {
            if (last !== null) out.push(ts - last);
            last = ts;
            if (n++ >= frames) {
                stopped = performance.now();
                return requestAnimationFrame(settle);
            }
            el.scrollTop = n * by;
            requestAnimationFrame(frame);
        };
        setTimeout(() => requestAnimationFrame(frame), 200);
    "#;
    match b.execute_async(script, vec![json!(frames)]).await {
        Ok(v) => (
            v["frames"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_f64).collect())
                .unwrap_or_default(),
            v["rows_ms"].as_f64(),
        ),
        Err(e) => {
            eprintln!("  queue fling: {e}");
            (Vec::new(), None)
        }
    }
}

/// Scrolls the list every animation frame: by `step` px, or (None) through
/// the whole list in `frames` frames. The frame intervals, ms.
pub(crate) async fn scroll(b: &Browser, step: Option<f64>, frames: usize) -> Vec<f64> {
    let find = r#"
        const [step, frames] = arguments;
        const done = arguments[arguments.length - 1];
        const el = document.querySelector('[data-testid=conversation-list]');
    "#;
    let script = format!("{find}{SCROLL_LOOP}");
    frame_intervals(b, &script, vec![json!(step), json!(frames)], "queue scroll").await
}

// ---------------------------------------------------------------------------
// Notifications on the session bus.
