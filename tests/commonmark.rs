//! Conformance of the Markdown module with the CommonMark 0.31.2 spec and GFM's table, strikethrough and
//! task-list extensions, measured on every example of the specs.
//!
//! The module returns a safe tree, not HTML, so this test renders the tree to HTML the way cmark does and
//! compares it with each example's expected HTML after normalising both as the spec's `normalize.py` does
//! (ported below). Examples fall into three kinds, decided by a rule on the expected HTML, never by a list
//! of numbers:
//!
//! - raw HTML: the expected HTML holds markup no Markdown renderer writes, that is a tag the input spells
//!   out verbatim, or a `<` that starts no tag. The tree shows raw HTML as text, so these are checked to be
//!   inert (every live link http, https or mailto) and to show each such tag as text;
//! - images or links the safety rules change: the expected HTML holds an `<img>` or a link whose address
//!   is not http, https or mailto. The rules are rewritten into the expected HTML (an unsafe link becomes
//!   its content, an image a link to its source with its alt text, or just the alt text where the source
//!   is unsafe or a live link is already open) and the result must match exactly;
//! - everything else must match exactly.
//!
//! The spec files come from `../shared/specs/commonmark/` beside the project (`COMMONMARK_SPEC_DIR`
//! overrides it, as scripts/env.sh shows); the test fails when they are missing. It is a native test only.
#![cfg(not(target_arch = "wasm32"))]

use std::io::Write;
use std::path::PathBuf;

use boda::core::markdown::{is_safe_href, parse, Align, MdNode, MdTag, MAX_DEPTH};

/// One example of a spec file.
struct Example {
    /// The example's number in its file, as the spec numbers them.
    number: usize,
    /// The heading of the section it is in.
    section: String,
    markdown: String,
    html: String,
}

/// The folder holding the spec files.
fn spec_dir() -> PathBuf {
    match std::env::var_os("COMMONMARK_SPEC_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/specs/commonmark"),
    }
}

/// Reads one spec file, failing the test with where it looked when the file is missing.
fn read_spec(name: &str) -> String {
    let path = spec_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!("the spec file {} is needed ({error}); set COMMONMARK_SPEC_DIR to its folder", path.display())
    })
}

/// Splits a spec file into its examples: Markdown, a line holding `.`, HTML, between fences of 32 backticks.
/// The spec writes tabs as `→`.
fn examples(spec: &str) -> Vec<Example> {
    let fence = "`".repeat(32);
    let mut out = Vec::new();
    let mut section = String::new();
    let mut lines = spec.lines();
    while let Some(line) = lines.next() {
        if line.starts_with('#') {
            section = line.trim_start_matches('#').trim().to_owned();
        }
        if !line.strip_prefix(fence.as_str()).is_some_and(|rest| rest.starts_with(" example")) {
            continue;
        }
        let mut markdown = String::new();
        let mut html = String::new();
        let mut in_html = false;
        for line in lines.by_ref() {
            if line == fence {
                break;
            }
            if line == "." && !in_html {
                in_html = true;
                continue;
            }
            let target = if in_html { &mut html } else { &mut markdown };
            target.push_str(&line.replace('→', "\t"));
            target.push('\n');
        }
        out.push(Example { number: out.len() + 1, section: section.clone(), markdown, html });
    }
    out
}

// The renderer: the safe tree as cmark would write it.

/// Escapes text for HTML as cmark does.
fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

