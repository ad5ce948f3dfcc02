//! The demo's log format: one line per event, `2026-12-02T16:01:51.351554Z  INFO target: k=v`.
//! A request of the demo takes about ten microseconds, so its log line must cost a few hundred
//! nanoseconds: tracing-subscriber's default format (styles, span context, padded `write!`s)
//! cost about 10% of the demo's throughput on its own; the whole request log now costs 2-3.5%
//! (benchmarks/README.md).
//! Strings are written as Rust debug strings, so a value can never start a line of its own.
//!
//! The request log's line is written by [`access`] straight into the worker's buffer, in the
//! same format, without tracing's dispatch: it is the one event every request makes.

use std::cell::Cell;
use std::fmt::{self, Write as _};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The event format of the demo's subscriber.
pub(crate) struct Line;

impl<S, N> FormatEvent<S, N> for Line
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        // The line is put together in a buffer of this thread and handed to `writer` once:
        // `Writer` is a `dyn fmt::Write`, and a dynamic call per piece cost more than the
        // pieces. An event logged while a field is formatted gets a buffer of its own.
        LINE.with(|line| {
            if let Ok(mut line) = line.try_borrow_mut() {
                line.clear();
                format_line(&mut line, event)?;
                writer.write_str(&line)
            } else {
                let mut line = String::new();
                format_line(&mut line, event)?;
                writer.write_str(&line)
            }
        })
    }
}

thread_local! {
    /// The line being formatted on this thread (see [`Line`]).
    static LINE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// `event` as one line, newline included.
fn format_line(line: &mut String, event: &Event<'_>) -> fmt::Result {
    timestamp(line, SystemTime::now())?;
    let meta = event.metadata();
    line.push_str(match *meta.level() {
        Level::ERROR => " ERROR ",
        Level::WARN => "  WARN ",
        Level::INFO => "  INFO ",
        Level::DEBUG => " DEBUG ",
        Level::TRACE => " TRACE ",
    });
    line.push_str(meta.target());
    line.push(':');
    let mut fields = Fields {
        writer: line,
        result: Ok(()),
    };
    event.record(&mut fields);
    fields.result?;
    line.push('\n');
    Ok(())
}

/// Writes each field as ` name=value` (the message as ` value`).
struct Fields<'w> {
    writer: &'w mut String,
    result: fmt::Result,
}

impl Fields<'_> {
    fn name(&mut self, field: &Field) {
        self.writer.push(' ');
        if field.name() != "message" {
            self.writer.push_str(field.name());
            self.writer.push('=');
        }
    }
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if self.result.is_ok() {
            self.name(field);
            self.result = if field.name() == "message" {
                text(self.writer, value)
            } else {
                debug_str(self.writer, value)
            };
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.result.is_ok() {
            self.name(field);
            self.result = write_u64(self.writer, value);
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.result.is_ok() {
            self.name(field);
            self.result = write!(self.writer, "{value}");
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.result.is_ok() {
            self.name(field);
            self.result = if field.name() == "message" {
                // `format_args!` messages: their text as written, escaped.
                text(self.writer, &format!("{value:?}"))
            } else {
                write!(self.writer, "{value:?}")
            };
        }
    }
}

/// Where the log lines go: on a worker thread of the runtime, into a buffer of that thread,
/// handed to the writer thread (tracing-appender's non-blocking writer) as one chunk when it
/// holds [`CHUNK`] bytes and whenever the worker runs out of work ([`flush_thread`] from the
/// runtime's `on_thread_park`), so under load a line costs a copy and when idle it leaves at once.
/// Elsewhere (the main thread, before the runtime) a line is handed over by itself.
#[derive(Clone)]
pub(crate) struct Buffered {
    out: tracing_appender::non_blocking::NonBlocking,
}

/// The chunk a worker's buffer is handed over at.
const CHUNK: usize = 16 * 1024;

thread_local! {
    /// `Some` on the runtime's worker threads (see [`start_buffering`]).
    static PENDING: std::cell::RefCell<Option<(Vec<u8>, Buffered)>> =
        const { std::cell::RefCell::new(None) };
}

impl Buffered {
    pub(crate) fn new(out: tracing_appender::non_blocking::NonBlocking) -> Self {
        Self { out }
    }

    /// Makes this thread buffer its lines: call on each worker thread as it starts.
    pub(crate) fn start_buffering(&self) {
        let writer = self.clone();
        PENDING.with(|pending| {
            *pending.borrow_mut() = Some((Vec::with_capacity(CHUNK * 2), writer));
        });
    }
}

/// Hands this thread's pending lines to the writer thread.
pub(crate) fn flush_thread() {
    PENDING.with(|pending| {
        if let Some((buffer, writer)) = pending.borrow_mut().as_mut()
            && !buffer.is_empty()
        {
            // The writer waits for room rather than drop lines; an error means it is gone.
            let _ = std::io::Write::write_all(&mut writer.out.clone(), buffer);
            buffer.clear();
        }
    });
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffered {
    type Writer = BufferedRef<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        BufferedRef(self)
    }
}

/// What [`Buffered`] lends the formatter for one line: no clone of the writer per line.
pub(crate) struct BufferedRef<'a>(&'a Buffered);

