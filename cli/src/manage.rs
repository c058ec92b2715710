//! `authcloud users get|find|delete`, `authcloud authenticators rename|delete`,
//! `authcloud ping`: managing users and their phones on an instance.

use authcloud::{Authenticator, DeleteOutcome, User};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::commands::client_or_usage;
use crate::output::Output;
use crate::target::TargetArgs;
use crate::{OutputArgs, exit, output, try_or_exit};

#[derive(Subcommand)]
pub enum UsersCommand {
    /// Show a user and its authenticators (GET /api/v1/users/{userId}).
    Get(UserIdArgs),
    /// Find a user by username (GET /api/v1/users?username=…); exit 3 if there is none.
    Find(UsernameArgs),
    /// Delete a user and its authenticators (DELETE /api/v1/users/{userId}).
    Delete(UserIdArgs),
}

#[derive(Subcommand)]
pub enum AuthenticatorsCommand {
    /// Rename an authenticator (PATCH /api/v1/authenticators/{id}).
    Rename(RenameArgs),
    /// Delete an authenticator, e.g. a lost phone (DELETE /api/v1/authenticators/{id}).
    Delete(AuthenticatorIdArgs),
}

#[derive(Args)]
pub struct UserIdArgs {
    /// The user's id (a UUID).
    user_id: String,
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args)]
pub struct UsernameArgs {
    /// The username.
    username: String,
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args)]
pub struct AuthenticatorIdArgs {
    /// The authenticator's id.
    authenticator_id: String,
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args)]
pub struct RenameArgs {
    /// The authenticator's id.
    authenticator_id: String,
    /// Its new name, e.g. "Anna's phone".
    name: String,
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args)]
pub struct PingArgs {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    output: OutputArgs,
}

fn authenticator_doc(a: &Authenticator) -> Value {
    json!({
        "authenticatorId": a.authenticator_id, "name": a.name, "type": a.device_type,
        "authenticatorType": a.authenticator_type, "state": a.state,
        "enrolledAt": a.enrolled_at, "updatedAt": a.updated_at,
    })
}

fn user_doc(user: &User) -> Value {
    json!({
        "userId": user.user_id,
        "username": user.username,
        "status": user.status.as_ref().map(|s| s.as_str()),
        "createdAt": user.created_at,
        "updatedAt": user.updated_at,
        "lastLoginDateSuccess": user.last_login_success,
        "lastLoginDateFailure": user.last_login_failure,
        "authenticators": user.authenticators.iter().map(authenticator_doc).collect::<Vec<_>>(),
    })
}

fn user_text(out: &Output, user: &User) -> String {
    let mut text = format!(
        "{} {} ({}, {})",
        out.em("User"),
        out.shown(&user.user_id),
        out.shown(user.username.as_deref().unwrap_or("no username")),
        user.status.as_ref().map_or("status not given", |s| s.as_str()),
    );
    if user.authenticators.is_empty() {
        text.push_str("\n  no authenticator");
    }
    for a in &user.authenticators {
        text.push_str(&format!(
            "\n  {} {} — {} ({}), enrolled {}",
            out.em("authenticator"),
            out.shown(&a.authenticator_id),
            out.shown(a.name.as_deref().unwrap_or("unnamed")),
            out.shown(a.device_type.as_deref().unwrap_or("?")),
            out.shown(a.enrolled_at.as_deref().unwrap_or("?")),
        ));
    }
    text
}

fn deleted_doc(what: &str, id: &str, outcome: DeleteOutcome) -> (Value, String) {
    let deleted = outcome == DeleteOutcome::Deleted;
    let text = if deleted { format!("deleted {what} {id}") } else { format!("no {what} {id} (nothing to delete)") };
    (json!({ "deleted": deleted, "found": deleted }), text)
}

pub async fn users(command: UsersCommand, matches: &clap::ArgMatches) -> u8 {
    match command {
        UsersCommand::Get(args) => {
            let out = output(&args.output);
            let client = try_or_exit!(client_or_usage(&args.target, matches, &out));
            match client.get_user(&args.user_id).await {
                Ok(user) => {
                    out.result(user_doc(&user), || out.shown(&user.user_id), || user_text(&out, &user));
                    exit::OK
                }
                Err(e) => out.fail(&e),
            }
        }
        UsersCommand::Find(args) => {
            let out = output(&args.output);
            let client = try_or_exit!(client_or_usage(&args.target, matches, &out));
            match client.find_user(&args.username).await {
                Ok(Some(user)) => {
                    out.result(user_doc(&user), || out.shown(&user.user_id), || user_text(&out, &user));
                    exit::OK
                }
                Ok(None) => {
                    out.result(json!({ "user": null }), String::new, || {
                        format!("no user named {}", out.shown(&args.username))
                    });
                    exit::DECLINED
                }
                Err(e) => out.fail(&e),
            }
        }
        UsersCommand::Delete(args) => {
            let out = output(&args.output);
            let client = try_or_exit!(client_or_usage(&args.target, matches, &out));
            match client.delete_user(&args.user_id).await {
                Ok(outcome) => {
                    let (doc, text) = deleted_doc("user", &args.user_id, outcome);
                    out.result(doc, || (outcome == DeleteOutcome::Deleted).to_string(), || text);
                    exit::OK
                }
                Err(e) => out.fail(&e),
            }
        }
    }
}

pub async fn authenticators(command: AuthenticatorsCommand, matches: &clap::ArgMatches) -> u8 {
    match command {
        AuthenticatorsCommand::Rename(args) => {
            let out = output(&args.output);
            let client = try_or_exit!(client_or_usage(&args.target, matches, &out));
            match client.rename_authenticator(&args.authenticator_id, &args.name).await {
                Ok(renamed) => {
                    let doc = renamed.as_ref().map_or_else(|| json!({ "renamed": true }), authenticator_doc);
                    out.result(
                        doc,
                        || args.name.clone(),
                        || format!("renamed {} to {}", args.authenticator_id, args.name),
                    );
                    exit::OK
                }
                Err(e) => out.fail(&e),
            }
        }
        AuthenticatorsCommand::Delete(args) => {
            let out = output(&args.output);
            let client = try_or_exit!(client_or_usage(&args.target, matches, &out));
            match client.delete_authenticator(&args.authenticator_id).await {
                Ok(outcome) => {
                    let (doc, text) = deleted_doc("authenticator", &args.authenticator_id, outcome);
                    out.result(doc, || (outcome == DeleteOutcome::Deleted).to_string(), || text);
                    exit::OK
                }
                Err(e) => out.fail(&e),
            }
        }
    }
}

pub async fn ping(args: PingArgs, matches: &clap::ArgMatches) -> u8 {
    let out = output(&args.output);
    let client = try_or_exit!(client_or_usage(&args.target, matches, &out));
    match client.ping().await {
        Ok(()) => {
            out.result(json!({ "pong": true }), || "PONG".into(), || "PONG".into());
            exit::OK
        }
        Err(e) => out.fail(&e),
    }
}
