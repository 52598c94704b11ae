//! `switchboard-server`: serve the API, create an admin, seed the demo team.

use std::net::SocketAddr;

use clap::{Parser, Subcommand};
use switchboard_server::settings::{value, Settings};
use switchboard_server::{seed, store::Store, Clock, Config, Server};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "switchboard-server",
    version,
    about = "The Switchboard support-inbox server"
)]
struct Cli {
    /// A TOML file with settings (keys: the environment names without
    /// `SWITCHBOARD_`, lower case, e.g. `public_url`, or in tables such as
    /// `[twilio] auth_token`); the environment wins over it.
    #[arg(long, global = true, env = "SWITCHBOARD_CONFIG")]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API.
    Serve {
        /// Address to listen on (else the `listen` setting, else 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// sqlite://PATH (created if missing) or postgres://… (else the
        /// `database_url` setting, else sqlite://switchboard.db).
        #[arg(long)]
        database_url: Option<String>,
        /// A reverse proxy whose `X-Forwarded-For` is believed (repeatable;
        /// the `trusted_proxies` setting takes a comma-separated list).
        #[arg(long = "trusted-proxy", value_delimiter = ',')]
        trusted_proxies: Vec<std::net::IpAddr>,
    },
    /// Create an admin account. The password (at least 8 characters) comes
    /// from `SWITCHBOARD_ADMIN_PASSWORD`, else standard input: asked for
    /// twice without echo on a terminal, else its first line.
    CreateAdmin {
        /// Login email.
        #[arg(long)]
        email: String,
        /// The password on the command line: kept for scripts, but it lands
        /// in the shell's history and the process list (a warning says so).
        #[arg(long)]
        password: Option<String>,
        /// Display name.
        #[arg(long, default_value = "Admin")]
        name: String,
        /// Database URL (else the `database_url` setting, else
        /// sqlite://switchboard.db).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Copy a whole SQLite database into a new PostgreSQL database, verified by counts and checksums.
    MigrateSqliteToPostgres {
        /// Source: sqlite://PATH
        #[arg(long)]
        from: String,
        /// Target: postgres://… (an empty database)
        #[arg(long)]
        to: String,
    },
    /// Seed a demo team (admin@demo.switchboard / switchboard-demo) into a database.
    SeedDemo {
        /// Database URL (else the `database_url` setting, else
        /// sqlite://switchboard.db).
        #[arg(long)]
        database_url: Option<String>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // One typed set of settings: the environment over the file (figment).
    let settings = Settings::from_process(cli.config.as_deref())?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(cli, settings))
}

/// `seed-demo`'s exit status when the demo team is there already (a second
/// run; `cargo xtask demo` then reuses the database).
const EXIT_ALREADY_SEEDED: i32 = 3;
/// `seed-demo`'s exit status when the database holds other accounts.
const EXIT_OTHER_ACCOUNTS: i32 = 4;
/// The environment variable `create-admin` takes the password from.
const ADMIN_PASSWORD_ENV: &str = "SWITCHBOARD_ADMIN_PASSWORD";
/// The shortest password `create-admin` accepts, in characters.
const MIN_PASSWORD_CHARS: usize = 8;

/// `create-admin`'s password: the flag (with a warning), else
/// [`ADMIN_PASSWORD_ENV`], else standard input — asked for twice without
/// echo on a terminal, else its first line (without the line ending).
fn admin_password(flag: Option<String>, email: &str) -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal};
    let password = if let Some(p) = flag {
        eprintln!(
            "warning: a password given with --password stays in the shell's history and shows \
             in the process list; give it on standard input or in {ADMIN_PASSWORD_ENV} instead"
        );
        p
    } else if let Some(p) = std::env::var_os(ADMIN_PASSWORD_ENV) {
        p.into_string()
            .map_err(|_| anyhow::anyhow!("{ADMIN_PASSWORD_ENV} is not valid UTF-8"))?
    } else if std::io::stdin().is_terminal() {
        let p = rpassword::prompt_password(format!("Password for {email}: "))?;
        let again = rpassword::prompt_password("The same password again: ")?;
        if p != again {
            anyhow::bail!("the two passwords differ; no admin was created");
        }
        p
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let end = line.trim_end_matches(['\n', '\r']).len();
        line.truncate(end);
        line
    };
    if password.is_empty() {
        anyhow::bail!(
            "no password given: pipe it on standard input (one line), set {ADMIN_PASSWORD_ENV}, \
             or run create-admin in a terminal to be asked for it"
        );
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        anyhow::bail!(
            "the password must be at least {MIN_PASSWORD_CHARS} characters; no admin was created"
        );
    }
    Ok(password)
}

/// The database URL: the flag, else the setting, else the default file.
fn database_url(flag: Option<String>, settings: &Settings) -> String {
    flag.or_else(|| value(&settings.database_url).map(str::to_owned))
        .unwrap_or_else(|| "sqlite://switchboard.db".to_owned())
}

