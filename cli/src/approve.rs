//! `authcloud approve`: ask a registered phone to confirm (a login, a payment), then —
//! by default — wait for the answer and verify it, with the same exit codes as `wait`
//! and `verify`.

use authcloud::{ApprovalRequest, Channel, Client, VerifyOptions};
use clap::Args;
use serde_json::json;

use crate::commands::{PollArgs, UserArgs, client_or_usage, verified_doc, verified_text, wait_showing_progress};
use crate::target::TargetArgs;
use crate::{OutputArgs, exit, output, term_qr, try_or_exit};

#[derive(Args)]
pub struct ApproveArgs {
    #[command(flatten)]
    user: UserArgs,
    /// push (a notification to the app) or app (a QR code / deep link to show).
    #[arg(long, default_value = "push")]
    channel: String,
    /// What the app shows: plain text, or <html>…</html> with only <b> <br> <em> <i>
    /// <strong> <u>. Implies --prompt.
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
    let Some(user) = args.user.user_ref() else {
        return out.usage("approve needs --username or --user-id");
    };
    let channel = match args.channel.as_str() {
        "push" => Channel::Push,
        "app" => Channel::App,
        _ => return out.usage("--channel is push or app"),
    };
    let request = ApprovalRequest {
        user,
        channel,
        authenticator_id: args.authenticator_id.clone(),
        prompt: args.message.is_some(),
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
