//! A desktop session for the real app: Xvfb, a D-Bus session bus, the
//! `dunst` notification daemon, a Secret Service (`gnome-keyring-daemon`)
//! and `tauri-driver` in front of `WebKitWebDriver`, all in a throwaway home
//! directory; then the app started over W3C WebDriver (fantoccini).
//!
//! Everything is a child process killed on drop. Nothing here is mocked:
//! the app binary is the one `cargo build` made, with the UI embedded.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use switchboard_testkit::free_port;
use tempfile::TempDir;

/// The app binary cargo built for this test run.
pub fn app_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_switchboard"))
}

/// Where screenshots go (kept after the run).
pub fn artifacts_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|p| p.join("e2e-screenshots"))
        .unwrap_or_else(|| PathBuf::from("e2e-screenshots"));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// The running test's name (the test thread's), for naming its artifacts.
fn test_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("desktop")
        .rsplit("::")
        .next()
        .unwrap_or("desktop")
        .to_owned()
}

/// Prints how long the test has run at one of its steps (shown with a
/// failed test's output: where the time went).
pub fn step(what: &str) {
    // Per test thread: each test's times count from its own first step.
    thread_local! {
        static START: Instant = Instant::now();
    }
    let elapsed = START.with(|start| start.elapsed().as_secs_f64());
    let line = format!("[{elapsed:>7.1} s] {}: {what}", test_name());
    eprintln!("{line}");
    watchdog::reached(line);
}

/// Ends a stuck test run instead of letting it hang until CI's limit: if no
/// test reaches a new step for [`watchdog::STUCK_AFTER`], it writes the last
/// step reached to stderr (past the test harness's output capture) and
/// aborts the test binary. Two local runs saw a WebDriver request never
/// answered (the app idle, `WebKitWebDriver` holding the request).
mod watchdog {
    use std::io::Write;
    use std::sync::{Mutex, Once};
    use std::time::{Duration, Instant};

    /// No new step for this long: the run is stuck. The longest step takes
    /// about 20 s.
    pub const STUCK_AFTER: Duration = Duration::from_secs(180);

    static LAST: Mutex<Option<(Instant, String)>> = Mutex::new(None);
    static START: Once = Once::new();

    pub fn reached(line: String) {
        if let Ok(mut last) = LAST.lock() {
            *last = Some((Instant::now(), line));
        }
        START.call_once(|| {
            std::thread::spawn(|| loop {
                std::thread::sleep(Duration::from_secs(5));
                let stuck = LAST.lock().ok().and_then(|last| {
                    last.as_ref()
                        .filter(|(at, _)| at.elapsed() > STUCK_AFTER)
                        .map(|(_, line)| line.clone())
                });
                if let Some(line) = stuck {
                    let _ = writeln!(
                        std::io::stderr(),
                        "desktop tests stuck: no new step for {} s; the last one reached: {line}",
                        STUCK_AFTER.as_secs()
                    );
                    std::process::abort();
                }
            });
        });
    }
}

pub fn which(tool: &str) -> PathBuf {
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        let p = Path::new(dir).join(tool);
        if p.is_file() {
            return p;
        }
    }
    let cargo_bin = std::env::var("HOME")
        .map(|h| Path::new(&h).join(".cargo/bin").join(tool))
        .unwrap_or_default();
    if cargo_bin.is_file() {
        return cargo_bin;
    }
    panic!("`{tool}` is not installed: run `cargo xtask setup`");
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Keeps the app's log beside the screenshots (the temporary home goes).
impl Drop for DesktopSession {
    fn drop(&mut self) {
        let log = self.app_log();
        let _ = std::fs::write(
            artifacts_dir().join(format!("{}-app.log", test_name())),
            log,
        );
    }
}

