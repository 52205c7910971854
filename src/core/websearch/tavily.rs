//! Tavily's `POST /search`: the options a person sets, the request body Boda sends, the response as far as
//! Boda reads it, and every way a search can fail, as kinds.
//!
//! The key goes only into the `Authorization` header (see [`crate::core::ports::HttpRequest::tavily`]), never
//! into the body. Everything a response carries (titles, snippets, URLs, image descriptions) is untrusted
//! text: it is read here as plain strings, links are kept only when they are http or https, and nothing is
//! interpreted. It does not send anything (see [`super::stage`]) and says nothing in words.

use crate::core::model::Language;
use crate::core::openai::{parse_retry_after, redact};
use serde::{Deserialize, Serialize};

/// Tavily's `search_depth`: latency against relevance. `advanced` costs 2 credits, the others 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SearchDepth {
    #[default]
    Basic,
    Advanced,
    Fast,
    UltraFast,
}

impl SearchDepth {
    pub const ALL: [SearchDepth; 4] =
        [SearchDepth::Basic, SearchDepth::Advanced, SearchDepth::Fast, SearchDepth::UltraFast];

    /// The API's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            SearchDepth::Basic => "basic",
            SearchDepth::Advanced => "advanced",
            SearchDepth::Fast => "fast",
            SearchDepth::UltraFast => "ultra-fast",
        }
    }

    pub fn parse(s: &str) -> Option<SearchDepth> {
        SearchDepth::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// The credits one search at this depth costs (Tavily's published rates).
    pub fn credits(self) -> f64 {
        match self {
            SearchDepth::Advanced => 2.0,
            _ => 1.0,
        }
    }
}

/// Tavily's `topic`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Topic {
    #[default]
    General,
    News,
    Finance,
}

impl Topic {
    pub const ALL: [Topic; 3] = [Topic::General, Topic::News, Topic::Finance];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::General => "general",
            Topic::News => "news",
            Topic::Finance => "finance",
        }
    }

    pub fn parse(s: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// Tavily's `time_range`: how far back results may be dated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeRange {
    Day,
    Week,
    Month,
    Year,
}

impl TimeRange {
    pub const ALL: [TimeRange; 4] = [TimeRange::Day, TimeRange::Week, TimeRange::Month, TimeRange::Year];

    pub fn as_str(self) -> &'static str {
        match self {
            TimeRange::Day => "day",
            TimeRange::Week => "week",
            TimeRange::Month => "month",
            TimeRange::Year => "year",
        }
    }

    pub fn parse(s: &str) -> Option<TimeRange> {
        TimeRange::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// Which country's results are boosted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Country {
    /// By the interface's language: "south korea" for Korean, none for English.
    #[default]
    Auto,
    /// No boost.
    Off,
    /// One of [`COUNTRIES`].
    Named(String),
}

impl Country {
    /// The country sent for an interface in `language`, if any.
    pub fn resolve(&self, language: Language) -> Option<&str> {
        match self {
            Country::Auto => match language {
                Language::Ko => Some("south korea"),
                Language::En => None,
            },
            Country::Off => None,
            Country::Named(c) => COUNTRIES.iter().copied().find(|k| *k == c.as_str()),
        }
    }
}

