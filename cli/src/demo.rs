//! `authcloud demo`: the whole registration guide on this machine, no account needed.
//!
//! An embedded emulator plays the Authentication Cloud; its simulated phone approves after
//! `--approve-after`, or (with `never`) a person clicks Approve on the deep link's page.

use std::sync::Arc;
use std::time::Duration;

use authcloud::{ApprovalRequest, Client, EnrollRequest, UserRef, VerifyOptions, WaitOptions};
use authcloud_emulator::{Emulator, EmulatorConfig};
use clap::Args;
use serde_json::json;

use crate::commands::{introspection_doc, verified_text, wait_showing_progress};
use crate::{OutputArgs, exit, output, term_qr};

/// When the simulated phone approves.
#[derive(Debug, Clone, Copy)]
pub enum ApproveAfter {
    After(Duration),
    /// Only a person clicking Approve on the deep link's page.
    Never,
}

fn parse_approve_after(text: &str) -> Result<ApproveAfter, String> {
    if text.eq_ignore_ascii_case("never") {
        return Ok(ApproveAfter::Never);
    }
    humantime::parse_duration(text).map(ApproveAfter::After).map_err(|e| format!("{e} (try 3s, 500ms or never)"))
}

#[derive(Args)]
pub struct DemoArgs {
    /// The username to register.
    #[arg(long, default_value = "demo-user")]
    username: String,
    /// When the simulated phone approves (e.g. 3s), or `never` to click it yourself.
    #[arg(long, default_value = "3s", value_parser = parse_approve_after)]
    approve_after: ApproveAfter,
    /// Give up waiting after this long.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "5m")]
    timeout: Duration,
    /// Draw the QR code dark-on-light (for light terminal themes).
    #[arg(long)]
    invert_qr: bool,
    #[command(flatten)]
    output: OutputArgs,
}

