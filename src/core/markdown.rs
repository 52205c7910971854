//! Turns untrusted Markdown (model answers) into a tree of plain, safe nodes.
//!
//! What it does: a compact parser of its own reads CommonMark's blocks and inlines plus GitHub's
//! tables, strikethrough and task lists, and builds [`MdNode`]s that the view renders one by one as
//! DOM elements and text nodes. It works in two passes: the block pass reads line by line into a
//! flat list of events (and collects link reference definitions), then the inline pass parses each
//! paragraph, heading and table cell with a delimiter stack, as CommonMark describes, and a builder
//! folds everything into the tree. Raw HTML becomes literal text (an HTML block becomes a
//! paragraph holding its source text), links are live only for `http:`, `https:` and `mailto:`,
//! images become links (or text) so nothing is ever fetched, and nesting deeper than [`MAX_DEPTH`]
//! is flattened into its parent so neither building nor dropping the tree can overflow the stack.
//! Every step is roughly linear in the input, so hostile input cannot stall the page.
//!
//! What it does not do: it never produces HTML strings, never touches the DOM, does no syntax
//! highlighting and keeps no state between calls. Footnotes, math, metadata blocks and bare-URL
//! autolinks are not supported and stay text. It is deliberately smaller than full CommonMark:
//! only a short list of named entities is decoded (others stay literal), the emphasis rules count
//! only ASCII characters as punctuation, and raw HTML is recognised by simplified rules (it stays
//! literal text either way).

use std::collections::HashMap;

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

/// Parses Markdown (CommonMark + tables + strikethrough + task lists) into safe nodes.
pub fn parse(markdown: &str) -> Vec<MdNode> {
    let mut blocks = Blocks::default();
    for line in markdown.split_inclusive('\n') {
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        // CommonMark replaces NUL characters for safety.
        if line.contains('\0') {
            blocks.line(&line.replace('\0', "\u{fffd}"));
        } else {
            blocks.line(line);
        }
    }
    blocks.close_from(0);
    let mut builder = Builder::new();
    for event in blocks.out {
        match event {
            Ev::Open(tag) => builder.open(Frame::Element(tag)),
            Ev::Close(tight) => builder.close(true, tight),
            Ev::Inline(text) => emit(Inlines::parse(&text, &blocks.refs), &mut builder),
            Ev::Node(node) => builder.node(node),
        }
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
    }
}

// ---------------------------------------------------------------------------------------------
// Blocks: lines into a flat list of events.
// ---------------------------------------------------------------------------------------------

/// Link reference definitions: normalized label to destination and title.
type Refs = HashMap<String, (String, Option<String>)>;

/// What the block pass hands to the builder, in document order.
enum Ev {
    /// An element starts.
    Open(MdTag),
    /// The innermost element ends; `true` for a tight list, whose items lose their paragraphs.
    Close(bool),
    /// Inline Markdown to parse into the current element.
    Inline(String),
    /// A finished node (code block, rule or literal text).
    Node(MdNode),
}

/// A container block that is open while lines are read.
enum Container {
    Quote,
    /// A list: its marker (`-`, `+`, `*`, or `.` / `)` for ordered lists), whether it is loose, and
    /// whether a blank line was seen since its last content.
    List {
        marker: u8,
        loose: bool,
        blank: bool,
    },
    /// A list item; lines continue it when indented by this many columns. The flag is set while
    /// an item that started with a blank line has no content yet: a second blank line ends it.
    Item(usize, bool),
}

/// The leaf block being read, if any.
#[derive(Default)]
enum Leaf {
    #[default]
    None,
    /// A paragraph: its lines, joined by `\n`, leading whitespace removed.
    Para(String),
    /// A code block: fenced with (char, length, indentation), or indented when `fence` is `None`.
    /// `blanks` counts the blank lines of an indented block that are kept only if code follows.
    Code { fence: Option<(u8, usize, usize)>, lang: Option<String>, code: String, blanks: usize },
    /// An HTML block and how it ends: 1 to 5 at a line holding its end marker, 6 and 7 at a blank line.
    Html { end: u8, text: String },
    /// A table whose head is out, and how many more empty cells may pad its short rows.
    Table(Vec<Align>, usize),
}

/// The block pass.
#[derive(Default)]
struct Blocks {
    /// The open containers, outermost first (the document itself is implicit).
    open: Vec<Container>,
    leaf: Leaf,
    out: Vec<Ev>,
    refs: Refs,
}

/// A line being read, with a cursor that counts columns (tabs stop every 4 columns).
struct Line<'a> {
    s: &'a str,
    pos: usize,
    col: usize,
    /// Columns of a tab before `pos` that are not consumed yet.
    partial: usize,
}

impl<'a> Line<'a> {
    /// The text from the cursor on.
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    /// The text from the cursor on, with the unconsumed part of a tab as spaces.
    fn code(&self) -> String {
        " ".repeat(self.partial) + self.rest()
    }

    fn blank(&self) -> bool {
        self.rest().bytes().all(|b| b == b' ' || b == b'\t')
    }

    /// How many columns of whitespace are at the cursor.
    fn indent(&self) -> usize {
        let (mut col, mut n) = (self.col, self.partial);
        for b in self.rest().bytes() {
            let width = match b {
                b' ' => 1,
                b'\t' => 4 - col % 4,
                _ => break,
            };
            col += width;
            n += width;
        }
        n
    }

    /// Consumes up to `n` columns of whitespace, splitting a tab if needed.
    fn skip(&mut self, mut n: usize) {
        while n > 0 {
            if self.partial > 0 {
                let used = self.partial.min(n);
                self.partial -= used;
                n -= used;
                continue;
            }
            let width = match self.s.as_bytes().get(self.pos) {
                Some(b' ') => 1,
                Some(b'\t') => 4 - self.col % 4,
                _ => return,
            };
            self.pos += 1;
            self.col += width;
            if width > n {
                self.partial = width - n;
                return;
            }
            n -= width;
        }
    }

    /// Consumes `n` bytes of non-whitespace ASCII.
    fn bump(&mut self, n: usize) {
        self.pos += n;
        self.col += n;
        self.partial = 0;
    }

    /// Consumes a block quote marker (`>` and one optional space) if there is one.
    fn quote(&mut self) -> bool {
        let indent = self.indent();
        if indent > 3 || !self.rest().trim_start_matches([' ', '\t']).starts_with('>') {
            return false;
        }
        self.skip(indent);
        self.bump(1);
        if self.rest().starts_with([' ', '\t']) {
            self.skip(1);
        }
        true
    }
}

