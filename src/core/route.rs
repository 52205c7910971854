//! The app's addresses: `/` (the most recent chat, or the empty start), `/chat/<id>` (that chat), the
//! evaluation's `/evaluate` (test sets and runs) and `/evaluate/run/<id>` (one run's report), and the
//! Wardrobe page `/wardrobe`. Parsing
//! and building them lives here so the rule is one piece of tested code; the views hand the browser's path in
//! and get a [`Route`] back. Anything else is read as `/`.

/// Where an address points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/`: the most recent chat, or the empty start when there is none.
    Home,
    /// `/chat/<id>`: that chat, or the "does not exist (any more)" state.
    Chat(String),
    /// `/evaluate`: test sets and runs.
    Evaluate,
    /// `/evaluate/run/<id>`: one run, its progress and its report.
    EvalRun(String),
    /// `/wardrobe`: the wardrobe's items.
    Wardrobe,
}

impl Route {
    /// Reads a path (without query or fragment, as `location.pathname` gives it). Ids are opaque but never
    /// empty and never contain a slash; a percent-encoded id is decoded.
    pub fn parse(path: &str) -> Route {
        let rest = path.trim_end_matches('/');
        let id = |prefix: &str| rest.strip_prefix(prefix).filter(|id| !id.is_empty() && !id.contains('/'));
        if let Some(id) = id("/chat/") {
            Route::Chat(percent_decode(id))
        } else if let Some(id) = id("/evaluate/run/") {
            Route::EvalRun(percent_decode(id))
        } else if rest == "/evaluate" {
            Route::Evaluate
        } else if rest == "/wardrobe" {
            Route::Wardrobe
        } else {
            Route::Home
        }
    }

    /// The path of this route.
    pub fn path(&self) -> String {
        match self {
            Route::Home => "/".to_owned(),
            Route::Chat(id) => format!("/chat/{}", percent_encode(id)),
            Route::Evaluate => "/evaluate".to_owned(),
            Route::EvalRun(id) => format!("/evaluate/run/{}", percent_encode(id)),
            Route::Wardrobe => "/wardrobe".to_owned(),
        }
    }

    /// Whether the address shows a chat (the open one, or the start); the other pages leave it open as it is.
    pub fn is_chat(&self) -> bool {
        matches!(self, Route::Home | Route::Chat(_))
    }

    /// Whether the address is one of the evaluation's pages (the chat pane gives way to them).
    pub fn is_evaluation(&self) -> bool {
        matches!(self, Route::Evaluate | Route::EvalRun(_))
    }
}

/// Encodes everything but unreserved characters (RFC 3986), so any id survives a round trip.
fn percent_encode(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes; a malformed escape is kept as it is.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chats_have_addresses() {
        let id = "0b6f1c2e-8a4d-4e0b-9d2e-3f5a6b7c8d9e";
        assert_eq!(Route::parse(&format!("/chat/{id}")), Route::Chat(id.into()));
        assert_eq!(Route::parse(&format!("/chat/{id}/")), Route::Chat(id.into()));
        assert_eq!(Route::Chat(id.into()).path(), format!("/chat/{id}"));
        for home in ["/", "", "/chat", "/chat/", "/chat/a/b", "/settings", "/index.html"] {
            assert_eq!(Route::parse(home), Route::Home, "{home}");
        }
        assert_eq!(Route::Home.path(), "/");
    }

    #[test]
    fn the_evaluation_has_addresses() {
        assert_eq!(Route::parse("/evaluate"), Route::Evaluate);
        assert_eq!(Route::parse("/evaluate/"), Route::Evaluate);
        assert_eq!(Route::parse("/evaluate/run/r1"), Route::EvalRun("r1".into()));
        assert_eq!(Route::EvalRun("a b".into()).path(), "/evaluate/run/a%20b");
        assert_eq!(Route::parse("/evaluate/run/"), Route::Home);
        assert_eq!(Route::parse("/evaluate/other"), Route::Home);
        assert!(Route::Evaluate.is_evaluation() && !Route::Home.is_evaluation());
    }

    #[test]
    fn the_wardrobe_has_an_address() {
        assert_eq!(Route::parse("/wardrobe"), Route::Wardrobe);
        assert_eq!(Route::parse("/wardrobe/"), Route::Wardrobe);
        assert_eq!(Route::parse(&Route::Wardrobe.path()), Route::Wardrobe);
        assert_eq!(Route::parse("/wardrobe/item"), Route::Home);
        assert!(!Route::Wardrobe.is_chat() && !Route::Wardrobe.is_evaluation());
        assert!(Route::Home.is_chat() && Route::Chat("c".into()).is_chat() && !Route::Evaluate.is_chat());
    }

    #[test]
    fn any_id_survives_the_round_trip() {
        for id in ["a b", "한국어", "x%y", "q?r#s", "100%"] {
            let route = Route::Chat(id.into());
            assert_eq!(Route::parse(&route.path()), route, "{id}");
        }
        assert_eq!(Route::parse("/chat/%zz"), Route::Chat("%zz".into()));
    }
}
