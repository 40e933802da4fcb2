//! The `shopcredit` command line: serve, migrate, token, openapi.

use clap::{Parser, Subcommand};

use crate::assessor::load_current_policy;
use crate::auth::mint_token;
use crate::clock::rfc3339;
use crate::config::Settings;
use crate::domain::role::Role;
use crate::domain::shop::{GridCode, GridName};
use crate::startup::{open_store, Application};
use crate::storage::tokens::NewToken;
use crate::sweep::rescore_all;
use crate::telemetry::init_tracing;

/// Safety credit for street shops: one shop, one code.
#[derive(Debug, Parser)]
#[command(name = "shopcredit", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (the default). Migrations are applied at start.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Create or revoke API tokens.
    Token {
        #[command(subcommand)]
        action: TokenCommand,
    },
    /// Register grids (the areas shops and inspectors belong to).
    Grid {
        #[command(subcommand)]
        action: GridCommand,
    },
    /// Rescore every shop under the policy in force, with progress and a summary.
    Rescore,
    /// Print the OpenAPI document.
    Openapi,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; it is printed once, alone on the last line of standard output.
    Create {
        /// admin, regulator, inspector or owner.
        #[arg(long)]
        role: String,
        /// For owners: a shop id the token may manage (repeatable).
        #[arg(long = "shop")]
        shops: Vec<i64>,
        /// For inspectors: a grid code the token covers (repeatable).
        #[arg(long = "grid")]
        grids: Vec<String>,
        /// A note to recognise the token by, e.g. who holds it.
        #[arg(long)]
        label: Option<String>,
    },
    /// Revoke a token by its id or its printed prefix.
    Revoke {
        /// The id or prefix printed when the token was created.
        token: String,
    },
    /// List every token (id, prefix, role, label, scope, created, revoked); never a secret.
    List,
}

#[derive(Debug, Subcommand)]
pub enum GridCommand {
    /// Register a grid, e.g. `grid create G01 文三社区`.
    Create {
        /// 1 to 16 letters, digits or dashes; stored upper-case.
        code: String,
        /// The name people know the area by.
        name: String,
    },
}

/// Runs the command line; errors are printed by the caller.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            open_store(&settings).await?;
            println!(
                "migrations applied to {}",
                crate::storage::redact(&settings.database_url)
            );
            Ok(())
        }
        Command::Token { action } => token(settings, action).await,
        Command::Grid { action } => grid(settings, action).await,
        Command::Rescore => rescore(settings).await,
        Command::Openapi => {
            print!("{}", crate::openapi::document_json());
            Ok(())
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    init_tracing(&settings.log, &settings.log_format);
    let database = crate::storage::redact(&settings.database_url);
    let app = Application::build(settings.clone()).await?;
    tracing::info!(
        database = %database,
        addr = %settings.bind_addr,
        port = app.port(),
        "shopcredit listening; docs at /docs"
    );
    app.run_until_stopped().await?;
    Ok(())
}