impl Blocks {
    /// Reads one line (without its line ending).
    fn line(&mut self, text: &str) {
        let mut ln = Line { s: text, pos: 0, col: 0, partial: 0 };
        // Which open containers go on: a quote needs its `>`, an item its indentation or a blank line.
        let mut keep = 0;
        while let Some(container) = self.open.get(keep) {
            let goes_on = match *container {
                Container::Quote => ln.quote(),
                Container::List { .. } => true,
                Container::Item(width, empty) => {
                    if ln.blank() {
                        !empty
                    } else if ln.indent() >= width {
                        ln.skip(width);
                        self.open[keep] = Container::Item(width, false);
                        true
                    } else {
                        false
                    }
                }
            };
            if !goes_on {
                break;
            }
            keep += 1;
        }
        // A list whose item did not go on stays open only if this line starts its next item (a
        // blank line only ends the item).
        let mut list = None;
        if keep > 0 && !ln.blank() && matches!(self.open[keep - 1], Container::List { .. }) {
            keep -= 1;
            list = Some(keep);
        }

        // Fenced code and HTML blocks take every line that reaches them.
        if keep == self.open.len() {
            match &mut self.leaf {
                Leaf::Code { fence: Some((ch, len, indent)), code, .. } => {
                    let own = ln.indent();
                    if own < 4 && closes_fence(ln.rest().trim_start_matches([' ', '\t']), *ch, *len) {
                        self.close_leaf();
                    } else {
                        ln.skip(own.min(*indent));
                        code.push_str(&ln.code());
                        code.push('\n');
                    }
                    return;
                }
                Leaf::Html { end, text } if *end < 6 || !ln.blank() => {
                    text.push('\n');
                    text.push_str(&ln.code());
                    if html_ends(*end, ln.rest()) {
                        self.close_leaf();
                    }
                    return;
                }
                _ => {}
            }
        }

        // New containers: block quotes and list items.
        let mut fresh = false;
        loop {
            let indent = ln.indent();
            let rest = ln.rest().trim_start_matches([' ', '\t']);
            if indent >= 4 {
                break;
            }
            if rest.starts_with('>') {
                // Past the depth limit, further quote markers are consumed but open nothing.
                if keep < MAX_DEPTH {
                    self.commit(keep);
                    self.open.push(Container::Quote);
                    self.out.push(Ev::Open(MdTag::BlockQuote));
                    keep = self.open.len();
                    fresh = true;
                }
                ln.quote();
                continue;
            }
            // A table's delimiter row (`- | -`) under a paragraph is not a list item.
            let para = matches!(self.leaf, Leaf::Para(_));
            if thematic(rest) || (para && keep == self.open.len() && delimiter_row(rest).is_some()) {
                break;
            }
            let Some((marker, start, len)) = list_marker(rest) else {
                break;
            };
            let ordered = matches!(marker, b'.' | b')');
            let empty = rest[len..].trim_start_matches([' ', '\t']).is_empty();
            let continues =
                list == Some(keep) && matches!(self.open[keep], Container::List { marker: m, .. } if m == marker);
            // A new list may interrupt a paragraph only with content and, if ordered, starting at 1.
            if !continues && (keep + 2 > MAX_DEPTH || (para && (empty || (ordered && start != 1)))) {
                break;
            }
            ln.skip(indent);
            ln.bump(len);
            let spaces = ln.indent();
            let width = if empty || spaces > 4 {
                ln.skip(1);
                indent + len + 1
            } else {
                ln.skip(spaces);
                indent + len + spaces
            };
            if continues {
                self.commit(keep + 1);
            } else {
                self.commit(keep);
                self.open.push(Container::List { marker, loose: false, blank: false });
                self.out.push(Ev::Open(if ordered { MdTag::OrderedList(start) } else { MdTag::UnorderedList }));
            }
            self.open.push(Container::Item(width, empty));
            self.out.push(Ev::Open(MdTag::ListItem));
            keep = self.open.len();
            fresh = true;
            if let Some(mark) = task_marker(ln.rest()) {
                self.leaf = Leaf::Para([mark, ln.rest()[3..].trim_start()].concat());
                return;
            }
        }

        let all = keep == self.open.len();
        if ln.blank() {
            match &mut self.leaf {
                Leaf::Code { fence: None, blanks, .. } if all => *blanks += 1,
                _ => self.close_from(keep),
            }
            // A blank line counts against tightness only once something follows it, and not on
            // the line of an item's own (empty) marker.
            if !fresh {
                for container in &mut self.open {
                    if let Container::List { blank, .. } = container {
                        *blank = true;
                    }
                }
            }
            return;
        }

        let mut para = matches!(self.leaf, Leaf::Para(_));
        let indent = ln.indent();
        if indent >= 4 {
            // Indented code cannot interrupt a paragraph, so this continues it.
            if para {
                self.push_para(ln.rest().trim_start_matches([' ', '\t']));
                return;
            }
            ln.skip(4);
            match &mut self.leaf {
                Leaf::Code { fence: None, code, blanks, .. } if all => {
                    code.push_str(&"\n".repeat(*blanks));
                    *blanks = 0;
                }
                _ => {
                    self.commit(keep);
                    self.leaf = Leaf::Code { fence: None, lang: None, code: String::new(), blanks: 0 };
                }
            }
            if let Leaf::Code { code, .. } = &mut self.leaf {
                code.push_str(&ln.code());
                code.push('\n');
            }
            return;
        }

        ln.skip(indent);
        let rest = ln.rest();
        if all && para {
            if let Some(level) = setext(rest) {
                if let Leaf::Para(text) = std::mem::take(&mut self.leaf) {
                    let content = self.definitions(&text).trim_end();
                    if !content.is_empty() {
                        self.heading(level, content);
                        return;
                    }
                }
                // Only definitions: the underline is read as a line of its own.
                para = false;
            }
            if self.table(rest) {
                return;
            }
        }
        if let Some((level, content)) = atx(rest) {
            self.commit(keep);
            self.heading(level, content);
            return;
        }
        if let Some((ch, len, info)) = fence(rest) {
            self.commit(keep);
            let lang = info.split_whitespace().next().map(unescape);
            self.leaf = Leaf::Code { fence: Some((ch, len, indent)), lang, code: String::new(), blanks: 0 };
            return;
        }
        if thematic(rest) {
            self.commit(keep);
            self.out.push(Ev::Node(MdNode::Rule));
            return;
        }
        if let Some(end) = html_start(rest).filter(|&end| !(para && end == 7)) {
            self.commit(keep);
            self.leaf = Leaf::Html { end, text: " ".repeat(indent) + rest };
            if html_ends(end, rest) {
                self.close_leaf();
            }
            return;
        }
        if let (true, Leaf::Table(aligns, padding)) = (all, &mut self.leaf) {
            row(&mut self.out, split_row(rest), false, aligns, padding);
            return;
        }
        if para {
            // A continuation line, possibly lazy (inside a quote or item that did not go on).
            self.push_para(rest);
            return;
        }
        self.commit(keep);
        self.leaf = Leaf::Para(rest.to_owned());
    }

