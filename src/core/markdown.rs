//! Turns untrusted Markdown (model answers) into a tree of plain, safe nodes.
//!
//! What it does: it runs `pulldown-cmark` (CommonMark 0.31 plus GitHub's tables, strikethrough and
//! task lists) and folds its event stream into [`MdNode`]s that the view renders one by one as DOM
//! elements and text nodes. The safety rules are applied while folding: raw HTML becomes literal
//! text (an HTML block becomes a paragraph holding its source text, without its final line ending),
//! links are live only for `http:`, `https:` and `mailto:`, images become links to their source (or
//! just their alt text) so nothing is ever fetched, task list markers become ☐ and ☑ characters,
//! and nesting deeper than [`MAX_DEPTH`] is flattened into its parent, so neither building, rendering
//! nor dropping the tree can recurse deeper than that. Apart from what those rules change, the tree
//! renders to what the specs expect for every CommonMark 0.31.2 example and every GFM table,
//! strikethrough and task-list example (tests/commonmark.rs). The parser and the fold take time
//! linear in the input, also on cmark's pathological inputs (tests/markdown_pathological.rs), and
//! past `EMPTY_CELL_BUDGET` short table rows are no longer padded with empty cells, so a small answer
//! cannot become a huge tree.
//!
//! What it does not do: it never produces HTML strings, never touches the DOM, does no syntax
//! highlighting and keeps no state between calls, so a streamed answer is parsed again as it grows.
//! Footnotes, math, metadata blocks, heading attributes and GitHub's bare-URL autolinks are not
//! enabled and stay text; anything unexpected from the parser falls back to text. It cannot stop the
//! parser from padding each table's short rows with up to 2^18 empty cells before the fold drops
//! them, so an answer made of many wide tables over short rows costs far more time a byte than any
//! other input (still linear, but 100 KB of tables a thousand columns wide took over a second in a
//! native release build).

use std::borrow::Cow;

use pulldown_cmark::{Alignment, CodeBlockKind, Event, LinkType, Options, Parser, Tag, TagEnd};

/// One node of a rendered answer. Everything is plain data; text is never HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MdNode {
    /// Literal text, shown as text (HTML in the source ends up here, verbatim, escaped by the DOM).
    Text(String),
    /// `inline code`.
    InlineCode(String),
    SoftBreak,
    HardBreak,
    Rule,
    /// A fenced or indented code block; `lang` is the first word of the info string, if any.
    CodeBlock {
        lang: Option<String>,
        code: String,
    },
    /// A live link: `href` is guaranteed to be http:, https: or mailto: (scheme compared
    /// case-insensitively after trimming whitespace and removing ASCII control characters, so
    /// "java\tscript:" or " JAVASCRIPT:" are NOT live).
    ///
    /// The stored `href` is the cleaned form that was checked (control characters removed,
    /// surrounding whitespace trimmed), so the browser sees exactly what passed the check.
    Link {
        href: String,
        title: Option<String>,
        children: Vec<MdNode>,
    },
    /// A citation of web result `n` (1-based), made by [`crate::core::websearch::cite::mark_citations`] only
    /// for numbers that have a result behind them; the parser itself never makes one.
    Cite(u32),
    /// A block or inline element.
    ///
    /// Tables have this shape: `Table` holds one `TableHead` and then zero or more `TableRow`s;
    /// `TableHead` holds exactly one `TableRow` of header cells (so a generic tag-to-element
    /// mapping yields valid `thead > tr > th`); every row holds `TableCell`s.
    Element {
        tag: MdTag,
        children: Vec<MdNode>,
    },
}

/// The kind of an [`MdNode::Element`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MdTag {
    Paragraph,
    /// A heading of level 1..=6.
    Heading(u8),
    BlockQuote,
    /// An ordered list with its start number.
    OrderedList(u64),
    UnorderedList,
    ListItem,
    Emphasis,
    Strong,
    Strikethrough,
    Table,
    TableHead,
    TableRow,
    TableCell {
        header: bool,
        align: Align,
    },
}

/// The alignment of a table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    None,
    Left,
    Center,
    Right,
}

/// The deepest nesting of open elements that is kept; anything deeper is flattened into its parent.
pub const MAX_DEPTH: usize = 64;

/// The text shown for an unchecked task list marker.
const TASK_OPEN: &str = "☐ ";

/// The text shown for a checked task list marker.
const TASK_DONE: &str = "☑ ";

/// How many empty cells at the ends of table rows one answer may keep.
///
/// The parser pads every short row to the width of its table (up to 2^18 cells a table), so a
/// header a few kilobytes wide over many one-character rows would turn a small answer into hundreds
/// of thousands of elements. Past this budget, empty trailing cells are dropped and a short row
/// stays short, which a browser's table layout handles.
const EMPTY_CELL_BUDGET: usize = 1 << 16;

/// Parses Markdown (CommonMark + tables + strikethrough + task lists) into safe nodes.
pub fn parse(markdown: &str) -> Vec<MdNode> {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut builder = Builder::new();
    for event in Parser::new_ext(markdown, options) {
        builder.event(event);
    }
    builder.finish()
}

/// Returns true when `href` may be rendered as a live link.
pub fn is_safe_href(href: &str) -> bool {
    scheme_is_allowed(&clean_href(href))
}

/// Removes every ASCII control character and trims surrounding whitespace.
///
/// Browsers strip leading and trailing control characters and spaces and drop tabs and newlines
/// anywhere in a URL, so the cleaned form is at least as strict as what the browser will see.
fn clean_href(href: &str) -> String {
    if !href.bytes().any(|b| b.is_ascii_control()) {
        return href.trim().to_owned();
    }
    let without_controls: String = href.chars().filter(|c| !c.is_ascii_control()).collect();
    without_controls.trim().to_owned()
}

/// Returns true when an already cleaned href starts with an allowed scheme.
fn scheme_is_allowed(cleaned: &str) -> bool {
    let Some((scheme, _)) = cleaned.split_once(':') else {
        return false;
    };
    ["http", "https", "mailto"].iter().any(|allowed| scheme.eq_ignore_ascii_case(allowed))
}

/// Returns the cleaned href when it may be live, or `None` when it must not be.
fn safe_href(href: &str) -> Option<String> {
    let cleaned = clean_href(href);
    scheme_is_allowed(&cleaned).then_some(cleaned)
}

/// Returns the destination a link event really points to (e-mail autolinks lack their scheme).
fn link_destination(link_type: LinkType, dest_url: &str) -> Cow<'_, str> {
    if link_type == LinkType::Email {
        Cow::Owned(format!("mailto:{dest_url}"))
    } else {
        Cow::Borrowed(dest_url)
    }
}

/// Turns an empty title into `None`.
fn non_empty(title: &str) -> Option<String> {
    (!title.is_empty()).then(|| title.to_owned())
}

/// Appends text to a list of nodes, merging it into a trailing text node when there is one.
fn push_text(children: &mut Vec<MdNode>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(MdNode::Text(last)) = children.last_mut() {
        last.push_str(text);
    } else {
        children.push(MdNode::Text(text.to_owned()));
    }
}

/// Appends nodes to a list, merging adjacent text nodes at the seam.
fn append_nodes(children: &mut Vec<MdNode>, nodes: Vec<MdNode>) {
    let mut nodes = nodes.into_iter();
    if let Some(first) = nodes.next() {
        match first {
            MdNode::Text(text) => push_text(children, &text),
            other => children.push(other),
        }
    }
    children.extend(nodes);
}

/// Removes one trailing line ending, if there is one.
fn strip_one_newline(text: &mut String) {
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
}

/// Converts the parser's column alignment into ours.
fn align_of(alignment: Alignment) -> Align {
    match alignment {
        Alignment::None => Align::None,
        Alignment::Left => Align::Left,
        Alignment::Center => Align::Center,
        Alignment::Right => Align::Right,
    }
}

/// Returns true for end events of block-level containers, whose flattened content needs a separator.
fn ends_block(end: TagEnd) -> bool {
    !matches!(
        end,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::Link
            | TagEnd::Image
    )
}