/// Xvfb + D-Bus + dunst + keyring + tauri-driver.
pub struct DesktopSession {
    pub home: TempDir,
    pub display: String,
    pub bus: String,
    driver_port: u16,
    // Dropped in reverse order of start: driver first, X server last.
    driver: Option<Killed>,
    _keyring: Killed,
    _dunst: Killed,
    _bus: Killed,
    _xvfb: Killed,
}

impl DesktopSession {
    pub fn start() -> Self {
        let home = tempfile::tempdir().expect("temp home");
        for d in ["data", "config", "cache", "run"] {
            std::fs::create_dir_all(home.path().join(d)).expect("xdg dir");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(
                home.path().join("run"),
                std::fs::Permissions::from_mode(0o700),
            );
        }

        // Xvfb picks a free display and writes its number to stdout.
        let mut xvfb = Command::new(which("Xvfb"))
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb");
        let mut line = String::new();
        BufReader::new(xvfb.stdout.take().expect("Xvfb stdout"))
            .read_line(&mut line)
            .expect("Xvfb display number");
        let display = format!(":{}", line.trim());
        let xvfb = Killed(xvfb);

        let mut bus = Command::new(which("dbus-daemon"))
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon");
        let mut address = String::new();
        BufReader::new(bus.stdout.take().expect("bus stdout"))
            .read_line(&mut address)
            .expect("bus address");
        let bus_address = address.trim().to_owned();
        let bus = Killed(bus);

        let session = |cmd: &mut Command| {
            cmd.env("DISPLAY", &display)
                .env("DBUS_SESSION_BUS_ADDRESS", &bus_address)
                .env("HOME", home.path())
                .env("XDG_DATA_HOME", home.path().join("data"))
                .env("XDG_CONFIG_HOME", home.path().join("config"))
                .env("XDG_CACHE_HOME", home.path().join("cache"))
                .env("XDG_RUNTIME_DIR", home.path().join("run"))
                .env("NO_AT_BRIDGE", "1");
        };

        let mut dunst = Command::new(which("dunst"));
        session(&mut dunst);
        let dunst = Killed(
            dunst
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start dunst"),
        );

        let mut keyring = Command::new(which("gnome-keyring-daemon"));
        session(&mut keyring);
        let mut keyring = keyring
            .args(["--foreground", "--unlock", "--components=secrets"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gnome-keyring-daemon");
        if let Some(mut stdin) = keyring.stdin.take() {
            use std::io::Write;
            let _ = stdin.write_all(b"switchboard-e2e");
        }
        let keyring = Killed(keyring);

        let mut me = Self {
            home,
            display,
            bus: bus_address,
            driver_port: 0,
            driver: None,
            _keyring: keyring,
            _dunst: dunst,
            _bus: bus,
            _xvfb: xvfb,
        };
        me.wait_for_bus_name("org.freedesktop.Notifications");
        me.wait_for_bus_name("org.freedesktop.secrets");

        let port = free_port();
        let native = free_port();
        // The driver's and the app's output (the app inherits it), kept as an
        // artifact beside the screenshots for reading a failed run.
        let log_path = artifacts_dir().join(format!("{}-driver.log", test_name()));
        let log = std::fs::File::create(&log_path).expect("app log file");
        let log_err = log.try_clone().expect("app log file");
        eprintln!(
            "driver log: {}; the app's log is copied to {} at the end",
            log_path.display(),
            artifacts_dir()
                .join(format!("{}-app.log", test_name()))
                .display()
        );
        let mut driver = me.command(&which("tauri-driver"));
        let driver = driver
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
                "--native-driver",
                "/usr/bin/WebKitWebDriver",
            ])
            .env("SWITCHBOARD_LOG", "info,switchboard_app=debug")
            // The native open and save dialogs cannot be driven over
            // WebDriver: the app takes these answers instead (files.rs).
            .env(
                "SWITCHBOARD_TEST_PICK_FILES",
                std::env::join_paths([
                    me.pick_dir().join("invoice-1042.pdf"),
                    me.pick_dir().join("screenshot.png"),
                ])
                .expect("pick paths"),
            )
            .env("SWITCHBOARD_TEST_SAVE_DIR", me.save_dir())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .expect("start tauri-driver");
        me.driver = Some(Killed(driver));
        me.driver_port = port;
        wait_for_port(port);
        me
    }