    fn push_para(&mut self, line: &str) {
        if let Leaf::Para(text) = &mut self.leaf {
            text.push('\n');
            text.push_str(line);
        }
    }

    /// Turns the open paragraph into a table if its last line is a header row matching the
    /// delimiter row `line`; lines before the header stay a paragraph.
    fn table(&mut self, line: &str) -> bool {
        let (Some(aligns), Leaf::Para(text)) = (delimiter_row(line), &self.leaf) else {
            return false;
        };
        let (before, header) = match text.rfind('\n') {
            Some(at) => (&text[..at], &text[at + 1..]),
            None => ("", text.as_str()),
        };
        let cells = split_row(header);
        if !header.contains('|') || cells.len() != aligns.len() {
            return false;
        }
        let before = before.to_owned();
        self.leaf = Leaf::None;
        self.paragraph(&before);
        self.out.push(Ev::Open(MdTag::Table));
        self.out.push(Ev::Open(MdTag::TableHead));
        row(&mut self.out, cells, true, &aligns, &mut 0);
        self.out.push(Ev::Close(false));
        self.leaf = Leaf::Table(aligns, PADDING);
        true
    }

    fn heading(&mut self, level: u8, text: &str) {
        self.out.push(Ev::Open(MdTag::Heading(level)));
        self.out.push(Ev::Inline(text.to_owned()));
        self.out.push(Ev::Close(false));
    }

    /// Takes link reference definitions off the start of a paragraph and returns the rest.
    fn definitions<'t>(&mut self, text: &'t str) -> &'t str {
        let mut rest = text;
        while let Some((label, dest, title, len)) = definition(rest) {
            // The first definition of a label wins.
            self.refs.entry(label).or_insert((dest, title));
            rest = &rest[len..];
        }
        rest
    }

    /// Emits a paragraph, after taking link reference definitions off its start.
    fn paragraph(&mut self, text: &str) {
        let rest = self.definitions(text).trim_end();
        if !rest.is_empty() {
            self.out.push(Ev::Open(MdTag::Paragraph));
            self.out.push(Ev::Inline(rest.to_owned()));
            self.out.push(Ev::Close(false));
        }
    }

    fn close_leaf(&mut self) {
        match std::mem::take(&mut self.leaf) {
            Leaf::None => {}
            Leaf::Para(text) => self.paragraph(&text),
            Leaf::Code { lang, mut code, .. } => {
                strip_one_newline(&mut code);
                self.out.push(Ev::Node(MdNode::CodeBlock { lang, code }));
            }
            Leaf::Html { text, .. } => {
                self.out.push(Ev::Open(MdTag::Paragraph));
                self.out.push(Ev::Node(MdNode::Text(text)));
                self.out.push(Ev::Close(false));
            }
            Leaf::Table(..) => self.out.push(Ev::Close(false)),
        }
    }

    /// Closes the leaf and every container from index `keep` on.
    fn close_from(&mut self, keep: usize) {
        self.close_leaf();
        while self.open.len() > keep {
            let tight = matches!(self.open.pop(), Some(Container::List { loose: false, .. }));
            self.out.push(Ev::Close(tight));
        }
    }

    /// Like `close_from`, for a line with content: lists that stay open and saw a blank line are loose.
    fn commit(&mut self, keep: usize) {
        self.close_from(keep);
        for container in &mut self.open {
            if let Container::List { loose, blank, .. } = container {
                *loose |= *blank;
                *blank = false;
            }
        }
    }
}

/// How many empty cells may pad the short rows of one table, so that a wide header over many
/// short lines cannot multiply the output (pulldown-cmark and cmark-gfm have such limits too).
const PADDING: usize = 1 << 16;

/// Emits a table row with one cell per column: extra cells are dropped and missing ones are
/// added empty while `padding` lasts.
fn row(out: &mut Vec<Ev>, cells: Vec<String>, header: bool, aligns: &[Align], padding: &mut usize) {
    let mut cells = cells.into_iter();
    out.push(Ev::Open(MdTag::TableRow));
    for &align in aligns {
        let cell = cells.next();
        if cell.is_none() {
            if *padding == 0 {
                break;
            }
            *padding -= 1;
        }
        out.push(Ev::Open(MdTag::TableCell { header, align }));
        out.extend(cell.map(Ev::Inline));
        out.push(Ev::Close(false));
    }
    out.push(Ev::Close(false));
}

/// Splits a table row into trimmed cells; `\|` is a literal pipe.
fn split_row(line: &str) -> Vec<String> {
    let line = line.trim();
    let line = line.strip_prefix('|').unwrap_or(line);
    let line = match line.strip_suffix('|') {
        Some(inner) if !inner.ends_with('\\') => inner,
        _ => line,
    };
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('|') => cell.push('|'),
                next => {
                    cell.push('\\');
                    cell.extend(next);
                }
            },
            '|' => cells.push(std::mem::take(&mut cell).trim().to_owned()),
            _ => cell.push(c),
        }
    }
    cells.push(cell.trim().to_owned());
    cells
}

/// Reads a table's delimiter row (`|:--|:-:|--:|`) into column alignments.
fn delimiter_row(line: &str) -> Option<Vec<Align>> {
    if !line.contains('|') {
        return None;
    }
    let cells = split_row(line);
    let mut aligns = Vec::with_capacity(cells.len());
    for cell in &cells {
        let dashes = cell.strip_prefix(':').unwrap_or(cell);
        let dashes = dashes.strip_suffix(':').unwrap_or(dashes);
        if dashes.is_empty() || !dashes.bytes().all(|b| b == b'-') {
            return None;
        }
        aligns.push(match (cell.starts_with(':'), cell.ends_with(':')) {
            (true, true) => Align::Center,
            (true, false) => Align::Left,
            (false, true) => Align::Right,
            (false, false) => Align::None,
        });
    }
    Some(aligns)
}

/// Returns true for a thematic break: three or more of one of `-`, `*`, `_`, and spaces.
fn thematic(s: &str) -> bool {
    let Some(mark) = s.bytes().next().filter(|b| matches!(b, b'-' | b'*' | b'_')) else {
        return false;
    };
    let mut count = 0;
    for b in s.bytes() {
        if b == mark {
            count += 1;
        } else if b != b' ' && b != b'\t' {
            return false;
        }
    }
    count >= 3
}