async fn rescore(settings: Settings) -> anyhow::Result<()> {
    let store = open_store(&settings).await?;
    let now = chrono::Utc::now().timestamp_millis();
    let policy = load_current_policy(&store, now).await?;
    let mut progress = Progress::new(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let summary = rescore_all(&store, &policy, now, |done, total| {
        progress.show(done, total);
        std::future::ready(())
    })
    .await?;
    progress.finish();
    println!(
        "rescored {} shops under policy {}: {} green, {} yellow, {} red; {} changed colour",
        summary.shops,
        policy.version,
        summary.green,
        summary.yellow,
        summary.red,
        summary.colour_changes
    );
    Ok(())
}

/// A progress line on stderr: redrawn in place on a terminal, every tenth otherwise (logs stay short).
struct Progress {
    terminal: bool,
    last_tenth: usize,
}

impl Progress {
    fn new(terminal: bool) -> Self {
        Self {
            terminal,
            last_tenth: 0,
        }
    }

    fn show(&mut self, done: usize, total: usize) {
        let width = 30;
        let filled = (done * width).checked_div(total).unwrap_or(width);
        let bar = format!(
            "[{}{}] {done}/{total}",
            "#".repeat(filled),
            " ".repeat(width - filled)
        );
        if self.terminal {
            eprint!("\r{bar}");
        } else {
            let tenth = (done * 10).checked_div(total).unwrap_or(10);
            if tenth > self.last_tenth || done == total {
                self.last_tenth = tenth;
                eprintln!("{bar}");
            }
        }
    }

    fn finish(&self) {
        if self.terminal {
            eprintln!();
        }
    }
}

async fn token(settings: Settings, action: TokenCommand) -> anyhow::Result<()> {
    let store = open_store(&settings).await?;
    let now = chrono::Utc::now().timestamp_millis();
    match action {
        TokenCommand::Create {
            role,
            shops,
            grids,
            label,
        } => {
            let role = Role::parse(&role).map_err(|e| anyhow::anyhow!(e.0))?;
            check_scope(role, &shops, &grids)?;
            let grids = grids
                .iter()
                .map(|g| GridCode::parse(g).map_err(|e| anyhow::anyhow!("--grid {g}: {}", e.0)))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let minted = mint_token();
            let id = store
                .insert_token(
                    &NewToken {
                        hash: &minted.hash,
                        prefix: &minted.display_prefix,
                        role,
                        label: label.as_deref(),
                        shops: &shops,
                        grids: &grids,
                    },
                    now,
                )
                .await?;
            println!(
                "created {role} token {id} (prefix {}); it is shown once, store it now:",
                minted.display_prefix
            );
            println!("{}", minted.secret);
            Ok(())
        }
        TokenCommand::Revoke { token } => {
            let revoked = store.revoke_token(&token, now).await?;
            if revoked == 0 {
                anyhow::bail!("no live token with id or prefix {token:?}");
            }
            println!("revoked {revoked} token(s)");
            Ok(())
        }
        TokenCommand::List => {
            print_tokens(&store.tokens().await?);
            Ok(())
        }
    }
}

async fn grid(settings: Settings, action: GridCommand) -> anyhow::Result<()> {
    let store = open_store(&settings).await?;
    let now = chrono::Utc::now().timestamp_millis();
    match action {
        GridCommand::Create { code, name } => {
            let code = GridCode::parse(&code).map_err(|e| anyhow::anyhow!("CODE: {}", e.0))?;
            let name = GridName::parse(&name).map_err(|e| anyhow::anyhow!("NAME: {}", e.0))?;
            let grid = store.create_grid(&code, &name, now).await?;
            println!("registered grid {} ({})", grid.code, grid.name);
            Ok(())
        }
    }
}

/// Prints the tokens as a table: one line each, columns separated by two spaces.
fn print_tokens(tokens: &[crate::storage::tokens::TokenListing]) {
    println!("id  prefix  role  label  scope  created  revoked");
    for t in tokens {
        println!(
            "{}  {}  {}  {}  {}  {}  {}",
            t.id,
            t.prefix,
            t.role,
            t.label.as_deref().unwrap_or("-"),
            if t.scope.is_empty() {
                "district"
            } else {
                &t.scope
            },
            rfc3339(t.created_at),
            t.revoked_at.map(rfc3339).unwrap_or_else(|| "-".to_owned()),
        );
    }
}

/// Owners need shops, inspectors need grids, and nobody else takes either.
fn check_scope(role: Role, shops: &[i64], grids: &[String]) -> anyhow::Result<()> {
    match role {
        Role::Owner if shops.is_empty() => {
            anyhow::bail!("an owner token needs at least one --shop ID")
        }
        Role::Inspector if grids.is_empty() => {
            anyhow::bail!("an inspector token needs at least one --grid CODE")
        }
        Role::Owner if !grids.is_empty() => anyhow::bail!("--grid is for inspector tokens"),
        Role::Inspector if !shops.is_empty() => anyhow::bail!("--shop is for owner tokens"),
        Role::Regulator | Role::Admin if !shops.is_empty() || !grids.is_empty() => {
            anyhow::bail!("{role} tokens cover the whole district: drop --shop and --grid")
        }
        _ => Ok(()),
    }
}
