//! `authcloud approve`: ask a registered phone to confirm (a login, a payment), then —
//! by default — wait for the answer and verify it, with the same exit codes as `wait`
//! and `verify`.

use authcloud::{
    ApprovalRequest, Channel, Client, CodeCheck, CodeVerdict, Error, SecretString, UserRef, VerifyOptions,
};
use clap::Args;
use serde_json::json;

use crate::codes::read_code_line;
use crate::commands::{PollArgs, UserArgs, client_or_usage, verified_doc, verified_text, wait_showing_progress};
use crate::target::TargetArgs;
use crate::{OutputArgs, exit, output, term_qr, try_or_exit};

#[derive(Args)]
pub struct ApproveArgs {
    #[command(flatten)]
    user: UserArgs,
    /// push (a notification to the app), app (a QR code / deep link to show) or sms (a code
    /// to the registered phone, typed in here: read from stdin's first line).
    #[arg(long, default_value = "push")]
    channel: String,
    /// Any of the user's apps may confirm (`authenticatorId: "*"`; app channel).
    #[arg(long, conflicts_with = "authenticator_id")]
    any_authenticator: bool,
    /// Name no user (app channel): whoever scans the QR code with a registered app confirms,
    /// and the verified result names them.
    #[arg(long, conflicts_with_all = ["username", "user_id"])]
    usernameless: bool,
    /// What the app shows: plain text, or <html>…</html> with only <b> <br> <em> <i>
    /// <strong> <u>. Implies --prompt. With --channel sms: the SMS text (GSM 7-bit, with
    /// {{CODE}}).
    #[arg(long)]
    message: Option<String>,
    /// The phone notification's text.
    #[arg(long)]
    notification: Option<String>,
    /// Ask this authenticator (`*`: any, app channel only).
    #[arg(long)]
    authenticator_id: Option<String>,
    /// Only start the approval and print its status token (no wait, no verify).
    #[arg(long)]
    no_wait: bool,
    #[command(flatten)]
    poll: PollArgs,
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    output: OutputArgs,
}

pub async fn approve(args: ApproveArgs, matches: &clap::ArgMatches) -> u8 {
    let out = output(&args.output);
    let user = args.user.user_ref();
    if user.is_none() && !args.usernameless {
        return out.usage("approve needs --username, --user-id or --usernameless");
    }
    let channel = match args.channel.as_str() {
        "push" => Channel::Push,
        "app" => Channel::App,
        "sms" => Channel::Sms,
        _ => return out.usage("--channel is push, app or sms"),
    };
    let authenticator_id = if args.any_authenticator { Some("*".to_owned()) } else { args.authenticator_id.clone() };
    let request = ApprovalRequest {
        user: user.clone(),
        channel,
        authenticator_id,
        prompt: args.message.is_some() && channel != Channel::Sms,
        message: args.message.clone(),
        notification_message: args.notification.clone(),
    };
    if let Err(e) = request.validate() {
        return out.fail(&e);
    }
    let client: Client = try_or_exit!(client_or_usage(&args.target, matches, &out));
    let approval = match client.approve(&request).await {
        Ok(approval) => approval,
        Err(e) => return out.fail(&e),
    };
    if channel == Channel::App && !out.json() && !out.quiet() {
        match &approval.app_link_uri {
            Some(link) => match link.href() {
                Ok(link) => {
                    // On stdout, as `enroll` does: the deep link is for the person, never a log.
                    if let Some(qr) = term_qr::for_stdout(link, false) {
                        println!("{qr}");
                    }
                    println!("{} {link}", out.em("Deep link:"));
                }
                Err(e) => println!("{} not shown ({e})", out.em("Deep link:")),
            },
            None => eprintln!("(the answer carries no deep link)"),
        }
    }
    if args.no_wait {
        let doc = json!({
            "transactionId": Some(&approval.transaction_id).filter(|id| !id.is_empty()),
            "idsMissing": approval.ids_missing,
            "statusToken": approval.status_token.expose(),
            "appLinkUri": approval.app_link_uri.as_ref().map(|l| l.as_unchecked_str()),
        });
        let token = out.token(approval.status_token.expose());
        out.result(doc, || token.clone(), || format!("{} {}", out.em("Status token:"), token));
        return exit::OK;
    }
    if channel == Channel::Sms {
        // Nothing to poll for: the user types the code from the SMS, and checking it decides.
        let Some(user) = user else { return out.usage("an SMS approval needs a user") };
        match check_sms_code(&client, &user, &approval.status_token, &out).await {
            Ok(CodeVerdict::Correct) => {}
            Ok(_) => {
                out.result(
                    json!({ "status": "incorrect", "transactionId": approval.transaction_id }),
                    || "incorrect".to_owned(),
                    || format!("{} the code is not correct", out.bad("Not approved:")),
                );
                return exit::DECLINED;
            }
            Err(Failed::Usage(message)) => return out.usage(&message),
            Err(Failed::Sdk(e)) => return out.fail(&e),
        }
    }
    out.note("Waiting for the user to confirm on the phone…");
    let waited = wait_showing_progress(&client, &approval.status_token, &args.poll.options(), &out).await;
    let outcome = match waited {
        Ok(outcome) => outcome,
        Err(e) => return out.fail(&e),
    };
    if !outcome.succeeded() {
        let status = outcome.status.status.as_str().to_owned();
        let transaction_id = match approval.transaction_id.as_str() {
            "" => outcome.status.transaction_id.clone(),
            id => Some(id.to_owned()),
        };
        out.result(
            json!({ "status": status, "transactionId": transaction_id, "polls": outcome.polls }),
            || status.clone(),
            || format!("{} the approval ended with status `{status}`", out.bad("Not approved:")),
        );
        return exit::DECLINED;
    }
    // Verify, bound to this operation: the token cannot be someone else's. (When the answer
    // lacked the id and the status lookup failed, the token itself is this command's own.)
    let bound = match approval.transaction_id.as_str() {
        "" => VerifyOptions::default(),
        id => VerifyOptions::default().expect_transaction(id),
    };
    match client.verify(&approval.status_token, &bound).await {
        Ok(user) => {
            out.result(verified_doc(&user), || out.shown(&user.user_id), || verified_text(&out, &user));
            exit::OK
        }
        Err(e) => out.fail(&e),
    }
}

/// Why the SMS code step did not give a verdict.
enum Failed {
    /// No code to check (stdin empty or unreadable): a usage error.
    Usage(String),
    Sdk(Error),
}

/// Reads the code the user received by SMS from stdin's first line and checks it against the
/// approval's status token (the user's id looked up first when only a username was given).
async fn check_sms_code(
    client: &Client,
    user: &UserRef,
    status_token: &SecretString,
    out: &crate::output::Output,
) -> Result<CodeVerdict, Failed> {
    let user_id = match user {
        UserRef::UserId(id) => id.clone(),
        UserRef::Username(name) => match client.find_user(name).await.map_err(Failed::Sdk)? {
            Some(found) => found.user_id,
            // The approval went to this user a moment ago: it was deleted since.
            None => return Err(Failed::Usage(format!("no user named {name} any more"))),
        },
    };
    out.note("Type the code from the SMS and press Enter:");
    let code = read_code_line().map_err(Failed::Usage)?;
    let check = CodeCheck::Sms { status_token: status_token.clone(), code };
    client.verify_code(&user_id, &check).await.map_err(Failed::Sdk)
}