/// Reads a list marker: (marker char or ordered delimiter, start number, length).
fn list_marker(s: &str) -> Option<(u8, u64, usize)> {
    let bytes = s.as_bytes();
    let (marker, start, len) = match *bytes.first()? {
        b @ (b'-' | b'+' | b'*') => (b, 1, 1),
        _ => {
            let digits = bytes.iter().take(10).take_while(|b| b.is_ascii_digit()).count();
            let delimiter = *bytes.get(digits)?;
            if digits == 0 || digits > 9 || !matches!(delimiter, b'.' | b')') {
                return None;
            }
            (delimiter, s[..digits].parse().ok()?, digits + 1)
        }
    };
    matches!(bytes.get(len), None | Some(b' ' | b'\t')).then_some((marker, start, len))
}

/// Reads a task list marker (`[ ]`, `[x]`) at the start of an item into the text shown for it.
fn task_marker(s: &str) -> Option<&'static str> {
    let mark = match s.get(..3)? {
        "[ ]" => TASK_OPEN,
        "[x]" | "[X]" => TASK_DONE,
        _ => return None,
    };
    (s.len() == 3 || s[3..].starts_with([' ', '\t'])).then_some(mark)
}

/// Reads an ATX heading (`## Title ##`) into its level and content.
fn atx(s: &str) -> Option<(u8, &str)> {
    let level = s.bytes().take_while(|&b| b == b'#').count();
    let rest = &s[level..];
    if level == 0 || level > 6 || !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let content = rest.trim();
    let without = content.trim_end_matches('#');
    let content = if without.is_empty() {
        without
    } else if without.ends_with([' ', '\t']) {
        without.trim_end()
    } else {
        content
    };
    Some((level as u8, content))
}

/// Reads a setext heading underline into the heading level.
fn setext(s: &str) -> Option<u8> {
    let s = s.trim_end();
    let level = match s.bytes().next()? {
        b'=' => 1,
        b'-' => 2,
        _ => return None,
    };
    s.bytes().all(|b| b == s.as_bytes()[0]).then_some(level)
}

/// Reads an opening code fence into (char, length, info string).
fn fence(s: &str) -> Option<(u8, usize, &str)> {
    let ch = *s.as_bytes().first().filter(|b| matches!(b, b'`' | b'~'))?;
    let len = s.bytes().take_while(|&b| b == ch).count();
    let info = s[len..].trim();
    (len >= 3 && !(ch == b'`' && info.contains('`'))).then_some((ch, len, info))
}

fn closes_fence(s: &str, ch: u8, len: usize) -> bool {
    let run = s.bytes().take_while(|&b| b == ch).count();
    run >= len && s[run..].trim().is_empty()
}

/// Returns true when `s` starts with `prefix`, ignoring ASCII case.
fn starts_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Recognises the start of an HTML block and returns how it ends (see [`Leaf::Html`]).
fn html_start(s: &str) -> Option<u8> {
    let rest = s.strip_prefix('<')?;
    for name in ["script", "pre", "style", "textarea"] {
        if starts_ci(rest, name) && matches!(rest.as_bytes().get(name.len()), None | Some(b' ' | b'\t' | b'>')) {
            return Some(1);
        }
    }
    if rest.starts_with("!--") {
        return Some(2);
    }
    if rest.starts_with('?') {
        return Some(3);
    }
    if rest.starts_with("![CDATA[") {
        return Some(5);
    }
    if rest.starts_with('!') && rest[1..].starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Some(4);
    }
    let tag = rest.strip_prefix('/').unwrap_or(rest);
    let name = &tag[..tag.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'-').count()];
    let after = &tag[name.len()..];
    // A block-level tag name starts a block that ends at a blank line, whatever follows it.
    if !name.is_empty()
        && (after.is_empty() || after.starts_with([' ', '\t', '>']) || after.starts_with("/>"))
        && BLOCK_TAGS.split(' ').any(|known| known.eq_ignore_ascii_case(name))
    {
        return Some(6);
    }
    // Otherwise only a line holding nothing but one open or close tag starts an HTML block.
    let line = s.trim_end();
    let lone = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && after.starts_with([' ', '\t', '/', '>'])
        && line.ends_with('>')
        && !line[1..line.len() - 1].contains(['<', '>']);
    lone.then_some(7)
}

/// The tag names that start an HTML block anywhere (CommonMark's list).
const BLOCK_TAGS: &str = "address article aside base basefont blockquote body caption center col colgroup dd details \
    dialog dir div dl dt fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 head header hr \
    html iframe legend li link main menu menuitem nav noframes ol optgroup option p param search section summary \
    table tbody td tfoot th thead title tr track ul";

/// Returns true when `line` ends an HTML block of the given kind.
fn html_ends(end: u8, line: &str) -> bool {
    match end {
        1 => {
            let lower = line.to_ascii_lowercase();
            ["</script>", "</pre>", "</style>", "</textarea>"].iter().any(|tag| lower.contains(tag))
        }
        2 => line.contains("-->"),
        3 => line.contains("?>"),
        4 => line.contains('>'),
        5 => line.contains("]]>"),
        _ => false,
    }
}

/// Reads a link reference definition (`[label]: dest "title"`) at the start of `s` into its
/// normalized label, destination, title and length (through the end of its last line).
fn definition(s: &str) -> Option<(String, String, Option<String>, usize)> {
    let (label, after) = link_label(s, 0)?;
    let key = normalize(label);
    if key.is_empty() || s.as_bytes().get(after) != Some(&b':') {
        return None;
    }
    let start = skip_space(s, after + 1);
    let (dest, end) = destination(s, start)?;
    if end == start {
        return None;
    }
    // The definition must end its line, after the destination or after a title.
    let line_end = |at: usize| {
        let at = at + s[at..].bytes().take_while(|&b| b == b' ' || b == b'\t').count();
        match s.as_bytes().get(at) {
            None => Some(at),
            Some(b'\n') => Some(at + 1),
            _ => None,
        }
    };
    let gap = skip_space(s, end);
    if gap > end {
        if let Some((title, after_title)) = link_title(s, gap) {
            if let Some(len) = line_end(after_title) {
                return Some((key, dest, Some(title), len));
            }
        }
    }
    Some((key, dest, None, line_end(end)?))
}

/// Returns the index after any whitespace (line endings included) from `at`.
fn skip_space(s: &str, at: usize) -> usize {
    at + s[at..].bytes().take_while(u8::is_ascii_whitespace).count()
}

/// Reads a link label `[...]` starting at `at` into its inner text and the index after it.
fn link_label(s: &str, at: usize) -> Option<(&str, usize)> {
    let bytes = s.as_bytes();
    if bytes.get(at) != Some(&b'[') {
        return None;
    }
    let mut i = at + 1;
    while i < bytes.len() && i - at <= 1000 {
        match bytes[i] {
            b'\\' => i += 2,
            b'[' => return None,
            b']' => return Some((&s[at + 1..i], i + 1)),
            _ => i += 1,
        }
    }
    None
}

/// Normalizes a link label for matching: whitespace collapsed, case folded.
fn normalize(label: &str) -> String {
    let mut out = String::new();
    for word in label.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.to_lowercase()
}

