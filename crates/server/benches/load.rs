//! Load benchmark of the Switchboard server (`cargo xtask bench`, which runs
//! `cargo bench -p switchboard-server --bench load`).
//!
//! It starts the real `switchboard-server` binary (release profile, built by
//! cargo for this bench) as a subprocess on `127.0.0.1:0`, on a fresh SQLite
//! file in a temporary directory (a new server and database for every
//! measurement, so runs do not disturb each other), and drives it over HTTP
//! with the typed client of `switchboard-api`, from this process:
//!
//! 1. **Ingest**: `POST /api/v1/conversations` as admin into a manual-routing
//!    category, 64 requests in flight, 20,000 conversations; conversations/s,
//!    median of 3 runs. Target ≥ 5,000/s.
//! 2. **Claims** with 200 agents (created through the admin API, all skilled
//!    in the category, available, wait threshold 86,400 s so the overdue-first
//!    rule never refuses): every agent claims the oldest conversation it
//!    believes queued. Three shapes of load: `race` (rounds in which all 200
//!    fire at one conversation at the same instant: exactly one may win),
//!    `saturated` (closed loop, 200 claims always in flight, no think time) and
//!    `paced` (each agent claims after a random think time, mean 200 ms: about
//!    1,000 claims/s offered). Wins (200) and refusals (409) both count as
//!    claim latency. Target p99 ≤ 10 ms.
//! 3. **Events**: 500 SSE followers of `GET /api/v1/events` (5 admin tokens),
//!    200 conversations created at 20/s; delivery latency from the moment each
//!    write request is sent to the moment each follower has the parsed
//!    `conversation.created` event: 500 × 200 samples. Target p99 ≤ 50 ms.
//!
//! With `SWITCHBOARD_BENCH_BACKEND=postgres` (or `all`), the same three
//! figures on PostgreSQL (the throwaway server of
//! `switchboard_testkit::postgres`, fresh database per measurement), each with
//! ONE and with TWO `serve` instances on that database: ingest spread evenly
//! over the instances; claims with 500 agents (created through the API,
//! agent i logged in on instance i mod n), `race` and `paced` (think time
//! scaled to keep ~1,000 claims/s offered); events with the followers on
//! instance A and the writes through instance B (cross-instance delivery by
//! LISTEN/NOTIFY). Targets (issue 5): two instances ingest ≥ 1.6× one,
//! claim p99 ≤ 20 ms, cross-instance event p99 ≤ 50 ms. The final table puts
//! every backend side by side. Note the harness runs PostgreSQL with
//! fsync=off, synchronous_commit=off, full_page_writes=off.
//!
//! 4. **Search** (`load/search.rs`): `GET /api/v1/search` with 50 agents
//!    searching at once over a generated inbox (10,000 conversations × 5
//!    messages, Japanese and Russian among them), a mix of rare and common
//!    queries; latency p50/p99. Target p99 ≤ 100 ms. SQLite and PostgreSQL
//!    (one instance).
//!
//! Every loop has a fixed count and a timeout. Misses are reported, not
//! failed: the process exits 0 unless something went wrong.
//!
//! Knobs (environment):
//! - `SWITCHBOARD_BENCH_SCALE` (default 1): multiplies the operation counts
//!   (not the 200 agents nor the 500 followers), e.g. `0.1` for a quick check.
//! - `SWITCHBOARD_BENCH_ONLY`: comma-separated phases to run
//!   (`ingest,store,limit,claims,events`; default all). `limit` is the
//!   baseline ingest is reported against: the same rows (conversation,
//!   first message, its two events, the event counter) inserted straight
//!   into a fresh database file by this one process through rusqlite, over
//!   the same SQLite build (`libsqlite3-sys` is linked once), prepared
//!   statements, 1,000 conversations per transaction, WAL and
//!   `synchronous = NORMAL` as the store runs it. `store` is a diagnostic:
//!   the same inserts as `ingest`, straight on `Store::write` in this
//!   process, without HTTP — the writer's own ceiling.
//! - `SWITCHBOARD_BENCH_BACKEND`: `sqlite` (default), `postgres` (one and
//!   two instances) or `all`. `store` runs on SQLite only.
//!
//! Each phase also prints the CPU used by the server, by this client and by
//! every other process on the machine (from `/proc`), so a disturbed figure
//! shows as such. For diagnosis: `SWITCHBOARD_BENCH_ONLY=store` measures the
//! writer alone; running the built bench binary under `taskset -c 1 … --bench`
//! (the server inherits the mask) shows what cross-CPU thread hand-offs cost.
//!
//! Without `--bench` on the command line (i.e. `cargo test --all-targets`),
//! it prints a note and exits 0 without running anything.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use futures_util::{stream, StreamExt, TryStreamExt};
use switchboard_api::{
    AgentStatus, Client, ClientError, Customer, NewAgent, NewCategory, NewConversation,
    RoutingMode, Session,
};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::time::timeout;

use switchboard_testkit::postgres;

#[path = "load/search.rs"]
mod search;

const ADMIN_EMAIL: &str = "admin@bench.switchboard";
const PASSWORD: &str = "bench-password-1";
const CATEGORY: &str = "bench";
const SERVER_BIN: &str = env!("CARGO_BIN_EXE_switchboard-server");

// ---------------------------------------------------------------- parameters

#[derive(Debug, Clone)]
struct Params {
    scale: f64,
    ingest_n: usize,
    ingest_conc: usize,
    ingest_runs: usize,
    agents: usize,
    race_rounds: usize,
    saturated_per_agent: usize,
    paced_per_agent: usize,
    paced_mean_ms: f64,
    sse_clients: usize,
    sse_tokens: usize,
    sse_writes: usize,
    sse_rate: f64,
    /// Agents of the PostgreSQL claim phase (spread over the instances).
    pg_agents: usize,
    phases: Vec<String>,
    backends: Vec<Backend>,
}

impl Params {
    fn from_env() -> Result<Self> {
        let scale = match std::env::var("SWITCHBOARD_BENCH_SCALE") {
            Ok(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| *v > 0.0 && *v <= 100.0)
                .ok_or_else(|| anyhow!("SWITCHBOARD_BENCH_SCALE must be a number in (0, 100]"))?,
            Err(_) => 1.0,
        };
        let n = |base: f64, min: usize| ((base * scale).round() as usize).max(min);
        let phases = std::env::var("SWITCHBOARD_BENCH_ONLY")
            .unwrap_or_else(|_| "ingest,store,limit,claims,events,search".into())
            .split(',')
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>();
        for p in &phases {
            if !["ingest", "store", "limit", "claims", "events", "search"].contains(&p.as_str()) {
                bail!(
                    "SWITCHBOARD_BENCH_ONLY: unknown phase `{p}` (ingest, store, limit, claims, events, search)"
                );
            }
        }
        let backends = match std::env::var("SWITCHBOARD_BENCH_BACKEND")
            .unwrap_or_else(|_| "sqlite".into())
            .trim()
            .to_lowercase()
            .as_str()
        {
            "sqlite" => vec![Backend::Sqlite],
            "postgres" => vec![Backend::Postgres(1), Backend::Postgres(2)],
            "all" => vec![Backend::Sqlite, Backend::Postgres(1), Backend::Postgres(2)],
            other => bail!("SWITCHBOARD_BENCH_BACKEND: unknown `{other}` (sqlite, postgres, all)"),
        };
        Ok(Self {
            scale,
            ingest_n: n(20_000.0, 200),
            ingest_conc: 64,
            ingest_runs: 3,
            agents: 200,
            race_rounds: n(100.0, 5),
            saturated_per_agent: n(50.0, 3),
            paced_per_agent: n(25.0, 2),
            paced_mean_ms: 200.0,
            sse_clients: 500,
            sse_tokens: 5,
            sse_writes: n(200.0, 10),
            sse_rate: 20.0,
            pg_agents: 500,
            phases,
            backends,
        })
    }

    fn runs(&self, phase: &str) -> bool {
        self.phases.iter().any(|p| p == phase)
    }
}