    /// Where the files the app's open dialog "picks" are (see `files.rs` in
    /// the app: `SWITCHBOARD_TEST_PICK_FILES`).
    pub fn pick_dir(&self) -> PathBuf {
        self.home.path().join("pick")
    }

    /// Where the app's save dialog "saves" (`SWITCHBOARD_TEST_SAVE_DIR`).
    pub fn save_dir(&self) -> PathBuf {
        let dir = self.home.path().join("saved");
        let _ = std::fs::create_dir_all(&dir);
        dir
    }

    /// A command that runs inside this session (display, bus, home).
    pub fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        let home = self.home.path();
        cmd.env("DISPLAY", &self.display)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("XDG_RUNTIME_DIR", home.join("run"))
            .env("NO_AT_BRIDGE", "1");
        cmd
    }

    /// Runs a tool of the session and returns its stdout (fails the test on error).
    pub fn run(&self, program: &str, args: &[&str]) -> String {
        let out = self
            .command(&which(program))
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Like [`Self::run`] but returns `None` on failure.
    pub fn try_run(&self, program: &str, args: &[&str]) -> Option<String> {
        let out = self.command(&which(program)).args(args).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn wait_for_bus_name(&self, name: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let names = self
                .try_run(
                    "gdbus",
                    &[
                        "call",
                        "--session",
                        "--dest",
                        "org.freedesktop.DBus",
                        "--object-path",
                        "/org/freedesktop/DBus",
                        "--method",
                        "org.freedesktop.DBus.ListNames",
                    ],
                )
                .unwrap_or_default();
            if names.contains(&format!("'{name}'")) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{name} never appeared on the bus"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Starts the app over WebDriver.
    pub async fn launch(&self) -> Client {
        self.launch_app(&app_binary()).await
    }

    /// Starts another Tauri binary over WebDriver (the benchmark's empty window).
    pub async fn launch_app(&self, application: &Path) -> Client {
        self.launch_app_with(application, &[]).await
    }

    /// Starts a Tauri binary over WebDriver with command-line arguments.
    pub async fn launch_app_with(&self, application: &Path, args: &[&str]) -> Client {
        // Both rustls providers are in the dependency tree: pick one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": application, "args": args }),
        );
        ClientBuilder::rustls()
            .expect("rustls connector")
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.driver_port))
            .await
            .expect("WebDriver session with the app")
    }

    /// The app's log files (in its log directory), oldest first, as one text.
    pub fn app_log(&self) -> String {
        let dir = self.app_data_dir().join("logs");
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap_or_default())
            .collect()
    }

    /// The app's cache and other files, for checking nothing secret is there.
    pub fn app_data_dir(&self) -> PathBuf {
        self.home.path().join("data/app.switchboard.desktop")
    }
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "tauri-driver did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits for an element by `data-testid` (and optional extra CSS).
pub async fn by_testid(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no element {css}: {e}"))
}

/// Saves a screenshot of the page under `target/e2e-screenshots/NAME.png`.
pub async fn screenshot(client: &Client, name: &str) -> PathBuf {
    let png = client.screenshot().await.expect("screenshot");
    let path = artifacts_dir().join(format!("{name}.png"));
    std::fs::write(&path, png).expect("write screenshot");
    path
}

/// Whole files under `dir`, for a search for a secret.
pub fn files_contain(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return hits;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            hits.extend(files_contain(&path, needle));
        } else if let Ok(mut f) = std::fs::File::open(&path) {
            let mut bytes = Vec::new();
            let _ = f.read_to_end(&mut bytes);
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                hits.push(path);
            }
        }
    }
    hits
}