pub async fn run(args: DemoArgs) -> u8 {
    let out = output(&args.output);
    if (out.json() || out.quiet()) && matches!(args.approve_after, ApproveAfter::Never) {
        // The deep link is for a person to open; these modes print nothing until the end.
        return out.usage("--approve-after never needs a person to open the deep link: drop --json/--quiet");
    }
    out.note("1. Starting the embedded Authentication Cloud emulator");
    let emu = match Emulator::start(EmulatorConfig { transaction_ttl: args.timeout, ..Default::default() }).await {
        Ok(emu) => Arc::new(emu),
        Err(e) => {
            eprintln!("error: cannot start the emulator: {e}");
            return exit::NETWORK;
        }
    };
    let client = match Client::builder()
        .base_url(emu.base_url())
        .access_key(emu.access_key())
        .user_agent_suffix("authcloud-cli-demo")
        .build()
    {
        Ok(client) => client,
        Err(e) => return out.fail(&e),
    };

    out.note(&format!("2. Enrolling user `{}` (POST /api/v1/users/enroll)", args.username));
    let enrolled = match client.enroll(&EnrollRequest::username(&args.username)).await {
        Ok(enrolled) => enrolled,
        Err(e) => return out.fail(&e),
    };
    let enrollment = &enrolled.enrollment;

    if !out.json() && !out.quiet() {
        match enrollment.app_link_uri.href() {
            Ok(link) => {
                if let Some(qr) = term_qr::for_stdout(link, args.invert_qr) {
                    println!("{qr}");
                }
                println!("{} {}", out.em("Deep link:"), link);
            }
            Err(e) => println!("{} not shown ({e})", out.em("Deep link:")),
        }
    }
    match args.approve_after {
        ApproveAfter::After(delay) => {
            out.note(&format!("3. The simulated phone will approve in {}", humantime::format_duration(delay)));
            let emu = Arc::clone(&emu);
            let transaction_id = enrollment.transaction_id.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                // Fails only if the user already decided on the page: nothing to do then.
                let _ = emu.approve(&transaction_id);
            });
        }
        ApproveAfter::Never => {
            out.note("3. Open the deep link above in a browser and press Approve (or Decline)");
        }
    }

    out.note(&format!(
        "4. Polling the status every {} (POST /api/v1/status)",
        humantime::format_duration(authcloud::DEFAULT_POLL_INTERVAL)
    ));
    let waited = wait_showing_progress(&client, &enrollment.status_token, &options_for(args.timeout), &out).await;
    let outcome = match waited {
        Ok(outcome) => outcome,
        Err(e) => return out.fail(&e),
    };
    if !outcome.succeeded() {
        let status = outcome.status.status.as_str().to_owned();
        out.result(
            json!({ "status": status, "userId": enrolled.user.user_id, "username": args.username, "polls": outcome.polls }),
            || status.clone(),
            || format!("{} the registration ended with status `{status}`", out.bad("Not registered:")),
        );
        return exit::DECLINED;
    }

    out.note("5. Verifying on the backend (status + introspect), bound to this enrollment");
    let options =
        VerifyOptions::default().expect_user(&enrolled.user.user_id).expect_transaction(&enrollment.transaction_id);
    let verified = match client.verify(&enrollment.status_token, &options).await {
        Ok(verified) => verified,
        Err(e) => return out.fail(&e),
    };
    if !out.json() && !out.quiet() {
        eprintln!("{}", verified_text(&out, &verified));
    }

    // The phone is registered: the next thing an app does is log the user in with it.
    out.note("6. Logging in with the phone: a push approval with a prompt (POST /api/v1/approval)");
    let login = ApprovalRequest::push(UserRef::UserId(verified.user_id.clone()))
        .with_prompt("<html>Log in to the <b>authcloud demo</b>?</html>")
        .with_notification("authcloud demo: confirm your login");
    let approval = match client.approve(&login).await {
        Ok(approval) => approval,
        Err(e) => return out.fail(&e),
    };
    match args.approve_after {
        ApproveAfter::After(delay) => {
            out.note(&format!("   the simulated phone will accept in {}", humantime::format_duration(delay)));
            let emu = Arc::clone(&emu);
            let transaction_id = approval.transaction_id.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let _ = emu.approve(&transaction_id);
            });
        }
        ApproveAfter::Never => {
            // The simulated phone's page lists the push with its message (stdout, like the
            // deep link: it is for the person at the terminal).
            println!("{} {}/phone/{}", out.em("Phone:"), emu.base_url(), verified.user_id);
            out.note("   open the phone page above in a browser and press Approve (or Decline)");
        }
    }
    let waited = wait_showing_progress(&client, &approval.status_token, &options_for(args.timeout), &out).await;
    let login_outcome = match waited {
        Ok(outcome) => outcome,
        Err(e) => return out.fail(&e),
    };
    if !login_outcome.succeeded() {
        let status = login_outcome.status.status.as_str().to_owned();
        out.result(
            json!({ "status": "succeeded", "userId": verified.user_id, "login": { "status": status } }),
            || status.clone(),
            || format!("{} the login ended with status `{status}`", out.bad("Not logged in:")),
        );
        return exit::DECLINED;
    }
    out.note("7. Verifying the login on the backend, bound to this approval and user");
    let bound = VerifyOptions::default().expect_user(&verified.user_id).expect_transaction(&approval.transaction_id);
    let logged_in = match client.verify(&approval.status_token, &bound).await {
        Ok(user) => user,
        Err(e) => return out.fail(&e),
    };
    out.result(
        json!({
            "status": "succeeded",
            "userId": verified.user_id,
            "username": verified.username,
            "transactionId": verified.transaction_id,
            "polls": outcome.polls,
            "elapsedMs": outcome.elapsed.as_millis() as u64,
            "introspection": introspection_doc(&verified.introspection),
            "login": {
                "status": "succeeded",
                "transactionId": logged_in.transaction_id,
                "polls": login_outcome.polls,
                "introspection": introspection_doc(&logged_in.introspection),
            },
        }),
        || out.shown(&verified.user_id),
        || format!("{} as user {} with the registered phone", out.good("Logged in"), out.shown(&logged_in.user_id)),
    );
    emu.stop().await;
    exit::OK
}

fn options_for(timeout: Duration) -> WaitOptions {
    WaitOptions { timeout, ..Default::default() }
}