/// The headline figures of one backend, for the summary table.
#[derive(Debug, Default, Clone, Copy)]
struct Figures {
    /// Conversations/s (median of the runs).
    ingest: Option<f64>,
    /// Claim latency p50, p99 (µs) of `race` and of `paced`.
    race: Option<(u64, u64)>,
    paced: Option<(u64, u64)>,
    /// Delivery latency p50, p99 (µs), missing samples.
    events: Option<(u64, u64, usize)>,
    /// Search latency p50, p99 (µs) with 50 agents at once.
    search: Option<(u64, u64)>,
}

// ---------------------------------------------------------------- time, stats

fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

/// Nanoseconds since the bench started (monotonic, comparable across tasks).
fn now_ns() -> u64 {
    base().elapsed().as_nanos() as u64
}

fn us_since(t: Instant) -> u64 {
    t.elapsed().as_micros() as u64
}

/// Nearest-rank percentile of sorted values.
fn pct<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn ms(us: u64) -> String {
    format!("{:.2} ms", us as f64 / 1000.0)
}

fn ms_signed(us: i64) -> String {
    format!("{:.2} ms", us as f64 / 1000.0)
}

/// `p50 … p90 … p99 … max` of microsecond samples (sorts them).
fn dist(v: &mut [u64]) -> String {
    v.sort_unstable();
    match (pct(v, 50.0), pct(v, 90.0), pct(v, 99.0), v.last()) {
        (Some(a), Some(b), Some(c), Some(d)) => format!(
            "p50 {}, p90 {}, p99 {}, max {} (n = {})",
            ms(a),
            ms(b),
            ms(c),
            ms(*d),
            v.len()
        ),
        _ => "no samples".into(),
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "MISS"
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// A tiny xorshift for think times (no dependency, reproducible per agent).
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Exponentially distributed, with this mean.
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.next_f64()).ln()
    }
}

// ---------------------------------------------------------------- CPU accounting (Linux /proc)

#[derive(Clone, Copy)]
struct CpuSnap {
    at: Instant,
    busy: u64,
    server: u64,
    me: u64,
    /// The bench's own PostgreSQL (postmaster and its backends), if running.
    db: Option<u64>,
}

fn ticks_per_sec() -> f64 {
    #[cfg(unix)]
    {
        // SAFETY: sysconf has no preconditions.
        let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        if t > 0 {
            return t as f64;
        }
    }
    100.0
}

fn total_busy_ticks() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/stat").ok()?;
    let line = s.lines().next()?;
    let f: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal
    if f.len() < 8 {
        return None;
    }
    Some(f[0] + f[1] + f[2] + f[5] + f[6] + f[7])
}

/// (parent pid, user + system ticks) of a process.
fn pid_stat(pid: &str) -> Option<(u32, u64)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state(3) ppid(4) … utime(14) stime(15).
    Some((
        f.get(1)?.parse().ok()?,
        f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?,
    ))
}

fn pid_ticks(pid: &str) -> Option<u64> {
    pid_stat(pid).map(|(_, t)| t)
}

/// CPU ticks of the PostgreSQL this bench started (its postmaster, found by
/// the harness's data directory name, plus the postmaster's children).
/// Backends that exited between two snapshots are not counted.
fn pg_ticks() -> Option<u64> {
    let marker = format!("switchboard-pg-{}-", std::process::id());
    let procs: Vec<(u32, u32, u64)> = std::fs::read_dir("/proc")
        .ok()?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let (ppid, t) = pid_stat(&pid.to_string())?;
            Some((pid, ppid, t))
        })
        .collect();
    let master = procs.iter().find(|(pid, _, _)| {
        std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|c| String::from_utf8_lossy(&c).contains(&marker))
            .unwrap_or(false)
    })?;
    Some(
        procs
            .iter()
            .filter(|(pid, ppid, _)| *pid == master.0 || *ppid == master.0)
            .map(|(_, _, t)| t)
            .sum(),
    )
}

fn cpu_snap(server_pids: &[u32]) -> Option<CpuSnap> {
    let mut server = 0;
    for pid in server_pids {
        server += pid_ticks(&pid.to_string())?;
    }
    Some(CpuSnap {
        at: Instant::now(),
        busy: total_busy_ticks()?,
        server,
        me: pid_ticks("self")?,
        db: pg_ticks(),
    })
}

/// CPU use between two snapshots, in cores (CPU-seconds per second).
fn cpu_line(a: Option<CpuSnap>, b: Option<CpuSnap>) -> String {
    let (Some(a), Some(b)) = (a, b) else {
        return "CPU use: n/a (no /proc)".into();
    };
    let wall = b.at.duration_since(a.at).as_secs_f64().max(1e-3);
    let hz = ticks_per_sec();
    let c = |t: u64| t as f64 / hz / wall;
    let server = c(b.server.saturating_sub(a.server));
    let me = c(b.me.saturating_sub(a.me));
    let all = c(b.busy.saturating_sub(a.busy));
    let db = match (a.db, b.db) {
        (Some(x), Some(y)) => Some(c(y.saturating_sub(x))),
        _ => None,
    };
    let others = (all - server - me - db.unwrap_or(0.0)).max(0.0);
    let db = db
        .map(|d| format!(", PostgreSQL {d:.2}"))
        .unwrap_or_default();
    format!(
        "CPU use (cores, of {}): server {server:.2}{db}, bench client {me:.2}, other processes {others:.2}",
        nproc()
    )
}

fn nproc() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "n/a".into())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// Raises the soft open-files limit to the hard one (500 SSE streams plus
/// 200 agents need well over a thousand descriptors on both ends).
fn raise_nofile() -> String {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: a valid pointer to an rlimit struct.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0 {
            let before = lim.rlim_cur;
            if lim.rlim_cur < lim.rlim_max {
                lim.rlim_cur = lim.rlim_max;
                // SAFETY: as above.
                unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
            }
            // SAFETY: as above.
            unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
            return format!("open-files limit {} (was {before})", lim.rlim_cur);
        }
    }
    "open-files limit unknown".into()
}

// ---------------------------------------------------------------- the server subprocess

/// Which store the servers of a measurement run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    /// One server on a fresh SQLite file.
    Sqlite,
    /// This many instances on one fresh PostgreSQL database.
    Postgres(usize),
}

impl Backend {
    fn name(self) -> String {
        match self {
            Backend::Sqlite => "SQLite".into(),
            Backend::Postgres(1) => "PostgreSQL, 1 instance".into(),
            Backend::Postgres(n) => format!("PostgreSQL, {n} instances"),
        }
    }

    /// Prefix of its summary lines.
    fn tag(self) -> String {
        match self {
            Backend::Sqlite => String::new(),
            Backend::Postgres(n) => format!("pg×{n} "),
        }
    }
}

/// One `switchboard-server serve` subprocess.
struct Proc {
    child: Child,
    pid: u32,
    url: String,
}

impl Proc {
    async fn spawn(db_url: &str, label: &str) -> Result<Self> {
        let mut child = Command::new(SERVER_BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--database-url", db_url])
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {SERVER_BIN}"))?;
        let pid = child.id().ok_or_else(|| anyhow!("server exited at once"))?;
        let stdout = child.stdout.take().expect("piped");
        let mut lines = BufReader::new(stdout).lines();
        let found = timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(i) = line.find("listening on http://") {
                    return Ok::<_, anyhow::Error>(
                        line[i + "listening on ".len()..].trim().to_owned(),
                    );
                }
                eprintln!("[server] {line}");
            }
            bail!("the server exited before listening")
        })
        .await
        .context("the server did not start listening within 30 s")??;
        // Keep draining its output so it never blocks on a full pipe.
        let tag = label.to_owned();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                eprintln!("[server {tag}] {line}");
            }
        });
        Ok(Self {
            child,
            pid,
            url: found,
        })
    }

    async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = timeout(Duration::from_secs(10), self.child.wait()).await;
    }
}