/// Escapes a link address as cmark does (houdini's href escaping): the characters URLs may hold stay,
/// `&` and `'` become references, every other byte is percent-encoded.
fn escape_href(href: &str, out: &mut String) {
    for byte in href.bytes() {
        match byte {
            b'&' => out.push_str("&amp;"),
            b'\'' => out.push_str("&#x27;"),
            b if b.is_ascii_alphanumeric() || b"-_.+!*(),%#@?=;:/$~".contains(&b) => out.push(b as char),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
}

fn render(nodes: &[MdNode]) -> String {
    let mut out = String::new();
    render_into(nodes, 1, &mut out);
    out
}

fn render_into(nodes: &[MdNode], depth: usize, out: &mut String) {
    assert!(depth <= MAX_DEPTH + 1, "the tree is deeper than MAX_DEPTH allows");
    for node in nodes {
        match node {
            MdNode::Text(text) => escape(text, out),
            // Only citation marking makes these; the parser's own output never holds one.
            MdNode::Cite(n) => out.push_str(&format!("[{n}]")),
            MdNode::InlineCode(code) => {
                out.push_str("<code>");
                escape(code, out);
                out.push_str("</code>");
            }
            MdNode::SoftBreak => out.push('\n'),
            MdNode::HardBreak => out.push_str("<br />\n"),
            MdNode::Rule => out.push_str("<hr />\n"),
            MdNode::CodeBlock { lang, code } => {
                out.push_str("<pre><code");
                if let Some(lang) = lang {
                    out.push_str(" class=\"language-");
                    escape(lang, out);
                    out.push('"');
                }
                out.push('>');
                escape(code, out);
                // The tree drops the block's last line ending.
                if !code.is_empty() {
                    out.push('\n');
                }
                out.push_str("</code></pre>\n");
            }
            MdNode::Link { href, title, children } => {
                out.push_str("<a href=\"");
                escape_href(href, out);
                out.push('"');
                if let Some(title) = title {
                    out.push_str(" title=\"");
                    escape(title, out);
                    out.push('"');
                }
                out.push('>');
                render_into(children, depth + 1, out);
                out.push_str("</a>");
            }
            MdNode::Element { tag, children } => render_element(*tag, children, depth, out),
        }
    }
}

fn render_element(tag: MdTag, children: &[MdNode], depth: usize, out: &mut String) {
    let (open, close) = match tag {
        MdTag::Paragraph => ("<p>".to_owned(), "</p>\n".to_owned()),
        MdTag::Heading(level) => (format!("<h{level}>"), format!("</h{level}>\n")),
        MdTag::BlockQuote => ("<blockquote>\n".to_owned(), "</blockquote>\n".to_owned()),
        MdTag::OrderedList(1) => ("<ol>\n".to_owned(), "</ol>\n".to_owned()),
        MdTag::OrderedList(start) => (format!("<ol start=\"{start}\">\n"), "</ol>\n".to_owned()),
        MdTag::UnorderedList => ("<ul>\n".to_owned(), "</ul>\n".to_owned()),
        MdTag::ListItem => ("<li>".to_owned(), "</li>\n".to_owned()),
        MdTag::Emphasis => ("<em>".to_owned(), "</em>".to_owned()),
        MdTag::Strong => ("<strong>".to_owned(), "</strong>".to_owned()),
        MdTag::Strikethrough => ("<del>".to_owned(), "</del>".to_owned()),
        MdTag::Table => {
            // The head comes first; the rows after it go into a body, as cmark-gfm writes them.
            out.push_str("<table>\n");
            let (head, rows) = children.split_at(usize::from(!children.is_empty()));
            render_into(head, depth + 1, out);
            if !rows.is_empty() {
                out.push_str("<tbody>\n");
                render_into(rows, depth + 1, out);
                out.push_str("</tbody>\n");
            }
            out.push_str("</table>\n");
            return;
        }
        MdTag::TableHead => ("<thead>\n".to_owned(), "</thead>\n".to_owned()),
        MdTag::TableRow => ("<tr>\n".to_owned(), "</tr>\n".to_owned()),
        MdTag::TableCell { header, align } => {
            let name = if header { "th" } else { "td" };
            let align = match align {
                Align::None => "",
                Align::Left => " align=\"left\"",
                Align::Center => " align=\"center\"",
                Align::Right => " align=\"right\"",
            };
            (format!("<{name}{align}>"), format!("</{name}>\n"))
        }
    };
    out.push_str(&open);
    render_into(children, depth + 1, out);
    out.push_str(&close);
}

// normalize.py, ported: how the spec's runner compares HTML.

/// The chunks normalize.py feeds its HTML parser one by one: CDATA sections, tags, and the text between.
enum Chunk<'a> {
    Cdata(&'a str),
    Tag(&'a str),
    Data(&'a str),
}

/// Splits HTML as normalize.py's `(<!\[CDATA\[.*?\]\]>|<[^>]*>|[^<]+)` does; a `<` that starts neither a
/// CDATA section nor a tag matches nothing there and is skipped.
fn chunks(html: &str) -> Vec<Chunk<'_>> {
    let mut out = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        if rest.starts_with("<![CDATA[") {
            if let Some(end) = rest.find("]]>") {
                out.push(Chunk::Cdata(&rest[..end + 3]));
                rest = &rest[end + 3..];
                continue;
            }
        }
        if rest.starts_with('<') {
            match rest.find('>') {
                Some(end) => {
                    out.push(Chunk::Tag(&rest[..=end]));
                    rest = &rest[end + 1..];
                }
                None => rest = &rest[1..],
            }
            continue;
        }
        let end = rest.find('<').unwrap_or(rest.len());
        out.push(Chunk::Data(&rest[..end]));
        rest = &rest[end..];
    }
    out
}

/// A start or end tag, as Python's HTMLParser reports it: lower-case names, values unescaped.
struct Tag {
    name: String,
    end: bool,
    self_closing: bool,
    attrs: Vec<(String, Option<String>)>,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(key, _)| key == name).and_then(|(_, value)| value.as_deref())
    }
}

