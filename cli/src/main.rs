//! `authcloud`: the registration flow from a terminal.
//!
//! `authcloud demo` runs the whole guide on an embedded emulator; the other subcommands
//! talk to a real instance (or any emulator) with flags or `AUTHCLOUD_*` variables.
//! People get colour (on a TTY) and progress on stderr; scripts get `--json`: exactly one
//! JSON document on stdout, errors included.

mod approve;
mod codes;
mod commands;
mod demo;
mod duration;
mod examples;
mod exit;
mod logs;
mod manage;
mod output;
mod progress;
mod target;
mod term_qr;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::output::Output;

/// Register a phone as an authenticator with the Nevis Authentication Cloud.
#[derive(Parser)]
#[command(name = "authcloud", version, about, long_about = None, after_help = exit::HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole flow on an embedded emulator: enroll, QR code, poll, verify.
    #[command(after_help = examples::DEMO)]
    Demo(demo::DemoArgs),
    /// Start a registration (POST /api/v1/users/enroll).
    #[command(after_help = examples::ENROLL)]
    Enroll(commands::EnrollArgs),
    /// Show an operation's status once (POST /api/v1/status).
    #[command(after_help = examples::STATUS)]
    Status(commands::TokenArgs),
    /// Poll the status (every 1.5 s by default) until the user acts.
    #[command(after_help = examples::WAIT)]
    Wait(commands::WaitArgs),
    /// Verify an operation from the backend: status + introspect.
    #[command(after_help = examples::VERIFY)]
    Verify(commands::VerifyArgs),
    /// Check whether a token is genuine and active (POST /api/v1/introspect).
    #[command(after_help = examples::INTROSPECT)]
    Introspect(commands::TokenArgs),
    /// Ask a registered phone to confirm (POST /api/v1/approval), wait and verify.
    #[command(after_help = examples::APPROVE)]
    Approve(approve::ApproveArgs),
    /// Issue new recovery codes for a user and print them once (POST /api/v1/users/enroll, channel recovery).
    #[command(after_help = examples::RECOVERY_CODES)]
    RecoveryCodes(codes::RecoveryCodesArgs),
    /// Check an SMS or recovery code (POST /api/v1/users/{userId}/verification): exit 0 if correct, 3 if not.
    #[command(after_help = examples::VERIFY_CODE)]
    VerifyCode(codes::VerifyCodeArgs),
    /// Users of the instance: get, find, delete.
    #[command(subcommand, after_help = examples::USERS)]
    Users(manage::UsersCommand),
    /// Authenticators (phones) of users: rename, delete.
    #[command(subcommand, after_help = examples::AUTHENTICATORS)]
    Authenticators(manage::AuthenticatorsCommand),
    /// The instance's event log (GET /api/v1/logs/export).
    #[command(subcommand, after_help = examples::LOGS)]
    Logs(logs::LogsCommand),
    /// Check that the instance answers (GET /ping).
    #[command(after_help = examples::PING)]
    Ping(manage::PingArgs),
    /// Mint a single-use intent token for a device (POST /api/v1/intent).
    #[command(after_help = examples::INTENT)]
    Intent(commands::IntentArgs),
    /// Run the emulator standalone until Ctrl-C (the same as the authcloud-emulator binary).
    #[command(after_help = examples::EMULATOR)]
    Emulator(authcloud_emulator::launcher::LaunchArgs),
    /// Print a shell completion script: bash, zsh, fish, elvish or powershell.
    #[command(after_help = examples::COMPLETIONS)]
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
}

/// Output options shared by every subcommand.
#[derive(Clone, Args)]
pub struct OutputArgs {
    /// Print one JSON document on stdout instead of text.
    #[arg(long, global = true, conflicts_with = "quiet")]
    json: bool,
    /// Print only the essential value on stdout (a token, a status, a user id), and nothing
    /// on stderr but errors: for scripts.
    #[arg(long, short = 'q', global = true)]
    quiet: bool,
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    init_logging();
    // Which subcommand's matches hold the credential flags (for the command-line warning).
    // The innermost subcommand's matches hold its flags (`users get …` is two deep).
    let mut sub_matches = matches.subcommand().map(|(_, m)| m.clone());
    while let Some(inner) = sub_matches.as_ref().and_then(|m| m.subcommand().map(|(_, inner)| inner.clone())) {
        sub_matches = Some(inner);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::NETWORK);
        }
    };
    let code = runtime.block_on(run(cli.command, sub_matches));
    // Don't let a stuck connection delay the exit.
    runtime.shutdown_timeout(Duration::from_millis(200));
    ExitCode::from(code)
}

async fn run(command: Command, matches: Option<clap::ArgMatches>) -> u8 {
    let matches = matches.unwrap_or_default();
    match command {
        Command::Demo(args) => demo::run(args).await,
        Command::Enroll(args) => commands::enroll(args, &matches).await,
        Command::Status(args) => commands::status(args, &matches).await,
        Command::Wait(args) => commands::wait(args, &matches).await,
        Command::Verify(args) => commands::verify(args, &matches).await,
        Command::Introspect(args) => commands::introspect(args, &matches).await,
        Command::Intent(args) => commands::intent(args, &matches).await,
        Command::Approve(args) => approve::approve(args, &matches).await,
        Command::RecoveryCodes(args) => codes::recovery_codes(args, &matches).await,
        Command::VerifyCode(args) => codes::verify_code(args, &matches).await,
        Command::Users(command) => manage::users(command, &matches).await,
        Command::Authenticators(command) => manage::authenticators(command, &matches).await,
        Command::Ping(args) => manage::ping(args, &matches).await,
        Command::Logs(command) => logs::logs(command, &matches).await,
        Command::Completions { shell } => {
            // Into a buffer first: a closed pipe (`| head`) must not panic the generator.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "authcloud", &mut script);
            let _ = std::io::Write::write_all(&mut std::io::stdout(), &script);
            exit::OK
        }
        Command::Emulator(args) => {
            let code = authcloud_emulator::launcher::serve(args, "authcloud emulator").await;
            if code == std::process::ExitCode::SUCCESS { exit::OK } else { exit::USAGE }
        }
    }
}

/// `RUST_LOG` controls diagnostics (default: warnings), always on stderr.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(console::Term::stderr().is_term())
        .init();
}

/// Shorthand used by the subcommands.
pub(crate) fn output(args: &OutputArgs) -> Output {
    Output::new(args.json, args.quiet)
}