/// What an open frame becomes once it is closed.
enum FrameKind {
    /// The document itself; never closed by an event.
    Root,
    /// A plain element.
    Element(MdTag),
    /// A table, with the alignment of each column.
    Table(Vec<Align>),
    /// The header row of a table; it closes into `TableHead` wrapping one `TableRow`.
    TableHead,
    /// A live link.
    Link { href: String, title: Option<String> },
    /// A code block; its text children are joined into the code.
    CodeBlock { lang: Option<String> },
    /// A block of raw HTML; it closes into a paragraph of literal text.
    HtmlBlock,
    /// Something with no node of its own (an unsafe link, an unsupported tag); its children are
    /// spliced into the parent.
    Transparent,
}

/// One element that has started and not yet ended, with the children collected so far.
struct Frame {
    kind: FrameKind,
    children: Vec<MdNode>,
}

/// An image being read: every event up to its end only contributes to the alt text.
struct ImageState {
    href: Option<String>,
    title: Option<String>,
    alt: String,
    /// How many tags inside the alt text are currently open.
    nesting: usize,
}

/// Folds the parser's events into nodes with an explicit stack, so deep input never recurses.
struct Builder {
    /// The open frames; index 0 is the root and is always present.
    stack: Vec<Frame>,
    /// How many started tags were flattened because the stack was full and have not ended yet.
    overflow: usize,
    /// The image currently being read, if any.
    image: Option<ImageState>,
    /// How many live links are open, so images inside them do not nest one link in another.
    open_links: usize,
    /// How many more empty trailing table cells may be kept (see [`EMPTY_CELL_BUDGET`]).
    empty_cells: usize,
}

impl Builder {
    fn new() -> Self {
        Self {
            stack: vec![Frame { kind: FrameKind::Root, children: Vec::new() }],
            overflow: 0,
            image: None,
            open_links: 0,
            empty_cells: EMPTY_CELL_BUDGET,
        }
    }

    /// Returns the children of the innermost open frame.
    fn current(&mut self) -> &mut Vec<MdNode> {
        if self.stack.is_empty() {
            // The root is never popped, but an empty stack must not be able to panic either.
            self.stack.push(Frame { kind: FrameKind::Root, children: Vec::new() });
        }
        let last = self.stack.len() - 1;
        &mut self.stack[last].children
    }

    /// Returns true when nothing more may nest (the next element would be too deep).
    fn full(&self) -> bool {
        self.overflow > 0 || self.stack.len() > MAX_DEPTH
    }

    fn text(&mut self, text: &str) {
        push_text(self.current(), text);
    }

    fn node(&mut self, node: MdNode) {
        self.current().push(node);
    }

    fn event(&mut self, event: Event<'_>) {
        if let Some(image) = self.image.as_mut() {
            match event {
                Event::Start(_) => image.nesting += 1,
                Event::End(_) if image.nesting > 0 => image.nesting -= 1,
                Event::End(_) => self.finish_image(),
                Event::Text(text)
                | Event::Code(text)
                | Event::InlineMath(text)
                | Event::DisplayMath(text)
                | Event::Html(text)
                | Event::InlineHtml(text)
                | Event::FootnoteReference(text) => image.alt.push_str(&text),
                Event::SoftBreak | Event::HardBreak => image.alt.push(' '),
                Event::Rule | Event::TaskListMarker(_) => {}
            }
            return;
        }
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(end) => self.end(end),
            Event::Text(text) => self.text(&text),
            Event::Code(code) => self.node(MdNode::InlineCode(code.into_string())),
            Event::InlineMath(math) => self.text(&format!("${math}$")),
            Event::DisplayMath(math) => self.text(&format!("$${math}$$")),
            Event::Html(html) | Event::InlineHtml(html) => self.text(&html),
            Event::FootnoteReference(label) => self.text(&format!("[^{label}]")),
            Event::SoftBreak => self.node(MdNode::SoftBreak),
            Event::HardBreak => self.node(MdNode::HardBreak),
            Event::Rule => self.node(MdNode::Rule),
            Event::TaskListMarker(done) => self.text(if done { TASK_DONE } else { TASK_OPEN }),
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        if let Tag::Image { link_type, dest_url, title, .. } = &tag {
            // Images never open a frame, so they work at any depth.
            self.image = Some(ImageState {
                href: safe_href(&link_destination(*link_type, dest_url)),
                title: non_empty(title),
                alt: String::new(),
                nesting: 0,
            });
            return;
        }
        if self.full() {
            self.overflow += 1;
            return;
        }
        let kind = match tag {
            Tag::Paragraph => FrameKind::Element(MdTag::Paragraph),
            Tag::Heading { level, .. } => FrameKind::Element(MdTag::Heading(level as u8)),
            Tag::BlockQuote(_) => FrameKind::Element(MdTag::BlockQuote),
            Tag::CodeBlock(kind) => FrameKind::CodeBlock {
                lang: match kind {
                    CodeBlockKind::Fenced(info) => info.split_whitespace().next().map(str::to_owned),
                    CodeBlockKind::Indented => None,
                },
            },
            Tag::HtmlBlock => FrameKind::HtmlBlock,
            Tag::List(Some(start)) => FrameKind::Element(MdTag::OrderedList(start)),
            Tag::List(None) => FrameKind::Element(MdTag::UnorderedList),
            Tag::Item => FrameKind::Element(MdTag::ListItem),
            Tag::Table(alignments) => FrameKind::Table(alignments.into_iter().map(align_of).collect()),
            Tag::TableHead => FrameKind::TableHead,
            Tag::TableRow => FrameKind::Element(MdTag::TableRow),
            Tag::TableCell => FrameKind::Element(self.table_cell()),
            Tag::Emphasis => FrameKind::Element(MdTag::Emphasis),
            Tag::Strong => FrameKind::Element(MdTag::Strong),
            Tag::Strikethrough => FrameKind::Element(MdTag::Strikethrough),
            Tag::Link { link_type, dest_url, title, .. } => match safe_href(&link_destination(link_type, &dest_url)) {
                Some(href) => {
                    self.open_links += 1;
                    FrameKind::Link { href, title: non_empty(&title) }
                }
                None => FrameKind::Transparent,
            },
            // Footnotes, definition lists, super- and subscripts and metadata are not enabled;
            // should they appear anyway, their content is kept as plain content of the parent.
            Tag::FootnoteDefinition(_)
            | Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition
            | Tag::Superscript
            | Tag::Subscript
            | Tag::MetadataBlock(_)
            | Tag::Image { .. } => FrameKind::Transparent,
        };
        self.stack.push(Frame { kind, children: Vec::new() });
    }

    /// Works out the tag of a table cell that is about to open, from the frames around it.
    fn table_cell(&self) -> MdTag {
        // The cell's column is the number of cells already closed in its row.
        let column = self.stack.last().map_or(0, |row| row.children.len());
        let header = matches!(self.stack.last(), Some(Frame { kind: FrameKind::TableHead, .. }));
        let align = self
            .stack
            .iter()
            .rev()
            .find_map(|frame| match &frame.kind {
                FrameKind::Table(aligns) => Some(aligns.get(column).copied().unwrap_or(Align::None)),
                _ => None,
            })
            .unwrap_or(Align::None);
        MdTag::TableCell { header, align }
    }

    fn end(&mut self, end: TagEnd) {
        if self.overflow > 0 {
            self.overflow -= 1;
            // Keep flattened blocks apart so their words do not run together.
            let children = self.current();
            if ends_block(end) && !matches!(children.last(), None | Some(MdNode::SoftBreak)) {
                children.push(MdNode::SoftBreak);
            }
            return;
        }
        self.close_top();
    }