/// Reads a link destination (`<...>` or a run without spaces and with balanced parentheses).
fn destination(s: &str, at: usize) -> Option<(String, usize)> {
    let bytes = s.as_bytes();
    let mut i = at;
    if bytes.get(at) == Some(&b'<') {
        i += 1;
        while i < bytes.len() {
            match bytes[i] {
                b'>' => return Some((unescape(&s[at + 1..i]), i + 1)),
                b'<' | b'\n' => return None,
                b'\\' => i += 2,
                _ => i += 1,
            }
        }
        return None;
    }
    let mut depth = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if bytes.get(i + 1).is_some_and(u8::is_ascii_punctuation) => i += 1,
            b'(' if depth == 32 => return None,
            b'(' => depth += 1,
            b')' if depth == 0 => break,
            b')' => depth -= 1,
            b if b <= b' ' || b == 0x7f => break,
            _ => {}
        }
        i += 1;
    }
    (depth == 0).then(|| (unescape(&s[at..i]), i))
}

/// Reads a link title in `"..."`, `'...'` or `(...)` into its text and the index after it.
fn link_title(s: &str, at: usize) -> Option<(String, usize)> {
    let bytes = s.as_bytes();
    let close = match bytes.get(at)? {
        b'"' => b'"',
        b'\'' => b'\'',
        b'(' => b')',
        _ => return None,
    };
    let mut i = at + 1;
    while i < bytes.len() {
        match bytes[i] {
            b if b == close => return Some((unescape(&s[at + 1..i]), i + 1)),
            b'(' if close == b')' => return None,
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    None
}

/// Replaces backslash escapes and entities.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        let mut len = c.len_utf8();
        match c {
            '\\' if rest[1..].starts_with(|n: char| n.is_ascii_punctuation()) => {
                out.push_str(&rest[1..2]);
                len = 2;
            }
            '&' => match entity(rest) {
                Some((decoded, used)) => {
                    out.push(decoded);
                    len = used;
                }
                None => out.push('&'),
            },
            _ => out.push(c),
        }
        rest = &rest[len..];
    }
    out
}

/// The named entities that are decoded; any other name stays literal.
const ENTITIES: [(&str, char); 20] = [
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", '\u{a0}'),
    ("copy", '©'),
    ("reg", '®'),
    ("trade", '™'),
    ("hellip", '…'),
    ("mdash", '—'),
    ("ndash", '–'),
    ("laquo", '«'),
    ("raquo", '»'),
    ("middot", '·'),
    ("times", '×'),
    ("divide", '÷'),
    ("deg", '°'),
    ("plusmn", '±'),
    ("euro", '€'),
];

/// Reads an entity (`&amp;`, `&#123;`, `&#x1F600;`) at the start of `s` into its character and length.
fn entity(s: &str) -> Option<(char, usize)> {
    let semi = 1 + s.as_bytes().get(1..)?.iter().take(32).position(|&b| b == b';')?;
    let name = &s[1..semi];
    let decoded = if let Some(number) = name.strip_prefix('#') {
        let (digits, radix, most) = match number.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16, 6),
            None => (number, 10, 7),
        };
        if digits.is_empty() || digits.len() > most || !digits.chars().all(|c| c.is_digit(radix)) {
            return None;
        }
        let code = u32::from_str_radix(digits, radix).ok()?;
        char::from_u32(code).filter(|&c| c != '\0').unwrap_or('\u{fffd}')
    } else {
        ENTITIES.iter().find(|(known, _)| *known == name)?.1
    };
    Some((decoded, semi + 1))
}

// ---------------------------------------------------------------------------------------------
// Inlines: text into tokens, with CommonMark's delimiter stack for emphasis and links.
// ---------------------------------------------------------------------------------------------

/// One piece of a parsed inline run.
enum Tok {
    Text(String),
    Code(String),
    /// A line break; `true` for a hard one.
    Break(bool),
    /// A run of `*`, `_` or `~`: first it closes `closes` elements, then its `count` unused
    /// characters are text, then it opens `opens` (listed innermost first).
    Delim {
        ch: u8,
        count: usize,
        closes: usize,
        opens: Vec<MdTag>,
    },
    /// A `[` or `![` (when `true`) that opened nothing: literal text.
    Bracket(bool),
    /// The start of a link or image, with its href if it may be live; `End` closes it.
    Link {
        href: Option<String>,
        title: Option<String>,
        image: bool,
    },
    End,
}

/// A delimiter run that may still open or close emphasis.
struct Delim {
    tok: usize,
    ch: u8,
    count: usize,
    orig: usize,
    open: bool,
    close: bool,
}

/// A `[` or `![` waiting for its `]`.
struct Bracket {
    tok: usize,
    image: bool,
    /// How many delimiters were on the stack when it was seen.
    delims: usize,
    /// Where its text starts in the source.
    start: usize,
}

/// The inline pass over one block's text.
#[derive(Default)]
struct Inlines {
    toks: Vec<Tok>,
    /// Text not yet pushed as a token.
    text: String,
    delims: Vec<Delim>,
    brackets: Vec<Bracket>,
    /// Brackets below this index cannot open links (links never hold links), only images.
    floor: usize,
    /// Once a search for a closing backtick run has reached the end of the text: where the last
    /// run of each length ends, so a run with no closer is known at once (as cmark does).
    last_run: Option<Vec<usize>>,
    /// Strings that raw HTML needs and that are known to be missing from the rest of the text.
    missing: Vec<(&'static str, usize)>,
}

/// Returns true for bytes that may start inline syntax; runs of other bytes are plain text.
fn special(b: u8) -> bool {
    matches!(b, b'\\' | b'\n' | b'`' | b'*' | b'_' | b'~' | b'!' | b'[' | b']' | b'<' | b'&')
}

impl Inlines {
    fn parse(src: &str, refs: &Refs) -> Vec<Tok> {
        let mut p = Inlines::default();
        let bytes = src.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            i = match bytes[i] {
                b'\\' => match bytes.get(i + 1) {
                    Some(b'\n') => {
                        p.line_break(true);
                        i + 2
                    }
                    Some(&next) if next.is_ascii_punctuation() => {
                        p.text.push(char::from(next));
                        i + 2
                    }
                    _ => {
                        p.text.push('\\');
                        i + 1
                    }
                },
                b'\n' => {
                    p.line_break(false);
                    i + 1
                }
                b'`' => p.code(src, i),
                b'*' | b'_' | b'~' => p.delim(src, i),
                b'[' => p.bracket(i, false),
                b'!' if bytes.get(i + 1) == Some(&b'[') => p.bracket(i + 1, true),
                b']' => p.close_bracket(src, i, refs),
                b'<' => p.angle(src, i),
                b'&' => match entity(&src[i..]) {
                    Some((decoded, len)) => {
                        p.text.push(decoded);
                        i + len
                    }
                    None => {
                        p.text.push('&');
                        i + 1
                    }
                },
                _ => {
                    let end = bytes[i + 1..].iter().position(|&b| special(b)).map_or(bytes.len(), |at| i + 1 + at);
                    p.text.push_str(&src[i..end]);
                    end
                }
            };
        }
        p.flush();
        emphasis(&mut p.toks, &mut p.delims);
        p.toks
    }