async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    match value(&settings.log_format) {
        // One JSON object per line, each request's lines with its request id.
        Some("json") => tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter)
            .init(),
        None | Some("text") => tracing_subscriber::fmt().with_env_filter(filter).init(),
        Some(other) => {
            anyhow::bail!("SWITCHBOARD_LOG_FORMAT must be `text` or `json`, not `{other}`")
        }
    }
    match cli.command {
        Command::Serve {
            listen,
            database_url: url,
            mut trusted_proxies,
        } => {
            let listen = match listen {
                Some(l) => l,
                None => value(&settings.listen)
                    .unwrap_or("127.0.0.1:8080")
                    .parse()
                    .map_err(|e| anyhow::anyhow!("SWITCHBOARD_LISTEN: {e}"))?,
            };
            if trusted_proxies.is_empty() {
                for p in value(&settings.trusted_proxies).unwrap_or("").split(',') {
                    let p = p.trim();
                    if !p.is_empty() {
                        trusted_proxies.push(p.parse().map_err(|e| {
                            anyhow::anyhow!("SWITCHBOARD_TRUSTED_PROXIES: `{p}`: {e}")
                        })?);
                    }
                }
            }
            let database_url = database_url(url, &settings);
            // Before anything starts: a SIGTERM from here on is a graceful stop.
            let stop = switchboard_server::StopSignal::listen()?;
            let server = Server::start(
                Config {
                    // email_inbound_secret, smtp_*, imap_*.
                    email: switchboard_server::channels::email::EmailConfig::from_settings(
                        &settings,
                    )?,
                    // twilio_*, public_url.
                    sms: switchboard_server::channels::sms::SmsConfig::from_settings(&settings)?,
                    // widget_* and bot_*.
                    widget: switchboard_server::channels::widget::WidgetConfig::from_settings(
                        &settings,
                    )?,
                    bot: switchboard_server::channels::bot::BotConfig::from_settings(&settings)?,
                    // upload_max_bytes.
                    uploads: switchboard_server::ops::uploads::UploadConfig::from_settings(
                        &settings,
                    )?,
                    // media_url_secret, media_url_ttl_secs, media_link_ttl_secs.
                    media: switchboard_server::outbox::media::MediaConfig::from_settings(
                        &settings,
                    )?,
                    // classifier_*.
                    classifier: switchboard_server::classifier::ClassifierConfig::from_settings(
                        &settings,
                    )?,
                    trusted_proxies,
                    ..Config::new(listen, database_url)
                }
                // spool_dir, metrics_*, sse_streams_*.
                .with_operations(&settings)?,
            )
            .await?;
            // JSON logs are all the output (the server logs its address).
            let text = value(&settings.log_format) != Some("json");
            if text {
                println!("Switchboard server listening on {}", server.url());
            }
            // SIGTERM or Ctrl-C: requests in flight get 10 s to finish.
            server
                .run_until(stop, std::time::Duration::from_secs(10))
                .await?;
            if text {
                println!("stopped");
            }
        }
        Command::CreateAdmin {
            email,
            password,
            name,
            database_url: url,
        } => {
            let password = admin_password(password, &email)?;
            let database_url = database_url(url, &settings);
            let store = Store::open(&database_url, Clock::system()).await?;
            let a = seed::create_admin(&store, &email, &password, &name)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("created admin {} <{}> ({})", a.name, a.email, a.id);
        }
        Command::MigrateSqliteToPostgres { from, to } => {
            let report = switchboard_server::migrate::sqlite_to_postgres(&from, &to).await?;
            let mut ok = true;
            println!(
                "{:<18} {:>10} {:>10}  {:<16} verdict",
                "table", "source", "target", "checksum"
            );
            for t in &report {
                ok &= t.matches();
                println!(
                    "{:<18} {:>10} {:>10}  {:<16} {}",
                    t.table,
                    t.source_rows,
                    t.target_rows,
                    &t.target_sum[..16],
                    if t.matches() { "ok" } else { "MISMATCH" }
                );
            }
            if !ok {
                anyhow::bail!("the copy does not match the source; the target should be dropped and the migration re-run");
            }
            println!("migrated and verified");
        }
        Command::SeedDemo { database_url: url } => {
            let database_url = database_url(url, &settings);
            let store = Store::open(&database_url, Clock::manual(chrono::Utc::now())).await?;
            match seed::seed_demo(&store).await {
                Ok(()) => println!(
                    "seeded the demo team; log in as {} / {} (agents: ada@, grace@, linus@, margaret@demo.switchboard)",
                    seed::DEMO_ADMIN,
                    seed::DEMO_PASSWORD
                ),
                Err(e) => {
                    eprintln!("not seeded: {e}");
                    std::process::exit(match e.downcast_ref::<seed::NotSeeded>() {
                        Some(seed::NotSeeded::AlreadySeeded) => EXIT_ALREADY_SEEDED,
                        Some(seed::NotSeeded::OtherAccounts { .. }) => EXIT_OTHER_ACCOUNTS,
                        None => 1,
                    });
                }
            }
        }
    }
    Ok(())
}