/// The countries Tavily accepts, as its spec lists them (a native test keeps this list equal to the spec's).
pub const COUNTRIES: &[&str] = &[
    "afghanistan",
    "albania",
    "algeria",
    "andorra",
    "angola",
    "argentina",
    "armenia",
    "australia",
    "austria",
    "azerbaijan",
    "bahamas",
    "bahrain",
    "bangladesh",
    "barbados",
    "belarus",
    "belgium",
    "belize",
    "benin",
    "bhutan",
    "bolivia",
    "bosnia and herzegovina",
    "botswana",
    "brazil",
    "brunei",
    "bulgaria",
    "burkina faso",
    "burundi",
    "cambodia",
    "cameroon",
    "canada",
    "cape verde",
    "central african republic",
    "chad",
    "chile",
    "china",
    "colombia",
    "comoros",
    "congo",
    "costa rica",
    "croatia",
    "cuba",
    "cyprus",
    "czech republic",
    "denmark",
    "djibouti",
    "dominican republic",
    "ecuador",
    "egypt",
    "el salvador",
    "equatorial guinea",
    "eritrea",
    "estonia",
    "ethiopia",
    "fiji",
    "finland",
    "france",
    "gabon",
    "gambia",
    "georgia",
    "germany",
    "ghana",
    "greece",
    "guatemala",
    "guinea",
    "haiti",
    "honduras",
    "hungary",
    "iceland",
    "india",
    "indonesia",
    "iran",
    "iraq",
    "ireland",
    "israel",
    "italy",
    "jamaica",
    "japan",
    "jordan",
    "kazakhstan",
    "kenya",
    "kuwait",
    "kyrgyzstan",
    "latvia",
    "lebanon",
    "lesotho",
    "liberia",
    "libya",
    "liechtenstein",
    "lithuania",
    "luxembourg",
    "madagascar",
    "malawi",
    "malaysia",
    "maldives",
    "mali",
    "malta",
    "mauritania",
    "mauritius",
    "mexico",
    "moldova",
    "monaco",
    "mongolia",
    "montenegro",
    "morocco",
    "mozambique",
    "myanmar",
    "namibia",
    "nepal",
    "netherlands",
    "new zealand",
    "nicaragua",
    "niger",
    "nigeria",
    "north korea",
    "north macedonia",
    "norway",
    "oman",
    "pakistan",
    "panama",
    "papua new guinea",
    "paraguay",
    "peru",
    "philippines",
    "poland",
    "portugal",
    "qatar",
    "romania",
    "russia",
    "rwanda",
    "saudi arabia",
    "senegal",
    "serbia",
    "singapore",
    "slovakia",
    "slovenia",
    "somalia",
    "south africa",
    "south korea",
    "south sudan",
    "spain",
    "sri lanka",
    "sudan",
    "sweden",
    "switzerland",
    "syria",
    "taiwan",
    "tajikistan",
    "tanzania",
    "thailand",
    "togo",
    "trinidad and tobago",
    "tunisia",
    "turkey",
    "turkmenistan",
    "uganda",
    "ukraine",
    "united arab emirates",
    "united kingdom",
    "united states",
    "uruguay",
    "uzbekistan",
    "venezuela",
    "vietnam",
    "yemen",
    "zambia",
    "zimbabwe",
];

/// The most results one search may return (the API's maximum is 20).
pub const MAX_RESULTS: u8 = 20;
/// The most domains of each list sent (the API allows 300 included and 150 excluded).
pub const MAX_DOMAINS: usize = 150;

/// How searches are made: the person's choices in Settings (a preset or an evaluation may change them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchOptions {
    pub depth: SearchDepth,
    /// Results per query, 1 to [`MAX_RESULTS`].
    pub max_results: u8,
    pub topic: Topic,
    pub time_range: Option<TimeRange>,
    pub country: Country,
    /// Only results from these domains (empty: any).
    pub include_domains: Vec<String>,
    /// Never results from these domains.
    pub exclude_domains: Vec<String>,
    /// Whether image results are asked for (thumbnails on the result cards).
    pub images: bool,
    /// Dollars per Tavily credit (pay-as-you-go is $0.008).
    pub credit_usd: f64,
}

impl SearchOptions {
    /// Tavily's pay-as-you-go price of a credit, in dollars.
    pub const DEFAULT_CREDIT_USD: f64 = 0.008;
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            depth: SearchDepth::Basic,
            max_results: 5,
            topic: Topic::General,
            time_range: None,
            country: Country::Auto,
            include_domains: Vec::new(),
            exclude_domains: Vec::new(),
            images: true,
            credit_usd: SearchOptions::DEFAULT_CREDIT_USD,
        }
    }
}

/// Reads the price of a credit as typed: dollars, zero or more, with or without "$"; empty is the default.
/// `None` when it is not such a number.
pub fn parse_credit_price(text: &str) -> Option<f64> {
    let t = text.trim();
    let t = t.strip_prefix('$').unwrap_or(t).trim();
    if t.is_empty() {
        return Some(SearchOptions::DEFAULT_CREDIT_USD);
    }
    t.parse::<f64>().ok().filter(|p| p.is_finite() && *p >= 0.0)
}

