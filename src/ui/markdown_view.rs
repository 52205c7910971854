//! Renders the core's safe Markdown tree as DOM elements and text nodes. Nothing here parses, and nothing
//! is ever set as HTML: every string becomes a text node, and only links the core marked safe are live.
//! Citations of web results (marked by the core only for numbers that have a result) link to the result.

use crate::core::markdown::{parse, Align, MdNode, MdTag};
use crate::core::websearch::cite::mark_citations;
use crate::core::websearch::tavily::WebResult;
use leptos::prelude::*;

fn children(nodes: &[MdNode], sources: &[WebResult]) -> Vec<AnyView> {
    nodes.iter().map(|n| node(n, sources)).collect()
}

fn align_class(a: Align) -> &'static str {
    match a {
        Align::None => "",
        Align::Left => "al-left",
        Align::Center => "al-center",
        Align::Right => "al-right",
    }
}

fn node(n: &MdNode, sources: &[WebResult]) -> AnyView {
    match n {
        MdNode::Cite(k) => match sources.get((*k as usize).wrapping_sub(1)) {
            Some(r) => view! {
                <a
                    class="cite"
                    href=r.url.clone()
                    title=format!("{} — {}", r.title, r.site)
                    target="_blank"
                    rel="noopener noreferrer nofollow"
                >
                    {format!("[{k}]")}
                </a>
            }
            .into_any(),
            None => format!("[{k}]").into_any(),
        },
        MdNode::Text(t) => t.clone().into_any(),
        MdNode::InlineCode(c) => view! { <code>{c.clone()}</code> }.into_any(),
        MdNode::SoftBreak => " ".into_any(),
        MdNode::HardBreak => view! { <br /> }.into_any(),
        MdNode::Rule => view! { <hr /> }.into_any(),
        MdNode::CodeBlock { lang, code } => {
            let label = lang.clone().unwrap_or_default();
            view! {
                <pre class="code" data-lang=label>
                    <code>{code.clone()}</code>
                </pre>
            }
            .into_any()
        }
        MdNode::Link { href, title, children: c } => view! {
            <a href=href.clone() title=title.clone() target="_blank" rel="noopener noreferrer nofollow">
                {children(c, sources)}
            </a>
        }
        .into_any(),
        MdNode::Element { tag, children: c } => element(*tag, children(c, sources)),
    }
}

fn element(tag: MdTag, c: Vec<AnyView>) -> AnyView {
    match tag {
        MdTag::Paragraph => view! { <p>{c}</p> }.into_any(),
        MdTag::Heading(1) => view! { <h1>{c}</h1> }.into_any(),
        MdTag::Heading(2) => view! { <h2>{c}</h2> }.into_any(),
        MdTag::Heading(3) => view! { <h3>{c}</h3> }.into_any(),
        MdTag::Heading(4) => view! { <h4>{c}</h4> }.into_any(),
        MdTag::Heading(5) => view! { <h5>{c}</h5> }.into_any(),
        MdTag::Heading(_) => view! { <h6>{c}</h6> }.into_any(),
        MdTag::BlockQuote => view! { <blockquote>{c}</blockquote> }.into_any(),
        MdTag::OrderedList(start) => view! { <ol start=start.to_string()>{c}</ol> }.into_any(),
        MdTag::UnorderedList => view! { <ul>{c}</ul> }.into_any(),
        MdTag::ListItem => view! { <li>{c}</li> }.into_any(),
        MdTag::Emphasis => view! { <em>{c}</em> }.into_any(),
        MdTag::Strong => view! { <strong>{c}</strong> }.into_any(),
        MdTag::Strikethrough => view! { <del>{c}</del> }.into_any(),
        MdTag::Table => view! {
            <div class="table-wrap">
                <table>{c}</table>
            </div>
        }
        .into_any(),
        MdTag::TableHead => view! { <thead>{c}</thead> }.into_any(),
        MdTag::TableRow => view! { <tr>{c}</tr> }.into_any(),
        MdTag::TableCell { header: true, align } => view! { <th class=align_class(align)>{c}</th> }.into_any(),
        MdTag::TableCell { header: false, align } => view! { <td class=align_class(align)>{c}</td> }.into_any(),
    }
}

/// An answer's Markdown, rendered safely; `sources` are the web results it may cite as `[n]`.
#[component]
pub fn Markdown(text: String, #[prop(optional)] sources: Vec<WebResult>) -> impl IntoView {
    let nodes = mark_citations(parse(&text), sources.len());
    view! { <div class="md">{children(&nodes, &sources)}</div> }
}
