//! The elections' pages on the public board: the list, and each election's
//! status, turnout as it happens, ceremony, results with a chart, the
//! in-browser verification of its whole bundle, and a voter's check that
//! their ballot is in the record the tally covers.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Extension, Router};
use maud::{Markup, html};
use zkaudit_verifier::explain::contest_rule;

use super::ElectionDomain;
use super::routes::{all_views, find, registry_info, with_election};
use super::views::{ElectionView, view};
use crate::board::page::{Section, facts, format_ms, hex_value, verification_panel};
use crate::board::{config, page};
use crate::domains::identity::KeyView;
use crate::server::error::{ApiResult, AppPath};
use crate::server::state::AppState;

/// The pages' routes.
pub(super) fn routes(elections: Arc<ElectionDomain>) -> Router<AppState> {
    Router::new()
        .route("/elections", get(list))
        .route("/elections/{id}", get(election))
        .layer(Extension(elections))
}

async fn list(
    State(state): State<AppState>,
    Extension(elections): Extension<Arc<ElectionDomain>>,
) -> ApiResult<Markup> {
    let views: Vec<ElectionView> = with_election(&state, &elections, |state, domain, book| {
        Ok(all_views(state, domain, book))
    })
    .await?;
    let body = html! {
        @if views.is_empty() {
            p { "No election has been created on this log yet." }
        } @else {
            table {
                caption { "Elections on this log, with their phase and ballots so far" }
                thead { tr {
                    th scope="col" { "Election" }
                    th scope="col" { "Phase" }
                    th scope="col" { "Ballots that count" }
                    th scope="col" { "Ballots cast" }
                } }
                tbody {
                    @for e in &views {
                        tr {
                            th scope="row" { a href=(format!("/elections/{}", e.id)) { (e.title) } " " small { "(" (e.id) ")" } }
                            td { (e.phase) }
                            td { (e.ballots) }
                            td { (e.cast) }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&config(&state), Section::Elections, "Elections", body))
}

async fn election(
    State(state): State<AppState>,
    Extension(elections): Extension<Arc<ElectionDomain>>,
    AppPath(id): AppPath<String>,
) -> ApiResult<Markup> {
    let (e, complaints, ballot_key) =
        with_election(&state, &elections, move |state, domain, book| {
            let e = find(book, &id)?;
            let v = view(e, registry_info(state, domain, e));
            let ballot_key = ballot_key_origin(state, domain, v.ballot_shape.as_deref())?;
            Ok((v, e.complaints.len(), ballot_key))
        })
        .await?;
    let bundle_url = format!("/v1/elections/{}/bundle", e.id);
    let election_key = e.joint_key.clone().unwrap_or_default();
    let body = html! {
        section aria-labelledby="status-heading" data-live-election=(e.id) {
            h2 id="status-heading" { "Status" }
            (facts([
                ("Election", html! { (e.id) }),
                ("Phase", html! { span id="election-phase" { (e.phase) } }),
                ("Voting window", html! { (format_ms(e.opens_at_ms)) " to " (format_ms(e.closes_at_ms)) " (UTC)" }),
                ("Ballots that count", html! { span id="election-ballots" { (e.ballots) } " (each voter's last)" }),
                ("Ballots cast", html! { span id="election-cast" { (e.cast) } }),
                ("Re-voting", html! { @if e.revoting { "allowed: a voter's last ballot counts" } @else { "not allowed" } }),
                ("Eligible voters", html! { "holders of a credential of registry " (e.registry) }),
                ("Ballot circuit key", html! { (ballot_key) }),
            ]))
            @if let Some(seal) = &e.seal {
                p { "The log sealed the election at its close: " (seal.cast) " ballots cast, " (seal.counted) " counting, root " (hex_value(&seal.ballots_root)) "." }
            }
        }
        section aria-labelledby="ceremony-heading" {
            h2 id="ceremony-heading" { "Trustees and key ceremony" }
            p { (e.threshold) " of " (e.trustees.len()) " trustees are needed to decrypt the tally; no fewer can decrypt any ballot." }
            table {
                caption { "Trustees" }
                thead { tr { th scope="col" { "#" } th scope="col" { "Name" } th scope="col" { "Qualified dealer" } th scope="col" { "Decrypted the tally" } } }
                tbody {
                    @for t in &e.trustees {
                        tr {
                            td { (t.index) }
                            th scope="row" { (t.name) }
                            td { @if e.qualified.contains(&t.index) { "yes" } @else if e.joint_key.is_some() { "no (disqualified)" } @else { "not yet" } }
                            td { @if e.decrypted_by.contains(&t.index) { "yes" } @else { "no" } }
                        }
                    }
                }
            }
            p { (complaints) " complaint(s) were logged during the ceremony."
                @if let Some(key) = &e.joint_key { " The joint election key is " (hex_value(key)) "." } }
        }
        section aria-labelledby="results-heading" {
            h2 id="results-heading" { "Results" }
            @if e.tally.is_none() { p { "Not tallied yet. The options are:" } }
            @for (n, contest) in e.contests.iter().enumerate() {
                @let heading = if contest.title.is_empty() { e.title.clone() } else { contest.title.clone() };
                @let total: u64 = contest.counts.iter().flatten().sum();
                table class="results" {
                    caption { (heading) " — " (contest_rule(contest.min, contest.max, contest.limit)) }
                    thead { tr { th scope="col" { "Option" } th scope="col" { "Votes" } th scope="col" { "Share" } } }
                    tbody {
                        @for (i, option) in contest.options.iter().enumerate() {
                            tr {
                                th scope="row" { (option) }
                                @if let Some(counts) = &contest.counts {
                                    td { (counts[i]) }
                                    td { meter min="0" max=(total.max(1)) value=(counts[i])
                                        aria-label=(format!("{option}: {} of {total}", counts[i])) id=(format!("bar-{n}-{i}")) {} }
                                } @else {
                                    td { "—" } td { "—" }
                                }
                            }
                        }
                    }
                }
            }
        }
        (verification_panel("election", "Verify this election", &[("url", &bundle_url), ("election-key", &election_key)]))
        section aria-labelledby="ballot-heading" {
            h2 id="ballot-heading" { "Is my ballot counted?" }
            p { "Paste the receipt you got when you voted. Your browser downloads this election's record and checks that your ballot is the one that counts — or shows the signed evidence if it is not." }
            form id="standing-form" data-bundle-url=(bundle_url) {
                p {
                    label for="standing-text" { "Your ballot receipt (JSON)" }
                    textarea id="standing-text" rows="6" spellcheck="false" {}
                }
                p { button type="submit" { "Check my ballot" } }
            }
            div class="status" id="standing-status" role="status" aria-live="polite" {}
            ol class="report" id="standing-report" aria-label="Where your ballot stands" {}
        }
        p { "Machine-readable: " a href=(format!("/v1/elections/{}", e.id)) { "this election as JSON" } ", " a href=(bundle_url) { "its bundle" } " (for " code { "zkaudit verify" } ")." }
    };
    Ok(page(&config(&state), Section::Elections, &e.title, body))
}

/// Elections and ballots cast in all of them.
pub(super) fn counts(
    elections: &ElectionDomain,
    state: &AppState,
) -> ApiResult<Vec<(&'static str, u64)>> {
    elections.with_book(state, |book| {
        let cast = book.elections().map(|e| e.ballots.len() as u64).sum();
        Ok(vec![
            ("elections", book.elections().count() as u64),
            ("ballots cast", cast),
        ])
    })
}

/// In words, where the key of the election's ballot circuit (`shape`, once
/// it has one) comes from, or why there is none yet.
fn ballot_key_origin(
    state: &AppState,
    elections: &ElectionDomain,
    shape: Option<&str>,
) -> ApiResult<String> {
    let Some(shape) = shape else {
        return Ok("made for the joint key once voting opens".into());
    };
    let logged = elections.identity().with_book(state, |registries| {
        Ok(registries
            .circuit_key(shape)
            .map(|(key, index)| KeyView::of(key, *index)))
    })?;
    Ok(match logged {
        Some(key) => key.origin(),
        None => "none logged yet: ballots are refused until a ceremony makes it".into(),
    })
}
