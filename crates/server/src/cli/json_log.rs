//! The JSON log's audit lines carry `details` as an object, so a log pipeline can query
//! `details.reason`. tracing records the field as text (its values are scalars); the line is
//! rewritten here, audit lines only, with everything else as tracing-subscriber wrote it.

use std::fmt;

use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The target of the audit lines (`sessiond_core::audit`).
const AUDIT: &str = "sessiond::audit";

pub(crate) struct ObjectDetails<F>(pub(crate) F);

impl<S, N, F> FormatEvent<S, N> for ObjectDetails<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if event.metadata().target() != AUDIT {
            return self.0.format_event(ctx, writer, event);
        }
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        match with_object_details(&line) {
            Some(rewritten) => writeln!(writer, "{rewritten}"),
            None => writer.write_str(&line),
        }
    }
}

/// `line` with its `details` text parsed into the object it holds; `None` leaves it as it is.
fn with_object_details(line: &str) -> Option<String> {
    let mut value: serde_json::Value = serde_json::from_str(line).ok()?;
    let details = value.get_mut("details")?;
    *details = serde_json::from_str(details.as_str()?).ok()?;
    Some(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_text_becomes_the_object_it_holds() {
        let line = r#"{"details":"{\"reason\":\"unknown_user\"}","event_type":"LOGIN_FAILED"}"#;
        let out: serde_json::Value =
            serde_json::from_str(&with_object_details(line).unwrap()).unwrap();
        assert_eq!(out["details"]["reason"], "unknown_user");
        assert_eq!(out["event_type"], "LOGIN_FAILED");
        assert_eq!(with_object_details(r#"{"details":"not json"}"#), None);
    }
}