/// Reads a list of domains typed one per line or separated by commas or spaces: lower-cased, without a
/// scheme or path, each once, at most [`MAX_DOMAINS`].
pub fn parse_domains(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in text.split([',', '\n', ' ', '\t', ';']) {
        let d = part.trim().to_lowercase();
        let d = d.strip_prefix("https://").or_else(|| d.strip_prefix("http://")).unwrap_or(&d);
        let d = d.split('/').next().unwrap_or("").trim_matches('.');
        if d.is_empty() || d.chars().any(|c| c.is_control()) || out.iter().any(|o| o == d) {
            continue;
        }
        out.push(d.to_owned());
        if out.len() == MAX_DOMAINS {
            break;
        }
    }
    out
}

/// The body of one `POST /search`: only fields of the spec's `/search` request body, never the key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchRequest<'a> {
    pub query: &'a str,
    pub search_depth: SearchDepth,
    pub max_results: u8,
    pub topic: Topic,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_range: Option<TimeRange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub include_domains: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub exclude_domains: &'a [String],
    pub include_images: bool,
    pub include_image_descriptions: bool,
    pub include_answer: bool,
    pub include_raw_content: bool,
    /// Always on, so that the credits a search cost are known.
    pub include_usage: bool,
}

impl<'a> SearchRequest<'a> {
    /// The request for `query` under `options`, for an interface in `language` (which picks the country when
    /// the options say "automatic"). The country is sent only with the general topic, the only one it applies
    /// to.
    pub fn new(query: &'a str, options: &'a SearchOptions, language: Language) -> SearchRequest<'a> {
        let country = if options.topic == Topic::General { options.country.resolve(language) } else { None };
        SearchRequest {
            query,
            search_depth: options.depth,
            max_results: options.max_results.clamp(1, MAX_RESULTS),
            topic: options.topic,
            time_range: options.time_range,
            country,
            include_domains: &options.include_domains[..options.include_domains.len().min(MAX_DOMAINS)],
            exclude_domains: &options.exclude_domains[..options.exclude_domains.len().min(MAX_DOMAINS)],
            include_images: options.images,
            include_image_descriptions: options.images,
            include_answer: false,
            include_raw_content: false,
            include_usage: true,
        }
    }
}

/// One result as Boda keeps it: plain strings, cut to size; `url` is http or https.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebResult {
    pub title: String,
    pub url: String,
    /// The host, without "www.", for the card.
    pub site: String,
    pub snippet: String,
    /// Tavily's relevance score, when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    /// A thumbnail (http or https), when image results were asked for and the page had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// What the image shows, as Tavily described it (untrusted text too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_alt: Option<String>,
    /// Which query (0-based) found it first.
    #[serde(default)]
    pub query: u8,
}

/// An image result of a whole query (not of one page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebImage {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// What one search returned, read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchResponse {
    pub results: Vec<WebResult>,
    pub images: Vec<WebImage>,
    /// `usage.credits`, when the response said.
    pub credits: Option<f64>,
}

/// The longest title kept, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// The longest snippet kept, in characters (Tavily's content is up to three chunks of 500).
pub const MAX_SNIPPET_CHARS: usize = 1_600;
/// The longest URL kept.
pub const MAX_URL_CHARS: usize = 2_048;
/// The longest search response read; anything longer is not a search response Boda asked for.
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// The URL if it is a plain http or https link with a host: trimmed, no whitespace or control characters, no
/// user name, at most [`MAX_URL_CHARS`]. Anything else (`javascript:`, `data:`, relative) is `None`.
pub fn web_link(url: &str) -> Option<String> {
    let url = url.trim();
    if url.len() > MAX_URL_CHARS || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let lower = url.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() || authority.contains('@') || authority.contains('\\') {
        return None;
    }
    Some(url.to_owned())
}

/// The host of an http(s) URL without a port or "www.", for showing where a result is from.
pub fn site_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h);
    host.strip_prefix("www.").unwrap_or(host).to_ascii_lowercase()
}