async fn create_admin(db_url: &str) -> Result<()> {
    let out = timeout(
        Duration::from_secs(60),
        Command::new(SERVER_BIN)
            .args([
                "create-admin",
                "--email",
                ADMIN_EMAIL,
                "--name",
                "Bench admin",
            ])
            .args(["--database-url", db_url])
            .env("SWITCHBOARD_ADMIN_PASSWORD", PASSWORD)
            .env("RUST_LOG", "warn")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .context("create-admin timed out")??;
    if !out.status.success() {
        bail!(
            "create-admin failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// The servers of one measurement: a fresh database with one admin, and one
/// (SQLite) or several (PostgreSQL) instances serving it.
struct Srv {
    procs: Vec<Proc>,
    /// The SQLite file, if SQLite.
    db: Option<PathBuf>,
    _dir: Option<tempfile::TempDir>,
}

impl Srv {
    async fn start(backend: Backend, label: &str) -> Result<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::Builder::new()
                    .prefix("switchboard-bench-")
                    .tempdir()
                    .context("creating a temp dir")?;
                let db = dir.path().join("bench.db");
                let url = format!("sqlite://{}", db.display());
                create_admin(&url).await?;
                Ok(Self {
                    procs: vec![Proc::spawn(&url, label).await?],
                    db: Some(db),
                    _dir: Some(dir),
                })
            }
            Backend::Postgres(n) => {
                let url = timeout(
                    Duration::from_secs(120),
                    postgres::server().fresh_database(),
                )
                .await
                .context("creating a PostgreSQL database timed out")?;
                create_admin(&url).await?;
                let mut procs = Vec::with_capacity(n);
                for i in 0..n {
                    procs.push(Proc::spawn(&url, &format!("{label}#{i}")).await?);
                }
                Ok(Self {
                    procs,
                    db: None,
                    _dir: None,
                })
            }
        }
    }

    /// The first instance's URL.
    fn url(&self) -> &str {
        &self.procs[0].url
    }

    fn urls(&self) -> Vec<String> {
        self.procs.iter().map(|p| p.url.clone()).collect()
    }

    fn pids(&self) -> Vec<u32> {
        self.procs.iter().map(|p| p.pid).collect()
    }

    async fn stop(self) {
        for p in self.procs {
            p.stop().await;
        }
    }

    /// The SQLite journal mode as the file says (WAL persists in the file).
    async fn journal_mode(&self) -> String {
        use sqlx::ConnectOptions;
        let Some(db) = &self.db else {
            return "n/a (not SQLite)".into();
        };
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(db)
            .read_only(true);
        let got = async {
            let mut c = opts.connect().await?;
            let m: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut c)
                .await?;
            Ok::<_, sqlx::Error>(m)
        }
        .await;
        got.unwrap_or_else(|e| format!("unknown ({e})"))
    }
}

fn http_client(total_timeout: Option<Duration>) -> Result<reqwest::Client> {
    let mut b = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .tcp_nodelay(true)
        .pool_idle_timeout(Duration::from_secs(300));
    if let Some(t) = total_timeout {
        b = b.timeout(t);
    }
    Ok(b.build()?)
}

/// The admin's session, and the manual-routing bench category.
async fn admin_setup(srv: &Srv, http: reqwest::Client) -> Result<Session> {
    let client = Client::with_http(http, srv.url())?;
    let admin = client.login(ADMIN_EMAIL, PASSWORD).await?;
    admin
        .create_category(&NewCategory {
            name: "Bench".into(),
            id: Some(CATEGORY.into()),
            routing: Some(RoutingMode::Manual),
            wait_threshold_secs: Some(86_400),
            keywords: vec![],
        })
        .await?;
    Ok(admin)
}

/// The admin's session on every instance (the given one on the first), each
/// checked able to create a conversation in the bench category (the category
/// was created through the first instance). Returns the sessions and how
/// many conversations the check created.
async fn admin_everywhere(
    srv: &Srv,
    http: reqwest::Client,
    first: Session,
) -> Result<(Vec<Session>, usize)> {
    let mut all = vec![first];
    for url in srv.urls().iter().skip(1) {
        all.push(
            Client::with_http(http.clone(), url)?
                .login(ADMIN_EMAIL, PASSWORD)
                .await?,
        );
    }
    let mut created = 0;
    if all.len() > 1 {
        for (k, s) in all.iter().enumerate() {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                match s.create_conversation(&conversation("check", k)).await {
                    Ok(_) => break,
                    Err(e) if Instant::now() < deadline => {
                        eprintln!("instance {k} not ready for the bench category yet: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Err(e) => return Err(e).context("instance never accepted the bench category"),
                }
            }
            created += 1;
        }
    }
    Ok((all, created))
}

fn conversation(tag: &str, i: usize) -> NewConversation {
    NewConversation {
        customer: Customer {
            name: Some(format!("Customer {i}")),
            email: Some(format!("customer{i}@example.com")),
            phone: None,
        },
        subject: format!("{tag}-{i}"),
        body: format!(
            "Hello, this is message {i}. My order has not arrived yet and the tracking page \
             shows no update since Monday. Could you check what happened and tell me when \
             it will be delivered? Thanks a lot."
        ),
        category_id: Some(CATEGORY.into()),
    }
}

/// Creates `n` conversations with `conc` in flight; returns per-request
/// latencies (µs) and the created ids with their creation time.
async fn create_many(
    admins: &[Session],
    tag: &'static str,
    n: usize,
    conc: usize,
) -> Result<(Vec<u64>, Vec<(chrono::DateTime<chrono::Utc>, String)>)> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(conc);
    for k in 0..conc {
        let (admin, next) = (admins[k % admins.len()].clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut ids = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let t = Instant::now();
                let c = admin.create_conversation(&conversation(tag, i)).await?;
                lat.push(us_since(t));
                ids.push((c.summary.created_at, c.summary.id));
            }
            Ok::<_, ClientError>((lat, ids))
        }));
    }
    let mut lat = Vec::with_capacity(n);
    let mut ids = Vec::with_capacity(n);
    for t in tasks {
        let (l, i) = t.await??;
        lat.extend(l);
        ids.extend(i);
    }
    Ok((lat, ids))
}

// ---------------------------------------------------------------- 1. ingest

struct IngestRun {
    rate: f64,
    lat: Vec<u64>,
    cpu: String,
}

async fn ingest_once(p: &Params, backend: Backend, run: usize) -> Result<IngestRun> {
    let srv = Srv::start(backend, &format!("ingest-{run}")).await?;
    let http = http_client(Some(Duration::from_secs(60)))?;
    let admin = admin_setup(&srv, http.clone()).await?;
    let (admins, checked) = admin_everywhere(&srv, http, admin).await?;
    // Warm-up: open the connections, fill caches; not counted.
    let warm = p.ingest_conc * 4;
    create_many(&admins, "warm", warm, p.ingest_conc).await?;
    let pids = srv.pids();
    let c0 = cpu_snap(&pids);
    let t0 = Instant::now();
    let (lat, _) = timeout(
        Duration::from_secs(600),
        create_many(&admins, "ingest", p.ingest_n, p.ingest_conc),
    )
    .await
    .context("ingest run timed out after 600 s")??;
    let secs = t0.elapsed().as_secs_f64();
    let c1 = cpu_snap(&pids);
    let m = admins[0].metrics(None, None).await?;
    let expected = (checked + warm + p.ingest_n) as u64;
    if m.queue.waiting != expected {
        bail!(
            "ingest: the queue holds {} conversations, expected {expected}",
            m.queue.waiting
        );
    }
    srv.stop().await;
    Ok(IngestRun {
        rate: p.ingest_n as f64 / secs,
        lat,
        cpu: cpu_line(c0, c1),
    })
}

