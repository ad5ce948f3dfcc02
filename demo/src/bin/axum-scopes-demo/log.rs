//! The demo's log format: one line per event, `2026-12-02T16:01:51.351554Z  INFO target: k=v`.
//! A request of the demo takes about ten microseconds, so its log line must cost a few hundred
//! nanoseconds: tracing-subscriber's default format (styles, span context, padded `write!`s)
//! cost about 10% of the demo's throughput on its own, this one about 4% (benchmarks/README.md).
//! Strings are written as Rust debug strings, so a value can never start a line of its own.

use std::fmt::{self, Write as _};
use std::time::{SystemTime, UNIX_EPOCH};

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
            } else if is_plain(value) {
                // What `{:?}` would write, without its escaping machinery.
                self.writer.push('"');
                self.writer.push_str(value);
                self.writer.push('"');
                Ok(())
            } else {
                write!(self.writer, "{value:?}")
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

/// Whether `value` needs no escaping in a debug string: printable ASCII without `"` or `\`.
fn is_plain(value: &str) -> bool {
    value
        .bytes()
        .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
}

/// `value` in decimal, without `core::fmt`'s padding machinery.
fn write_u64(writer: &mut impl fmt::Write, mut value: u64) -> fmt::Result {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + u8::try_from(value % 10).unwrap_or(0);
        value /= 10;
        if value == 0 {
            break;
        }
    }
    writer.write_str(std::str::from_utf8(&digits[start..]).map_err(|_| fmt::Error)?)
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
/// rest of the line.
fn timestamp(writer: &mut impl fmt::Write, now: SystemTime) -> fmt::Result {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
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
    let mut out = *b"0000-00-00T00:00:00.000000Z";
    let fields: [(u64, usize, usize); 7] = [
        (u64::try_from(year).unwrap_or(0), 0, 4),
        (u64::try_from(month).unwrap_or(0), 5, 2),
        (u64::try_from(day).unwrap_or(0), 8, 2),
        (rem / 3600, 11, 2),
        (rem / 60 % 60, 14, 2),
        (rem % 60, 17, 2),
        (u64::from(since.subsec_micros()), 20, 6),
    ];
    for (mut value, start, len) in fields {
        for digit in out[start..start + len].iter_mut().rev() {
            *digit = b'0' + u8::try_from(value % 10).unwrap_or(0);
            value /= 10;
        }
    }
    writer.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
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
            let mut writer = Writer::new(&mut out);
            if is_plain(value) {
                writer.write_char('"').unwrap();
                writer.write_str(value).unwrap();
                writer.write_char('"').unwrap();
            } else {
                write!(writer, "{value:?}").unwrap();
            }
            assert_eq!(out, format!("{value:?}"), "{value}");
        }
        for value in [0, 7, 10, 200, 4_294_967_296, u64::MAX] {
            let mut out = String::new();
            write_u64(&mut Writer::new(&mut out), value).unwrap();
            assert_eq!(out, value.to_string());
        }
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(at(951_782_400, 7), "2000-02-29T00:00:00.000007Z");
        assert_eq!(at(1_796_227_311, 351_554), "2026-12-02T16:01:51.351554Z");
        assert_eq!(at(4_102_444_799, 999_999), "2099-12-31T23:59:59.999999Z");
    }
}