    /// Closes the innermost open frame into a node of its parent; the root is never closed.
    fn close_top(&mut self) {
        if self.stack.len() <= 1 {
            return;
        }
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let children = frame.children;
        let node = match frame.kind {
            FrameKind::Root => {
                // Unreachable because the root is never popped, but keep its content regardless.
                append_nodes(self.current(), children);
                return;
            }
            FrameKind::Element(MdTag::TableRow) => {
                let mut children = children;
                self.trim_empty_cells(&mut children);
                MdNode::Element { tag: MdTag::TableRow, children }
            }
            FrameKind::Element(tag) => MdNode::Element { tag, children },
            FrameKind::Table(_) => {
                // The parser ends a table whose padding limit ran out with the remaining lines as a
                // paragraph inside it; that paragraph goes after the table, so a table holds rows only.
                let (rows, after): (Vec<MdNode>, Vec<MdNode>) = children.into_iter().partition(|child| {
                    matches!(child, MdNode::Element { tag: MdTag::TableHead | MdTag::TableRow, .. })
                });
                self.node(MdNode::Element { tag: MdTag::Table, children: rows });
                append_nodes(self.current(), after);
                return;
            }
            FrameKind::TableHead => MdNode::Element {
                tag: MdTag::TableHead,
                children: vec![MdNode::Element { tag: MdTag::TableRow, children }],
            },
            FrameKind::Link { href, title } => {
                self.open_links = self.open_links.saturating_sub(1);
                MdNode::Link { href, title, children }
            }
            FrameKind::CodeBlock { lang } => {
                let mut code = String::new();
                for child in children {
                    if let MdNode::Text(text) = child {
                        code.push_str(&text);
                    }
                }
                strip_one_newline(&mut code);
                MdNode::CodeBlock { lang, code }
            }
            FrameKind::HtmlBlock => {
                let mut children = children;
                if let Some(MdNode::Text(text)) = children.last_mut() {
                    strip_one_newline(text);
                    if text.is_empty() {
                        children.pop();
                    }
                }
                MdNode::Element { tag: MdTag::Paragraph, children }
            }
            FrameKind::Transparent => {
                append_nodes(self.current(), children);
                return;
            }
        };
        self.node(node);
    }

    /// Keeps a row's empty trailing cells while the budget lasts and drops the rest.
    fn trim_empty_cells(&mut self, cells: &mut Vec<MdNode>) {
        let filled = cells
            .iter()
            .rposition(|cell| !matches!(cell, MdNode::Element { children, .. } if children.is_empty()))
            .map_or(0, |last| last + 1);
        let kept = (cells.len() - filled).min(self.empty_cells);
        self.empty_cells -= kept;
        cells.truncate(filled + kept);
    }

    /// Emits the image being read as a link to its source, or as its alt text alone.
    fn finish_image(&mut self) {
        let Some(image) = self.image.take() else {
            return;
        };
        match image.href {
            // A link inside a link is invalid, so inside a live link the image is just its alt text;
            // where nothing more may nest, a link would be one level too deep, so it is text too.
            Some(href) if self.open_links == 0 && !self.full() => {
                // An empty alt text would make an invisible link, so the address stands in for it.
                let label = if image.alt.is_empty() { href.clone() } else { image.alt };
                self.node(MdNode::Link { href, title: image.title, children: vec![MdNode::Text(label)] });
            }
            _ => self.text(&image.alt),
        }
    }

