//! `switchboard-server`: serve the API, create an admin, seed the demo team.

use std::net::SocketAddr;

use clap::{Parser, Subcommand};
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
        /// Address to listen on.
        #[arg(long, env = "SWITCHBOARD_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// sqlite://PATH (created if missing) or postgres://…
        #[arg(
            long,
            env = "SWITCHBOARD_DATABASE_URL",
            default_value = "sqlite://switchboard.db"
        )]
        database_url: String,
        /// A reverse proxy whose `X-Forwarded-For` is believed (repeatable;
        /// the environment takes a comma-separated list).
        #[arg(
            long = "trusted-proxy",
            env = "SWITCHBOARD_TRUSTED_PROXIES",
            value_delimiter = ','
        )]
        trusted_proxies: Vec<std::net::IpAddr>,
    },
    /// Create an admin account.
    CreateAdmin {
        /// Login email.
        #[arg(long)]
        email: String,
        /// Password (at least 8 characters).
        #[arg(long, env = "SWITCHBOARD_ADMIN_PASSWORD")]
        password: String,
        /// Display name.
        #[arg(long, default_value = "Admin")]
        name: String,
        /// Database URL.
        #[arg(
            long,
            env = "SWITCHBOARD_DATABASE_URL",
            default_value = "sqlite://switchboard.db"
        )]
        database_url: String,
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
        /// Database URL.
        #[arg(
            long,
            env = "SWITCHBOARD_DATABASE_URL",
            default_value = "sqlite://switchboard.db"
        )]
        database_url: String,
    },
}

fn main() -> anyhow::Result<()> {
    // The configuration file fills in what the environment does not set,
    // before anything reads either (and before any other thread exists);
    // then the command line is read again with those settings in place.
    if let Some(path) = Cli::parse().config {
        let text = std::fs::read_to_string(&path).map_err(|e| {
            anyhow::anyhow!("cannot read the configuration file {}: {e}", path.display())
        })?;
        let settings = switchboard_server::config_file::parse(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        for (name, value) in
            switchboard_server::config_file::not_in_env(settings, |n| std::env::var(n).ok())
        {
            std::env::set_var(name, value);
        }
    }
    let cli = Cli::parse();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match cli.command {
        Command::Serve {
            listen,
            database_url,
            trusted_proxies,
        } => {
            let server = Server::start(Config {
                // Channel hook: SWITCHBOARD_EMAIL_INBOUND_SECRET, SWITCHBOARD_SMTP_*, SWITCHBOARD_IMAP_*.
                email: switchboard_server::channels::email::EmailConfig::from_env()?,
                // SWITCHBOARD_TWILIO_*, SWITCHBOARD_PUBLIC_URL.
                sms: switchboard_server::channels::sms::SmsConfig::from_env()?,
                // SWITCHBOARD_WIDGET_* and SWITCHBOARD_BOT_*.
                widget: switchboard_server::channels::widget::WidgetConfig::from_env()?,
                bot: switchboard_server::channels::bot::BotConfig::from_env()?,
                // SWITCHBOARD_CLASSIFIER_MIN_CONFIDENCE, …_MIN_EXAMPLES, …_RETRAIN_SECS, …_RETRAIN_AFTER.
                classifier: switchboard_server::classifier::ClassifierConfig::from_env()?,
                trusted_proxies,
                ..Config::new(listen, database_url)
            })
            .await?;
            println!("Switchboard server listening on {}", server.url());
            let stop = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            tokio::select! {
                r = server.wait() => r?,
                _ = stop => println!("stopping"),
            }
        }
        Command::CreateAdmin {
            email,
            password,
            name,
            database_url,
        } => {
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
        Command::SeedDemo { database_url } => {
            let store = Store::open(&database_url, Clock::manual(chrono::Utc::now())).await?;
            match seed::seed_demo(&store).await {
                Ok(()) => println!(
                    "seeded the demo team; log in as {} / {} (agents: ada@, grace@, linus@, margaret@demo.switchboard)",
                    seed::DEMO_ADMIN,
                    seed::DEMO_PASSWORD
                ),
                Err(e) => {
                    eprintln!("not seeded: {e}");
                    std::process::exit(3);
                }
            }
        }
    }
    Ok(())
}