async fn phase_ingest(
    p: &Params,
    backend: Backend,
    summary: &mut Vec<String>,
    fig: &mut Figures,
) -> Result<()> {
    let spread = match backend {
        Backend::Postgres(n) if n > 1 => format!(", spread evenly over the {n} instances"),
        _ => String::new(),
    };
    println!(
        "\n== 1. ingest [{}]: POST /api/v1/conversations as admin, {} conversations, {} in flight{spread}, manual category, {} runs (fresh server + DB each)",
        backend.name(),
        p.ingest_n,
        p.ingest_conc,
        p.ingest_runs
    );
    let mut rates = Vec::new();
    let mut all_lat = Vec::new();
    for run in 1..=p.ingest_runs {
        let la = loadavg();
        let mut r = ingest_once(p, backend, run).await?;
        println!(
            "run {run}: {:.0} conversations/s; request latency {}",
            r.rate,
            dist(&mut r.lat)
        );
        println!("       {}; load average before: {la}", r.cpu);
        rates.push(r.rate);
        all_lat.extend(r.lat);
    }
    let runs = rates
        .iter()
        .map(|r| format!("{r:.0}"))
        .collect::<Vec<_>>()
        .join(", ");
    let med = median(&mut rates);
    fig.ingest = Some(med);
    let target = match backend {
        Backend::Sqlite => format!(" — target ≥ 5000/s: {}", verdict(med >= 5000.0)),
        // The PostgreSQL target is a ratio (two instances against one); the
        // summary table gives it.
        Backend::Postgres(_) => String::new(),
    };
    let line = format!(
        "{}ingest: {med:.0} conversations/s (median of {}; runs {runs}){target}",
        backend.tag(),
        rates.len(),
    );
    println!("{line}");
    summary.push(line);
    summary.push(format!(
        "        request latency at {} in flight: {}",
        p.ingest_conc,
        dist(&mut all_lat)
    ));
    Ok(())
}

// ---------------------------------------------------------------- 1b. the store alone

/// The writer's ceiling: the same conversation inserts, called in this
/// process straight on `Store::write` (no HTTP, no token lookup, no JSON), 64
/// in flight. The gap to the HTTP figure is what the request path costs.
async fn phase_store(p: &Params, summary: &mut Vec<String>) -> Result<Option<f64>> {
    use switchboard_server::ops::{self, Ingest};
    use switchboard_server::store::{op, Store};
    println!(
        "\n== 1b. store alone (diagnostic): Store::write(create_conversation) in this process, {} conversations, {} in flight",
        p.ingest_n, p.ingest_conc
    );
    let dir = tempfile::Builder::new()
        .prefix("switchboard-bench-")
        .tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("store.db").display());
    let store = Store::open(&url, switchboard_server::Clock::system()).await?;
    let cat = NewCategory {
        name: "Bench".into(),
        id: Some(CATEGORY.into()),
        routing: Some(RoutingMode::Manual),
        wait_threshold_secs: Some(86_400),
        keywords: vec![],
    };
    store
        .write(op(move |tx| {
            Box::pin(async move { ops::create_category(tx, &cat).await })
        }))
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let categorizer = Arc::new(switchboard_core::categorize::Categorizer::new(
        std::iter::empty::<(String, Vec<String>)>(),
    )?);
    let mut rates = Vec::new();
    for run in 1..=p.ingest_runs {
        let next = Arc::new(AtomicUsize::new(0));
        let me0 = pid_ticks("self");
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..p.ingest_conc {
            let (store, next, cz) = (store.clone(), next.clone(), categorizer.clone());
            let n = p.ingest_n;
            tasks.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let c = conversation("store", i);
                    let ingest = Ingest {
                        channel: switchboard_api::Channel::Api,
                        customer: c.customer,
                        subject: c.subject,
                        body: c.body,
                        category_id: c.category_id,
                    };
                    let cz = cz.clone();
                    store
                        .write(op(move |tx| {
                            Box::pin(async move { ops::create_conversation(tx, ingest, &cz).await })
                        }))
                        .await
                        .map_err(|e| anyhow!("{e}"))?;
                }
                Ok::<_, anyhow::Error>(())
            }));
        }
        timeout(Duration::from_secs(600), async {
            for t in tasks {
                t.await??;
            }
            Ok::<_, anyhow::Error>(())
        })
        .await
        .context("store run timed out")??;
        let secs = t0.elapsed().as_secs_f64();
        let cpu = match (me0, pid_ticks("self")) {
            (Some(a), Some(b)) => format!("{:.2}", (b - a) as f64 / ticks_per_sec() / secs),
            _ => "n/a".into(),
        };
        let rate = p.ingest_n as f64 / secs;
        println!(
            "run {run}: {rate:.0} conversations/s; this process used {cpu} cores; load average {}",
            loadavg()
        );
        rates.push(rate);
    }
    let med = median(&mut rates);
    summary.push(format!(
        "store alone (diagnostic, no HTTP): {med:.0} conversations/s (median of {})",
        rates.len()
    ));
    Ok(Some(med))
}

// ---------------------------------------------------------------- 1c. the SQLite limit

/// Conversations per transaction in the limit run.
const LIMIT_BATCH: usize = 1_000;

/// The limit: the rows one conversation insert leaves (conversation, first
/// message, `conversation.created` and `message.created` events, the event
/// counter), inserted by this process alone through rusqlite over the same
/// SQLite build, into a fresh file migrated by `Store::open`. Median of the
/// runs, in conversations/s.
async fn phase_limit(p: &Params, summary: &mut Vec<String>) -> Result<f64> {
    println!(
        "\n== 1c. the SQLite limit: the same rows straight through rusqlite (same SQLite build), {} conversations, {LIMIT_BATCH} per transaction",
        p.ingest_n
    );
    let mut rates = Vec::new();
    for run in 1..=p.ingest_runs {
        let dir = tempfile::Builder::new()
            .prefix("switchboard-bench-")
            .tempdir()?;
        let path = dir.path().join("limit.db");
        let url = format!("sqlite://{}", path.display());
        // The schema the server writes, by its own migrations.
        let store =
            switchboard_server::store::Store::open(&url, switchboard_server::Clock::system())
                .await?;
        drop(store);
        let n = p.ingest_n;
        let rate = tokio::task::spawn_blocking(move || limit_run(&path, n)).await??;
        println!("run {run}: {rate:.0} conversations/s");
        rates.push(rate);
    }
    let med = median(&mut rates);
    summary.push(format!(
        "SQLite limit (one process, rusqlite, same SQLite build, {LIMIT_BATCH} per transaction): {med:.0} conversations/s (median of {})",
        rates.len()
    ));
    Ok(med)
}

fn limit_run(path: &std::path::Path, n: usize) -> Result<f64> {
    let mut db = rusqlite::Connection::open(path)?;
    db.pragma_update(None, "journal_mode", "WAL")?;
    db.pragma_update(None, "synchronous", "NORMAL")?;
    db.execute(
        "INSERT INTO categories (id, name, routing, wait_threshold_secs, keywords, position, created_at) \
         VALUES (?1, 'Bench', 'manual', 86400, '[]', 0, 0) ON CONFLICT DO NOTHING",
        [CATEGORY],
    )?;
    let mut seq: i64 = db
        .query_row(
            "SELECT value FROM counters WHERE name = 'event_seq'",
            [],
            |r| r.get(0),
        )
        .unwrap_or(0);
    let t0 = Instant::now();
    let mut i = 0;
    while i < n {
        let tx = db.transaction()?;
        {
            let mut conv = tx.prepare_cached(
                "INSERT INTO conversations (id, channel, customer_name, customer_email, customer_phone, subject, category_id, state, \
                 assignee_id, created_at, updated_at, queued_at, unanswered_since, first_customer_at, first_response_at, \
                 first_response_agent_id, preview, category_source, category_confidence) \
                 VALUES (?1, 'api', ?2, ?3, NULL, ?4, ?5, 'queued', NULL, ?6, ?6, ?6, ?6, ?6, NULL, NULL, ?7, 'explicit', NULL)",
            )?;
            let mut msg = tx.prepare_cached(
                "INSERT INTO messages (id, conversation_id, seq, kind, author, author_id, body, created_at, client_id) \
                 VALUES (?1, ?2, ?3, 'customer', ?4, NULL, ?5, ?6, NULL)",
            )?;
            let mut event = tx.prepare_cached(
                "INSERT INTO events (seq, kind, conversation_id, at, data, category_id, assignee_id, prev_category_id, prev_assignee_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?6, NULL)",
            )?;
            for _ in 0..LIMIT_BATCH.min(n - i) {
                let c = conversation("limit", i);
                let id = uuid::Uuid::now_v7().simple().to_string();
                let msg_id = uuid::Uuid::now_v7().simple().to_string();
                let now = chrono::Utc::now().timestamp_millis();
                let name = c.customer.name.unwrap_or_default();
                let preview: String = c.body.chars().take(140).collect();
                conv.execute(rusqlite::params![
                    id,
                    name,
                    c.customer.email,
                    c.subject,
                    CATEGORY,
                    now,
                    preview
                ])?;
                msg.execute(rusqlite::params![msg_id, id, seq + 1, name, c.body, now])?;
                // Event payloads of the size the server writes: the summary
                // and the message as JSON.
                let created = serde_json::json!({"conversation": {"id": id, "channel": "api", "customer": {"name": name},
                    "subject": c.subject, "category_id": CATEGORY, "state": "queued", "created_at": now, "preview": preview}});
                let message = serde_json::json!({"message": {"id": msg_id, "conversation_id": id, "kind": "customer",
                    "author": name, "body": c.body, "created_at": now}});
                seq += 1;
                event.execute(rusqlite::params![
                    seq,
                    "conversation.created",
                    id,
                    now,
                    created.to_string(),
                    CATEGORY
                ])?;
                seq += 1;
                event.execute(rusqlite::params![
                    seq,
                    "message.created",
                    id,
                    now,
                    message.to_string(),
                    CATEGORY
                ])?;
                i += 1;
            }
        }
        tx.execute(
            "UPDATE counters SET value = ?1 WHERE name = 'event_seq'",
            [seq],
        )?;
        tx.commit()?;
    }
    Ok(n as f64 / t0.elapsed().as_secs_f64())
}

