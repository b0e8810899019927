//! `/check`: any receipt or bundle zkaudit hands out, checked in the
//! browser: a record receipt, a claim or ballot receipt, a claim, election
//! or funds bundle. A receipt is also checked against the newest
//! checkpoint (the log has not rewritten history since it was issued).

use axum::extract::State;
use maud::{Markup, html};

use super::page::{Section, page};
use crate::server::state::AppState;

/// `GET /check`.
pub async fn check(State(state): State<AppState>) -> Markup {
    let config = super::config(&state);
    let body = html! {
        p class="lead" {
            "Paste, choose or drop here a file zkaudit gave you — a receipt (of a record, a claim or a ballot) or a bundle (of an election, a claim or a period of public funds). "
            "Your browser checks its signatures and proofs; nothing you give here is sent anywhere."
        }
        form id="check-form" class="drop-zone" aria-describedby="check-drop" {
            p id="check-drop" class="hint" { "You can also drop the file anywhere in this box: it is checked at once." }
            p {
                label for="check-file" { "A receipt or bundle file (JSON)" }
                input type="file" id="check-file" accept=".json,application/json";
            }
            p {
                label for="check-text" { "Or paste it here" }
                textarea id="check-text" rows="10" spellcheck="false" {}
            }
            p { button type="submit" { "Check it" } }
        }
        section class="verify" aria-labelledby="check-heading" {
            h2 id="check-heading" { "Result" }
            div class="status" id="check-status" role="status" aria-live="polite" { "Nothing checked yet." }
            progress id="check-progress" hidden max="100" {}
            ol class="report" id="check-report" aria-label="Report" {}
        }
    };
    page(&config, Section::Check, "Check a receipt or a bundle", body)
}