    /// Closes whatever is still open (the parser balances its tags, so normally nothing) and
    /// returns the document's nodes.
    fn finish(mut self) -> Vec<MdNode> {
        self.finish_image();
        while self.stack.len() > 1 {
            self.close_top();
        }
        self.stack.pop().map(|root| root.children).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn text(s: &str) -> MdNode {
        MdNode::Text(s.to_owned())
    }

    fn el(tag: MdTag, children: Vec<MdNode>) -> MdNode {
        MdNode::Element { tag, children }
    }

    fn para(children: Vec<MdNode>) -> MdNode {
        el(MdTag::Paragraph, children)
    }

    fn link(href: &str, children: Vec<MdNode>) -> MdNode {
        MdNode::Link { href: href.to_owned(), title: None, children }
    }

    fn cell(header: bool, align: Align, s: &str) -> MdNode {
        el(MdTag::TableCell { header, align }, vec![text(s)])
    }

    /// Visits every node of a tree without recursion, depth first.
    fn walk(nodes: &[MdNode], mut visit: impl FnMut(&MdNode, usize)) {
        let mut pending: Vec<(&MdNode, usize)> = nodes.iter().rev().map(|n| (n, 1)).collect();
        while let Some((node, depth)) = pending.pop() {
            visit(node, depth);
            match node {
                MdNode::Element { children, .. } | MdNode::Link { children, .. } => {
                    pending.extend(children.iter().rev().map(|n| (n, depth + 1)));
                }
                _ => {}
            }
        }
    }

    /// Returns true when any link in the tree is live.
    fn has_link(nodes: &[MdNode]) -> bool {
        let mut found = false;
        walk(nodes, |node, _| found |= matches!(node, MdNode::Link { .. }));
        found
    }

    /// Returns all text of the tree, concatenated in document order.
    fn all_text(nodes: &[MdNode]) -> String {
        let mut out = String::new();
        walk(nodes, |node, _| match node {
            MdNode::Text(s) | MdNode::InlineCode(s) => out.push_str(s),
            MdNode::CodeBlock { code, .. } => out.push_str(code),
            MdNode::SoftBreak | MdNode::HardBreak => out.push(' '),
            _ => {}
        });
        out
    }

    /// Returns the deepest nesting level of the tree.
    fn max_depth(nodes: &[MdNode]) -> usize {
        let mut deepest = 0;
        walk(nodes, |_, depth| deepest = deepest.max(depth));
        deepest
    }

    /// Parses and asserts that it did not take unreasonably long (generous for debug builds).
    fn parse_quickly(input: &str) -> Vec<MdNode> {
        let started = Instant::now();
        let nodes = parse(input);
        assert!(started.elapsed() < Duration::from_secs(5), "parse took {:?}", started.elapsed());
        nodes
    }

    #[test]
    fn empty_input_gives_no_nodes() {
        assert_eq!(parse(""), Vec::<MdNode>::new());
        assert_eq!(parse("   \n\n"), Vec::<MdNode>::new());
    }

    #[test]
    fn paragraphs_with_emphasis_and_strong() {
        assert_eq!(
            parse("Hello *there* and **you**.\n\nSecond _one_\nline"),
            vec![
                para(vec![
                    text("Hello "),
                    el(MdTag::Emphasis, vec![text("there")]),
                    text(" and "),
                    el(MdTag::Strong, vec![text("you")]),
                    text("."),
                ]),
                para(vec![text("Second "), el(MdTag::Emphasis, vec![text("one")]), MdNode::SoftBreak, text("line"),]),
            ]
        );
    }

    #[test]
    fn hard_break_and_rule() {
        assert_eq!(
            parse("a  \nb\\\nc\n\n---\n"),
            vec![para(vec![text("a"), MdNode::HardBreak, text("b"), MdNode::HardBreak, text("c")]), MdNode::Rule,]
        );
    }

    #[test]
    fn text_fragments_are_merged() {
        // Text split around escapes, entities and brackets is joined again.
        assert_eq!(parse("a \\* b &amp; c [d]"), vec![para(vec![text("a * b & c [d]")])]);
    }

    #[test]
    fn headings_of_every_level() {
        let nodes = parse("# one\n## two\n### three\n#### four\n##### five\n###### six\nsetext\n===\n");
        let levels: Vec<u8> = nodes
            .iter()
            .filter_map(|node| match node {
                MdNode::Element { tag: MdTag::Heading(level), .. } => Some(*level),
                _ => None,
            })
            .collect();
        assert_eq!(levels, vec![1, 2, 3, 4, 5, 6, 1]);
        assert_eq!(nodes[0], el(MdTag::Heading(1), vec![text("one")]));
        assert_eq!(parse("####### seven"), vec![para(vec![text("####### seven")])]);
    }

    #[test]
    fn nested_lists_with_start_number() {
        assert_eq!(
            parse("3. three\n4. four\n   - inner *a*\n   - inner b\n"),
            vec![el(
                MdTag::OrderedList(3),
                vec![
                    el(MdTag::ListItem, vec![text("three")]),
                    el(
                        MdTag::ListItem,
                        vec![
                            text("four"),
                            el(
                                MdTag::UnorderedList,
                                vec![
                                    el(MdTag::ListItem, vec![text("inner "), el(MdTag::Emphasis, vec![text("a")])]),
                                    el(MdTag::ListItem, vec![text("inner b")]),
                                ]
                            ),
                        ]
                    ),
                ]
            )]
        );
    }

    #[test]
    fn loose_list_items_hold_paragraphs() {
        assert_eq!(
            parse("- a\n\n- b\n"),
            vec![el(
                MdTag::UnorderedList,
                vec![
                    el(MdTag::ListItem, vec![para(vec![text("a")])]),
                    el(MdTag::ListItem, vec![para(vec![text("b")])]),
                ]
            )]
        );
    }

    #[test]
    fn block_quote() {
        assert_eq!(
            parse("> quoted **bold**\n> > deeper"),
            vec![el(
                MdTag::BlockQuote,
                vec![
                    para(vec![text("quoted "), el(MdTag::Strong, vec![text("bold")])]),
                    el(MdTag::BlockQuote, vec![para(vec![text("deeper")])]),
                ]
            )]
        );
    }

    #[test]
    fn fenced_code_with_language() {
        assert_eq!(
            parse("```rust ignore\nfn main() {\n    <b>\n}\n```\nafter"),
            vec![
                MdNode::CodeBlock { lang: Some("rust".to_owned()), code: "fn main() {\n    <b>\n}".to_owned() },
                para(vec![text("after")]),
            ]
        );
    }

    #[test]
    fn fenced_code_keeps_inner_blank_lines_and_strips_one_newline() {
        assert_eq!(parse("~~~\na\n\nb\n\n~~~"), vec![MdNode::CodeBlock { lang: None, code: "a\n\nb\n".to_owned() }]);
    }

    #[test]
    fn indented_code_block() {
        assert_eq!(
            parse("    let x = 1;\n    let y = 2;\n"),
            vec![MdNode::CodeBlock { lang: None, code: "let x = 1;\nlet y = 2;".to_owned() }]
        );
    }

    #[test]
    fn unclosed_fence_while_streaming() {
        assert_eq!(
            parse("Here:\n```python\nprint('hi')\nfor x in"),
            vec![
                para(vec![text("Here:")]),
                MdNode::CodeBlock { lang: Some("python".to_owned()), code: "print('hi')\nfor x in".to_owned() },
            ]
        );
        assert_eq!(parse("```"), vec![MdNode::CodeBlock { lang: None, code: String::new() }]);
    }

    #[test]
    fn inline_code() {
        assert_eq!(
            parse("use `<script>` and `a*b*`"),
            vec![para(vec![
                text("use "),
                MdNode::InlineCode("<script>".to_owned()),
                text(" and "),
                MdNode::InlineCode("a*b*".to_owned()),
            ])]
        );
    }

    #[test]
    fn table_with_alignment_and_header_cells() {
        assert_eq!(
            parse("| a | b | c | d |\n|:--|:-:|--:|---|\n| 1 | 2 | 3 | 4 |\n| 5 |\n"),
            vec![el(
                MdTag::Table,
                vec![
                    el(
                        MdTag::TableHead,
                        vec![el(
                            MdTag::TableRow,
                            vec![
                                cell(true, Align::Left, "a"),
                                cell(true, Align::Center, "b"),
                                cell(true, Align::Right, "c"),
                                cell(true, Align::None, "d"),
                            ]
                        )]
                    ),
                    el(
                        MdTag::TableRow,
                        vec![
                            cell(false, Align::Left, "1"),
                            cell(false, Align::Center, "2"),
                            cell(false, Align::Right, "3"),
                            cell(false, Align::None, "4"),
                        ]
                    ),
                    el(
                        MdTag::TableRow,
                        vec![
                            cell(false, Align::Left, "5"),
                            el(MdTag::TableCell { header: false, align: Align::Center }, vec![]),
                            el(MdTag::TableCell { header: false, align: Align::Right }, vec![]),
                            el(MdTag::TableCell { header: false, align: Align::None }, vec![]),
                        ]
                    ),
                ]
            )]
        );
    }

    #[test]
    fn half_a_table_while_streaming() {
        // Only the header line so far: a paragraph.
        assert_eq!(parse("| a | b |"), vec![para(vec![text("| a | b |")])]);
        // Header and delimiter row: a table with a head only.
        let nodes = parse("| a | b |\n|---|--");
        assert!(matches!(&nodes[..], [MdNode::Element { tag: MdTag::Table, children }] if children.len() == 1));
        // A partial delimiter row is not a table yet, and nothing panics.
        assert_eq!(all_text(&parse("| a | b |\n|:-")), "| a | b | |:-");
    }

    #[test]
    fn inline_markup_inside_table_cells() {
        let nodes = parse("| **x** | [l](https://e.com) |\n|---|---|\n");
        let mut strong = false;
        let mut live = false;
        walk(&nodes, |node, _| {
            strong |= matches!(node, MdNode::Element { tag: MdTag::Strong, .. });
            live |= matches!(node, MdNode::Link { href, .. } if href == "https://e.com");
        });
        assert!(strong && live);
    }

    #[test]
    fn strikethrough() {
        assert_eq!(
            parse("~~gone~~ and ~also~"),
            vec![para(vec![
                el(MdTag::Strikethrough, vec![text("gone")]),
                text(" and "),
                el(MdTag::Strikethrough, vec![text("also")]),
            ])]
        );
    }

    #[test]
    fn task_lists() {
        assert_eq!(
            parse("- [ ] todo\n- [x] done\n- plain"),
            vec![el(
                MdTag::UnorderedList,
                vec![
                    el(MdTag::ListItem, vec![text("☐ todo")]),
                    el(MdTag::ListItem, vec![text("☑ done")]),
                    el(MdTag::ListItem, vec![text("plain")]),
                ]
            )]
        );
    }

    #[test]
    fn raw_html_block_is_literal_text() {
        // A `<script>` block ends with the line that closes it.
        assert_eq!(
            parse("<script>alert(1)</script>\nafter"),
            vec![para(vec![text("<script>alert(1)</script>")]), para(vec![text("after")]),]
        );
        assert_eq!(
            parse("<script>\nalert(1)\n\n</script>\nafter"),
            vec![para(vec![text("<script>\nalert(1)\n\n</script>")]), para(vec![text("after")]),]
        );
        assert_eq!(parse("<img src=x onerror=alert(1)>"), vec![para(vec![text("<img src=x onerror=alert(1)>")])]);
        assert_eq!(parse("<div>\n*not emphasis*\n</div>"), vec![para(vec![text("<div>\n*not emphasis*\n</div>")])]);
    }

    #[test]
    fn inline_html_is_literal_text() {
        assert_eq!(
            parse("hi <img src=x onerror=alert(1)> there <b>bold</b>"),
            vec![para(vec![text("hi <img src=x onerror=alert(1)> there <b>bold</b>")])]
        );
        assert_eq!(parse("a <script>alert(1)</script> b"), vec![para(vec![text("a <script>alert(1)</script> b")])]);
        assert_eq!(parse("x <!-- c --> y"), vec![para(vec![text("x <!-- c --> y")])]);
    }

    #[test]
    fn safe_links_are_live() {
        assert_eq!(
            parse("[a](http://e.com) [b](https://e.com/x?y=1 \"T\") [c](mailto:me@e.com)"),
            vec![para(vec![
                link("http://e.com", vec![text("a")]),
                text(" "),
                MdNode::Link {
                    href: "https://e.com/x?y=1".to_owned(),
                    title: Some("T".to_owned()),
                    children: vec![text("b")],
                },
                text(" "),
                link("mailto:me@e.com", vec![text("c")]),
            ])]
        );
        assert_eq!(
            parse("[**bold** link](HTTPS://E.COM)"),
            vec![para(vec![link("HTTPS://E.COM", vec![el(MdTag::Strong, vec![text("bold")]), text(" link")])])]
        );
    }

    #[test]
    fn autolinks_are_live() {
        assert_eq!(
            parse("<https://e.com/a>"),
            vec![para(vec![link("https://e.com/a", vec![text("https://e.com/a")])])]
        );
        // E-mail autolinks arrive without a scheme; the fold adds `mailto:`.
        assert_eq!(parse("<me@e.com>"), vec![para(vec![link("mailto:me@e.com", vec![text("me@e.com")])])]);
        // Bare URLs are not autolinked (GitHub's extended autolinks are not supported).
        assert_eq!(parse("https://e.com"), vec![para(vec![text("https://e.com")])]);
    }

    #[test]
    fn unsafe_links_render_as_their_children() {
        let cases = [
            "[click](javascript:alert(1))",
            "[click](JaVaScRiPt:alert(1))",
            "[click]( javascript:alert(1))",
            "[click](<java\tscript:alert(1)>)",
            "[click](java&#9;script:alert(1))",
            "[click](&#106;avascript:alert(1))",
            "[click](java&#x0A;script:alert(1))",
            "[click](<javascript:alert(1)>)",
            "[click](data:text/html,<script>alert(1)</script>)",
            "[click](data:text/html;base64,PHNjcmlwdD4=)",
            "[click](vbscript:msgbox(1))",
            "[click](file:///etc/passwd)",
            "[click](/foo)",
            "[click](foo/bar)",
            "[click](//evil.example/x)",
            "[click](#top)",
            "[click](\\javascript:alert(1))",
            "[click](http)",
        ];
        for case in cases {
            assert_eq!(parse(case), vec![para(vec![text("click")])], "{case:?}");
        }
        let nodes = parse("[*em* click](javascript:x)");
        assert_eq!(nodes, vec![para(vec![el(MdTag::Emphasis, vec![text("em")]), text(" click")])]);
    }

    #[test]
    fn unsafe_autolinks_are_text() {
        assert_eq!(parse("<javascript:alert(1)>"), vec![para(vec![text("javascript:alert(1)")])]);
        assert_eq!(parse("<data:text/html,x>"), vec![para(vec![text("data:text/html,x")])]);
    }

    #[test]
    fn reference_links_are_checked_too() {
        assert_eq!(
            parse("[a][r] [b][s]\n\n[r]: https://e.com\n[s]: javascript:alert(1)"),
            vec![para(vec![link("https://e.com", vec![text("a")]), text(" b")])]
        );
        // A reference without a definition stays literal text.
        assert_eq!(parse("[a][missing]"), vec![para(vec![text("[a][missing]")])]);
    }

    #[test]
    fn is_safe_href_rules() {
        for ok in [
            "http://e.com",
            "https://e.com",
            "mailto:a@b.c",
            "HTTPS://E.COM",
            "MailTo:a@b.c",
            "  https://e.com  ",
            "\thttps://e.com\n",
            "ht\ttps://e.com",
            "\u{1}https://e.com",
        ] {
            assert!(is_safe_href(ok), "{ok:?}");
        }
        for bad in [
            "",
            "   ",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "\u{0}javascript:alert(1)",
            "\u{1f}JAVASCRIPT:alert(1)",
            "data:text/html,x",
            "vbscript:x",
            "file:///etc/passwd",
            "ftp://e.com",
            "/foo",
            "foo",
            "//e.com",
            ":http",
            "https",
            "\u{3000}javascript:x",
            "https\u{200b}:x",
        ] {
            assert!(!is_safe_href(bad), "{bad:?}");
        }
    }

    #[test]
    fn live_href_is_the_cleaned_form() {
        // Whitespace inside pointy brackets survives the parser; the stored href is trimmed.
        assert_eq!(parse("[a](< https://e.com >)"), vec![para(vec![link("https://e.com", vec![text("a")])])]);
        assert_eq!(parse("[a](ht&#9;tps://e.com)"), vec![para(vec![link("https://e.com", vec![text("a")])])]);
    }

    #[test]
    fn images_become_links_or_text() {
        assert_eq!(
            parse("![a cat](https://e.com/cat.png \"Cat\")"),
            vec![para(vec![MdNode::Link {
                href: "https://e.com/cat.png".to_owned(),
                title: Some("Cat".to_owned()),
                children: vec![text("a cat")],
            }])]
        );
        // Formatting in the alt text is flattened to plain text.
        assert_eq!(
            parse("![an *odd* `cat`](http://e.com/c.png)"),
            vec![para(vec![link("http://e.com/c.png", vec![text("an odd cat")])])]
        );
        assert_eq!(parse("see ![pixel](javascript:alert(1)) here"), vec![para(vec![text("see pixel here")])]);
        assert_eq!(parse("![rel](/img.png)"), vec![para(vec![text("rel")])]);
        assert_eq!(parse("![x](data:image/png;base64,AAAA)"), vec![para(vec![text("x")])]);
        // An empty alt text shows the address so the link is visible.
        assert_eq!(
            parse("![](https://e.com/p.gif)"),
            vec![para(vec![link("https://e.com/p.gif", vec![text("https://e.com/p.gif")])])]
        );
        assert_eq!(parse("![](/p.gif)"), vec![para(vec![])]);
    }

    #[test]
    fn image_inside_link_does_not_nest_links() {
        assert_eq!(
            parse("[![badge](https://e.com/b.svg)](https://e.com)"),
            vec![para(vec![link("https://e.com", vec![text("badge")])])]
        );
        // Inside an unsafe link there is no live link around it, so the image is its own link.
        assert_eq!(
            parse("[![badge](https://e.com/b.svg)](javascript:x)"),
            vec![para(vec![link("https://e.com/b.svg", vec![text("badge")])])]
        );
    }

    #[test]
    fn nested_image_alt_text() {
        assert_eq!(
            parse("![a ![b](http://i/b) c](http://i/a)"),
            vec![para(vec![link("http://i/a", vec![text("a b c")])])]
        );
    }

    #[test]
    fn unsupported_extensions_fall_back_to_text() {
        assert_eq!(
            parse("Note[^1].\n\n[^1]: The note."),
            vec![para(vec![text("Note[^1].")]), para(vec![text("[^1]: The note.")])]
        );
        assert_eq!(parse("$x^2$"), vec![para(vec![text("$x^2$")])]);
        // Without metadata blocks, front matter is a rule and a setext heading.
        assert_eq!(
            parse("---\ntitle: x\n---\nbody"),
            vec![MdNode::Rule, el(MdTag::Heading(2), vec![text("title: x")]), para(vec![text("body")]),]
        );
    }

    #[test]
    fn deep_block_quotes_are_flattened() {
        let input = format!("{}deep text", ">".repeat(10_000));
        let nodes = parse_quickly(&input);
        assert!(max_depth(&nodes) <= MAX_DEPTH + 1, "depth {}", max_depth(&nodes));
        assert!(all_text(&nodes).contains("deep text"));
        let spaced = format!("{}deep", "> ".repeat(10_000));
        let nodes = parse_quickly(&spaced);
        assert!(max_depth(&nodes) <= MAX_DEPTH + 1);
        assert!(all_text(&nodes).contains("deep"));
    }

    #[test]
    fn deep_lists_are_flattened() {
        let input = format!("{}item", "- ".repeat(5_000));
        let nodes = parse_quickly(&input);
        assert!(max_depth(&nodes) <= MAX_DEPTH + 1);
        assert!(all_text(&nodes).contains("item"));

        let mut indented = String::new();
        for level in 0..500 {
            indented.push_str(&" ".repeat(level * 2));
            indented.push_str("- level\n");
        }
        let nodes = parse_quickly(&indented);
        assert!(max_depth(&nodes) <= MAX_DEPTH + 1);
        assert_eq!(all_text(&nodes).matches("level").count(), 500);

        let ordered = format!("{}x", "1. ".repeat(5_000));
        assert!(max_depth(&parse_quickly(&ordered)) <= MAX_DEPTH + 1);
    }

    #[test]
    fn deep_inline_nesting_is_flattened() {
        let input = format!("{}x{}", "*a ".repeat(3_000), " b*".repeat(3_000));
        let nodes = parse_quickly(&input);
        assert!(max_depth(&nodes) <= MAX_DEPTH + 1);
        assert_eq!(all_text(&nodes).matches('a').count(), 3_000);

        let brackets = format!("{}x{}", "[".repeat(5_000), "](http://e.com)".repeat(5_000));
        assert!(max_depth(&parse_quickly(&brackets)) <= MAX_DEPTH + 1);
    }

    #[test]
    fn flattened_blocks_keep_words_apart() {
        let quotes = ">".repeat(200);
        let input = format!("{quotes} one\n{quotes}\n{quotes} two");
        let text = all_text(&parse_quickly(&input));
        assert!(text.contains("one two"), "{text:?}");
    }

    #[test]
    fn exactly_the_depth_limit_is_kept() {
        let quotes = ">".repeat(MAX_DEPTH - 1);
        let nodes = parse(&format!("{quotes} x"));
        // The innermost quote holds a paragraph, which holds the text.
        assert_eq!(max_depth(&nodes), MAX_DEPTH + 1);
    }

    #[test]
    fn arbitrary_input_does_not_panic() {
        let pieces = [
            "*",
            "**",
            "_",
            "~",
            "~~",
            "`",
            "```",
            "~~~",
            "[",
            "]",
            "(",
            ")",
            "!",
            "<",
            ">",
            "|",
            "-",
            ":",
            "#",
            "\n",
            "\r\n",
            "\t",
            " ",
            "  ",
            "\\",
            "&",
            "&#0;",
            "&amp",
            "1.",
            "+",
            "=",
            "\u{0}",
            "\u{feff}",
            "é",
            "🦀",
            "javascript:",
            "http://",
            "<a href=",
            "</",
            "[^",
            "$",
            "$$",
            "- [ ]",
        ];
        // A small deterministic generator, so failures are reproducible.
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2_000 {
            let mut input = String::new();
            let len = (seed % 64) as usize;
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                input.push_str(pieces[(seed % pieces.len() as u64) as usize]);
            }
            let nodes = parse(&input);
            assert!(max_depth(&nodes) <= MAX_DEPTH + 1);
            // Every link that came out is safe.
            walk(&nodes, |node, _| {
                if let MdNode::Link { href, .. } = node {
                    assert!(is_safe_href(href), "{href:?} from {input:?}");
                }
            });
        }
    }

