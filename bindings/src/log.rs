//! `LogSink`: the SDK's log lines (already secret-free) routed to the host app's logging.
//!
//! A minimal tracing subscriber turns each event into a [`LogRecord`]. Where it goes:
//!
//! - **A call's own records reach the sink before the call returns**, on the thread that
//!   receives the result (the blocking caller's thread; for an async call, the thread that
//!   resumes the awaiting coroutine). So a test's `caplog`, a request-scoped MDC or a
//!   logger level set around a call sees exactly that call's lines. The runtime collects
//!   them while it polls the call ([`collect`]) and hands them over with the result
//!   ([`deliver`]).
//! - Records of background work (watches, observer deliveries) are queued (bounded; lines
//!   are dropped rather than ever blocking the SDK) to one thread that hands them to the
//!   sink.
//!
//! A sink that throws is ignored. Sinks run foreign code, so every delivery goes through
//! `foreign::call` (never on the runtime's threads, never while the host exits), and a
//! forked child gets its own delivery thread (see `fork.rs`). (Events only: spans carry
//! nothing a host log needs, and a full subscriber stack would cost the mobile library
//! ~15 KB.)

use std::cell::RefCell;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, OnceLock};

use arc_swap::ArcSwapOption;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

use crate::error::CallbackError;
use crate::foreign::{self, Foreign};
use crate::fork;

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

/// Receives the SDK's log lines. Implemented by the host app. A call's own lines arrive on
/// the thread that receives its result, before it does; lines of background work (watches)
/// arrive on the SDK's log thread. One line at a time, in order per call.
#[uniffi::export(foreign)]
pub trait LogSink: Send + Sync {
    fn log(&self, record: LogRecord) -> Result<(), CallbackError>;
}

/// Routes the SDK's logs at `max_level` and more severe to `sink`, replacing any earlier
/// sink. (A sink that filters by its host's own, changeable level takes `Trace` here and
/// decides per record.)
#[uniffi::export]
pub fn set_log_sink(sink: Arc<dyn LogSink>, max_level: LogLevel) {
    install_subscriber();
    let installed = Installed::start(Foreign::new(sink), max_level as u8 + 1);
    MAX_LEVEL.store(installed.as_ref().map_or(0, |i| i.max_level), Ordering::Relaxed);
    INSTALLED.store(installed.map(Arc::new));
}

/// Stops routing logs to the sink.
#[uniffi::export]
pub fn clear_log_sink() {
    MAX_LEVEL.store(0, Ordering::Relaxed);
    INSTALLED.store(None);
}

/// Log lines the sink did not take: dropped because it fell behind, or its call threw.
#[uniffi::export]
pub fn dropped_log_records() -> u64 {
    DROPPED.load(Ordering::Relaxed) + SINK_FAILURES.load(Ordering::Relaxed)
}

/// 0 = off, else `LogLevel as u8 + 1`: the subscriber's cheap first filter.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);
static DROPPED: AtomicU64 = AtomicU64::new(0);
static SINK_FAILURES: AtomicU64 = AtomicU64::new(0);
/// The sink in use. Lock-free, so a fork can never leave it locked in the child.
static INSTALLED: ArcSwapOption<Installed> = ArcSwapOption::const_empty();

/// A sink, its level and the delivery thread of background records, in one process.
struct Installed {
    generation: u64,
    /// Foreign: released where that is safe (see foreign.rs).
    sink: Foreign<dyn LogSink>,
    max_level: u8,
    queue: SyncSender<LogRecord>,
}

impl Installed {
    /// Starts the delivery thread; `None` if no thread can be started (logs are then off).
    fn start(sink: Foreign<dyn LogSink>, max_level: u8) -> Option<Self> {
        let (queue, records) = sync_channel::<LogRecord>(QUEUE_CAPACITY);
        let delivered = sink.clone();
        let spawned = std::thread::Builder::new().name("authcloud-log".into()).spawn(move || {
            // Ends when the queue's sender is dropped (the sink replaced or cleared).
            for record in records {
                hand_over(delivered.get().as_ref(), record);
            }
        });
        spawned.ok()?;
        Some(Installed { generation: fork::generation(), sink, max_level, queue })
    }

    /// The sink of this process: in a forked child, the parent's sink with a delivery
    /// thread of the child's own (the parent's did not survive the fork).
    fn current() -> Option<Arc<Installed>> {
        let installed = INSTALLED.load_full()?;
        if installed.generation == fork::generation() {
            return Some(installed);
        }
        let fresh = Installed::start(installed.sink.clone(), installed.max_level).map(Arc::new);
        let previous = INSTALLED.compare_and_swap(&Some(Arc::clone(&installed)), fresh.clone());
        if previous.as_ref().is_some_and(|p| Arc::ptr_eq(p, &installed)) {
            // The parent's queue and thread: never touched again, never dropped.
            std::mem::forget(installed);
            fresh
        } else {
            // Another thread of the child won (or the sink was changed meanwhile).
            (*previous).clone()
        }
    }
}

/// Hands one record to the sink, unless the host exits; counts a sink that throws.
/// (Counted, not logged: a log line about the sink would loop back into it.)
fn hand_over(sink: &dyn LogSink, record: LogRecord) {
    if let Some(Err(_)) = foreign::call(|| sink.log(record)) {
        SINK_FAILURES.fetch_add(1, Ordering::Relaxed);
    }
}

thread_local! {
    /// The records of the call this thread is polling, if any (see [`collect`]).
    static COLLECTED: RefCell<Option<Vec<LogRecord>>> = const { RefCell::new(None) };
}

/// Records emitted while `poll` runs on this thread are added to `records` instead of the
/// background queue: the runtime wraps each poll of a call in it.
pub(crate) fn collect<R>(records: &mut Vec<LogRecord>, poll: impl FnOnce() -> R) -> R {
    if MAX_LEVEL.load(Ordering::Relaxed) == 0 && records.is_empty() {
        return poll();
    }
    struct Restore<'a>(&'a mut Vec<LogRecord>, Option<Vec<LogRecord>>);
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            let mine = COLLECTED.with(|slot| slot.replace(self.1.take()));
            *self.0 = mine.unwrap_or_default();
        }
    }
    let outer = COLLECTED.with(|slot| slot.replace(Some(std::mem::take(records))));
    let _restore = Restore(records, outer);
    poll()
}

/// Hands a call's records to the sink on this thread (the one receiving the call's
/// result), or to the background queue on a thread of the runtime.
pub(crate) fn deliver(records: Vec<LogRecord>) {
    if records.is_empty() {
        return;
    }
    let Some(installed) = Installed::current() else { return };
    if crate::runtime::in_runtime() {
        for record in records {
            enqueue(&installed, record);
        }
    } else {
        for record in records {
            hand_over(installed.sink.get().as_ref(), record);
        }
    }
}

fn enqueue(installed: &Installed, record: LogRecord) {
    if let Err(TrySendError::Full(_)) = installed.queue.try_send(record) {
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

fn install_subscriber() {
    static INSTALLED_SUBSCRIBER: OnceLock<bool> = OnceLock::new();
    INSTALLED_SUBSCRIBER.get_or_init(|| {
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
        // A call being polled here keeps its own records, to deliver them with its result.
        let record = match COLLECTED.with(|slot| match slot.borrow_mut().as_mut() {
            Some(records) => {
                records.push(record);
                None
            }
            None => Some(record),
        }) {
            Some(record) => record,
            None => return,
        };
        if let Some(installed) = Installed::current() {
            enqueue(&installed, record);
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