impl std::io::Write for BufferedRef<'_> {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let buffered = PENDING.with(|pending| {
            let mut pending = pending.borrow_mut();
            let Some((buffer, _)) = pending.as_mut() else {
                return false;
            };
            buffer.extend_from_slice(line);
            let full = buffer.len() >= CHUNK;
            drop(pending);
            if full {
                flush_thread();
            }
            true
        });
        if !buffered {
            self.0.out.clone().write_all(line)?;
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The target of the request log's lines.
pub(crate) const ACCESS_TARGET: &str = "axum_scopes_demo::access";

/// Where [`access`] writes off the runtime's worker threads (set by [`Buffered::install`]).
static WRITER: OnceLock<Buffered> = OnceLock::new();

impl Buffered {
    /// Makes this writer the one [`access`] uses where a thread does not buffer.
    pub(crate) fn install(&self) {
        let _ = WRITER.set(self.clone());
    }
}

/// One request of the request log.
pub(crate) struct Access<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) status: u16,
    /// When the answer was ready (the line's timestamp), and how long it took.
    pub(crate) at: Instant,
    pub(crate) took: Duration,
}

/// Writes `request`'s line, exactly as [`Line`] writes the event `info!(target: ACCESS_TARGET,
/// method, path, status, micros)`: into this worker's buffer (see [`Buffered`]), or to the
/// writer on other threads.
pub(crate) fn access(request: &Access<'_>) {
    let buffered = PENDING.with(|pending| {
        let Ok(mut pending) = pending.try_borrow_mut() else {
            return false;
        };
        let Some((buffer, _)) = pending.as_mut() else {
            return false;
        };
        access_line(&mut Bytes(buffer), request);
        let full = buffer.len() >= CHUNK;
        drop(pending);
        if full {
            flush_thread();
        }
        true
    });
    if !buffered && let Some(writer) = WRITER.get() {
        let mut line = Vec::with_capacity(128);
        access_line(&mut Bytes(&mut line), request);
        let _ = std::io::Write::write_all(&mut writer.out.clone(), &line);
    }
}

/// [`access`]'s line, written as bytes: no `fmt` machinery and no UTF-8 validation.
fn access_line(line: &mut Bytes<'_>, request: &Access<'_>) {
    let mut number = itoa::Buffer::new();
    line.push(&timestamp_text(wall_clock(request.at)));
    line.push(b"  INFO ");
    line.push(ACCESS_TARGET.as_bytes());
    // A method is an RFC 9110 token (hyper refuses others): never escaped.
    line.push(b": method=\"");
    line.push(request.method.as_bytes());
    line.push(b"\" path=");
    // Writing into a `Vec` cannot fail.
    let _ = debug_str(line, request.path);
    line.push(b" status=");
    line.push(number.format(request.status).as_bytes());
    line.push(b" micros=");
    let micros = u64::try_from(request.took.as_micros()).unwrap_or(u64::MAX);
    line.push(number.format(micros).as_bytes());
    line.push(b"\n");
}

/// A byte buffer as a `fmt::Write`, for the writers above.
struct Bytes<'a>(&'a mut Vec<u8>);

