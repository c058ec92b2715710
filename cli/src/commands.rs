//! The real-instance subcommands: one function each, sharing target and output handling.

use std::path::PathBuf;

use authcloud::{
    Channel, Client, EnrollRequest, IntentOperation, IntentRequest, Introspection, SecretString, SmsEnrollRequest,
    UserRef, VerifyOptions, WaitOptions,
};
use clap::Args;
use serde_json::{Value, json};

use crate::duration::HumanDuration;
use crate::output::Output;
use crate::progress::Progress;
use crate::target::{TargetArgs, read_token};
use crate::{OutputArgs, exit, output, term_qr};

/// `--username` or `--user-id`.
#[derive(Clone, Args)]
pub struct UserArgs {
    /// Your stable, non-PII id for the user (created if new).
    #[arg(long, conflicts_with = "user_id")]
    username: Option<String>,
    /// UUID of an existing user.
    #[arg(long)]
    user_id: Option<String>,
}

impl UserArgs {
    pub(crate) fn user_ref(&self) -> Option<UserRef> {
        match (&self.username, &self.user_id) {
            (Some(name), _) => Some(UserRef::Username(name.clone())),
            (None, Some(id)) => Some(UserRef::UserId(id.clone())),
            (None, None) => None,
        }
    }
}

#[derive(Args)]
pub struct EnrollArgs {
    #[command(flatten)]
    user: UserArgs,
    /// app (a QR code / deep link for the authenticator app) or sms (codes by SMS to --phone).
    #[arg(long, value_enum, default_value = "app")]
    channel: EnrollChannel,
    /// For --channel sms: the phone number, + and the country code (+41791234567).
    #[arg(long, required_if_eq("channel", "sms"))]
    phone: Option<String>,
    /// For --channel sms: the SMS text, with {{CODE}} where the code goes (GSM-7 only).
    #[arg(long, requires = "phone")]
    sms_message: Option<String>,
    /// Save the QR code PNG to this file.
    #[arg(long, value_name = "FILE")]
    qr_png: Option<PathBuf>,
    /// Don't draw the QR code in the terminal.
    #[arg(long)]
    no_qr: bool,
    /// Draw the QR code dark-on-light (for light terminal themes).
    #[arg(long)]
    invert_qr: bool,
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    output: OutputArgs,
}

/// What `enroll` registers.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EnrollChannel {
    /// The authenticator app (QR code or deep link).
    App,
    /// A phone number for SMS codes.
    Sms,
}

#[derive(Args)]
pub struct TokenArgs {
    /// The token, or `-` to read it from stdin.
    token: String,
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The status token, or `-` to read it from stdin.
    token: String,
    /// Refuse unless the operation is for this user id (bind it to your session).
    #[arg(long, value_name = "USER_ID")]
    expect_user_id: Option<String>,
    /// Refuse unless the status is of this operation (bind it to your session).
    #[arg(long, value_name = "TRANSACTION_ID")]
    expect_transaction_id: Option<String>,
    /// Skip the check that introspect's `sub` is the status' user id (an assumption of
    /// this SDK, not confirmed by the vendor's documentation).
    #[arg(long)]
    no_subject_check: bool,
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args)]
pub struct WaitArgs {
    /// The status token, or `-` to read it from stdin.
    status_token: String,
    #[command(flatten)]
    poll: PollArgs,
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args)]
pub struct IntentArgs {
    #[command(flatten)]
    user: UserArgs,
    /// What the token allows: enroll or approve.
    #[arg(long, default_value = "enroll")]
    operation: String,
    /// Allowed channel (repeatable): app, push, sms.
    #[arg(long = "channel")]
    channels: Vec<String>,
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    output: OutputArgs,
}

/// Builds the client or reports a usage error.
pub(crate) fn client_or_usage(target: &TargetArgs, matches: &clap::ArgMatches, out: &Output) -> Result<Client, u8> {
    target.client(matches).map_err(|message| out.usage(&message))
}

fn token_or_usage(arg: &str, out: &Output) -> Result<SecretString, u8> {
    read_token(arg).map_err(|message| out.usage(&message))
}

#[macro_export]
macro_rules! try_or_exit {
    ($e:expr) => {
        match $e {
            Ok(value) => value,
            Err(code) => return code,
        }
    };
}

