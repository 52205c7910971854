//! An incremental parser for Server-Sent Events, as OpenAI and compatible servers stream them.
//!
//! Bytes go in as the network delivers them, cut anywhere (inside a line, inside a UTF-8 character, between
//! `\r` and `\n`); complete events come out. It follows the WHATWG event-stream rules for lines, `data:` (with
//! multi-line joining), `event:`, comments and the optional leading BOM. It knows nothing about JSON or OpenAI:
//! see [`crate::core::openai`] for what the data means.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, when the server named one.
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes of the line being received.
    line: Vec<u8>,
    data: String,
    has_data: bool,
    event: Option<String>,
    /// The previous byte was a `\r` that ended a line; a following `\n` belongs to it.
    after_cr: bool,
    /// A line has been read, so a byte-order mark is no longer possible.
    started: bool,
}

impl SseParser {
    pub fn new() -> SseParser {
        SseParser::default()
    }

    /// Feeds the next bytes and returns the events they complete, in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        for &b in bytes {
            match b {
                b'\n' if self.after_cr => self.after_cr = false,
                b'\n' | b'\r' => {
                    self.after_cr = b == b'\r';
                    self.end_line(&mut out);
                }
                _ => {
                    self.after_cr = false;
                    self.line.push(b);
                }
            }
        }
        out
    }

    /// Call when the body ends. An event not terminated by a blank line is discarded, as the spec says:
    /// a stream cut mid-event must not deliver half an event.
    pub fn finish(&mut self) -> Vec<SseEvent> {
        self.line.clear();
        self.data.clear();
        self.has_data = false;
        self.event = None;
        Vec::new()
    }

    fn end_line(&mut self, out: &mut Vec<SseEvent>) {
        if self.line.is_empty() {
            if self.has_data {
                out.push(SseEvent { event: self.event.take(), data: std::mem::take(&mut self.data) });
            }
            self.has_data = false;
            self.data.clear();
            self.event = None;
            return;
        }
        // A byte-order mark may start the stream; it is not part of the first field name.
        let skip = if !self.started && self.line.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
        self.started = true;
        let line = String::from_utf8_lossy(&self.line[skip..]).into_owned();
        self.line.clear();
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.find(':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (line.as_str(), ""),
        };
        match field {
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" => self.event = Some(value.to_owned()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_at_once(s: &[u8]) -> Vec<SseEvent> {
        SseParser::new().feed(s)
    }

    fn byte_by_byte(s: &[u8]) -> Vec<SseEvent> {
        let mut p = SseParser::new();
        s.iter().flat_map(|b| p.feed(std::slice::from_ref(b))).collect()
    }

    fn data(v: &[SseEvent]) -> Vec<&str> {
        v.iter().map(|e| e.data.as_str()).collect()
    }

    #[test]
    fn parses_openai_style_events() {
        let s = b"data: {\"a\":1}\n\ndata: {\"a\":2}\n\ndata: [DONE]\n\n";
        assert_eq!(data(&all_at_once(s)), ["{\"a\":1}", "{\"a\":2}", "[DONE]"]);
        assert_eq!(all_at_once(s), byte_by_byte(s));
    }

    #[test]
    fn handles_crlf_and_cr_line_endings_split_anywhere() {
        let s = b"data: one\r\n\r\ndata: two\r\rdata:three\n\n";
        assert_eq!(data(&all_at_once(s)), ["one", "two", "three"]);
        assert_eq!(data(&byte_by_byte(s)), ["one", "two", "three"]);
        let mut p = SseParser::new();
        let mut got = p.feed(b"data: x\r");
        got.extend(p.feed(b"\n\r"));
        got.extend(p.feed(b"\n"));
        assert_eq!(data(&got), ["x"]);
    }

    #[test]
    fn keeps_utf8_split_across_chunks() {
        let s = "data: 안녕하세요 👋\n\n".as_bytes();
        for cut in 0..s.len() {
            let mut p = SseParser::new();
            let mut got = p.feed(&s[..cut]);
            got.extend(p.feed(&s[cut..]));
            assert_eq!(data(&got), ["안녕하세요 👋"], "cut at {cut}");
        }
    }

    #[test]
    fn joins_multiline_data_and_reads_event_names_and_comments() {
        let s = b": keep-alive\nevent: error\ndata: line1\ndata:line2\nid: 7\nretry: 100\n\n";
        let got = all_at_once(s);
        assert_eq!(got, [SseEvent { event: Some("error".into()), data: "line1\nline2".into() }]);
        assert_eq!(data(&all_at_once(b"data\n\n")), [""]);
        assert!(all_at_once(b"event: ping\n\n").is_empty());
    }

    #[test]
    fn strips_a_leading_bom_once() {
        assert_eq!(data(&byte_by_byte(b"\xEF\xBB\xBFdata: a\n\n")), ["a"]);
    }

    #[test]
    fn an_unterminated_event_is_not_delivered() {
        let mut p = SseParser::new();
        assert!(p.feed(b"data: {\"partial\":").is_empty());
        assert!(p.finish().is_empty());
    }
}