impl Bytes<'_> {
    fn push(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

impl fmt::Write for Bytes<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.0.extend_from_slice(text.as_bytes());
        Ok(())
    }
}

/// `value` as `{:?}` writes it, without the escaping machinery when it needs none.
fn debug_str(writer: &mut impl fmt::Write, value: &str) -> fmt::Result {
    if is_plain(value) {
        writer.write_char('"')?;
        writer.write_str(value)?;
        writer.write_char('"')
    } else {
        write!(writer, "{value:?}")
    }
}

thread_local! {
    /// This thread's pairing of the monotonic clock with the wall clock, in microseconds since
    /// 1970 (see [`wall_clock`]).
    static ANCHOR: Cell<Option<(Instant, u64)>> = const { Cell::new(None) };
}

/// The wall-clock time of `at` in microseconds since 1970, from a pairing of the two clocks
/// taken at most a second earlier on this thread: the request log reads the monotonic clock
/// anyway (for the time a request took), so its lines need no second clock read. The wall
/// clock's steps show within a second; between pairings the two clocks drift apart by at most
/// NTP's slew rate (0.5 ms in a second).
fn wall_clock(at: Instant) -> u64 {
    ANCHOR.with(|anchor| {
        if let Some((instant, wall)) = anchor.get()
            && let Some(since) = at.checked_duration_since(instant)
            && since < Duration::from_secs(1)
        {
            return wall + u64::from(since.subsec_micros());
        }
        let (instant, wall) = (Instant::now(), micros_since_1970(SystemTime::now()));
        anchor.set(Some((instant, wall)));
        // `at` is usually a moment before this pairing.
        match at.checked_duration_since(instant) {
            Some(since) => wall.saturating_add(micros(since)),
            None => wall.saturating_sub(micros(instant.duration_since(at))),
        }
    })
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

fn micros_since_1970(now: SystemTime) -> u64 {
    micros(now.duration_since(UNIX_EPOCH).unwrap_or_default())
}

/// Whether `value` needs no escaping in a debug string: printable ASCII without `"` or `\`.
#[expect(
    clippy::needless_bitwise_bool,
    reason = "no branch per byte, so the loop vectorizes"
)]
fn is_plain(value: &str) -> bool {
    // No early exit and no branch per byte: the compiler checks 16 or 32 bytes at a time.
    value.bytes().fold(true, |plain, b| {
        plain & (b.wrapping_sub(b' ') < 95) & (b != b'"') & (b != b'\\')
    })
}

/// `value` in decimal (itoa), without `core::fmt`'s padding machinery.
fn write_u64(writer: &mut impl fmt::Write, value: u64) -> fmt::Result {
    writer.write_str(itoa::Buffer::new().format(value))
}

/// A message as written, with control characters (line breaks among them) escaped.
fn text(writer: &mut impl fmt::Write, message: &str) -> fmt::Result {
    for c in message.chars() {
        if c.is_control() {
            write!(writer, "{}", c.escape_default())?;
        } else {
            writer.write_char(c)?;
        }
    }
    Ok(())
}

/// RFC 3339 in UTC with microseconds, from the civil-from-days algorithm (Howard Hinnant's),
/// with the digits written by hand: `write!` with nine padded integers costs more than the
/// rest of the line. The date and time up to the second are kept per thread for the next line
/// of the same second.
fn timestamp(writer: &mut impl fmt::Write, now: SystemTime) -> fmt::Result {
    let text = timestamp_text(micros_since_1970(now));
    writer.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
}

/// [`timestamp`]'s text for `micros` since 1970, as bytes (ASCII).
fn timestamp_text(micros: u64) -> [u8; 27] {
    let secs = micros / 1_000_000;
    let second = SECOND.with(|second| match second.get() {
        Some((at, text)) if at == secs => text,
        _ => {
            let text = date_time(secs);
            second.set(Some((secs, text)));
            text
        }
    });
    let mut out = [0u8; 27];
    out[..20].copy_from_slice(&second);
    let mut micros = micros % 1_000_000;
    for digit in out[20..26].iter_mut().rev() {
        *digit = b'0' + u8::try_from(micros % 10).unwrap_or(0);
        micros /= 10;
    }
    out[26] = b'Z';
    out
}