/// Reads a tag chunk; `None` for comments, declarations, processing instructions and anything that is not
/// a well-formed tag.
fn read_tag(chunk: &str) -> Option<Tag> {
    let inner = chunk.strip_prefix('<')?.strip_suffix('>')?;
    let (end, inner) = match inner.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (false, inner),
    };
    if !inner.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let (inner, self_closing) = match inner.strip_suffix('/') {
        Some(rest) => (rest, true),
        None => (inner, false),
    };
    let name_end = inner.find(|c: char| c.is_whitespace() || c == '/').unwrap_or(inner.len());
    let name = inner[..name_end].to_ascii_lowercase();
    let mut attrs = Vec::new();
    let mut rest = &inner[name_end..];
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if rest.is_empty() {
            break;
        }
        let key_end = rest.find(|c: char| c.is_whitespace() || c == '=' || c == '/').unwrap_or(rest.len());
        let key = rest[..key_end].to_ascii_lowercase();
        rest = rest[key_end..].trim_start();
        let value = match rest.strip_prefix('=') {
            Some(after) => {
                let after = after.trim_start();
                let (value, remaining) = match after.chars().next() {
                    Some(quote @ ('"' | '\'')) => {
                        let body = &after[1..];
                        let close = body.find(quote).unwrap_or(body.len());
                        (&body[..close], body.get(close + 1..).unwrap_or(""))
                    }
                    _ => {
                        let close = after.find(char::is_whitespace).unwrap_or(after.len());
                        (&after[..close], &after[close..])
                    }
                };
                rest = remaining;
                Some(unescape(value))
            }
            None => None,
        };
        attrs.push((key, value));
    }
    Some(Tag { name, end, self_closing, attrs })
}

/// Reads the character reference that starts `text` (with its `;`), returning the character, or `None`
/// when the reference names nothing, and its length.
///
/// Named references: only `amp`, `lt`, `gt`, `quot` and `apos` are decoded, the ones cmark and the renderer
/// above write (both write every other character as itself). normalize.py decodes HTML 4's other names too;
/// keeping them as written can only make a comparison stricter.
fn reference(text: &str) -> Option<(Option<char>, usize)> {
    let body = text.strip_prefix('&')?;
    let semicolon = body.find(';')?;
    let name = &body[..semicolon];
    let len = semicolon + 2;
    if let Some(number) = name.strip_prefix('#') {
        let value = match number.strip_prefix(['x', 'X']) {
            Some(hex) if !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()) => {
                u32::from_str_radix(hex, 16).ok()
            }
            Some(_) => return None,
            None if !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()) => number.parse().ok(),
            None => return None,
        };
        return Some((value.and_then(char::from_u32), len));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic())
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        return None;
    }
    let c = match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    };
    Some((c, len))
}