    fn flush(&mut self) {
        if !self.text.is_empty() {
            self.toks.push(Tok::Text(std::mem::take(&mut self.text)));
        }
    }

    /// A line ending: hard after a backslash or two spaces, soft otherwise; trailing spaces go.
    fn line_break(&mut self, backslash: bool) {
        let kept = if backslash { self.text.len() } else { self.text.trim_end_matches([' ', '\t']).len() };
        let hard = backslash || self.text.len() - kept >= 2;
        self.text.truncate(kept);
        self.flush();
        self.toks.push(Tok::Break(hard));
    }

    /// A backtick run: a code span up to the next run of the same length, or literal backticks.
    fn code(&mut self, src: &str, at: usize) -> usize {
        let bytes = src.as_bytes();
        let len = bytes[at..].iter().take_while(|&&b| b == b'`').count();
        let start = at + len;
        let first = self.last_run.is_none();
        if first || self.last_run.as_ref().and_then(|ends| ends.get(len)).is_some_and(|&end| end > start) {
            let mut ends = Vec::new();
            let mut i = start;
            while i < bytes.len() {
                if bytes[i] != b'`' {
                    i += 1;
                    continue;
                }
                let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
                if first {
                    if ends.len() <= run {
                        ends.resize(run + 1, 0);
                    }
                    ends[run] = i + run;
                }
                if run == len {
                    let mut code = src[start..i].replace('\n', " ");
                    if code.len() > 1 && code.starts_with(' ') && code.ends_with(' ') && code.bytes().any(|b| b != b' ')
                    {
                        code = code[1..code.len() - 1].to_owned();
                    }
                    self.flush();
                    self.toks.push(Tok::Code(code));
                    return i + run;
                }
                i += run;
            }
            self.last_run = Some(ends);
        }
        self.text.push_str(&src[at..start]);
        start
    }

    /// A run of `*`, `_` or `~`, classified by the characters around it.
    fn delim(&mut self, src: &str, at: usize) -> usize {
        let ch = src.as_bytes()[at];
        let count = src.as_bytes()[at..].iter().take_while(|&&b| b == ch).count();
        let before = src[..at].chars().next_back().unwrap_or(' ');
        let after = src[at + count..].chars().next().unwrap_or(' ');
        let (space_before, space_after) = (before.is_whitespace(), after.is_whitespace());
        let (punct_before, punct_after) = (before.is_ascii_punctuation(), after.is_ascii_punctuation());
        let left = !space_after && (!punct_after || space_before || punct_before);
        let right = !space_before && (!punct_before || space_after || punct_after);
        // `_` and `~` must not open or close inside a word; `~~`, like `*`, may (as GitHub allows).
        let (open, close) = match (ch, count) {
            (b'_', _) | (b'~', 1) => (left && (!right || punct_before), right && (!left || punct_after)),
            (b'~', _) => (!space_after, right),
            _ => (left, right),
        };
        self.flush();
        if (open || close) && (ch != b'~' || count <= 2) {
            self.delims.push(Delim { tok: self.toks.len(), ch, count, orig: count, open, close });
        }
        self.toks.push(Tok::Delim { ch, count, closes: 0, opens: Vec::new() });
        at + count
    }

    /// A `[` (at `at`), possibly after a `!`.
    fn bracket(&mut self, at: usize, image: bool) -> usize {
        self.flush();
        self.brackets.push(Bracket { tok: self.toks.len(), image, delims: self.delims.len(), start: at + 1 });
        self.toks.push(Tok::Bracket(image));
        at + 1
    }

    /// A `]`: closes a link or image if the nearest bracket can open one and a destination follows.
    fn close_bracket(&mut self, src: &str, at: usize, refs: &Refs) -> usize {
        let Some(open) = self.brackets.pop() else {
            self.text.push(']');
            return at + 1;
        };
        let index = self.brackets.len();
        let active = open.image || index >= self.floor;
        self.floor = self.floor.min(index);
        let found = if active { link_target(src, at + 1, &src[open.start..at], refs) } else { None };
        let Some((href, title, end)) = found else {
            self.text.push(']');
            return at + 1;
        };
        self.flush();
        // Emphasis inside the link text is settled now; it cannot pair with delimiters outside.
        emphasis(&mut self.toks, &mut self.delims[open.delims..]);
        self.delims.truncate(open.delims);
        let title = title.filter(|title| !title.is_empty());
        self.toks[open.tok] = Tok::Link { href: safe_href(&href), title, image: open.image };
        self.toks.push(Tok::End);
        if !open.image {
            self.floor = index;
        }
        end
    }

    /// A `<`: an autolink (`<https://...>`, `<me@example.com>`), raw HTML kept as literal text (so
    /// Markdown inside a tag or comment stays as written), or a literal `<`.
    fn angle(&mut self, src: &str, at: usize) -> usize {
        let bytes = src.as_bytes();
        let end = at + 1 + bytes[at + 1..].iter().take_while(|&&b| b > b' ' && b != b'<' && b != b'>').count();
        if bytes.get(end) == Some(&b'>') {
            let inner = &src[at + 1..end];
            let href = if is_uri(inner) {
                Some(inner.to_owned())
            } else if is_email(inner) {
                Some(["mailto:", inner].concat())
            } else {
                None
            };
            if let Some(href) = href {
                self.flush();
                self.toks.push(Tok::Link { href: safe_href(&href), title: None, image: false });
                self.toks.push(Tok::Text(inner.to_owned()));
                self.toks.push(Tok::End);
                return end + 1;
            }
        }
        let len = self.html(src, at).unwrap_or(1);
        self.text.push_str(&src[at..at + len]);
        at + len
    }