/// Untrusted text made plain: control characters and line breaks become spaces, runs of spaces one, cut to
/// at most `max` characters, the last being "…" when it was cut.
pub fn plain_text(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max.saturating_mul(4)));
    let mut n = 0;
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_control() || c.is_whitespace() {
            pending_space = n > 0;
            continue;
        }
        let needed = if pending_space { 2 } else { 1 };
        if n + needed > max {
            // Cut: make room for the ellipsis.
            while n >= max && out.pop().is_some() {
                n -= 1;
            }
            out.truncate(out.trim_end().len());
            out.push('…');
            return out;
        }
        if pending_space {
            out.push(' ');
            n += 1;
            pending_space = false;
        }
        out.push(c);
        n += 1;
    }
    out
}

/// An image entry: a bare URL or `{url, description}` (with descriptions asked for).
fn image_of(v: &serde_json::Value) -> Option<WebImage> {
    let (url, description) = match v {
        serde_json::Value::String(s) => (s.as_str(), None),
        serde_json::Value::Object(o) => (o.get("url")?.as_str()?, o.get("description").and_then(|d| d.as_str())),
        _ => return None,
    };
    Some(WebImage {
        url: web_link(url)?,
        description: description.map(|d| plain_text(d, MAX_TITLE_CHARS)).filter(|d| !d.is_empty()),
    })
}

/// Reads a 200 response of `/search`. Results without an http(s) URL are left out; missing titles become the
/// site; every string is made plain and cut to size. `query` is the 0-based number of the query.
pub fn parse_response(body: &str, query: u8) -> Result<SearchResponse, SearchError> {
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(SearchError::Malformed { detail: "too long".into() });
    }
    let v: serde_json::Value =
        serde_json::from_str(body).map_err(|e| SearchError::Malformed { detail: plain_text(&e.to_string(), 120) })?;
    let Some(list) = v.get("results").and_then(|r| r.as_array()) else {
        return Err(SearchError::Malformed { detail: "no results list".into() });
    };
    let mut results = Vec::new();
    for r in list.iter().take(usize::from(MAX_RESULTS)) {
        let Some(url) = r.get("url").and_then(|u| u.as_str()).and_then(web_link) else { continue };
        let site = site_of(&url);
        let title = r.get("title").and_then(|t| t.as_str()).map(|t| plain_text(t, MAX_TITLE_CHARS));
        let title = title.filter(|t| !t.is_empty()).unwrap_or_else(|| site.clone());
        let snippet = r.get("content").and_then(|c| c.as_str()).map(|c| plain_text(c, MAX_SNIPPET_CHARS));
        let score = r.get("score").and_then(|s| s.as_f64()).filter(|s| s.is_finite()).map(|s| s as f32);
        let image = r.get("images").and_then(|i| i.as_array()).and_then(|i| i.iter().find_map(image_of));
        results.push(WebResult {
            title,
            url,
            site,
            snippet: snippet.unwrap_or_default(),
            score,
            image_alt: image.as_ref().and_then(|i| i.description.clone()),
            image: image.map(|i| i.url),
            query,
        });
    }
    let images = v
        .get("images")
        .and_then(|i| i.as_array())
        .map(|i| i.iter().filter_map(image_of).take(usize::from(MAX_RESULTS)).collect())
        .unwrap_or_default();
    let credits =
        v.get("usage").and_then(|u| u.get("credits")).and_then(|c| c.as_f64()).filter(|c| c.is_finite() && *c >= 0.0);
    Ok(SearchResponse { results, images, credits })
}

/// Why a search did not give results, as a kind with the server's words when it gave some (redacted: no key
/// in them). Stored with the answer that went ahead without it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchError {
    /// Web search was asked for but no Tavily key is set.
    NoKey,
    /// 400: Tavily refused the request (an option it does not accept).
    BadRequest { detail: Option<String> },
    /// 401: the key was refused.
    InvalidKey { detail: Option<String> },
    /// 403: the key may not do this.
    Forbidden { detail: Option<String> },
    /// 429: too many requests, still so after waiting as long as Tavily asked (`retry_after_ms`).
    RateLimited { retry_after_ms: Option<u64>, detail: Option<String> },
    /// 432: the plan's (or the key's) credit limit is reached.
    PlanLimit { detail: Option<String> },
    /// 433: the pay-as-you-go limit is reached.
    PayGoLimit { detail: Option<String> },
    /// 5xx.
    Server { status: u16, detail: Option<String> },
    /// Any other status.
    Rejected { status: u16, detail: Option<String> },
    /// No answer within [`super::stage::SEARCH_TIMEOUT_MS`].
    Timeout,
    /// No HTTP answer at all: offline, or blocked (CORS, a firewall, an extension). A search proxy helps.
    Blocked { host: String },
    /// The response was not a search response.
    Malformed { detail: String },
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    detail: ErrorDetail,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ErrorDetail {
    Object { error: String },
    Text(String),
    Other(serde_json::Value),
}

