//! The board's page shell: one layout for every page (skip link, header,
//! navigation, main, footer), the configuration the page's script reads,
//! and the small pieces pages share.
//!
//! Every page is complete, readable HTML without JavaScript: the record is
//! public. Verification needs JavaScript and WebAssembly, and each page
//! says so where they are missing.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Serialize;

/// A section of the board, for the navigation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// The log: checkpoint, witnesses, authorities.
    Log,
    /// Check a receipt or a bundle.
    Check,
    /// Elections.
    Elections,
    /// Public funds.
    Funds,
    /// Land titles.
    Land,
    /// Health: vaccine lots, public counts.
    Health,
    /// Identity: registries and scopes.
    Identity,
    /// A page of no section (an error page for an unknown path).
    Elsewhere,
}

impl Section {
    const ALL: [Section; 7] = [
        Section::Log,
        Section::Check,
        Section::Elections,
        Section::Funds,
        Section::Land,
        Section::Health,
        Section::Identity,
    ];

    /// The section a board path belongs to.
    pub fn of_path(path: &str) -> Section {
        Section::ALL
            .into_iter()
            .filter(|s| *s != Section::Log)
            .find(|s| {
                path.strip_prefix(s.path())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
            .unwrap_or(if path == "/" {
                Section::Log
            } else {
                Section::Elsewhere
            })
    }

    /// The section's own page.
    pub fn path(self) -> &'static str {
        match self {
            Section::Log | Section::Elsewhere => "/",
            Section::Check => "/check",
            Section::Elections => "/elections",
            Section::Funds => "/funds",
            Section::Land => "/land",
            Section::Health => "/health",
            Section::Identity => "/identity",
        }
    }

    /// The section's name in the navigation.
    pub fn label(self) -> &'static str {
        match self {
            Section::Log | Section::Elsewhere => "The log",
            Section::Check => "Check a receipt",
            Section::Elections => "Elections",
            Section::Funds => "Public funds",
            Section::Land => "Land",
            Section::Health => "Health",
            Section::Identity => "Identity",
        }
    }
}

/// What the page's script is configured with: the keys it verifies
/// against. They are the server's own, so a visitor who distrusts the
/// server compares them with the keys published elsewhere (the browser
/// also remembers them, and says when they change).
#[derive(Clone, Debug, Serialize)]
pub struct BoardConfig {
    /// The log's origin line.
    pub origin: String,
    /// The log's signed-note verifier key.
    pub log_key: String,
    /// The witnesses' verifier keys.
    pub witnesses: Vec<String>,
}

/// A whole page: `title` in the tab and the heading, `body` in `<main>`.
pub fn page(config: &BoardConfig, section: Section, title: &str, body: Markup) -> Markup {
    // JSON in a non-executed script element; `<` escaped so no string in
    // it can close the element.
    let config_json = serde_json::to_string(config)
        .unwrap_or_else(|_| "{}".into())
        .replace('<', "\\u003c");
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — zkaudit public board" }
                link rel="stylesheet" href="/board/assets/board.css";
                link rel="icon" href="/board/assets/favicon.svg" type="image/svg+xml";
                script type="application/json" id="board-config" { (PreEscaped(config_json)) }
                script type="module" src="/board/assets/board.js" {}
            }
            body {
                a class="skip" href="#main" { "Skip to content" }
                header {
                    p class="brand" { a href="/" { "zkaudit" } " public board" }
                    nav aria-label="Sections" {
                        ul {
                            @for s in Section::ALL {
                                li {
                                    @if s == section {
                                        a href=(s.path()) aria-current="page" { (s.label()) }
                                    } @else {
                                        a href=(s.path()) { (s.label()) }
                                    }
                                }
                            }
                        }
                    }
                    p class="live" id="live" aria-live="polite" {}
                }
                main id="main" {
                    h1 { (title) }
                    noscript {
                        p class="notice" {
                            "Everything on this page is the public record, readable as it is. "
                            "Checking it in your browser needs JavaScript and WebAssembly, which are off: "
                            "use " code { "zkaudit verify" } " on your own computer instead."
                        }
                    }
                    (body)
                }
                footer {
                    p {
                        "For mirrors and machines: the "
                        a href="/v1/log" { "JSON API" } " ("
                        a href="/openapi.json" { "OpenAPI" } "), the C2SP "
                        a href="/checkpoint" { "checkpoint" } " and "
                        code { "/tile/…" } " tiles. Verify offline with "
                        code { "zkaudit verify" } "."
                    }
                }
            }
        }
    }
}

/// A list of facts: term and description pairs.
pub fn facts<'a>(items: impl IntoIterator<Item = (&'a str, Markup)>) -> Markup {
    html! {
        dl class="facts" {
            @for (term, value) in items {
                dt { (term) }
                dd { (value) }
            }
        }
    }
}

/// Unix milliseconds as a UTC date and time.
pub fn format_ms(ms: u64) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// A long hex value (a key, a root) shown whole but breakable.
pub fn hex_value(value: &str) -> Markup {
    html! { code class="hex" { (value) } }
}

/// Where the script reports a verification: a status line that screen
/// readers hear, a progress bar while it runs, and the report.
pub fn verification_panel(id: &str, button: &str, attributes: &[(&str, &str)]) -> Markup {
    html! {
        section class="verify" aria-labelledby=(format!("{id}-heading")) {
            h2 id=(format!("{id}-heading")) { "Verify it yourself" }
            p { "Your browser checks every proof and signature with the same code as "
                code { "zkaudit verify" } ", trusting nothing this server says." }
            button type="button" class="verify-button" id=(format!("{id}-button"))
                data-panel=(id)
                data-verify-url=(attr(attributes, "url"))
                data-election-key=(attr(attributes, "election-key"))
                data-registrar=(attr(attributes, "registrar"))
                data-lot=(attr(attributes, "lot"))
                data-select=(attr(attributes, "select")) { (button) }
            div class="status" id=(format!("{id}-status")) role="status" aria-live="polite" {}
            progress id=(format!("{id}-progress")) hidden max="100" {}
            ol class="report" id=(format!("{id}-report")) aria-label="Report" {}
        }
    }
}

fn attr<'a>(attributes: &[(&str, &'a str)], name: &str) -> &'a str {
    attributes
        .iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| *value)
        .unwrap_or("")
}