    /// Measures raw inline HTML at the start of `s`: an open or close tag, a comment, a
    /// processing instruction, a declaration or a CDATA section.
    fn html(&mut self, src: &str, at: usize) -> Option<usize> {
        let s = &src[at..];
        let bytes = s.as_bytes();
        let mut find = |from: usize, needle: &'static str| self.find(src, at + from, needle).map(|end| end - at);
        let name = |at: usize| bytes[at..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'-').count();
        let space = |at: usize| skip_space(s, at);
        match *bytes.get(1)? {
            b'!' if s[2..].starts_with("--") => {
                if s[4..].starts_with('>') || s[4..].starts_with("->") {
                    return Some(if bytes[4] == b'>' { 5 } else { 6 });
                }
                find(4, "-->")
            }
            b'!' if s[2..].starts_with("[CDATA[") => find(9, "]]>"),
            b'!' if bytes.get(2).is_some_and(u8::is_ascii_alphabetic) => find(2, ">"),
            b'?' => find(2, "?>"),
            b'/' if bytes.get(2).is_some_and(u8::is_ascii_alphabetic) => {
                let end = space(2 + name(2));
                (bytes.get(end) == Some(&b'>')).then_some(end + 1)
            }
            first if first.is_ascii_alphabetic() => {
                let mut i = 1 + name(1);
                loop {
                    let at = space(i);
                    match bytes.get(at) {
                        Some(b'>') => return Some(at + 1),
                        Some(b'/') if bytes.get(at + 1) == Some(&b'>') => return Some(at + 2),
                        _ if at == i => return None,
                        _ => {}
                    }
                    // An attribute: a name, then optionally `=` and a quoted or bare value.
                    let attr = bytes[at..]
                        .iter()
                        .enumerate()
                        .take_while(|&(k, b)| {
                            b.is_ascii_alphabetic()
                                || matches!(b, b'_' | b':')
                                || (k > 0 && matches!(b, b'0'..=b'9' | b'.' | b'-'))
                        })
                        .count();
                    if attr == 0 {
                        return None;
                    }
                    i = at + attr;
                    let eq = space(i);
                    if bytes.get(eq) == Some(&b'=') {
                        let value = space(eq + 1);
                        i = match *bytes.get(value)? {
                            quote @ (b'"' | b'\'') => find(value + 1, if quote == b'"' { "\"" } else { "'" })?,
                            _ => {
                                let bare = bytes[value..]
                                    .iter()
                                    .take_while(|b| !b.is_ascii_whitespace() && !b"\"'=<>`".contains(b))
                                    .count();
                                if bare == 0 {
                                    return None;
                                }
                                value + bare
                            }
                        };
                    }
                }
            }
            _ => None,
        }
    }

    /// Returns the index just after the first `needle` in `s` from `from`. A needle missing from
    /// some point on is missing from every later point too, so it is not searched for again.
    fn find(&mut self, s: &str, from: usize, needle: &'static str) -> Option<usize> {
        if self.missing.iter().any(|&(known, at)| known == needle && at <= from) {
            return None;
        }
        let found = s.get(from..).and_then(|rest| rest.find(needle)).map(|at| from + at + needle.len());
        if found.is_none() {
            self.missing.push((needle, from));
        }
        found
    }
}

/// Finds what a `]` at `at - 1` links to: an inline `(dest "title")`, or a reference
/// (`[label]`, `[]` or nothing, using the link text `text` as the label). Returns the
/// destination, the title and the index after the link.
fn link_target(src: &str, at: usize, text: &str, refs: &Refs) -> Option<(String, Option<String>, usize)> {
    let bytes = src.as_bytes();
    if bytes.get(at) == Some(&b'(') {
        let start = skip_space(src, at + 1);
        let parsed =
            if bytes.get(start) == Some(&b')') { Some((String::new(), start)) } else { destination(src, start) };
        if let Some((dest, mut end)) = parsed {
            let mut title = None;
            let gap = skip_space(src, end);
            end = gap;
            if gap > start {
                if let Some((text, after)) = link_title(src, gap) {
                    title = Some(text);
                    end = skip_space(src, after);
                }
            }
            if bytes.get(end) == Some(&b')') {
                return Some((dest, title, end + 1));
            }
        }
    }
    let (label, end) = match link_label(src, at) {
        Some(("", end)) => (text, end),
        Some(found) => found,
        None => (text, at),
    };
    let (dest, title) = refs.get(&normalize(label))?;
    Some((dest.clone(), title.clone(), end))
}

/// Returns true for an absolute URI as CommonMark autolinks accept it (`scheme:rest`).
fn is_uri(s: &str) -> bool {
    let Some((scheme, _)) = s.split_once(':') else {
        return false;
    };
    (2..=32).contains(&scheme.len())
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-'))
}