/// What an error body says: Tavily's `{"detail":{"error":"…"}}`, a bare `{"detail":"…"}`, or short text.
fn error_detail(body: &str) -> Option<String> {
    let text = match serde_json::from_str::<ErrorEnvelope>(body) {
        Ok(ErrorEnvelope { detail: ErrorDetail::Object { error } }) => error,
        Ok(ErrorEnvelope { detail: ErrorDetail::Text(t) }) => t,
        Ok(ErrorEnvelope { detail: ErrorDetail::Other(v) }) => v.to_string(),
        Err(_) => {
            let t = body.trim();
            if t.is_empty() || t.starts_with('<') || t.starts_with('{') {
                return None;
            }
            t.to_owned()
        }
    };
    Some(plain_text(&text, 300)).filter(|t| !t.is_empty())
}

impl SearchError {
    /// Classifies a non-2xx response of Tavily.
    pub fn from_response(status: u16, body: &str, retry_after: Option<&str>, now_ms: f64) -> SearchError {
        let detail = error_detail(body);
        match status {
            400 => SearchError::BadRequest { detail },
            401 => SearchError::InvalidKey { detail },
            403 => SearchError::Forbidden { detail },
            429 => SearchError::RateLimited {
                retry_after_ms: retry_after.and_then(|h| parse_retry_after(h, now_ms)),
                detail,
            },
            432 => SearchError::PlanLimit { detail },
            433 => SearchError::PayGoLimit { detail },
            500..=599 => SearchError::Server { status, detail },
            _ => SearchError::Rejected { status, detail },
        }
    }

    /// The same error with the key masked in what the server said.
    pub fn redacted(&self, key: &str) -> SearchError {
        let r = |d: &Option<String>| d.as_deref().map(|d| redact(d, key));
        match self {
            SearchError::BadRequest { detail } => SearchError::BadRequest { detail: r(detail) },
            SearchError::InvalidKey { detail } => SearchError::InvalidKey { detail: r(detail) },
            SearchError::Forbidden { detail } => SearchError::Forbidden { detail: r(detail) },
            SearchError::RateLimited { retry_after_ms, detail } => {
                SearchError::RateLimited { retry_after_ms: *retry_after_ms, detail: r(detail) }
            }
            SearchError::PlanLimit { detail } => SearchError::PlanLimit { detail: r(detail) },
            SearchError::PayGoLimit { detail } => SearchError::PayGoLimit { detail: r(detail) },
            SearchError::Server { status, detail } => SearchError::Server { status: *status, detail: r(detail) },
            SearchError::Rejected { status, detail } => SearchError::Rejected { status: *status, detail: r(detail) },
            SearchError::Malformed { detail } => SearchError::Malformed { detail: redact(detail, key) },
            other => other.clone(),
        }
    }

