//! `/`: the log — its current checkpoint, the witnesses that cosign it and
//! the authorities that may write to it — verified in the browser against
//! the checkpoint this browser saw last.

use axum::extract::State;
use maud::{Markup, html};

use super::page::{Section, facts, hex_value, page};
use crate::server::state::AppState;

/// `GET /`.
pub async fn home(State(state): State<AppState>) -> Markup {
    let config = super::config(&state);
    let checkpoint = super::latest_checkpoint(&state).await;
    let note = String::from_utf8_lossy(&checkpoint.note).into_owned();
    let authorities = state.authorities().authorities();
    let reader = state.clone();
    let counts = tokio::task::spawn_blocking(move || super::events::domain_counts(&reader))
        .await
        .unwrap_or_default();
    let body = html! {
        p class="lead" {
            "This log keeps commitments to ballots, identities, public spending, health records and land titles. "
            "Nothing on it can be changed or removed without everyone who checks it noticing. "
            "This page checks it for you, in your browser."
        }
        section aria-labelledby="checkpoint-heading" {
            h2 id="checkpoint-heading" { "Current checkpoint" }
            (facts([
                ("Log", hex_value(&config.origin)),
                ("Entries", html! { span id="log-size" { (checkpoint.size) } }),
                ("Root hash", html! { span id="log-root" { (hex_value(&hex::encode(checkpoint.root))) } }),
                ("Log key", hex_value(&config.log_key)),
            ]))
            div class="status" id="history-status" role="status" aria-live="polite" {
                "Your browser has not checked this log yet."
            }
            div id="history-evidence" {}
            details {
                summary { "The signed checkpoint" }
                pre id="checkpoint-note" { (note) }
            }
        }
        section aria-labelledby="counts-heading" {
            h2 id="counts-heading" { "What the log holds" }
            table id="domain-counts" {
                caption { "Per domain, what has been logged (updated live)" }
                thead { tr { th scope="col" { "Domain" } th scope="col" { "Count" } th scope="col" { "Of" } } }
                tbody {
                    @for (domain, items) in counts.iter() {
                        @for (label, value) in items {
                            tr {
                                th scope="row" { (domain) }
                                td data-count=(format!("{domain}/{label}")) { (value) }
                                td { (label) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="witnesses-heading" {
            h2 id="witnesses-heading" { "Witnesses" }
            @if config.witnesses.is_empty() {
                p { "This log is configured without witnesses: only your browser's own memory of earlier checkpoints protects you from a log that shows different histories to different people." }
            } @else {
                p { "Independent witnesses cosign each checkpoint after checking it extends the last one they saw. "
                    "A log that showed another history to someone else would need every witness to sign it too." }
                table {
                    caption { "Witness keys and whether they cosigned the current checkpoint" }
                    thead { tr { th scope="col" { "Witness key" } th scope="col" { "Cosigned" } } }
                    tbody {
                        @for key in &config.witnesses {
                            tr {
                                td { (hex_value(key)) }
                                td class="witness-status" data-witness=(key) { "not checked yet" }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="authorities-heading" {
            h2 id="authorities-heading" { "Authorities" }
            p { "Who may write what. Citizens' own writes (claims, ballots) need no authority: they carry proofs." }
            table {
                caption { "Authorities and the record kinds each may write" }
                thead { tr { th scope="col" { "Name" } th scope="col" { "Key" } th scope="col" { "May write" } } }
                tbody {
                    @for a in authorities {
                        tr {
                            th scope="row" { (a.name) }
                            td { (hex_value(&hex::encode(a.key.as_bytes()))) }
                            td { (a.grants.join(", ")) }
                        }
                    }
                }
            }
        }
    };
    page(&config, Section::Log, "The public log", body)
}