pub async fn enroll(args: EnrollArgs, matches: &clap::ArgMatches) -> u8 {
    let out = output(&args.output);
    let client = try_or_exit!(client_or_usage(&args.target, matches, &out));
    if args.channel == EnrollChannel::Sms {
        let (Some(user), Some(phone)) = (args.user.user_ref(), args.phone) else {
            return out.usage("--channel sms needs --phone and --username or --user-id");
        };
        let request = SmsEnrollRequest { user, phone, message: args.sms_message };
        return crate::codes::enroll_sms(&client, &request, &out).await;
    }
    let request = EnrollRequest { user: args.user.user_ref(), channel: Channel::App };
    let enrolled = match client.enroll(&request).await {
        Ok(e) => e,
        Err(e) => return out.fail(&e),
    };
    let enrollment = &enrolled.enrollment;
    // The registration exists now: a QR code that cannot be saved is reported, never a
    // reason to fail (the status token below is what the caller needs to go on).
    let qr_problem = match (&args.qr_png, enrollment.qr_code.png_bytes()) {
        (None, _) => None,
        (Some(_), Err(e)) => Some(e.to_string()),
        (Some(path), Ok(png)) => {
            std::fs::write(path, png).err().map(|e| format!("cannot write {}: {e}", path.display()))
        }
    };
    if let Some(problem) = &qr_problem {
        out.note(&format!("QR code not saved: {problem}"));
    }
    let link = &enrollment.app_link_uri;
    let user_status = enrolled.user.status.as_ref().map(|s| s.as_str().to_owned());
    // Ids the answer lacked and no status answer supplied are empty: shown as unknown.
    let known = |id: &str| Some(id.to_owned()).filter(|id| !id.is_empty());
    if enrolled.ids_missing {
        out.note("The answer lacked an id and the status lookup failed: wait and verify with the status token.");
    }
    let doc = json!({
        "userId": known(&enrolled.user.user_id),
        "username": enrolled.user.username,
        "userStatus": user_status,
        "transactionId": known(&enrollment.transaction_id),
        "idsMissing": enrolled.ids_missing,
        "statusToken": enrollment.status_token.expose(),
        "appLinkUri": link.as_unchecked_str(),
        "appLinkValid": link.is_valid(),
        "appLinkProblem": link.problem().map(ToString::to_string),
        "qrPng": args.qr_png.as_ref().filter(|_| qr_problem.is_none()).map(|p| p.display().to_string()),
        "qrPngProblem": qr_problem,
    });
    out.result(
        doc,
        || out.token(enrollment.status_token.expose()),
        || {
            let mut text = String::new();
            match link.href() {
                Ok(href) => {
                    if !args.no_qr {
                        if let Some(qr) = term_qr::for_stdout(href, args.invert_qr) {
                            text.push_str(&qr);
                            text.push('\n');
                        }
                    }
                    text.push_str(&format!("{} {}\n", out.em("Deep link:    "), href));
                }
                Err(_) => {
                    let problem = link.problem().map(ToString::to_string).unwrap_or_default();
                    text.push_str(&format!("{} not shown: {problem}\n", out.em("Deep link:    ")));
                }
            }
            text.push_str(&format!(
                "{} {} ({})\n",
                out.em("User:         "),
                out.shown(known(&enrolled.user.user_id).as_deref().unwrap_or("(not known)")),
                out.shown(user_status.as_deref().unwrap_or("status not given"))
            ));
            let transaction = known(&enrollment.transaction_id);
            text.push_str(&format!(
                "{} {}\n",
                out.em("Transaction:  "),
                out.shown(transaction.as_deref().unwrap_or("(not known)"))
            ));
            // Server data, but a token: shown whole, not cut like server prose.
            text.push_str(&format!("{} {}", out.em("Status token: "), out.token(enrollment.status_token.expose())));
            if let (Some(path), None) = (&args.qr_png, &qr_problem) {
                text.push_str(&format!("\n{} {}", out.em("QR code PNG:  "), path.display()));
            }
            text
        },
    );
    exit::OK
}

fn status_doc(status: &authcloud::OperationStatus) -> Value {
    json!({
        "status": status.status.as_str(),
        "transactionId": status.transaction_id,
        "userId": status.user_id,
        "username": status.username,
        "createdAt": status.created_at,
        "lastUpdatedAt": status.last_updated_at,
    })
}

pub async fn status(args: TokenArgs, matches: &clap::ArgMatches) -> u8 {
    let out = output(&args.output);
    let client = try_or_exit!(client_or_usage(&args.target, matches, &out));
    let token = try_or_exit!(token_or_usage(&args.token, &out));
    match client.status(&token).await {
        Ok(status) => {
            out.result(status_doc(&status), || status.status.to_string(), || status.status.to_string());
            exit::OK
        }
        Err(e) => out.fail(&e),
    }
}

/// How a command polls: `--interval` and `--timeout`, for every command that waits.
#[derive(Args)]
pub struct PollArgs {
    /// Time between two polls (at least 100ms).
    #[arg(long, default_value_t = HumanDuration(authcloud::DEFAULT_POLL_INTERVAL))]
    interval: HumanDuration,
    /// Give up waiting after this long (exit code 4).
    #[arg(long, default_value_t = HumanDuration(authcloud::DEFAULT_WAIT_TIMEOUT))]
    timeout: HumanDuration,
}

impl PollArgs {
    /// The wait's options.
    pub fn options(&self) -> WaitOptions {
        WaitOptions { poll_interval: self.interval.0, timeout: self.timeout.0, ..Default::default() }
    }
}