    /// What the server said, if anything.
    pub fn detail(&self) -> Option<&str> {
        match self {
            SearchError::BadRequest { detail }
            | SearchError::InvalidKey { detail }
            | SearchError::Forbidden { detail }
            | SearchError::RateLimited { detail, .. }
            | SearchError::PlanLimit { detail }
            | SearchError::PayGoLimit { detail }
            | SearchError::Server { detail, .. }
            | SearchError::Rejected { detail, .. } => detail.as_deref(),
            SearchError::Malformed { detail } => Some(detail),
            SearchError::NoKey | SearchError::Timeout | SearchError::Blocked { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_request_has_only_spec_fields_and_no_key() {
        let options = SearchOptions { include_domains: vec!["musinsa.com".into()], ..SearchOptions::default() };
        let body = serde_json::to_value(SearchRequest::new("navy blazer", &options, Language::Ko)).unwrap();
        let spec: serde_json::Value = match std::fs::read_to_string("../shared/specs/tavily-openapi.json") {
            Ok(text) => serde_json::from_str(&text).unwrap(),
            Err(_) => return, // The spec is shared next to the project; without it there is nothing to check.
        };
        let schema = &spec["paths"]["/search"]["post"]["requestBody"]["content"]["application/json"]["schema"];
        let props = schema["properties"].as_object().unwrap();
        for (k, v) in body.as_object().unwrap() {
            let p = props.get(k).unwrap_or_else(|| panic!("{k} is not a /search field"));
            if let Some(choices) = p.get("enum").and_then(|e| e.as_array()) {
                assert!(choices.contains(v), "{k}={v} is not one of the spec's values");
            }
        }
        assert!(!body.as_object().unwrap().contains_key("api_key"));
        assert_eq!(body["country"], "south korea");
        assert_eq!(body["include_usage"], true);
        assert_eq!(body["include_domains"], json!(["musinsa.com"]));
        assert!(body.get("exclude_domains").is_none() && body.get("time_range").is_none());
    }

    #[test]
    fn the_country_list_is_the_specs() {
        let Ok(text) = std::fs::read_to_string("../shared/specs/tavily-openapi.json") else { return };
        let spec: serde_json::Value = serde_json::from_str(&text).unwrap();
        let list = &spec["paths"]["/search"]["post"]["requestBody"]["content"]["application/json"]["schema"]
            ["properties"]["country"]["enum"];
        let list: Vec<&str> = list.as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        assert_eq!(list, COUNTRIES);
    }

    #[test]
    fn the_country_follows_the_interface_and_only_the_general_topic() {
        let o = SearchOptions::default();
        assert_eq!(SearchRequest::new("q", &o, Language::Ko).country, Some("south korea"));
        assert_eq!(SearchRequest::new("q", &o, Language::En).country, None);
        let news = SearchOptions { topic: Topic::News, ..SearchOptions::default() };
        assert_eq!(SearchRequest::new("q", &news, Language::Ko).country, None);
        let named = SearchOptions { country: Country::Named("japan".into()), ..SearchOptions::default() };
        assert_eq!(SearchRequest::new("q", &named, Language::Ko).country, Some("japan"));
        let bogus = SearchOptions { country: Country::Named("atlantis".into()), ..SearchOptions::default() };
        assert_eq!(SearchRequest::new("q", &bogus, Language::En).country, None);
        let zero = SearchOptions { max_results: 0, ..SearchOptions::default() };
        assert_eq!(SearchRequest::new("q", &zero, Language::En).max_results, 1);
    }

    #[test]
    fn links_are_only_http_or_https_with_a_host() {
        assert_eq!(web_link(" https://a.example/x?y=1 ").as_deref(), Some("https://a.example/x?y=1"));
        assert!(web_link("HTTP://A.example").is_some());
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:image/png;base64,AAAA",
            "java\tscript:alert(1)",
            "//evil.example",
            "https://",
            "https://user:pw@evil.example/",
            "https://a.example/\u{0}x",
            "/relative",
            "vbscript:x",
        ] {
            assert_eq!(web_link(bad), None, "{bad}");
        }
        assert_eq!(site_of("https://www.Shop.example:8443/a"), "shop.example");
    }

    #[test]
    fn a_response_is_read_as_plain_strings_and_unsafe_links_are_dropped() {
        let body = json!({
            "query": "q", "answer": null, "response_time": 0.5,
            "images": ["https://img.example/1.jpg", {"url": "javascript:alert(1)"}, {"url": "https://img.example/2.jpg", "description": "a\nnavy\u{7}coat"}],
            "results": [
                {"title": "<b>Coat</b>\n<script>x</script>", "url": "https://shop.example/coat", "content": "Wool  coat\n\nnavy", "score": 0.9,
                 "images": [{"url": "data:image/png;base64,AAAA"}, {"url": "https://shop.example/c.jpg", "description": "coat"}]},
                {"title": "x", "url": "javascript:alert(1)", "content": "gone"},
                {"url": "https://www.other.example/p", "content": "no title"}
            ],
            "usage": {"credits": 2}
        });
        let r = parse_response(&body.to_string(), 1).unwrap();
        assert_eq!(r.results.len(), 2);
        assert_eq!(r.results[0].title, "<b>Coat</b> <script>x</script>", "kept as text, never interpreted");
        assert_eq!(r.results[0].snippet, "Wool coat navy");
        assert_eq!(r.results[0].image.as_deref(), Some("https://shop.example/c.jpg"));
        assert_eq!(r.results[0].query, 1);
        assert_eq!(r.results[1].title, "other.example");
        assert_eq!(r.images.len(), 2);
        assert_eq!(r.images[1].description.as_deref(), Some("a navy coat"));
        assert_eq!(r.credits, Some(2.0));
        assert!(parse_response("{}", 0).is_err());
        assert!(parse_response("<html>", 0).is_err());
        let no_usage = parse_response(&json!({"results": []}).to_string(), 0).unwrap();
        assert_eq!(no_usage.credits, None);
    }

    #[test]
    fn long_text_is_cut_and_korean_is_kept() {
        let t = plain_text(&"가나다 ".repeat(1000), 10);
        assert_eq!(t.chars().count(), 10);
        assert!(t.ends_with('…'));
        assert_eq!(plain_text("  한국어\r\n텍스트  ", 100), "한국어 텍스트");
    }

    #[test]
    fn every_status_has_its_kind_with_tavilys_words() {
        let body = |e: &str| json!({"detail": {"error": e}}).to_string();
        let e = SearchError::from_response(401, &body("Unauthorized: missing or invalid API key."), None, 0.0);
        assert_eq!(e, SearchError::InvalidKey { detail: Some("Unauthorized: missing or invalid API key.".into()) });
        assert!(matches!(SearchError::from_response(400, &body("bad"), None, 0.0), SearchError::BadRequest { .. }));
        assert!(matches!(SearchError::from_response(403, "", None, 0.0), SearchError::Forbidden { detail: None }));
        assert!(matches!(
            SearchError::from_response(429, &body("slow down"), Some("3"), 0.0),
            SearchError::RateLimited { retry_after_ms: Some(3000), .. }
        ));
        assert!(matches!(SearchError::from_response(432, &body("plan"), None, 0.0), SearchError::PlanLimit { .. }));
        assert!(matches!(SearchError::from_response(433, &body("paygo"), None, 0.0), SearchError::PayGoLimit { .. }));
        assert!(matches!(
            SearchError::from_response(502, "<html>", None, 0.0),
            SearchError::Server { status: 502, detail: None }
        ));
        assert!(matches!(
            SearchError::from_response(418, "teapot", None, 0.0),
            SearchError::Rejected { status: 418, .. }
        ));
        let text = SearchError::from_response(422, &json!({"detail": "query too long"}).to_string(), None, 0.0);
        assert_eq!(text.detail(), Some("query too long"));
    }

    #[test]
    fn a_key_in_what_the_server_said_is_masked() {
        let e = SearchError::InvalidKey { detail: Some("bad key tvly-dev-abcdef123456".into()) };
        let shown = format!("{:?}", e.redacted("tvly-dev-abcdef123456"));
        assert!(!shown.contains("abcdef123456"), "{shown}");
    }

    #[test]
    fn domains_are_read_from_free_text() {
        assert_eq!(
            parse_domains("https://www.Musinsa.com/app, zara.com\nzara.com  ;  uniqlo.com/kr"),
            ["www.musinsa.com", "zara.com", "uniqlo.com"]
        );
        assert!(parse_domains(" , \n").is_empty());
    }

    #[test]
    fn a_credit_price_is_dollars_zero_or_more() {
        assert_eq!(parse_credit_price(""), Some(0.008));
        assert_eq!(parse_credit_price(" $0.01 "), Some(0.01));
        assert_eq!(parse_credit_price("0"), Some(0.0));
        for bad in ["-1", "abc", "NaN", "inf", "1e999"] {
            assert_eq!(parse_credit_price(bad), None, "{bad}");
        }
    }

    #[test]
    fn advanced_costs_two_credits() {
        assert_eq!(SearchDepth::Advanced.credits(), 2.0);
        assert_eq!(SearchDepth::UltraFast.credits(), 1.0);
        assert_eq!(SearchDepth::parse("ultra-fast"), Some(SearchDepth::UltraFast));
        assert_eq!(serde_json::to_value(SearchDepth::UltraFast).unwrap(), "ultra-fast");
    }
}