    #[test]
    fn lossy_bytes_do_not_panic() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(4_096).collect();
        let input = String::from_utf8_lossy(&bytes);
        let nodes = parse(&input);
        assert!(max_depth(&nodes) <= MAX_DEPTH + 1);
        assert!(!has_link(&nodes));
        assert!(all_text(&nodes).contains('\u{fffd}'));
    }

    #[test]
    fn ten_kilobytes_parse_quickly() {
        let block = "# Title\n\nSome *text* with **bold**, `code` and a [link](https://e.com).\n\n\
                     - one\n- two\n  1. nested\n\n> quote\n\n```rust\nfn main() {}\n```\n\n\
                     | a | b |\n|---|:-:|\n| 1 | 2 |\n\n";
        let input = block.repeat(10_240 / block.len() + 1);
        let _warm = parse(&input);
        let started = Instant::now();
        for _ in 0..10 {
            assert!(!parse(&input).is_empty());
        }
        let each = started.elapsed() / 10;
        // Release builds take well under a millisecond; this bound also holds for debug builds.
        assert!(each < Duration::from_millis(50), "10 KB took {each:?}");
    }

    // The tests below pin CommonMark and GFM details that answers run into. They were written for the earlier
    // in-house parser; pulldown-cmark passes them.

    fn item(children: Vec<MdNode>) -> MdNode {
        el(MdTag::ListItem, children)
    }

    fn ul(items: Vec<MdNode>) -> MdNode {
        el(MdTag::UnorderedList, items)
    }

    fn em(s: &str) -> MdNode {
        el(MdTag::Emphasis, vec![text(s)])
    }

    fn strong(children: Vec<MdNode>) -> MdNode {
        el(MdTag::Strong, children)
    }

    fn code(lang: Option<&str>, code: &str) -> MdNode {
        MdNode::CodeBlock { lang: lang.map(str::to_owned), code: code.to_owned() }
    }

    #[test]
    fn nested_lists_by_indentation() {
        assert_eq!(
            parse("- a\n  - b\n    - c\n  - d\n- e"),
            vec![ul(vec![
                item(vec![
                    text("a"),
                    ul(vec![item(vec![text("b"), ul(vec![item(vec![text("c")])])]), item(vec![text("d")])]),
                ]),
                item(vec![text("e")]),
            ])]
        );
        // Four-space indentation nests too, and a sibling may be indented less than its first item.
        assert_eq!(
            parse("1. a\n    - b\n2. c"),
            vec![el(
                MdTag::OrderedList(1),
                vec![item(vec![text("a"), ul(vec![item(vec![text("b")])])]), item(vec![text("c")])]
            )]
        );
        // A different bullet starts a new list.
        assert_eq!(parse("- a\n+ b"), vec![ul(vec![item(vec![text("a")])]), ul(vec![item(vec![text("b")])])]);
    }

    #[test]
    fn loose_and_tight_lists() {
        // A blank line between items makes the whole list loose.
        assert_eq!(
            parse("- a\n- b\n\n- c"),
            vec![ul(vec![
                item(vec![para(vec![text("a")])]),
                item(vec![para(vec![text("b")])]),
                item(vec![para(vec![text("c")])]),
            ])]
        );
        // Blank lines at the end of a nested list only loosen the outer one.
        assert_eq!(
            parse("- a\n  - b\n\n- c"),
            vec![ul(vec![
                item(vec![para(vec![text("a")]), ul(vec![item(vec![text("b")])])]),
                item(vec![para(vec![text("c")])]),
            ])]
        );
        // An item with two paragraphs is loose; trailing blank lines change nothing.
        assert_eq!(
            parse("1. one\n\n   more\n\n\n"),
            vec![el(MdTag::OrderedList(1), vec![item(vec![para(vec![text("one")]), para(vec![text("more")])])])]
        );
        assert_eq!(parse("- a\n- b\n\n"), vec![ul(vec![item(vec![text("a")]), item(vec![text("b")])])]);
        // Blank lines inside a fenced code block do not loosen the list.
        assert_eq!(
            parse("- x\n  ```\n  a\n\n  b\n  ```\n- y"),
            vec![ul(vec![item(vec![text("x"), code(None, "a\n\nb")]), item(vec![text("y")])])]
        );
    }

    #[test]
    fn list_items_and_paragraphs() {
        // A paragraph may be interrupted by a bullet or by an ordered list starting at 1 only.
        assert_eq!(parse("Intro:\n- a"), vec![para(vec![text("Intro:")]), ul(vec![item(vec![text("a")])])]);
        assert_eq!(
            parse("Intro:\n1) a"),
            vec![para(vec![text("Intro:")]), el(MdTag::OrderedList(1), vec![item(vec![text("a")])])]
        );
        assert_eq!(
            parse("The year\n2024. was"),
            vec![para(vec![text("The year"), MdNode::SoftBreak, text("2024. was")])]
        );
        // Lazy continuation lines belong to the item's paragraph.
        assert_eq!(parse("- a\nb"), vec![ul(vec![item(vec![text("a"), MdNode::SoftBreak, text("b")])])]);
        // An item that starts with a blank line ends at a second blank line.
        assert_eq!(parse("-\n\n  foo"), vec![ul(vec![item(vec![])]), para(vec![text("foo")])]);
        assert_eq!(parse("-\n  foo"), vec![ul(vec![item(vec![text("foo")])])]);
        // Five spaces after the marker make an indented code block inside the item.
        assert_eq!(parse("-     code"), vec![ul(vec![item(vec![code(None, "code")])])]);
        // Ordered lists keep large start numbers; ten digits are not a marker.
        assert_eq!(parse("123456789. x")[0], el(MdTag::OrderedList(123_456_789), vec![item(vec![text("x")])]));
        assert_eq!(parse("1234567890. x"), vec![para(vec![text("1234567890. x")])]);
    }

    #[test]
    fn tabs_count_as_columns() {
        assert_eq!(
            parse("-\tfoo\n\n\tbar"),
            vec![ul(vec![item(vec![para(vec![text("foo")]), para(vec![text("bar")])])])]
        );
        assert_eq!(parse(">\tquoted"), vec![el(MdTag::BlockQuote, vec![para(vec![text("quoted")])])]);
        assert_eq!(parse("\tcode\there"), vec![code(None, "code\there")]);
    }

    #[test]
    fn code_fences_inside_lists_and_quotes() {
        assert_eq!(
            parse("1. Run:\n\n   ```sh\n   cargo test\n     --offline\n   ```\n\n2. Done"),
            vec![el(
                MdTag::OrderedList(1),
                vec![
                    item(vec![para(vec![text("Run:")]), code(Some("sh"), "cargo test\n  --offline")]),
                    item(vec![para(vec![text("Done")])]),
                ]
            )]
        );
        // A fence ends with its container, and only a long enough fence of the same kind closes it.
        assert_eq!(parse("> ```\n> a\nb"), vec![el(MdTag::BlockQuote, vec![code(None, "a")]), para(vec![text("b")])]);
        assert_eq!(parse("````\n```\n~~~\n````"), vec![code(None, "```\n~~~")]);
        assert_eq!(parse("~~~ a `b`\nx\n~~~"), vec![code(Some("a"), "x")]);
        // Backticks in a backtick fence's info string make it inline code instead.
        assert_eq!(parse("```a`b\nx"), vec![para(vec![text("```a`b"), MdNode::SoftBreak, text("x")])]);
    }

    #[test]
    fn headings_setext_and_atx_details() {
        assert_eq!(parse("# Title #"), vec![el(MdTag::Heading(1), vec![text("Title")])]);
        assert_eq!(parse("## C# ##"), vec![el(MdTag::Heading(2), vec![text("C#")])]);
        assert_eq!(parse("#hashtag"), vec![para(vec![text("#hashtag")])]);
        assert_eq!(parse("#"), vec![el(MdTag::Heading(1), vec![])]);
        assert_eq!(
            parse("Two\nlines\n---"),
            vec![el(MdTag::Heading(2), vec![text("Two"), MdNode::SoftBreak, text("lines")])]
        );
        // A setext underline cannot be a lazy line, so under a list item it is a rule.
        assert_eq!(parse("- a\n---"), vec![ul(vec![item(vec![text("a")])]), MdNode::Rule]);
        // A paragraph of definitions only has nothing to underline.
        assert_eq!(
            parse("[x]: https://e.com\n---\n[x]"),
            vec![MdNode::Rule, para(vec![link("https://e.com", vec![text("x")])])]
        );
    }

    #[test]
    fn emphasis_edge_cases() {
        assert_eq!(parse("***both***"), vec![para(vec![el(MdTag::Emphasis, vec![strong(vec![text("both")])])])]);
        assert_eq!(parse("snake_case_name"), vec![para(vec![text("snake_case_name")])]);
        assert_eq!(parse("foo*bar*baz"), vec![para(vec![text("foo"), em("bar"), text("baz")])]);
        assert_eq!(parse("__init__.py"), vec![para(vec![strong(vec![text("init")]), text(".py")])]);
        assert_eq!(parse("2 * 3 * 4"), vec![para(vec![text("2 * 3 * 4")])]);
        assert_eq!(parse("**unclosed *em*"), vec![para(vec![text("**unclosed "), em("em")])]);
        assert_eq!(
            parse("*a **b** c*"),
            vec![para(vec![el(MdTag::Emphasis, vec![text("a "), strong(vec![text("b")]), text(" c")])])]
        );
        // The rule of three: `*foo**bar*` is one emphasis holding literal asterisks.
        assert_eq!(parse("*foo**bar*"), vec![para(vec![em("foo**bar")])]);
        assert_eq!(parse("**Note:** x"), vec![para(vec![strong(vec![text("Note:")]), text(" x")])]);
        // Emphasis does not cross a link's brackets, and punctuation around it is fine.
        assert_eq!(
            parse("*a [b*](https://e.com)"),
            vec![para(vec![text("*a "), link("https://e.com", vec![text("b*")])])]
        );
        assert_eq!(parse("(*x*)."), vec![para(vec![text("("), em("x"), text(").")])]);
        // Strikethrough: `~~` may be intraword, a single `~` may not, three never strike.
        assert_eq!(parse("a~~b~~c"), vec![para(vec![text("a"), el(MdTag::Strikethrough, vec![text("b")]), text("c")])]);
        assert_eq!(parse("a~b~c ~~~x~~~"), vec![para(vec![text("a~b~c ~~~x~~~")])]);
        assert_eq!(parse("about ~5 to ~10 min"), vec![para(vec![text("about ~5 to ~10 min")])]);
    }

    #[test]
    fn inline_code_spans() {
        assert_eq!(parse("`` a`b ``"), vec![para(vec![MdNode::InlineCode("a`b".to_owned())])]);
        assert_eq!(parse("` `` `"), vec![para(vec![MdNode::InlineCode("``".to_owned())])]);
        assert_eq!(parse("`  `"), vec![para(vec![MdNode::InlineCode("  ".to_owned())])]);
        assert_eq!(parse("`a\nb`"), vec![para(vec![MdNode::InlineCode("a b".to_owned())])]);
        // Code spans bind before emphasis and links, and their content is literal.
        assert_eq!(
            parse("*a `*` b*"),
            vec![para(vec![el(MdTag::Emphasis, vec![text("a "), MdNode::InlineCode("*".to_owned()), text(" b")])])]
        );
        assert_eq!(parse("`&amp; \\*`"), vec![para(vec![MdNode::InlineCode("&amp; \\*".to_owned())])]);
        // An unmatched run stays literal, and a longer run does not close a shorter one.
        assert_eq!(parse("``a`"), vec![para(vec![text("``a`")])]);
        assert_eq!(parse("`a``b`"), vec![para(vec![MdNode::InlineCode("a``b".to_owned())])]);
    }

    #[test]
    fn entities_and_escapes() {
        assert_eq!(parse("&copy; &mdash; &#169; &#xA9; &euro;&nbsp;x"), vec![para(vec![text("© — © © €\u{a0}x")])]);
        // Unknown names, missing semicolons and out-of-range numbers.
        assert_eq!(
            parse("&bogus; &amp &#; &#x; &#12345678;"),
            vec![para(vec![text("&bogus; &amp &#; &#x; &#12345678;")])]
        );
        assert_eq!(parse("&#0; &#xD800; &#x110000;"), vec![para(vec![text("\u{fffd} \u{fffd} \u{fffd}")])]);
        // An entity never makes markup.
        assert_eq!(parse("&#42;x&#42;"), vec![para(vec![text("*x*")])]);
        assert_eq!(parse("\\*x\\* \\a \\\\"), vec![para(vec![text("*x* \\a \\")])]);
        // Entities and escapes work in link destinations and titles too.
        assert_eq!(
            parse("[a](https://e.com/&amp;\\( \"&quot;t\\\"\")"),
            vec![para(vec![MdNode::Link {
                href: "https://e.com/&(".to_owned(),
                title: Some("\"t\"".to_owned()),
                children: vec![text("a")],
            }])]
        );
    }

    #[test]
    fn hard_breaks_and_trailing_spaces() {
        assert_eq!(parse("a   \nb"), vec![para(vec![text("a"), MdNode::HardBreak, text("b")])]);
        assert_eq!(parse("a \nb"), vec![para(vec![text("a"), MdNode::SoftBreak, text("b")])]);
        // At the end of a block neither kind of hard break survives.
        assert_eq!(parse("a  "), vec![para(vec![text("a")])]);
        assert_eq!(parse("a\\"), vec![para(vec![text("a\\")])]);
    }

    #[test]
    fn tables_with_escaped_pipes_and_markup() {
        let nodes = parse("a | b\n--|:-:\n`x \\| y` | **z** \\| w\n");
        let rows = match &nodes[..] {
            [MdNode::Element { tag: MdTag::Table, children }] => children,
            other => panic!("not a table: {other:?}"),
        };
        assert_eq!(
            rows[1],
            el(
                MdTag::TableRow,
                vec![
                    el(
                        MdTag::TableCell { header: false, align: Align::None },
                        vec![MdNode::InlineCode("x | y".to_owned())]
                    ),
                    el(
                        MdTag::TableCell { header: false, align: Align::Center },
                        vec![strong(vec![text("z")]), text(" | w")]
                    ),
                ]
            )
        );
        // A table may interrupt a paragraph; the lines before it stay a paragraph.
        let nodes = parse("Here:\n| h |\n|---|\n| c |\nafter\n\nnext");
        assert_eq!(nodes[0], para(vec![text("Here:")]));
        assert!(matches!(&nodes[1], MdNode::Element { tag: MdTag::Table, children } if children.len() == 3));
        assert_eq!(nodes[2], para(vec![text("next")]));
        // Extra cells are dropped; a header and delimiter row of different widths make no table.
        let nodes = parse("|a|\n|-|\n|1|2|");
        assert_eq!(all_text(&nodes), "a1");
        assert_eq!(parse("|a|b|\n|-|"), vec![para(vec![text("|a|b|"), MdNode::SoftBreak, text("|-|")])]);
        // A single-dash delimiter row is not a list item.
        assert!(matches!(&parse("a | b\n- | -")[..], [MdNode::Element { tag: MdTag::Table, .. }]));
    }

    #[test]
    fn wide_tables_do_not_multiply_output() {
        let input = format!("{}|\n{}|\n{}", "|a".repeat(1_000), "|-".repeat(1_000), "x\n".repeat(5_000));
        let nodes = parse_quickly(&input);
        let mut cells = 0;
        walk(&nodes, |node, _| {
            cells += usize::from(matches!(node, MdNode::Element { tag: MdTag::TableCell { .. }, .. }))
        });
        assert!(cells < 100_000, "{cells} cells");
        // Every line is still shown, after the table once the parser stops padding rows (it repeats
        // the row that reached its limit, so one line shows twice).
        assert!(all_text(&nodes).matches('x').count() >= 5_000);
        assert!(matches!(
            &nodes[..],
            [MdNode::Element { tag: MdTag::Table, .. }, MdNode::Element { tag: MdTag::Paragraph, .. }]
        ));
    }

    #[test]
    fn block_quotes_lazy_and_nested() {
        assert_eq!(
            parse("> a\nb\n\n> c"),
            vec![
                el(MdTag::BlockQuote, vec![para(vec![text("a"), MdNode::SoftBreak, text("b")])]),
                el(MdTag::BlockQuote, vec![para(vec![text("c")])]),
            ]
        );
        assert_eq!(
            parse("> - a\n> - b\n>\n> c"),
            vec![el(
                MdTag::BlockQuote,
                vec![ul(vec![item(vec![text("a")]), item(vec![text("b")])]), para(vec![text("c")])]
            )]
        );
    }

    #[test]
    fn reference_definitions() {
        assert_eq!(
            parse("[Foo Bar] and [x][FOO  bar] and [y][]\n\n[foo bar]: <https://e.com/a b> 'T'\n[FOO BAR]: https://e.com/2\n[y]:\n  https://e.com/y\n  \"Y\""),
            vec![para(vec![
                MdNode::Link { href: "https://e.com/a b".to_owned(), title: Some("T".to_owned()), children: vec![text("Foo Bar")] },
                text(" and "),
                MdNode::Link { href: "https://e.com/a b".to_owned(), title: Some("T".to_owned()), children: vec![text("x")] },
                text(" and "),
                MdNode::Link { href: "https://e.com/y".to_owned(), title: Some("Y".to_owned()), children: vec![text("y")] },
            ])]
        );
        // Text after a destination on the same line means it was not a definition.
        assert_eq!(
            parse("[a]: https://e.com x\n\n[a]"),
            vec![para(vec![text("[a]: https://e.com x")]), para(vec![text("[a]")])]
        );
        // An inline link that does not parse may still be a shortcut reference.
        assert_eq!(
            parse("[a](not a link)\n\n[a]: https://e.com"),
            vec![para(vec![link("https://e.com", vec![text("a")]), text("(not a link)")])]
        );
    }

    #[test]
    fn links_edge_cases() {
        assert_eq!(
            parse("[a](<https://e.com/x y>) [b](https://e.com/(x)) [c](https://e.com/\\))"),
            vec![para(vec![
                link("https://e.com/x y", vec![text("a")]),
                text(" "),
                link("https://e.com/(x)", vec![text("b")]),
                text(" "),
                link("https://e.com/)", vec![text("c")]),
            ])]
        );
        // Links never nest: the inner one wins and the outer brackets are text.
        assert_eq!(
            parse("[a [b](https://e.com/b) c](https://e.com/a)"),
            vec![para(vec![text("[a "), link("https://e.com/b", vec![text("b")]), text(" c](https://e.com/a)")])]
        );
        assert_eq!(parse("[a](https://e.com"), vec![para(vec![text("[a](https://e.com")])]);
        assert_eq!(parse("[]()"), vec![para(vec![])]);
        assert_eq!(parse("<a+b@e.co>"), vec![para(vec![link("mailto:a+b@e.co", vec![text("a+b@e.co")])])]);
        assert_eq!(parse("<not a link> <e.com>"), vec![para(vec![text("<not a link> <e.com>")])]);
    }

    #[test]
    fn raw_html_keeps_markup_characters_literal() {
        assert_eq!(
            parse("a <span title=\"*x*\">_y_</span> <!-- *c* --> b"),
            vec![para(vec![text("a <span title=\"*x*\">"), em("y"), text("</span> <!-- *c* --> b")])]
        );
        // A block-level tag starts an HTML block that runs to a blank line, whatever follows it.
        assert_eq!(
            parse("<details><summary>*S*</summary>\n**b**\n\n**c**"),
            vec![para(vec![text("<details><summary>*S*</summary>\n**b**")]), para(vec![strong(vec![text("c")])])]
        );
        // A lone inline tag cannot interrupt a paragraph, a block-level one can.
        assert_eq!(
            parse("a\n<span>\nb"),
            vec![para(vec![text("a"), MdNode::SoftBreak, text("<span>"), MdNode::SoftBreak, text("b")])]
        );
        assert_eq!(parse("a\n<div>\nb"), vec![para(vec![text("a")]), para(vec![text("<div>\nb")])]);
        assert_eq!(parse("<!-- a\n\nb -->\nc"), vec![para(vec![text("<!-- a\n\nb -->")]), para(vec![text("c")])]);
    }

    #[test]
    fn task_markers_only_start_items() {
        assert_eq!(
            parse("- [x] a\n- not [ ] here\n- [ ]\n- [y] b"),
            vec![ul(vec![
                item(vec![text("☑ a")]),
                item(vec![text("not [ ] here")]),
                item(vec![text("☐ ")]),
                item(vec![text("[y] b")]),
            ])]
        );
        assert_eq!(parse("[ ] plain"), vec![para(vec![text("[ ] plain")])]);
        // In a loose list the marker starts the item's first paragraph.
        assert_eq!(
            parse("1. [ ] a\n\n2. [X] b"),
            vec![el(
                MdTag::OrderedList(1),
                vec![item(vec![para(vec![text("☐ a")])]), item(vec![para(vec![text("☑ b")])])]
            )]
        );
    }

    #[test]
    fn mixed_deep_nesting_is_flattened() {
        let input = format!("{}deep *em [link](https://e.com) ![i](https://e.com/i.png)*", "> - 1. ".repeat(2_000));
        let nodes = parse_quickly(&input);
        assert!(max_depth(&nodes) <= MAX_DEPTH + 1, "depth {}", max_depth(&nodes));
        assert!(all_text(&nodes).contains("deep em link i"));
        walk(&nodes, |node, depth| {
            if let MdNode::Link { .. } = node {
                assert!(depth <= MAX_DEPTH, "link at depth {depth}");
            }
        });
        let input = format!("{}x{}", "**a [".repeat(2_000), "](https://e.com) b**".repeat(2_000));
        assert!(max_depth(&parse_quickly(&input)) <= MAX_DEPTH + 1);
        let input = format!("{}x{}", "~~a ".repeat(3_000), " b~~".repeat(3_000));
        assert!(max_depth(&parse_quickly(&input)) <= MAX_DEPTH + 1);
    }

    #[test]
    fn pathological_inputs_stay_fast() {
        let mut ticks = String::new();
        for len in 1..200 {
            ticks.push_str(&"`".repeat(len));
            ticks.push(' ');
        }
        let cases = [
            "*".repeat(50_000),
            "*a ".repeat(20_000),
            "_a ".repeat(20_000),
            "**_~".repeat(10_000),
            "*a** ".repeat(10_000),
            "[".repeat(50_000),
            "]".repeat(50_000),
            "[](".repeat(20_000),
            "[a](b \"".repeat(10_000),
            "![".repeat(20_000),
            format!("{}{}", "![".repeat(10_000), "[a](b)".repeat(10_000)),
            "[a][".repeat(10_000),
            "`".repeat(50_000),
            ticks.repeat(3),
            "` ".repeat(20_000),
            "<".repeat(50_000),
            "<a b=\"".repeat(10_000),
            "<!--".repeat(10_000),
            "&#".repeat(20_000),
            "\\".repeat(50_000),
            "|".repeat(50_000),
            "> ".repeat(20_000),
            "- ".repeat(20_000),
            "- a\n".repeat(20_000),
            "> - ".repeat(10_000),
            "-\t".repeat(10_000),
            "```\n".repeat(20_000),
            "<div>\n".repeat(20_000),
            format!("{}x\n{}", "- ".repeat(40), "\n".repeat(20_000)),
            format!("{}\n{}", ">".repeat(64), "x\n".repeat(20_000)),
            format!("[{}]", "a".repeat(50_000)),
        ];
        for input in &cases {
            let nodes = parse_quickly(input);
            assert!(max_depth(&nodes) <= MAX_DEPTH + 1);
        }
    }
}