/// Returns true for an e-mail address as CommonMark autolinks accept it.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.bytes().all(|b| b.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(&b))
        && domain.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Pairs delimiter runs into emphasis, strong emphasis and strikethrough (CommonMark's "process
/// emphasis"). Matched runs record what they open and close in their tokens.
fn emphasis(toks: &mut [Tok], delims: &mut [Delim]) {
    const NONE: usize = usize::MAX;
    // The nearest earlier delimiter still on the stack, for each delimiter.
    let mut prev: Vec<usize> = (0..delims.len()).map(|i| i.wrapping_sub(1)).collect();
    // Per kind of closer (char, can open, length mod 3): no opener for it below this index.
    let mut floor = [0usize; 18];
    let mut c = 0;
    while c < delims.len() {
        if !delims[c].close {
            c += 1;
            continue;
        }
        let closer = &delims[c];
        let kind = usize::from(closer.ch == b'_') + 2 * usize::from(closer.ch == b'~');
        let key = kind * 6 + usize::from(closer.open) * 3 + closer.orig % 3;
        let mut o = prev[c];
        while o != NONE && o >= floor[key] && !pairs(&delims[o], closer) {
            o = prev[o];
        }
        if o == NONE || o < floor[key] {
            floor[key] = c;
            if !delims[c].open && c + 1 < delims.len() {
                prev[c + 1] = prev[c];
            }
            c += 1;
            continue;
        }
        let used = if closer.ch == b'~' {
            closer.count
        } else if closer.count >= 2 && delims[o].count >= 2 {
            2
        } else {
            1
        };
        let tag = match (closer.ch, used) {
            (b'~', _) => MdTag::Strikethrough,
            (_, 2) => MdTag::Strong,
            _ => MdTag::Emphasis,
        };
        if let Tok::Delim { opens, .. } = &mut toks[delims[o].tok] {
            opens.push(tag);
        }
        if let Tok::Delim { closes, .. } = &mut toks[delims[c].tok] {
            *closes += 1;
        }
        delims[o].count -= used;
        delims[c].count -= used;
        // Delimiters between the pair can no longer match anything.
        prev[c] = if delims[o].count == 0 { prev[o] } else { o };
        if delims[c].count == 0 {
            if c + 1 < delims.len() {
                prev[c + 1] = prev[c];
            }
            c += 1;
        }
    }
    for delim in delims.iter() {
        if let Tok::Delim { count, .. } = &mut toks[delim.tok] {
            *count = delim.count;
        }
    }
}

/// Returns true when `opener` can pair with `closer`.
fn pairs(opener: &Delim, closer: &Delim) -> bool {
    if !opener.open || opener.ch != closer.ch || opener.count == 0 {
        return false;
    }
    if closer.ch == b'~' {
        return opener.count == closer.count;
    }
    // The "rule of 3" keeps `*a**b*` and similar from pairing oddly.
    let both = opener.close || closer.open;
    !(both
        && (opener.orig + closer.orig).is_multiple_of(3)
        && !(opener.orig.is_multiple_of(3) && closer.orig.is_multiple_of(3)))
}

/// Feeds inline tokens to the builder. Inside an image everything only adds to its alt text.
fn emit(toks: Vec<Tok>, out: &mut Builder) {
    // The image being read: href, title, alt text, and how many links inside it are open.
    let mut image: Option<(Option<String>, Option<String>, String, usize)> = None;
    for tok in toks {
        if let Some((_, _, alt, depth)) = image.as_mut() {
            match tok {
                Tok::Text(text) | Tok::Code(text) => alt.push_str(&text),
                Tok::Break(_) => alt.push(' '),
                Tok::Delim { ch, count, .. } => alt.extend(std::iter::repeat_n(char::from(ch), count)),
                Tok::Bracket(nested) => alt.push_str(if nested { "![" } else { "[" }),
                Tok::Link { .. } => *depth += 1,
                Tok::End if *depth > 0 => *depth -= 1,
                Tok::End => {
                    if let Some((href, title, alt, _)) = image.take() {
                        out.image(href, title, alt);
                    }
                }
            }
            continue;
        }
        match tok {
            Tok::Text(text) => out.text(&text),
            Tok::Code(code) => out.node(MdNode::InlineCode(code)),
            Tok::Break(hard) => out.node(if hard { MdNode::HardBreak } else { MdNode::SoftBreak }),
            Tok::Delim { ch, count, closes, opens } => {
                for _ in 0..closes {
                    out.close(false, false);
                }
                out.text(&char::from(ch).to_string().repeat(count));
                for tag in opens.into_iter().rev() {
                    out.open(Frame::Element(tag));
                }
            }
            Tok::Bracket(image) => out.text(if image { "![" } else { "[" }),
            Tok::Link { href, title, image: true } => image = Some((href, title, String::new(), 0)),
            Tok::Link { href: Some(href), title, .. } => out.open(Frame::Link { href, title }),
            Tok::Link { href: None, .. } => out.open(Frame::Plain),
            Tok::End => out.close(false, false),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The builder: events into the tree, flattening what is nested too deeply.
// ---------------------------------------------------------------------------------------------

/// What an open frame becomes once it is closed.
enum Frame {
    /// The document itself; never closed.
    Root,
    Element(MdTag),
    /// A live link.
    Link {
        href: String,
        title: Option<String>,
    },
    /// An unsafe link: its children are spliced into the parent.
    Plain,
}

/// Builds the tree with an explicit stack, so deep input never recurses.
struct Builder {
    /// The open frames with the children collected so far; index 0 is the root.
    stack: Vec<(Frame, Vec<MdNode>)>,
    /// How many opened elements were flattened because the stack was full and are not closed yet.
    overflow: usize,
    /// How many live links are open, so images inside them do not nest one link in another.
    links: usize,
}

impl Builder {
    fn new() -> Self {
        Self { stack: vec![(Frame::Root, Vec::new())], overflow: 0, links: 0 }
    }

    /// Returns the children of the innermost open frame.
    fn current(&mut self) -> &mut Vec<MdNode> {
        if self.stack.is_empty() {
            // The root is never popped, but an empty stack must not be able to panic either.
            self.stack.push((Frame::Root, Vec::new()));
        }
        let last = self.stack.len() - 1;
        &mut self.stack[last].1
    }

    /// Returns true when nothing more may nest (the next element would be too deep).
    fn full(&self) -> bool {
        self.overflow > 0 || self.stack.len() > MAX_DEPTH
    }

    fn text(&mut self, text: &str) {
        push_text(self.current(), text);
    }

    fn node(&mut self, node: MdNode) {
        match node {
            MdNode::Text(text) => self.text(&text),
            node => self.current().push(node),
        }
    }

    fn open(&mut self, frame: Frame) {
        if self.full() {
            self.overflow += 1;
            return;
        }
        if matches!(frame, Frame::Link { .. }) {
            self.links += 1;
        }
        self.stack.push((frame, Vec::new()));
    }

    /// Closes the innermost element; `block` keeps flattened blocks apart, `tight` unwraps the
    /// paragraphs of a tight list's items.
    fn close(&mut self, block: bool, tight: bool) {
        if self.overflow > 0 {
            self.overflow -= 1;
            // Keep flattened blocks apart so their words do not run together.
            let children = self.current();
            if block && !matches!(children.last(), None | Some(MdNode::SoftBreak)) {
                children.push(MdNode::SoftBreak);
            }
            return;
        }
        if self.stack.len() <= 1 {
            return;
        }
        let Some((frame, mut children)) = self.stack.pop() else {
            return;
        };
        let node = match frame {
            Frame::Element(tag) => {
                if tight {
                    for item in &mut children {
                        if let MdNode::Element { tag: MdTag::ListItem, children } = item {
                            for child in std::mem::take(children) {
                                match child {
                                    MdNode::Element { tag: MdTag::Paragraph, children: inner } => {
                                        append_nodes(children, inner)
                                    }
                                    other => children.push(other),
                                }
                            }
                        }
                    }
                }
                MdNode::Element { tag, children }
            }
            Frame::Link { href, title } => {
                self.links = self.links.saturating_sub(1);
                MdNode::Link { href, title, children }
            }
            Frame::Root | Frame::Plain => {
                append_nodes(self.current(), children);
                return;
            }
        };
        self.current().push(node);
    }

    /// Adds an image as a link to its source, or as its alt text alone.
    fn image(&mut self, href: Option<String>, title: Option<String>, alt: String) {
        match href {
            // A link inside a link is invalid, so inside a live link the image is just its alt text.
            Some(href) if self.links == 0 && !self.full() => {
                // An empty alt text would make an invisible link, so the address stands in for it.
                let label = if alt.is_empty() { href.clone() } else { alt };
                self.current().push(MdNode::Link { href, title, children: vec![MdNode::Text(label)] });
            }
            _ => self.text(&alt),
        }
    }

    /// Closes whatever is still open (normally nothing) and returns the document's nodes.
    fn finish(mut self) -> Vec<MdNode> {
        while self.stack.len() > 1 {
            self.close(false, false);
        }
        self.stack.pop().map(|(_, children)| children).unwrap_or_default()
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
        // E-mail autolinks have no scheme; the parser adds `mailto:`.
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

    // The tests below cover the in-house parser's own edge cases.

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
        assert_eq!(all_text(&nodes).matches('x').count(), 5_000);
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
                item(vec![text("☐")]),
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
