//! `authcloud logs export`: the instance's event log (GET /api/v1/logs/export), filtered,
//! as CSV (the default) or JSON, with a progress bar on a terminal while it downloads.

use std::io::Write;

use authcloud::{ExportProgress, LogEvent, LogExport, LogPeriod, LogQuery};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};

use crate::commands::client_or_usage;
use crate::duration::HumanDuration;
use crate::target::TargetArgs;
use crate::{OutputArgs, exit, output, try_or_exit};

#[derive(Subcommand)]
pub enum LogsCommand {
    /// Export events as CSV (or --json), newest first, at most 10,000.
    Export(ExportArgs),
}

#[derive(Args)]
pub struct ExportArgs {
    /// Free text to match (at least 2 characters).
    #[arg(long)]
    filter: Option<String>,
    /// Only the last DURATION (`1h`, `7d`); the server's default is 30 days.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    since: Option<HumanDuration>,
    /// From this ISO-8601 date or UTC date-time (`2026-12-01`, `2026-12-01T08:00:00Z`).
    #[arg(long)]
    from: Option<String>,
    /// Up to this ISO-8601 date or UTC date-time.
    #[arg(long)]
    to: Option<String>,
    /// Outcomes, e.g. success,failure (comma-separated or repeated).
    #[arg(long, value_delimiter = ',')]
    status: Vec<String>,
    /// Categories, e.g. enrollment,approval,verification.
    #[arg(long, value_delimiter = ',')]
    category: Vec<String>,
    /// Channels: app, push, fido2, sms, recovery, unknown.
    #[arg(long, value_delimiter = ',')]
    channel: Vec<String>,
    /// Who acted, e.g. api, user, system.
    #[arg(long, value_delimiter = ',')]
    actor_type: Vec<String>,
    /// CSV on stdout (the default; --json prints one JSON document instead).
    #[arg(long, conflicts_with = "json")]
    csv: bool,
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    output: OutputArgs,
}

/// The columns written, in this order (the SDK's field names; unknown columns follow).
const COLUMNS: [&str; 12] = [
    "timestamp",
    "eventId",
    "category",
    "event",
    "status",
    "channel",
    "actorType",
    "userId",
    "username",
    "transactionId",
    "authenticatorId",
    "detail",
];

pub async fn logs(command: LogsCommand, matches: &clap::ArgMatches) -> u8 {
    match command {
        LogsCommand::Export(args) => export(args, matches).await,
    }
}

async fn export(args: ExportArgs, matches: &clap::ArgMatches) -> u8 {
    let out = output(&args.output);
    let period = match (args.since, &args.from, &args.to) {
        (Some(since), _, _) => LogPeriod::Last(since.0),
        (None, None, None) => LogPeriod::Default,
        (None, from, to) => LogPeriod::Between { from: from.clone(), to: to.clone() },
    };
    let query = LogQuery {
        filter: args.filter.clone(),
        period,
        statuses: args.status.clone(),
        categories: args.category.clone(),
        channels: args.channel.clone(),
        actor_types: args.actor_type.clone(),
    };
    if let Err(e) = query.validate() {
        return out.fail(&e);
    }
    let client = try_or_exit!(client_or_usage(&args.target, matches, &out));
    let bar = download_bar(out.quiet());
    let shown = bar.clone();
    let progress = move |p: ExportProgress| {
        if let Some(bar) = &shown {
            bar.set_position(p.bytes);
            bar.set_message(format!("{} rows", p.rows));
        }
    };
    let exported = client.export_logs_with_progress(&query, &progress).await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let export = match exported {
        Ok(export) => export,
        Err(e) => return out.fail(&e),
    };
    if export.maybe_truncated && !out.quiet() {
        eprintln!(
            "note: the export holds the most rows the server returns (10,000); narrow the period or filters for older events"
        );
    }
    if out.json() {
        println!("{}", export_doc(&export));
        return exit::OK;
    }
    match write_csv(&export, std::io::stdout().lock()) {
        Ok(()) => exit::OK,
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit::OK,
        // The export arrived; only this machine's output failed (a full disk): an I/O error.
        Err(e) => {
            eprintln!("error: cannot write the CSV: {e}");
            exit::NETWORK
        }
    }
}

/// A byte counter with the rows parsed so far, on a terminal only.
fn download_bar(quiet: bool) -> Option<ProgressBar> {
    (!quiet && console::Term::stderr().is_term()).then(|| {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} downloading the log export: {bytes} ({msg}) [{elapsed}]")
                .expect("static template"),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        bar
    })
}

fn known_values(event: &LogEvent) -> [Option<&str>; 12] {
    [
        Some(event.timestamp.as_str()),
        event.event_id.as_deref(),
        event.category.as_deref(),
        event.event.as_deref(),
        event.status.as_deref(),
        event.channel.as_deref(),
        event.actor_type.as_deref(),
        event.user_id.as_deref(),
        event.username.as_deref(),
        event.transaction_id.as_deref(),
        event.authenticator_id.as_deref(),
        event.detail.as_deref(),
    ]
}

/// The extra columns' names, in first-seen order.
fn extra_columns(export: &LogExport) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for (name, _) in export.events.iter().flat_map(|e| &e.other) {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    names
}

fn write_csv(export: &LogExport, sink: impl Write) -> std::io::Result<()> {
    let extra = extra_columns(export);
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(sink);
    writer.write_record(COLUMNS.iter().copied().chain(extra.iter().copied()))?;
    for event in &export.events {
        let known = known_values(event).map(|v| v.unwrap_or(""));
        let others =
            extra.iter().map(|name| event.other.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or(""));
        writer.write_record(known.iter().copied().chain(others))?;
    }
    writer.flush()
}

fn export_doc(export: &LogExport) -> Value {
    let events: Vec<Value> = export
        .events
        .iter()
        .map(|event| {
            let mut doc = serde_json::Map::new();
            for (name, value) in COLUMNS.iter().zip(known_values(event)) {
                doc.insert((*name).into(), value.map_or(Value::Null, |v| Value::String(v.into())));
            }
            if !event.other.is_empty() {
                let other: serde_json::Map<String, Value> =
                    event.other.iter().map(|(n, v)| (n.clone(), Value::String(v.clone()))).collect();
                doc.insert("other".into(), Value::Object(other));
            }
            Value::Object(doc)
        })
        .collect();
    json!({ "events": events, "count": export.events.len(), "maybeTruncated": export.maybe_truncated })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_it_and_keeps_extra_columns() {
        let export = LogExport {
            events: vec![LogEvent {
                timestamp: "2026-12-05T10:00:00.000Z".into(),
                detail: Some("a, \"b\"\nc".into()),
                other: vec![("region".into(), "eu".into())],
                ..LogEvent::default()
            }],
            maybe_truncated: false,
        };
        let mut bytes = Vec::new();
        write_csv(&export, &mut bytes).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text,
            "timestamp,eventId,category,event,status,channel,actorType,userId,username,transactionId,authenticatorId,detail,region\r\n\
             2026-12-05T10:00:00.000Z,,,,,,,,,,,\"a, \"\"b\"\"\nc\",eu\r\n"
        );
        assert_eq!(export_doc(&export)["events"][0]["other"]["region"], "eu");
    }
}
