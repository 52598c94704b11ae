//! The tasks a signed-in session runs beside its engine: changes and the
//! connection forwarded to the page and the tray, the first fill's
//! progress, the clock skew, the breach timer with the open conversations'
//! book, and the notifications events call for.

use super::*;

/// While the cache is being filled, changes reach the page at most this
/// often (merged): a page of the snapshot every few milliseconds would
/// otherwise have the page reread its list for each.
pub(super) const FILLING_BATCH: StdDuration = StdDuration::from_millis(300);

pub(super) async fn forward_changes<R: Runtime>(app: AppHandle<R>, active: Arc<Active>) {
    let mut rx = active.engine.subscribe();
    let progress = active.engine.watch_progress();
    loop {
        let mut changes = match rx.recv().await {
            Ok(c) => c,
            Err(broadcast::error::RecvError::Lagged(_)) => lagged(),
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if progress.borrow().stage != switchboard_sync::SyncStage::Done {
            let until = tokio::time::Instant::now() + FILLING_BATCH;
            loop {
                match tokio::time::timeout_at(until, rx.recv()).await {
                    Ok(Ok(more)) => changes.merge(more),
                    Ok(Err(broadcast::error::RecvError::Lagged(_))) => changes.merge(lagged()),
                    Ok(Err(broadcast::error::RecvError::Closed)) => return,
                    Err(_) => break,
                }
            }
        }
        if changes.agents {
            if let Ok(Some(me)) = active.engine.cache().me().await {
                show_in_tray(&active.tray, |m| m.status = Some(me.status));
            }
        }
        let _ = app.emit(events::CHANGES, changes);
        // The outbox count of the connection indicator moves with the cache.
        if let Ok(c) = connection_of(&active.engine).await {
            let _ = app.emit(events::CONNECTION, c);
        }
    }
}

/// What a listener that fell behind does: read everything again.
pub(super) fn lagged() -> switchboard_sync::Changes {
    switchboard_sync::Changes {
        reset: true,
        ..Default::default()
    }
}

pub(super) async fn forward_connection<R: Runtime>(app: AppHandle<R>, active: Arc<Active>) {
    let mut rx = active.engine.watch_state();
    loop {
        let state = *rx.borrow_and_update();
        tracing::info!(
            ?state,
            error = active.engine.last_error_code().as_deref().unwrap_or("none"),
            "connection"
        );
        show_in_tray(&active.tray, |m| m.connection = state);
        if let Ok(c) = connection_of(&active.engine).await {
            let _ = app.emit(events::CONNECTION, c);
        }
        if state == ConnectionState::Offline
            && active.engine.last_error_code().as_deref() == Some("unauthorized")
        {
            // Revoked or expired: retrying cannot help. Forget the token and
            // show the login screen (on another task: signing out stops this one).
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                tracing::info!("the server refused the saved token: signing out");
                let _ = app
                    .state::<Desktop<R>>()
                    .sign_out(SignOutCause::TokenRefused)
                    .await;
            });
            return;
        }
        if rx.changed().await.is_err() {
            return;
        }
    }
}

/// Shows how far the first fill of the cache has come, as it moves (at most
/// a few times a second: one page of the snapshot at a time).
pub(super) async fn forward_progress<R: Runtime>(app: AppHandle<R>, active: Arc<Active>) {
    let mut rx = active.engine.watch_progress();
    while rx.changed().await.is_ok() {
        if let Ok(c) = connection_of(&active.engine).await {
            let _ = app.emit(events::CONNECTION, c);
        }
    }
}

/// Forwards who looks at which conversation to the page as it changes.
pub(super) async fn forward_presence<R: Runtime>(app: AppHandle<R>, active: Arc<Active>) {
    let mut rx = active.engine.watch_presence();
    while rx.changed().await.is_ok() {
        let list = rx.borrow_and_update().clone();
        let _ = app.emit(events::PRESENCE, list);
    }
}

/// Measures the clock skew now and every `SKEW_EVERY`: `SKEW_READINGS`
/// readings of the server's clock, going by the best so far after each.
pub(super) async fn measure_skew(active: Arc<Active>) {
    loop {
        let mut readings = Vec::with_capacity(SKEW_READINGS);
        for i in 0..SKEW_READINGS {
            if i > 0 {
                tokio::time::sleep(SKEW_READING_GAP).await;
            }
            let sent = Utc::now();
            let Ok(health) = active.engine.session().client().health().await else {
                continue;
            };
            readings.push(alerts::SkewReading::new(sent, Utc::now(), health.now));
            let best = alerts::best_skew(&readings);
            if let (Some(skew), Ok(mut s)) = (best, active.skew.lock()) {
                if *s == skew {
                    continue;
                }
                *s = skew;
            }
            active.wake.notify_one();
        }
        tokio::time::sleep(SKEW_EVERY).await;
    }
}