thread_local! {
    /// The second [`timestamp`] last wrote on this thread, and its text up to the `.`.
    static SECOND: Cell<Option<(u64, [u8; 20])>> = const { Cell::new(None) };
}

/// `YYYY-MM-DDTHH:MM:SS.` of `secs` since 1970.
fn date_time(secs: u64) -> [u8; 20] {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let mut out = *b"0000-00-00T00:00:00.";
    let fields: [(u64, usize, usize); 6] = [
        (u64::try_from(year).unwrap_or(0), 0, 4),
        (u64::try_from(month).unwrap_or(0), 5, 2),
        (u64::try_from(day).unwrap_or(0), 8, 2),
        (rem / 3600, 11, 2),
        (rem / 60 % 60, 14, 2),
        (rem % 60, 17, 2),
    ];
    for (mut value, start, len) in fields {
        for digit in out[start..start + len].iter_mut().rev() {
            *digit = b'0' + u8::try_from(value % 10).unwrap_or(0);
            value /= 10;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(secs: u64, micros: u64) -> String {
        let mut out = String::new();
        let now = UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_micros(micros);
        timestamp(&mut Writer::new(&mut out), now).unwrap();
        out
    }

    #[test]
    fn messages_keep_their_text_and_cannot_break_the_line() {
        let mut out = String::new();
        text(
            &mut Writer::new(&mut out),
            "the tutorial's secret\nINFO forged",
        )
        .unwrap();
        assert_eq!(out, "the tutorial's secret\\nINFO forged");
    }

    #[test]
    fn plain_strings_and_numbers_are_written_as_debug_would() {
        for value in [
            "/users/me/items/",
            "GET",
            "a b",
            "",
            "quote\"",
            "back\\slash",
            "tab\t",
            "é",
        ] {
            let mut out = String::new();
            debug_str(&mut Writer::new(&mut out), value).unwrap();
            assert_eq!(out, format!("{value:?}"), "{value}");
        }
        for value in [0, 7, 10, 200, 4_294_967_296, u64::MAX] {
            let mut out = String::new();
            write_u64(&mut Writer::new(&mut out), value).unwrap();
            assert_eq!(out, value.to_string());
        }
    }

    #[test]
    fn the_access_line_is_the_events_line() {
        let at = Instant::now();
        let request = Access {
            method: "PATCH",
            path: "/a \"quoted\" path",
            status: 200,
            at,
            took: Duration::from_micros(12),
        };
        let mut line = Vec::new();
        access_line(&mut Bytes(&mut line), &request);
        let line = String::from_utf8(line).unwrap();
        let (stamp, rest) = line.split_at(27);
        assert!(stamp.starts_with("20") && stamp.ends_with('Z'), "{line}");
        assert_eq!(
            rest,
            "  INFO axum_scopes_demo::access: method=\"PATCH\" path=\"/a \\\"quoted\\\" path\" status=200 micros=12\n"
        );
    }

    #[test]
    fn the_wall_clock_follows_the_monotonic_one() {
        let start = Instant::now();
        let wall = wall_clock(start);
        let later = wall_clock(start + Duration::from_millis(250));
        // Each conversion truncates to the microsecond.
        assert!((later - wall).abs_diff(250_000) <= 1, "{}", later - wall);
        let off = micros_since_1970(SystemTime::now()).abs_diff(wall);
        assert!(off < 100_000, "{off} us");
        // More than a second later: a fresh pairing, close to the wall clock.
        let far = wall_clock(start + Duration::from_secs(5));
        assert!(far > wall);
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        // The same second twice (the cached text), then other seconds.
        assert_eq!(at(1_796_227_311, 351_554), "2026-12-02T16:01:51.351554Z");
        assert_eq!(at(1_796_227_311, 9), "2026-12-02T16:01:51.000009Z");
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(at(951_782_400, 7), "2000-02-29T00:00:00.000007Z");
        assert_eq!(at(4_102_444_799, 999_999), "2099-12-31T23:59:59.999999Z");
    }
}