/// Decodes character references in an attribute value, as HTMLParser does.
fn unescape(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match reference(rest) {
            Some((Some(c), len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `html.escape(value, quote=True)`.
fn escape_attr(value: &str) -> String {
    let mut out = String::new();
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

fn is_block_tag(tag: &str) -> bool {
    [
        "article",
        "header",
        "aside",
        "hgroup",
        "blockquote",
        "hr",
        "iframe",
        "body",
        "li",
        "map",
        "button",
        "object",
        "canvas",
        "ol",
        "caption",
        "output",
        "col",
        "p",
        "colgroup",
        "pre",
        "dd",
        "progress",
        "div",
        "section",
        "dl",
        "table",
        "td",
        "dt",
        "tbody",
        "embed",
        "textarea",
        "fieldset",
        "tfoot",
        "figcaption",
        "th",
        "figure",
        "thead",
        "footer",
        "tr",
        "form",
        "ul",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "video",
        "script",
        "style",
    ]
    .contains(&tag)
}

#[derive(PartialEq)]
enum Last {
    StartTag,
    EndTag,
    Data,
    Other,
}

/// normalize.py's `MyHTMLParser`.
struct Normalizer {
    last: Last,
    last_tag: String,
    in_pre: bool,
    output: String,
}

impl Normalizer {
    fn data(&mut self, data: &str) {
        let after_tag = matches!(self.last, Last::StartTag | Last::EndTag);
        let after_block_tag = after_tag && is_block_tag(&self.last_tag);
        let mut data = data.to_owned();
        if after_tag && self.last_tag == "br" {
            data = data.trim_start_matches('\n').to_owned();
        }
        if !self.in_pre {
            data = collapse_whitespace(&data);
        }
        if after_block_tag && !self.in_pre {
            if self.last == Last::StartTag {
                data = data.trim_start().to_owned();
            } else if self.last == Last::EndTag {
                data = data.trim().to_owned();
            }
        }
        self.output.push_str(&data);
        self.last = Last::Data;
    }

    /// Text between tags: HTMLParser hands it over in pieces split at character references, and a lone
    /// `&` as a piece of its own.
    fn text(&mut self, text: &str) {
        let mut rest = text;
        while let Some(at) = rest.find('&') {
            if at > 0 {
                self.data(&rest[..at]);
            }
            rest = &rest[at..];
            match reference(rest) {
                Some((c, len)) => {
                    match c {
                        Some('<') => self.output.push_str("&lt;"),
                        Some('>') => self.output.push_str("&gt;"),
                        Some('&') => self.output.push_str("&amp;"),
                        Some('"') => self.output.push_str("&quot;"),
                        Some(c) => self.output.push(c),
                        None => self.output.push_str(&rest[..len]),
                    }
                    self.last = Last::Other;
                    rest = &rest[len..];
                }
                None => {
                    self.data("&");
                    rest = &rest[1..];
                }
            }
        }
        if !rest.is_empty() {
            self.data(rest);
        }
    }

    fn start_tag(&mut self, tag: &Tag) {
        if tag.name == "pre" {
            self.in_pre = true;
        }
        if is_block_tag(&tag.name) {
            self.output.truncate(self.output.trim_end().len());
        }
        self.output.push('<');
        self.output.push_str(&tag.name);
        let mut attrs = tag.attrs.clone();
        attrs.sort();
        // normalize.py means to re-quote href and src values, but its test compares the value, not the
        // name, with 'href' and 'src', so in effect every value is escaped alike.
        for (key, value) in attrs {
            self.output.push(' ');
            self.output.push_str(&key);
            if let Some(value) = value {
                self.output.push_str(&format!("=\"{}\"", escape_attr(&value)));
            }
        }
        self.output.push('>');
        self.last_tag = tag.name.clone();
        self.last = Last::StartTag;
        if tag.self_closing {
            self.last = Last::EndTag;
        }
    }

    fn end_tag(&mut self, tag: &Tag) {
        if tag.name == "pre" {
            self.in_pre = false;
        } else if is_block_tag(&tag.name) {
            self.output.truncate(self.output.trim_end().len());
        }
        self.output.push_str(&format!("</{}>", tag.name));
        self.last_tag = tag.name.clone();
        self.last = Last::EndTag;
    }
}

/// Python's `re.sub(r'\s+', ' ', data)`.
fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    out
}

/// normalize.py's `normalize_html`.
fn normalize(html: &str) -> String {
    let mut parser = Normalizer { last: Last::StartTag, last_tag: String::new(), in_pre: false, output: String::new() };
    for chunk in chunks(html) {
        match chunk {
            Chunk::Cdata(cdata) => parser.output.push_str(cdata),
            Chunk::Data(data) => parser.text(data),
            Chunk::Tag(chunk) => match read_tag(chunk) {
                Some(tag) if tag.end => parser.end_tag(&tag),
                Some(tag) => parser.start_tag(&tag),
                // Comments, declarations and processing instructions are kept as they are.
                None if chunk.starts_with("<!") || chunk.starts_with("<?") => {
                    parser.output.push_str(chunk);
                    parser.last = Last::Other;
                }
                // A `<` that starts no tag is text, and HTMLParser passes it on alone.
                None => {
                    parser.data("<");
                    parser.text(&chunk[1..]);
                }
            },
        }
    }
    parser.output
}

// Classifying and checking examples.

/// What the safety rules do to an example.
enum Kind {
    /// Nothing: the tree must render to the expected HTML.
    Plain,
    /// Images or unsafe links: the tree must render to the expected HTML rewritten by the rules.
    Rewritten(String),
    /// Raw HTML, shown as text: these tags must show as text, and the tree must be inert.
    RawHtml(Vec<String>),
}

/// Task list markers are checkboxes in GFM's HTML and characters in the tree.
fn checkboxes_as_characters(html: &str) -> String {
    html.replace("<input checked=\"\" disabled=\"\" type=\"checkbox\">", "☑")
        .replace("<input disabled=\"\" type=\"checkbox\">", "☐")
}

fn classify(example: &Example, expected: &str) -> Kind {
    // A Markdown renderer writes its own tags and escapes every `<` of the text, so a tag the input spells
    // out verbatim, or a `<` that starts no tag, came from raw HTML.
    let mut raw = Vec::new();
    let mut rest = expected;
    while let Some(at) = rest.find('<') {
        rest = &rest[at..];
        match rest.find('>') {
            Some(end) => {
                let tag = &rest[..=end];
                if example.markdown.contains(tag) {
                    raw.push(tag.to_owned());
                }
                rest = &rest[end + 1..];
            }
            None => {
                raw.push(String::new());
                break;
            }
        }
    }
    if !raw.is_empty() {
        return Kind::RawHtml(raw.into_iter().filter(|tag| !tag.is_empty()).collect());
    }
    let rewritten = apply_safety_rules(expected);
    if rewritten == expected {
        Kind::Plain
    } else {
        Kind::Rewritten(rewritten)
    }
}

/// Rewrites the expected HTML of an example without raw HTML as the safety rules render it: a link whose
/// address is not http, https or mailto becomes its content; an image becomes a link to its source showing
/// its alt text (or the address, when the alt text is empty) if the source is safe and no live link is
/// open around it, and its alt text otherwise.
fn apply_safety_rules(html: &str) -> String {
    let mut out = String::new();
    // For each open `<a>`: whether it was dropped.
    let mut links: Vec<bool> = Vec::new();
    for chunk in chunks(html) {
        let (Chunk::Tag(text) | Chunk::Data(text) | Chunk::Cdata(text)) = chunk;
        let Some(tag) = read_tag(text) else {
            out.push_str(text);
            continue;
        };
        match (tag.name.as_str(), tag.end) {
            ("a", false) => {
                let live = tag.attr("href").is_some_and(is_safe_href);
                links.push(!live);
                if live {
                    out.push_str(text);
                }
            }
            ("a", true) => {
                if !links.pop().unwrap_or(false) {
                    out.push_str(text);
                }
            }
            ("img", false) => {
                let src = tag.attr("src").unwrap_or("");
                let alt = tag.attr("alt").unwrap_or("");
                let live_link_open = links.iter().any(|dropped| !dropped);
                if is_safe_href(src) && !live_link_open {
                    out.push_str(&format!("<a href=\"{}\"", escape_attr(src)));
                    if let Some(title) = tag.attr("title") {
                        out.push_str(&format!(" title=\"{}\"", escape_attr(title)));
                    }
                    out.push('>');
                    escape(if alt.is_empty() { src } else { alt }, &mut out);
                    out.push_str("</a>");
                } else {
                    escape(alt, &mut out);
                }
            }
            _ => out.push_str(text),
        }
    }
    out
}

/// Visits every node of a tree, depth first, with its depth.
fn walk(nodes: &[MdNode], visit: &mut impl FnMut(&MdNode, usize)) {
    let mut pending: Vec<(&MdNode, usize)> = nodes.iter().rev().map(|node| (node, 1)).collect();
    while let Some((node, depth)) = pending.pop() {
        visit(node, depth);
        if let MdNode::Element { children, .. } | MdNode::Link { children, .. } = node {
            pending.extend(children.iter().rev().map(|child| (child, depth + 1)));
        }
    }
}

/// Checks what holds for every example: the depth cap, and every live link is http, https or mailto.
fn inert(nodes: &[MdNode]) -> Result<(), String> {
    let mut problem = None;
    walk(nodes, &mut |node, depth| {
        if depth > MAX_DEPTH + 1 {
            problem = Some(format!("a node at depth {depth}"));
        }
        if let MdNode::Link { href, .. } = node {
            if !is_safe_href(href) {
                problem = Some(format!("a live link to {href:?}"));
            }
        }
    });
    problem.map_or(Ok(()), Err)
}

/// The text a reader sees, with runs of whitespace as one space.
fn visible_text(nodes: &[MdNode]) -> String {
    let mut text = String::new();
    walk(nodes, &mut |node, _| match node {
        MdNode::Text(s) | MdNode::InlineCode(s) => text.push_str(s),
        MdNode::CodeBlock { code, .. } => text.push_str(code),
        MdNode::SoftBreak | MdNode::HardBreak => text.push(' '),
        _ => {}
    });
    collapse_whitespace(&text)
}

/// What came of a spec's examples.
#[derive(Default)]
struct Tally {
    plain: usize,
    rewritten: usize,
    raw: usize,
    failures: Vec<String>,
}

fn check(spec: &str, example: &Example, tally: &mut Tally) {
    let nodes = parse(&example.markdown);
    let expected = checkboxes_as_characters(&example.html);
    let actual = render(&nodes);
    let failure = |what: &str, want: &str| {
        format!(
            "{spec} example {} ({}): {what}\n  markdown: {:?}\n  expected: {:?}\n  rendered: {:?}",
            example.number, example.section, example.markdown, want, actual
        )
    };
    if let Err(problem) = inert(&nodes) {
        tally.failures.push(failure(&problem, &expected));
        return;
    }
    let (want, rewritten) = match classify(example, &expected) {
        Kind::RawHtml(tags) => {
            let text = visible_text(&nodes);
            match tags.iter().find(|tag| !text.contains(&collapse_whitespace(tag))) {
                Some(tag) => {
                    tally.failures.push(failure(&format!("the raw HTML {tag:?} is not shown as text"), &expected))
                }
                None => tally.raw += 1,
            }
            return;
        }
        Kind::Plain => (expected, false),
        Kind::Rewritten(rewritten) => (rewritten, true),
    };
    let matches = normalize(&actual) == normalize(&want);
    match (matches, rewritten) {
        (true, false) => tally.plain += 1,
        (true, true) => tally.rewritten += 1,
        (false, _) => tally.failures.push(failure("rendered differently", &want)),
    }
}

/// Writes a summary line where `cargo test` shows it: the test harness captures `println!`, not stderr.
fn report(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn run(spec: &str, examples: &[&Example]) {
    let mut tally = Tally::default();
    for example in examples {
        check(spec, example, &mut tally);
    }
    report(&format!(
        "{spec}: {} examples: {} render as the spec expects, {} as expected once images and unsafe links are \
         rewritten by the safety rules, {} hold raw HTML shown as inert text, {} failed",
        examples.len(),
        tally.plain,
        tally.rewritten,
        tally.raw,
        tally.failures.len()
    ));
    assert!(
        tally.failures.is_empty(),
        "{} of {} examples failed:\n\n{}",
        tally.failures.len(),
        examples.len(),
        tally.failures.join("\n\n")
    );
}

#[test]
fn commonmark_0_31_2_examples() {
    let spec = read_spec("spec-0.31.2.txt");
    let all = examples(&spec);
    assert_eq!(all.len(), 652, "CommonMark 0.31.2 has 652 examples");
    run("CommonMark 0.31.2", &all.iter().collect::<Vec<_>>());
}

#[test]
fn gfm_extension_examples() {
    let spec = read_spec("gfm-0.29-spec.txt");
    let all = examples(&spec);
    let extensions = ["Tables (extension)", "Strikethrough (extension)", "Task list items (extension)"];
    let chosen: Vec<&Example> = all.iter().filter(|example| extensions.contains(&example.section.as_str())).collect();
    assert_eq!(chosen.len(), 12, "GFM 0.29 has 8 table, 2 strikethrough and 2 task list examples");
    run("GFM 0.29", &chosen);
}

#[test]
fn the_normalizer_agrees_with_normalize_py() {
    // normalize.py's own doctests (the one with `&forall;` uses the number of that character instead).
    let cases = [
        ("<p>a  \t b</p>", "<p>a b</p>"),
        ("<p>a  \t\nb</p>", "<p>a b</p>"),
        ("<p>a  b</p>", "<p>a b</p>"),
        (" <p>a  b</p>", "<p>a b</p>"),
        ("<p>a  b</p> ", "<p>a b</p>"),
        ("\n\t<p>\n\t\ta  b\t\t</p>\n\t", "<p>a b</p>"),
        ("<i>a  b</i> ", "<i>a b</i> "),
        ("<br />", "<br>"),
        ("<a title=\"bar\" HREF=\"foo\">x</a>", "<a href=\"foo\" title=\"bar\">x</a>"),
        ("&#8704;&amp;&gt;&lt;&quot;", "\u{2200}&amp;&gt;&lt;&quot;"),
    ];
    for (html, normal) in cases {
        assert_eq!(normalize(html), normal, "{html:?}");
    }
    // Whitespace inside `<pre>` counts; after a `<br>` a line ending does not.
    assert_eq!(normalize("<pre><code>a  b\n</code></pre>\n"), "<pre><code>a  b\n</code></pre>");
    assert_eq!(normalize("<p>a<br />\nb</p>"), "<p>a<br>b</p>");
    assert_ne!(normalize("<p><em>a</em></p>"), normalize("<p><strong>a</strong></p>"));
}

#[test]
fn the_safety_rules_rewrite_expected_html() {
    assert_eq!(apply_safety_rules("<p><a href=\"/uri\">link</a></p>"), "<p>link</p>");
    assert_eq!(
        apply_safety_rules("<p><img src=\"https://e.com/i.png\" alt=\"a &amp; b\" title=\"t\" /></p>"),
        "<p><a href=\"https://e.com/i.png\" title=\"t\">a &amp; b</a></p>"
    );
    assert_eq!(apply_safety_rules("<p><img src=\"foo\" alt=\"bar\" /></p>"), "<p>bar</p>");
    assert_eq!(
        apply_safety_rules("<p><a href=\"https://e.com\"><img src=\"https://e.com/i.png\" alt=\"moon\" /></a></p>"),
        "<p><a href=\"https://e.com\">moon</a></p>"
    );
    assert_eq!(
        apply_safety_rules("<p><a href=\"/x\"><img src=\"https://e.com/i\" alt=\"m\" /></a></p>"),
        "<p><a href=\"https://e.com/i\">m</a></p>"
    );
}