/// How long the alert timer waits for the page's first rows before it reads
/// the open set anyway.
pub(super) const FIRST_ROWS_WAIT: StdDuration = StdDuration::from_millis(1500);

/// Fires breach notifications at the breach instant and keeps the tray's
/// queue line. It keeps the open conversations in a book
/// ([`switchboard_core::open_book`]) read once (after the page's first rows)
/// and then updated by each batch of changes, one conversation at a time:
/// a change costs what it touched, whatever the size of the cache, and a
/// breach is announced the moment it happens.
pub(super) async fn alert_timer<R: Runtime>(
    app: AppHandle<R>,
    active: Arc<Active>,
    notifier: Arc<Notifier>,
) {
    let renotify = Duration::from_std(RENOTIFY).unwrap_or_else(|_| Duration::seconds(120));
    let cache = active.engine.cache();
    // Subscribed before the read: no batch falls between the two.
    let mut changes = active.engine.subscribe();
    let _ = tokio::time::timeout(FIRST_ROWS_WAIT, active.first_rows.notified()).await;
    let mut loaded = false;
    let mut shown: Option<Counts> = None;
    let mut pending = switchboard_sync::Changes::default();
    loop {
        if !loaded {
            match open_book::load(cache, renotify).await {
                Ok(Some(book)) => {
                    set_book(&active, Some(book));
                    active.book_loaded.send_replace(true);
                    loaded = true;
                    pending = switchboard_sync::Changes::default();
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "could not read the open conversations"),
            }
        } else if !pending.is_empty() {
            let batch = std::mem::take(&mut pending);
            match open_book::read(cache, &batch).await {
                Ok(update) => {
                    if let Some(book) = active.book.lock().ok().as_mut().and_then(|b| b.as_mut()) {
                        update.apply(book);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not read a change; reading everything again");
                    loaded = false;
                }
            }
        }
        let now = active.server_now();
        let (due, counts) = match active.book.lock().ok().as_mut().and_then(|b| b.as_mut()) {
            Some(book) => (Some(book.tick(now)), Some(book.counts(now))),
            None => (None, None),
        };
        if let Some(due) = &due {
            for news in news::for_due(cache, due, &active.me_id, now).await {
                notifier.show(&app, news);
            }
        }
        if let Some(c) = counts {
            let c = open_book::counts(c);
            show_in_tray(&active.tray, |m| m.set_counts(&c));
            // The page's badges: sent when they move, so a page that asked
            // while the book was still taking a change in ends up right.
            if shown != Some(c) {
                let _ = app.emit(events::COUNTS, c);
                shown = Some(c);
            }
        }
        // Sleep until the next breach or reminder (local clock), or until the
        // cache changes; at most a minute so the tray's oldest wait moves.
        let until_next = due
            .and_then(|d| d.next_check)
            .map(|at| (at - active.server_now()).to_std().unwrap_or_default())
            .unwrap_or(StdDuration::from_secs(60))
            .min(StdDuration::from_secs(60));
        tokio::select! {
            _ = tokio::time::sleep(until_next) => {}
            _ = active.wake.notified() => {}
            got = changes.recv() => match got {
                Ok(c) => pending.merge(c),
                Err(broadcast::error::RecvError::Lagged(_)) => pending.reset = true,
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
        // Take whatever else is waiting: one pass for all of it.
        loop {
            match changes.try_recv() {
                Ok(c) => pending.merge(c),
                Err(broadcast::error::TryRecvError::Lagged(_)) => pending.reset = true,
                Err(_) => break,
            }
        }
    }
}

pub(super) fn set_book(active: &Active, book: Option<OpenBook>) {
    if let Ok(mut slot) = active.book.lock() {
        *slot = book;
    }
}

/// Raises what each batch of events calls for.
pub(super) async fn watch_events<R: Runtime>(
    app: AppHandle<R>,
    active: Arc<Active>,
    notifier: Arc<Notifier>,
) {
    let mut rx = active.engine.subscribe_events();
    loop {
        let batch = match rx.recv().await {
            Ok(b) => b,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let now = active.server_now();
        let cache = active.engine.cache();
        for news in news::for_batch(cache, &batch, &active.me_id, now, window::in_front()).await {
            notifier.show(&app, news);
        }
    }
}