// ---------------------------------------------------------------- 2. claims

#[derive(Default)]
struct ClaimStats {
    wins: Vec<u64>,
    refusals: Vec<u64>,
    overdue_first: usize,
    errors: Vec<String>,
}

impl ClaimStats {
    fn merge(&mut self, o: ClaimStats) {
        self.wins.extend(o.wins);
        self.refusals.extend(o.refusals);
        self.overdue_first += o.overdue_first;
        self.errors.extend(o.errors);
    }

    fn requests(&self) -> usize {
        self.wins.len() + self.refusals.len() + self.errors.len()
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Won,
    Refused,
    Error,
}

/// One claim request, timed; both 200 and 409 are claim latency.
async fn claim_once(s: &Session, id: &str, st: &mut ClaimStats) -> Outcome {
    let t = Instant::now();
    let r = s.claim(id).await;
    let us = us_since(t);
    match r {
        Ok(_) => {
            st.wins.push(us);
            Outcome::Won
        }
        Err(e) if e.status() == Some(reqwest::StatusCode::CONFLICT) => {
            if e.code() == Some("overdue_first") {
                st.overdue_first += 1;
            }
            st.refusals.push(us);
            Outcome::Refused
        }
        Err(e) => {
            if st.errors.len() < 5 {
                st.errors.push(e.to_string());
            } else {
                st.errors.push(String::new());
            }
            Outcome::Error
        }
    }
}

/// The summary line, and (p50, p99) of all claims.
fn claim_report(
    backend: Backend,
    name: &str,
    what: &str,
    mut st: ClaimStats,
    secs: f64,
    cpu: &str,
    target_ms: u64,
) -> (String, (u64, u64)) {
    let n = st.requests();
    let mut all: Vec<u64> = st.wins.iter().chain(&st.refusals).copied().collect();
    all.sort_unstable();
    let p99 = pct(&all, 99.0).unwrap_or(u64::MAX);
    println!("-- {name}: {what}");
    println!(
        "   {n} claims in {secs:.2} s ({:.0} claims/s): {} won (200), {} refused (409; {} of them overdue_first), {} errors",
        n as f64 / secs,
        st.wins.len(),
        st.refusals.len(),
        st.overdue_first,
        st.errors.len()
    );
    println!("   all claims:  {}", dist(&mut all));
    println!("   wins:        {}", dist(&mut st.wins));
    println!("   refusals:    {}", dist(&mut st.refusals));
    println!("   {cpu}");
    for e in st.errors.iter().filter(|e| !e.is_empty()) {
        println!("   error: {e}");
    }
    let p50 = pct(&all, 50.0).unwrap_or(0);
    let line = format!(
        "{}claims/{name}: p50 {} p99 {} over {n} claims ({} won, {} refused, {} errors; {:.0} claims/s) — target p99 ≤ {target_ms} ms: {}",
        backend.tag(),
        ms(p50),
        ms(p99),
        st.wins.len(),
        st.refusals.len(),
        st.errors.len(),
        n as f64 / secs,
        verdict(p99 <= target_ms * 1000 && st.errors.is_empty())
    );
    (line, (p50, p99))
}

async fn phase_claims(
    p: &Params,
    backend: Backend,
    summary: &mut Vec<String>,
    fig: &mut Figures,
) -> Result<()> {
    // SQLite: 200 agents, target p99 ≤ 10 ms, all three shapes. PostgreSQL
    // (issue 5): 500 agents spread over the instances, target p99 ≤ 20 ms;
    // `race`, and `paced` with the think time scaled to offer the same
    // ~1,000 claims/s (the closed-loop `saturated` only measures queueing).
    let (n_agents, target_ms, shapes) = match backend {
        Backend::Sqlite => (
            p.agents,
            10,
            vec![
                ("saturated", p.saturated_per_agent, 0.0),
                ("paced", p.paced_per_agent, p.paced_mean_ms),
            ],
        ),
        Backend::Postgres(_) => (
            p.pg_agents,
            20,
            vec![(
                "paced",
                p.paced_per_agent,
                p.paced_mean_ms * p.pg_agents as f64 / p.agents as f64,
            )],
        ),
    };
    let race_total = p.race_rounds;
    // Enough conversations that no mode runs the queue dry, with margin:
    // `saturated` wins well under 1% of its claims (all agents pile on the
    // oldest), `paced` about half. Not more: the queue's size costs on its
    // own (the threshold watcher scans every open conversation each tick).
    let queue_n = race_total
        + shapes
            .iter()
            .map(|(_, per_agent, think)| {
                let total = n_agents * per_agent;
                if *think > 0.0 {
                    total * 4 / 5
                } else {
                    total / 10
                }
            })
            .sum::<usize>();
    let spread = match backend {
        Backend::Postgres(n) if n > 1 => format!(", agents spread evenly over the {n} instances"),
        _ => String::new(),
    };
    println!(
        "\n== 2. claims [{}]: {n_agents} agents (capacity 1000, available, skilled in a manual category, wait threshold 86400 s){spread}, {queue_n} queued conversations",
        backend.name()
    );
    let srv = Srv::start(backend, "claims").await?;
    let http = http_client(Some(Duration::from_secs(60)))?;
    let admin = admin_setup(&srv, http.clone()).await?;
    let (admins, _) = admin_everywhere(&srv, http.clone(), admin).await?;
    let clients = srv
        .urls()
        .iter()
        .map(|u| Client::with_http(http.clone(), u))
        .collect::<Result<Vec<_>, _>>()?;
    let pids = srv.pids();

    let t = Instant::now();
    let agents: Vec<Session> = timeout(Duration::from_secs(600), async {
        stream::iter(0..n_agents)
            .map(|i| {
                let admin = admins[i % admins.len()].clone();
                let client = clients[i % clients.len()].clone();
                async move {
                    let email = format!("agent{i}@bench.switchboard");
                    admin
                        .create_agent(&NewAgent {
                            name: format!("Agent {i}"),
                            email: email.clone(),
                            password: PASSWORD.into(),
                            role: None,
                            categories: vec![CATEGORY.into()],
                            capacity: Some(1000),
                        })
                        .await?;
                    let s = client.login(&email, PASSWORD).await?;
                    s.set_status(AgentStatus::Available).await?;
                    Ok::<_, ClientError>(s)
                }
            })
            .buffered(8)
            .try_collect()
            .await
    })
    .await
    .context("creating agents timed out")??;
    println!(
        "created, logged in and set available {} agents in {:.1} s (argon2 hash + verify each, 8 at a time; agent i on instance i mod {})",
        agents.len(),
        t.elapsed().as_secs_f64(),
        clients.len()
    );

    let t = Instant::now();
    let (_, mut ids) = timeout(
        Duration::from_secs(600),
        create_many(&admins, "claim", queue_n, 64),
    )
    .await
    .context("enqueueing timed out")??;
    // Queue order: oldest first (queued_at, then id).
    ids.sort();
    let ids: Arc<Vec<String>> = Arc::new(ids.into_iter().map(|(_, id)| id).collect());
    println!(
        "enqueued {} conversations in {:.1} s",
        ids.len(),
        t.elapsed().as_secs_f64()
    );
    // Warm-up: every agent opens its connection.
    stream::iter(agents.iter())
        .map(|s| s.me())
        .buffer_unordered(n_agents)
        .try_collect::<Vec<_>>()
        .await?;
    let agents = Arc::new(agents);
    let mut cursor = 0usize;

    // ---- race: all agents at one conversation, same instant.
    {
        let rounds = p.race_rounds;
        let barrier = Arc::new(tokio::sync::Barrier::new(n_agents + 1));
        let winners: Arc<Vec<AtomicU32>> =
            Arc::new((0..rounds).map(|_| AtomicU32::new(0)).collect());
        let c0 = cpu_snap(&pids);
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        for a in 0..n_agents {
            let (agents, ids, barrier, winners) = (
                agents.clone(),
                ids.clone(),
                barrier.clone(),
                winners.clone(),
            );
            let start = cursor;
            tasks.push(tokio::spawn(async move {
                let mut st = ClaimStats::default();
                for r in 0..rounds {
                    barrier.wait().await;
                    if claim_once(&agents[a], &ids[start + r], &mut st).await == Outcome::Won {
                        winners[r].fetch_add(1, Ordering::Relaxed);
                    }
                    barrier.wait().await;
                }
                st
            }));
        }
        let pause = Duration::from_millis(25);
        let coordinator = async {
            for _ in 0..rounds {
                barrier.wait().await;
                barrier.wait().await;
                tokio::time::sleep(pause).await;
            }
        };
        timeout(Duration::from_secs(600), coordinator)
            .await
            .context("claim race timed out")?;
        let mut st = ClaimStats::default();
        for t in tasks {
            st.merge(t.await?);
        }
        let secs = t0.elapsed().as_secs_f64() - rounds as f64 * pause.as_secs_f64();
        let c1 = cpu_snap(&pids);
        cursor += rounds;
        let exactly_one = winners
            .iter()
            .filter(|w| w.load(Ordering::Relaxed) == 1)
            .count();
        let (line, race) = claim_report(
            backend,
            "race",
            &format!(
                "{rounds} rounds; in each, all {n_agents} agents claim the same oldest conversation at once, then 25 ms pause"
            ),
            st,
            secs,
            &cpu_line(c0, c1),
            target_ms,
        );
        fig.race = Some(race);
        println!("   rounds with exactly one winner: {exactly_one}/{rounds}");
        if exactly_one != rounds {
            bail!("claim race: only {exactly_one} of {rounds} rounds had exactly one winner");
        }
        summary.push(line);
    }

    // ---- saturated and paced: each agent claims the oldest it believes queued.
    for (name, per_agent, think_ms) in shapes {
        let next = Arc::new(AtomicUsize::new(cursor));
        let c0 = cpu_snap(&pids);
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        for a in 0..n_agents {
            let (agents, ids, next) = (agents.clone(), ids.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                let mut st = ClaimStats::default();
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((a as u64 + 1) * 0x2545_F491_4F6C_DD1D));
                for _ in 0..per_agent {
                    if think_ms > 0.0 {
                        let d = rng.exp(think_ms).min(think_ms * 10.0);
                        tokio::time::sleep(Duration::from_secs_f64(d / 1000.0)).await;
                    }
                    let i = next.load(Ordering::Acquire);
                    if i >= ids.len() {
                        break;
                    }
                    match claim_once(&agents[a], &ids[i], &mut st).await {
                        Outcome::Won | Outcome::Refused => {
                            next.fetch_max(i + 1, Ordering::AcqRel);
                        }
                        Outcome::Error => {}
                    }
                }
                st
            }));
        }
        let mut st = ClaimStats::default();
        let joined = timeout(Duration::from_secs(600), async {
            for t in tasks {
                st.merge(t.await?);
            }
            Ok::<_, anyhow::Error>(())
        })
        .await;
        joined.with_context(|| format!("claims/{name} timed out"))??;
        let secs = t0.elapsed().as_secs_f64();
        let c1 = cpu_snap(&pids);
        cursor = next.load(Ordering::Acquire);
        if cursor >= ids.len() {
            bail!("claims/{name}: the queue ran dry; the figures would be wrong");
        }
        let what = if think_ms > 0.0 {
            format!(
                "{per_agent} claims per agent, random think time before each (exponential, mean {think_ms} ms: ~{:.0} claims/s offered while every agent is still at it; the slowest agents stretch the run), oldest queued first",
                n_agents as f64 * 1000.0 / think_ms
            )
        } else {
            format!(
                "{per_agent} claims per agent back to back ({n_agents} always in flight), oldest queued first"
            )
        };
        let (line, fig_line) =
            claim_report(backend, name, &what, st, secs, &cpu_line(c0, c1), target_ms);
        if name == "paced" {
            fig.paced = Some(fig_line);
        }
        summary.push(line);
    }
    srv.stop().await;
    Ok(())
}

