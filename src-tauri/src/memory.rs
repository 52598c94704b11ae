//! Keeping the resident size of a long-running app down (Linux: WebKitGTK
//! and glibc).
//!
//! The app runs all day next to the agent's other tools. Bulk work — the
//! first sync, a resync, reading a long list — allocates and frees a lot,
//! and glibc keeps freed memory in its arenas (one per thread by default, up
//! to 8 × cores) rather than giving it back. So: at most two arenas, and a
//! `malloc_trim` now and then to return what is free. And fixed mmap and
//! trim thresholds of 128 KiB (glibc's starting values): left dynamic,
//! glibc raises them after the first large buffer is freed, up to 32 MiB,
//! so every later large temporary buffer (a page of events, a list read
//! from the cache) lands inside the heap and leaves holes there. Fixed,
//! those buffers are mapped and unmapped on their own. Elsewhere the
//! platform's allocator is left alone.

/// Called first thing in `run`.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before the
    // app starts its threads.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 * 1024);
    }
}

/// Gives free heap memory back to the system every `every`, on a thread of
/// its own (a trim takes about a millisecond).
pub fn trim_periodically(every: std::time::Duration) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let spawned = std::thread::Builder::new()
            .name("memory-trim".into())
            .spawn(move || loop {
                std::thread::sleep(every);
                // SAFETY: malloc_trim has no preconditions.
                unsafe {
                    libc::malloc_trim(0);
                }
            });
        if let Err(e) = spawned {
            tracing::debug!(error = %e, "memory trim thread not started");
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = every;
}

/// Has WebKitGTK draw the page without GPU compositing (Linux), unless
/// `WEBKIT_DISABLE_COMPOSITING_MODE` is set already (`0` turns compositing
/// back on). The agent UI is text, lists and a few charts: painting it
/// directly is fast enough, and it keeps the GL stack (Mesa, LLVM) and the
/// layers' tile textures out of the web process — 78 MiB of its 193 MiB
/// measured idle with 10,000 conversations cached. It also sidesteps the
/// blank or flickering windows GPU compositing gives on some drivers.
///
/// Called first thing in `run`, before any thread exists (it sets an
/// environment variable, which the web process inherits).
pub fn paint_without_compositing() {
    #[cfg(target_os = "linux")]
    if std::env::var_os(DISABLE_COMPOSITING).is_none() {
        std::env::set_var(DISABLE_COMPOSITING, "1");
    }
}

/// WebKitGTK's switch for GPU compositing: set and not `0`, it is off.
#[cfg(target_os = "linux")]
const DISABLE_COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