pub async fn wait(args: WaitArgs, matches: &clap::ArgMatches) -> u8 {
    let out = output(&args.output);
    let client = try_or_exit!(client_or_usage(&args.target, matches, &out));
    let token = try_or_exit!(token_or_usage(&args.status_token, &out));
    match wait_showing_progress(&client, &token, &args.poll.options(), &out).await {
        Ok(outcome) => {
            let mut doc = status_doc(&outcome.status);
            doc["polls"] = json!(outcome.polls);
            doc["elapsedMs"] = json!(outcome.elapsed.as_millis() as u64);
            let succeeded = outcome.succeeded();
            out.result(
                doc,
                || outcome.status.status.to_string(),
                || {
                    if succeeded {
                        out.good(outcome.status.status.as_str())
                    } else {
                        out.bad(outcome.status.status.as_str())
                    }
                },
            );
            if succeeded { exit::OK } else { exit::DECLINED }
        }
        Err(e) => out.fail(&e),
    }
}

/// Waits with a progress line (unless quiet), cancelling cleanly on Ctrl-C.
pub async fn wait_showing_progress(
    client: &Client,
    token: &SecretString,
    options: &WaitOptions,
    out: &Output,
) -> authcloud::Result<authcloud::WaitOutcome> {
    let progress = Progress::new(out.quiet());
    let cancel = options.cancel.clone();
    let interrupt = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel();
        }
    });
    let result = client.wait_for_completion(token, options, &progress).await;
    interrupt.abort();
    progress.finish();
    result
}

pub fn introspection_doc(i: &Introspection) -> Value {
    json!({
        "active": i.active, "iat": i.iat, "sub": i.sub, "aud": i.aud, "iss": i.iss,
        "nbf": i.nbf, "exp": i.exp, "jti": i.jti, "scope": i.scope,
    })
}

pub async fn verify(args: VerifyArgs, matches: &clap::ArgMatches) -> u8 {
    let out = output(&args.output);
    let client = try_or_exit!(client_or_usage(&args.target, matches, &out));
    let token = try_or_exit!(token_or_usage(&args.token, &out));
    let options = VerifyOptions {
        expected_user_id: args.expect_user_id,
        expected_transaction_id: args.expect_transaction_id,
        check_subject: !args.no_subject_check,
    };
    match client.verify(&token, &options).await {
        Ok(user) => {
            out.result(verified_doc(&user), || out.shown(&user.user_id), || verified_text(&out, &user));
            exit::OK
        }
        Err(e) => out.fail(&e),
    }
}

pub fn verified_doc(user: &authcloud::VerifiedUser) -> Value {
    json!({
        "verified": true,
        "userId": user.user_id,
        "username": user.username,
        "transactionId": user.transaction_id,
        "introspection": introspection_doc(&user.introspection),
    })
}

pub fn verified_text(out: &Output, user: &authcloud::VerifiedUser) -> String {
    format!(
        "{} user {} ({})\n  token active: {}, subject: {}, issuer: {}",
        out.good("Verified"),
        out.shown(&user.user_id),
        out.shown(user.username.as_deref().unwrap_or("no username")),
        user.introspection.active,
        out.shown(user.introspection.sub.as_deref().unwrap_or("-")),
        out.shown(user.introspection.iss.as_deref().unwrap_or("-")),
    )
}

pub async fn introspect(args: TokenArgs, matches: &clap::ArgMatches) -> u8 {
    let out = output(&args.output);
    let client = try_or_exit!(client_or_usage(&args.target, matches, &out));
    let token = try_or_exit!(token_or_usage(&args.token, &out));
    match client.introspect(&token).await {
        Ok(i) => {
            let state = if i.active { "active" } else { "inactive" };
            out.result(
                introspection_doc(&i),
                || state.to_owned(),
                || {
                    if i.active {
                        format!("{} (sub {})", out.good("active"), out.shown(i.sub.as_deref().unwrap_or("-")))
                    } else {
                        out.bad("inactive")
                    }
                },
            );
            // Scripts can write `authcloud introspect - && trust`.
            if i.active { exit::OK } else { exit::NOT_VERIFIED }
        }
        Err(e) => out.fail(&e),
    }
}

pub async fn intent(args: IntentArgs, matches: &clap::ArgMatches) -> u8 {
    let out = output(&args.output);
    let Some(user) = args.user.user_ref() else {
        return out.usage("intent needs --username or --user-id");
    };
    let operation: IntentOperation = match args.operation.parse() {
        Ok(op) => op,
        Err(e) => return out.fail(&e),
    };
    let mut channels = Vec::new();
    for channel in &args.channels {
        match channel.parse::<Channel>() {
            Ok(c) => channels.push(c),
            Err(e) => return out.fail(&e),
        }
    }
    let client = try_or_exit!(client_or_usage(&args.target, matches, &out));
    match client.create_intent(&IntentRequest { user, operation, channels }).await {
        Ok(token) => {
            out.result(json!({ "token": token.expose() }), || out.token(token.expose()), || out.token(token.expose()));
            exit::OK
        }
        Err(e) => out.fail(&e),
    }
}