// ---------------------------------------------------------------- 3. events

async fn phase_events(
    p: &Params,
    backend: Backend,
    summary: &mut Vec<String>,
    fig: &mut Figures,
) -> Result<()> {
    let (clients, writes) = (p.sse_clients, p.sse_writes);
    // Followers on the first instance, writes through the last one: with two
    // instances every event crosses (LISTEN/NOTIFY).
    let cross = matches!(backend, Backend::Postgres(n) if n > 1);
    println!(
        "\n== 3. events [{}]: {clients} SSE followers (GET /api/v1/events, {} admin tokens), {writes} conversations created at {}/s{}",
        backend.name(),
        p.sse_tokens,
        p.sse_rate,
        if cross {
            "; followers on instance A, writes through instance B (cross-instance delivery)"
        } else {
            ""
        }
    );
    let srv = Srv::start(backend, "events").await?;
    let http = http_client(Some(Duration::from_secs(60)))?;
    let first = admin_setup(&srv, http.clone()).await?;
    let (mut admins, _) = admin_everywhere(&srv, http, first).await?;
    // The writer: the last instance's session.
    let admin = admins.pop().expect("one instance at least");
    let pids = srv.pids();
    // Streams: no total timeout on their client (they are long-lived).
    let sse_client = Client::with_http(http_client(None)?, srv.url())?;
    let mut tokens = Vec::new();
    for _ in 0..p.sse_tokens {
        tokens.push(sse_client.login(ADMIN_EMAIL, PASSWORD).await?);
    }
    let t = Instant::now();
    let streams = timeout(
        Duration::from_secs(120),
        stream::iter(0..clients)
            .map(|k| {
                let s = tokens[k % tokens.len()].clone();
                async move { s.events(None).await }
            })
            .buffer_unordered(50)
            .try_collect::<Vec<_>>(),
    )
    .await
    .context("opening the event streams timed out")??;
    println!(
        "{} streams open in {:.1} s",
        streams.len(),
        t.elapsed().as_secs_f64()
    );

    let warm_seen = Arc::new(AtomicUsize::new(0));
    let complete = Arc::new(AtomicUsize::new(0));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut followers = Vec::with_capacity(clients);
    for mut es in streams {
        let (warm_seen, complete, mut stop) =
            (warm_seen.clone(), complete.clone(), stop_rx.clone());
        followers.push(tokio::spawn(async move {
            let mut got: Vec<(u32, u64)> = Vec::with_capacity(writes);
            // The write's second event (its first message), by conversation id.
            let mut second: Vec<(u32, u64)> = Vec::with_capacity(writes);
            let mut index: std::collections::HashMap<String, u32> = Default::default();
            let mut warmed = false;
            loop {
                tokio::select! {
                    ev = es.next() => {
                        let ev = match ev {
                            Some(Ok(ev)) => ev,
                            Some(Err(e)) => return Err(anyhow!("event stream: {e}")),
                            None => return Err(anyhow!("the server closed an event stream")),
                        };
                        let at = now_ns();
                        if ev.kind == "message.created" {
                            let conv = ev.data["message"]["conversation_id"].as_str().unwrap_or("");
                            if let Some(i) = index.get(conv) {
                                second.push((*i, at));
                            }
                        } else if ev.kind == "conversation.created" {
                            let subject = ev.data["conversation"]["subject"].as_str().unwrap_or("");
                            if let Some(i) = subject.strip_prefix("sse-").and_then(|s| s.parse::<u32>().ok()) {
                                got.push((i, at));
                                if let Some(id) = ev.conversation_id.clone() {
                                    index.insert(id, i);
                                }
                            } else if subject.starts_with("warm-") && !warmed {
                                warmed = true;
                                warm_seen.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        if got.len() == writes && second.len() == writes {
                            complete.fetch_add(1, Ordering::Relaxed);
                            return Ok((got, second));
                        }
                    }
                    _ = stop.changed() => return Ok((got, second)),
                }
            }
        }));
    }

    // Warm-up: one write every stream must see before measuring.
    admin.create_conversation(&conversation("warm", 0)).await?;
    timeout(Duration::from_secs(60), async {
        while warm_seen.load(Ordering::Relaxed) < clients {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .context("not every stream received the warm-up event within 60 s")?;

    let sent: Arc<Vec<AtomicU64>> = Arc::new((0..writes).map(|_| AtomicU64::new(0)).collect());
    let answered: Arc<Vec<AtomicU64>> = Arc::new((0..writes).map(|_| AtomicU64::new(0)).collect());
    let c0 = cpu_snap(&pids);
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / p.sse_rate));
    let mut writers = Vec::with_capacity(writes);
    for i in 0..writes {
        tick.tick().await;
        let (admin, sent, answered) = (admin.clone(), sent.clone(), answered.clone());
        writers.push(tokio::spawn(async move {
            let c = conversation("sse", i);
            sent[i].store(now_ns(), Ordering::Release);
            let r = admin.create_conversation(&c).await;
            answered[i].store(now_ns(), Ordering::Release);
            r.map(|_| ())
        }));
    }
    let mut write_errors = 0;
    for w in writers {
        if timeout(Duration::from_secs(60), w).await.is_err() {
            write_errors += 1;
        } else {
            // Joined; a failed write is counted below by missing samples.
        }
    }
    let waited = timeout(Duration::from_secs(30), async {
        while complete.load(Ordering::Relaxed) < clients {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let c1 = cpu_snap(&pids);
    let _ = stop_tx.send(true);
    let mut from_send = Vec::with_capacity(clients * writes);
    let mut from_answer: Vec<i64> = Vec::with_capacity(clients * writes);
    let mut second_from_send = Vec::with_capacity(clients * writes);
    let mut follower_errors = Vec::new();
    for f in followers {
        match f.await? {
            Ok((got, second)) => {
                for (i, at) in got {
                    let s = sent[i as usize].load(Ordering::Acquire);
                    let a = answered[i as usize].load(Ordering::Acquire);
                    from_send.push(at.saturating_sub(s) / 1000);
                    if a > 0 {
                        from_answer.push((at as i64 - a as i64) / 1000);
                    }
                }
                for (i, at) in second {
                    let s = sent[i as usize].load(Ordering::Acquire);
                    second_from_send.push(at.saturating_sub(s) / 1000);
                }
            }
            Err(e) => follower_errors.push(e.to_string()),
        }
    }
    let expected = clients * writes;
    let missing = expected - from_send.len();
    let mut write_lat: Vec<u64> = (0..writes)
        .filter_map(|i| {
            let (s, a) = (
                sent[i].load(Ordering::Acquire),
                answered[i].load(Ordering::Acquire),
            );
            (a > 0).then(|| (a - s) / 1000)
        })
        .collect();
    from_answer.sort_unstable();
    println!("-- delivery latency, write request sent → event parsed by a follower:");
    println!("   {}", dist(&mut from_send));
    println!(
        "-- the same, from the write's response received (negative: the event came first): p50 {}, p99 {}",
        pct(&from_answer, 50.0).map(ms_signed).unwrap_or_default(),
        pct(&from_answer, 99.0).map(ms_signed).unwrap_or_default()
    );
    println!(
        "-- the write's second event (message.created), from request sent: {}",
        dist(&mut second_from_send)
    );
    println!("-- write request latency: {}", dist(&mut write_lat));
    println!("   {}", cpu_line(c0, c1));
    println!(
        "   samples {} of {expected}; missing {missing}; write timeouts {write_errors}; follower errors {}{}",
        from_send.len(),
        follower_errors.len(),
        if waited.is_err() {
            " (gave up waiting 30 s after the last write)"
        } else {
            ""
        }
    );
    for e in follower_errors.iter().take(5) {
        println!("   follower error: {e}");
    }
    let p99 = pct(&from_send, 99.0).unwrap_or(u64::MAX);
    let p50 = pct(&from_send, 50.0).unwrap_or(0);
    let ok = p99 <= 50_000 && missing == 0;
    fig.events = Some((p50, p99, missing));
    summary.push(format!(
        "{}events{}: delivery p50 {} p99 {} ({} samples = {clients} followers × {writes} writes, from request sent; {missing} missing) — target p99 ≤ 50 ms: {}",
        backend.tag(),
        if cross { " (cross-instance)" } else { "" },
        ms(p50),
        ms(p99),
        from_send.len(),
        verdict(ok)
    ));
    srv.stop().await;
    if !follower_errors.is_empty() || write_errors > 0 {
        bail!(
            "events: {} follower errors, {write_errors} writes timed out",
            follower_errors.len()
        );
    }
    Ok(())
}

// ---------------------------------------------------------------- main

async fn run(p: Params) -> Result<()> {
    let _ = base();
    let scale_env = if p.scale == 1.0 {
        String::new()
    } else {
        format!("SWITCHBOARD_BENCH_SCALE={} ", p.scale)
    };
    let backend_env = match std::env::var("SWITCHBOARD_BENCH_BACKEND") {
        Ok(v) => format!("SWITCHBOARD_BENCH_BACKEND={v} "),
        Err(_) => String::new(),
    };
    let only_env = match std::env::var("SWITCHBOARD_BENCH_ONLY") {
        Ok(v) => format!("SWITCHBOARD_BENCH_ONLY={v} "),
        Err(_) => String::new(),
    };
    println!("Switchboard load benchmark");
    println!(
        "reproduce: {backend_env}{scale_env}{only_env}cargo xtask bench   (runs: {backend_env}{scale_env}{only_env}cargo bench -p switchboard-server --bench load)"
    );
    println!(
        "machine: nproc {}, {}; load average at start {}; {}",
        nproc(),
        cpu_model(),
        loadavg(),
        raise_nofile()
    );
    println!("server: {SERVER_BIN} (this build's profile), subprocess on 127.0.0.1, RUST_LOG=warn");
    let mut summary = Vec::new();
    let mut stores = Vec::new();
    if p.backends.contains(&Backend::Sqlite) {
        let mode = {
            let srv = Srv::start(Backend::Sqlite, "probe").await?;
            let m = srv.journal_mode().await;
            srv.stop().await;
            m
        };
        stores.push(format!(
            "SQLite file in a temp dir, journal_mode={mode}, synchronous=NORMAL (set by the store), one batching writer connection + a reader pool; fresh DB per measurement"
        ));
    }
    if p.backends.iter().any(|b| matches!(b, Backend::Postgres(_))) {
        stores.push(pg_description().await?);
    }
    for s in &stores {
        println!("store: {s}");
    }
    let mut figs: Vec<(Backend, Figures)> = p
        .backends
        .iter()
        .map(|b| (*b, Figures::default()))
        .collect();
    let t0 = Instant::now();
    // Phase by phase, backends side by side (one and two instances measured
    // close together in time, under the same machine load).
    if p.runs("ingest") {
        for (b, f) in figs.iter_mut() {
            phase_ingest(&p, *b, &mut summary, f).await?;
        }
    }
    let store_rate = if p.runs("store") && p.backends.contains(&Backend::Sqlite) {
        phase_store(&p, &mut summary).await?
    } else {
        None
    };
    if p.runs("limit") && p.backends.contains(&Backend::Sqlite) {
        let limit = phase_limit(&p, &mut summary).await?;
        let ingest = figs
            .iter()
            .find(|(b, _)| *b == Backend::Sqlite)
            .and_then(|(_, f)| f.ingest);
        for (what, rate) in [("HTTP ingest", ingest), ("store alone", store_rate)] {
            if let Some(r) = rate {
                summary.push(format!(
                    "        {what} ÷ SQLite limit: {r:.0} ÷ {limit:.0} = {:.3}",
                    r / limit
                ));
            }
        }
    }
    if p.runs("claims") {
        for (b, f) in figs.iter_mut() {
            phase_claims(&p, *b, &mut summary, f).await?;
        }
    }
    if p.runs("events") {
        for (b, f) in figs.iter_mut() {
            phase_events(&p, *b, &mut summary, f).await?;
        }
    }
    if p.runs("search") {
        for (b, f) in figs.iter_mut() {
            search::phase_search(&p, *b, &mut summary, f).await?;
        }
    }
    println!(
        "\n== summary (scale {}, {:.0} s)",
        p.scale,
        t0.elapsed().as_secs_f64()
    );
    println!(
        "machine: nproc {}, {}; load average now {}",
        nproc(),
        cpu_model(),
        loadavg()
    );
    for s in &stores {
        println!("store: {s}");
    }
    for l in &summary {
        println!("{l}");
    }
    print_table(&p, &figs);
    println!("(PASS/MISS is information; a miss does not fail the run)");
    println!("reproduce: {backend_env}{scale_env}{only_env}cargo xtask bench");
    Ok(())
}

/// The bench's PostgreSQL: version and the harness's settings.
async fn pg_description() -> Result<String> {
    use sqlx::Connection;
    let pg = postgres::server();
    // The port opens before the server accepts sessions: retry a while.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut c = loop {
        match timeout(
            Duration::from_secs(10),
            sqlx::postgres::PgConnection::connect(&pg.admin_url()),
        )
        .await
        {
            Ok(Ok(c)) => break c,
            _ if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
            Ok(Err(e)) => return Err(e).context("connecting to the bench PostgreSQL"),
            Err(_) => bail!("connecting to the bench PostgreSQL timed out"),
        }
    };
    let version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&mut c)
        .await?;
    let mut settings = Vec::new();
    for name in [
        "fsync",
        "synchronous_commit",
        "full_page_writes",
        "shared_buffers",
        "max_connections",
    ] {
        let v: String = sqlx::query_scalar(&format!("SHOW {name}"))
            .fetch_one(&mut c)
            .await?;
        settings.push(format!("{name}={v}"));
    }
    c.close().await?;
    Ok(format!(
        "PostgreSQL {version}, throwaway server of the test harness on 127.0.0.1 (data dir in /tmp; {}: commits are not durable, so write figures are above what a durable setup gives), fresh database per measurement; instances are `serve` subprocesses on that database",
        settings.join(", ")
    ))
}

/// The headline figures side by side, with the targets.
fn print_table(p: &Params, figs: &[(Backend, Figures)]) {
    let get = |b: Backend| figs.iter().find(|(x, _)| *x == b).map(|(_, f)| *f);
    let cell_rate = |v: Option<f64>| v.map(|r| format!("{r:.0}/s")).unwrap_or("-".into());
    let cell_lat = |v: Option<(u64, u64)>| {
        v.map(|(a, b)| format!("{:.1} / {:.1} ms", a as f64 / 1e3, b as f64 / 1e3))
            .unwrap_or("-".into())
    };
    let cols: Vec<Backend> = figs.iter().map(|(b, _)| *b).collect();
    let head = |b: Backend| match b {
        Backend::Sqlite => "SQLite".to_string(),
        Backend::Postgres(n) => format!("PG ×{n}"),
    };
    println!("\n== table (p50 / p99)");
    let mut line = format!("{:<44}", "");
    for b in &cols {
        line += &format!("{:>22}", head(*b));
    }
    println!("{line}   target");
    let row = |name: &str, cells: Vec<String>, target: String| {
        let mut line = format!("{name:<44}");
        for c in cells {
            line += &format!("{c:>22}");
        }
        println!("{line}   {target}");
    };
    let pg1 = get(Backend::Postgres(1));
    let pg2 = get(Backend::Postgres(2));
    let sq = get(Backend::Sqlite);
    // Ingest.
    let mut targets = Vec::new();
    if let Some(r) = sq.and_then(|f| f.ingest) {
        targets.push(format!("SQLite ≥ 5000/s: {}", verdict(r >= 5000.0)));
    }
    if let (Some(a), Some(b)) = (pg1.and_then(|f| f.ingest), pg2.and_then(|f| f.ingest)) {
        let ratio = b / a;
        targets.push(format!(
            "PG two/one = {ratio:.2}× (≥ 1.6×): {}",
            verdict(ratio >= 1.6)
        ));
    }
    row(
        "ingest (conversations/s)",
        cols.iter()
            .map(|b| cell_rate(get(*b).and_then(|f| f.ingest)))
            .collect(),
        targets.join("; "),
    );
    // Claims.
    let claim_target = |kind: fn(&Figures) -> Option<(u64, u64)>| {
        cols.iter()
            .filter_map(|b| {
                let (_, p99) = kind(&get(*b)?)?;
                let lim = if *b == Backend::Sqlite { 10 } else { 20 };
                Some(format!(
                    "{} p99 ≤ {lim} ms: {}",
                    head(*b),
                    verdict(p99 <= lim * 1000)
                ))
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    row(
        &format!(
            "claims, race ({} SQLite / {} PG agents)",
            p.agents, p.pg_agents
        ),
        cols.iter()
            .map(|b| cell_lat(get(*b).and_then(|f| f.race)))
            .collect(),
        claim_target(|f| f.race),
    );
    row(
        "claims, paced (~1000/s offered)",
        cols.iter()
            .map(|b| cell_lat(get(*b).and_then(|f| f.paced)))
            .collect(),
        claim_target(|f| f.paced),
    );
    // Events.
    row(
        &format!(
            "events ({} followers × {} writes)",
            p.sse_clients, p.sse_writes
        ),
        cols.iter()
            .map(|b| {
                let e = get(*b).and_then(|f| f.events);
                let mut c = cell_lat(e.map(|(a, b, _)| (a, b)));
                if let Some((_, _, m)) = e.filter(|e| e.2 > 0) {
                    c += &format!(" ({m} lost)");
                }
                c
            })
            .collect(),
        cols.iter()
            .filter_map(|b| {
                let (_, p99, missing) = get(*b)?.events?;
                let what = match b {
                    Backend::Postgres(n) if *n > 1 => format!("{} cross-instance", head(*b)),
                    _ => head(*b),
                };
                Some(format!(
                    "{what} p99 ≤ 50 ms: {}",
                    verdict(p99 <= 50_000 && missing == 0)
                ))
            })
            .collect::<Vec<_>>()
            .join("; "),
    );
    row(
        "search (50 agents at once)",
        cols.iter()
            .map(|b| cell_lat(get(*b).and_then(|f| f.search)))
            .collect(),
        cols.iter()
            .filter_map(|b| {
                let (_, p99) = get(*b)?.search?;
                Some(format!(
                    "{} p99 ≤ 100 ms: {}",
                    head(*b),
                    verdict(p99 <= 100_000)
                ))
            })
            .collect::<Vec<_>>()
            .join("; "),
    );
    if pg2.is_some() {
        println!(
            "(PG ×2: ingest and claims spread evenly over both instances; events: followers on instance A, writes through instance B)"
        );
    }
}

fn main() -> std::process::ExitCode {
    if !std::env::args().any(|a| a == "--bench") {
        println!("load bench: run it with `cargo xtask bench` or `cargo bench -p switchboard-server --bench load`; skipping");
        return std::process::ExitCode::SUCCESS;
    }
    let params = match Params::from_env() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("load bench: {e:#}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("load bench: cannot start tokio: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(params)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nload bench: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
