//! The code channels: `enroll --channel sms` (in `commands.rs`), `recovery-codes` and
//! `verify-code`. Codes are secrets: read from an argument or stdin, printed only where the
//! command's purpose is to show them (the recovery codes, once, with a warning).

use std::io::BufRead;

use authcloud::{Client, CodeCheck, CodeVerdict, SecretString, SmsEnrollRequest};
use clap::{Args, ValueEnum};
use serde_json::json;

use crate::commands::{UserArgs, client_or_usage};
use crate::output::Output;
use crate::target::{TargetArgs, read_token};
use crate::{OutputArgs, exit, output, try_or_exit};

/// `enroll --channel sms`: registers the phone; prints the status token the code check needs.
pub async fn enroll_sms(client: &Client, request: &SmsEnrollRequest, out: &Output) -> u8 {
    let enrolled = match client.enroll_sms(request).await {
        Ok(enrolled) => enrolled,
        Err(e) => return out.fail(&e),
    };
    let known = |id: &str| Some(id.to_owned()).filter(|id| !id.is_empty());
    let doc = json!({
        "userId": known(&enrolled.user.user_id),
        "username": enrolled.user.username,
        "transactionId": known(&enrolled.transaction_id),
        "idsMissing": enrolled.ids_missing,
        "statusToken": enrolled.status_token.expose(),
    });
    out.result(
        doc,
        || out.token(enrolled.status_token.expose()),
        || {
            format!(
                "An SMS with a code is on its way to {}.\nCheck it: authcloud verify-code {} --channel sms \
                 --status-token {} --code-stdin",
                out.shown(&request.phone),
                known(&enrolled.user.user_id).unwrap_or_else(|| "USER_ID".into()),
                out.token(enrolled.status_token.expose()),
            )
        },
    );
    exit::OK
}

#[derive(Args)]
pub struct RecoveryCodesArgs {
    #[command(flatten)]
    user: UserArgs,
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    output: OutputArgs,
}

/// Issues new recovery codes and prints them, once.
pub async fn recovery_codes(args: RecoveryCodesArgs, matches: &clap::ArgMatches) -> u8 {
    let out = output(&args.output);
    let Some(user) = args.user.user_ref() else {
        return out.usage("give --username or --user-id: recovery codes are for one user");
    };
    let client = try_or_exit!(client_or_usage(&args.target, matches, &out));
    let issued = match client.request_recovery_codes(&user).await {
        Ok(issued) => issued,
        Err(e) => return out.fail(&e),
    };
    out.note(
        "These recovery codes are shown once: give them to the user now (each works once; they replace any earlier \
         set). Do not store or log them.",
    );
    let codes: Vec<&str> = issued.codes.iter().map(SecretString::expose).collect();
    let doc = json!({ "userId": issued.user_id, "username": issued.username, "codes": codes });
    let lines = || codes.iter().map(|code| out.token(code)).collect::<Vec<_>>().join("\n");
    out.result(doc, lines, lines);
    exit::OK
}

/// Which kind of code `verify-code` checks.
#[derive(Clone, Copy, ValueEnum)]
pub enum CodeChannel {
    /// The code of an SMS (needs --status-token).
    Sms,
    /// A recovery code.
    Recovery,
}

#[derive(Args)]
pub struct VerifyCodeArgs {
    /// The user's UUID.
    user_id: String,
    /// sms or recovery.
    #[arg(long, value_enum)]
    channel: CodeChannel,
    /// The code (visible in the process list and shell history: prefer --code-stdin).
    #[arg(long, conflicts_with = "code_stdin", required_unless_present = "code_stdin")]
    code: Option<String>,
    /// Read the code from the first line of stdin.
    #[arg(long)]
    code_stdin: bool,
    /// For --channel sms: the status token of the SMS enrollment or approval.
    #[arg(long, required_if_eq("channel", "sms"))]
    status_token: Option<String>,
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    output: OutputArgs,
}

/// Checks a code: exit 0 when it is correct, 3 when it is not.
pub async fn verify_code(args: VerifyCodeArgs, matches: &clap::ArgMatches) -> u8 {
    let out = output(&args.output);
    let code = match (&args.code, args.code_stdin) {
        (Some(code), _) => SecretString::new(code.trim()),
        (None, _) => match read_code_line() {
            Ok(code) => code,
            Err(message) => return out.usage(&message),
        },
    };
    let check = match (args.channel, &args.status_token) {
        (CodeChannel::Recovery, _) => CodeCheck::Recovery { code },
        (CodeChannel::Sms, Some(token)) => match read_token(token) {
            Ok(status_token) => CodeCheck::Sms { status_token, code },
            Err(message) => return out.usage(&message),
        },
        (CodeChannel::Sms, None) => return out.usage("--channel sms needs --status-token"),
    };
    let client = try_or_exit!(client_or_usage(&args.target, matches, &out));
    match client.verify_code(&args.user_id, &check).await {
        Ok(verdict) => {
            let correct = verdict == CodeVerdict::Correct;
            let word = if correct { "correct" } else { "incorrect" };
            out.result(
                json!({ "userId": args.user_id, "correct": correct }),
                || word.to_owned(),
                || if correct { out.good(word) } else { out.bad(word) },
            );
            if correct { exit::OK } else { exit::DECLINED }
        }
        Err(e) => out.fail(&e),
    }
}

/// The code from stdin's first line.
pub(crate) fn read_code_line() -> Result<SecretString, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the code from stdin: {}", e.kind()))?;
    match line.trim() {
        "" => Err("no code on stdin".into()),
        code => Ok(SecretString::new(code)),
    }
}
