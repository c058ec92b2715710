//! `LogSink`: the SDK's log lines (already secret-free) routed to the host app's logging.
//!
//! A minimal tracing subscriber turns each event into a [`LogRecord`] and queues it
//! (bounded; lines are dropped rather than ever blocking the SDK); one thread hands the
//! records to the sink. A sink that throws is ignored. (Events only: spans carry nothing a
//! host log needs, and a full subscriber stack would cost the mobile library ~15 KB.)

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

use crate::error::CallbackError;

/// Records queued for the sink before new ones are dropped.
const QUEUE_CAPACITY: usize = 4096;

/// Severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, uniffi::Enum)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    fn of(level: &Level) -> Self {
        match *level {
            Level::ERROR => LogLevel::Error,
            Level::WARN => LogLevel::Warn,
            Level::INFO => LogLevel::Info,
            Level::DEBUG => LogLevel::Debug,
            _ => LogLevel::Trace,
        }
    }
}

/// One log line.
#[derive(Debug, Clone, uniffi::Record)]
pub struct LogRecord {
    pub level: LogLevel,
    /// Where it comes from, e.g. `authcloud::http`.
    pub target: String,
    /// The event's message and fields (`key=value`), secret-free.
    pub message: String,
}

/// Receives the SDK's log lines. Implemented by the host app; called on a background
/// thread, one line at a time.
#[uniffi::export(foreign)]
pub trait LogSink: Send + Sync {
    fn log(&self, record: LogRecord) -> Result<(), CallbackError>;
}

/// Routes the SDK's logs at `max_level` and more severe to `sink`, replacing any earlier
/// sink.
#[uniffi::export]
pub fn set_log_sink(sink: Arc<dyn LogSink>, max_level: LogLevel) {
    install_layer();
    let (queue, records) = sync_channel::<LogRecord>(QUEUE_CAPACITY);
    let spawned = std::thread::Builder::new().name("authcloud-log".into()).spawn(move || {
        // Ends when the queue's sender is replaced or cleared.
        for record in records {
            // Counted, not logged: a log line about the sink would loop back into it.
            if sink.log(record).is_err() {
                SINK_FAILURES.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    if spawned.is_err() {
        return;
    }
    *lock_queue() = Some(queue);
    MAX_LEVEL.store(max_level as u8 + 1, Ordering::Relaxed);
}

/// Stops routing logs to the sink.
#[uniffi::export]
pub fn clear_log_sink() {
    MAX_LEVEL.store(0, Ordering::Relaxed);
    *lock_queue() = None;
}

/// Log lines the sink did not take: dropped because it fell behind, or its call threw.
#[uniffi::export]
pub fn dropped_log_records() -> u64 {
    DROPPED.load(Ordering::Relaxed) + SINK_FAILURES.load(Ordering::Relaxed)
}

/// 0 = off, else `LogLevel as u8 + 1`.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);
static DROPPED: AtomicU64 = AtomicU64::new(0);
static SINK_FAILURES: AtomicU64 = AtomicU64::new(0);

fn lock_queue() -> std::sync::MutexGuard<'static, Option<SyncSender<LogRecord>>> {
    static QUEUE: Mutex<Option<SyncSender<LogRecord>>> = Mutex::new(None);
    QUEUE.lock().unwrap_or_else(|e| e.into_inner())
}

fn install_layer() {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        // Fails only if the host process installed its own global subscriber first; its
        // choice wins then.
        tracing::subscriber::set_global_default(SinkSubscriber).is_ok()
    });
}

/// Forwards enabled events to the sink's queue; spans are never enabled.
struct SinkSubscriber;

impl SinkSubscriber {
    fn wanted(metadata: &Metadata<'_>) -> bool {
        let max = MAX_LEVEL.load(Ordering::Relaxed);
        metadata.is_event() && max != 0 && (LogLevel::of(metadata.level()) as u8) < max
    }
}

impl Subscriber for SinkSubscriber {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        // The level can change at run time: decide per event.
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        Self::wanted(metadata)
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        // Not reached (spans are disabled), but an id must be non-zero.
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let metadata = event.metadata();
        if !Self::wanted(metadata) {
            return;
        }
        let mut text = MessageText::default();
        event.record(&mut text);
        let record = LogRecord {
            level: LogLevel::of(metadata.level()),
            target: metadata.target().to_owned(),
            message: text.finish(),
        };
        if let Some(queue) = lock_queue().as_ref() {
            if let Err(TrySendError::Full(_)) = queue.try_send(record) {
                DROPPED.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// `message key=value key=value`.
#[derive(Default)]
struct MessageText {
    message: String,
    fields: String,
}

impl MessageText {
    fn finish(self) -> String {
        match (self.message.is_empty(), self.fields.is_empty()) {
            (_, true) => self.message,
            (true, false) => self.fields,
            (false, false) => format!("{} {}", self.message, self.fields),
        }
    }
}

impl Visit for MessageText {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            if !self.fields.is_empty() {
                self.fields.push(' ');
            }
            let _ = write!(self.fields, "{}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            if !self.fields.is_empty() {
                self.fields.push(' ');
            }
            let _ = write!(self.fields, "{}={value}", field.name());
        }
    }
}
