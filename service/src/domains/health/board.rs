//! Health on the board: public counts (records, consents, flagged
//! accesses — never anything about one patient), vaccine lot lookup, and a
//! lot's chain of custody, with any broken link explained and the whole
//! chain verified in the browser.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Router};
use maud::{Markup, html};
use serde::Deserialize;
use zkaudit_ledger::health::{HealthError, TraceReport, verify_trace};
use zkaudit_verifier::health::MAX_EXTRACT_ENTRIES;

use super::extract::topic_records;
use super::routes::{check_lot_id, with_domain};
use super::views::lot_view;
use super::{HealthDomain, TOPIC_FLAGGED, lot_topic};
use crate::board::page::{Section, facts, format_ms, hex_value, verification_panel};
use crate::board::{config, page};
use crate::server::error::{ApiError, ApiResult, AppPath};
use crate::server::state::AppState;

/// Lots listed on the overview (the lookup finds any).
const LOTS_LISTED: usize = 100;

/// The pages' routes.
pub(super) fn routes(health: Arc<HealthDomain>) -> Router<AppState> {
    Router::new()
        .route("/health", get(overview))
        .route("/health/lots/{lot}", get(lot))
        .layer(Extension(health))
}

/// `?lot=` of the lookup form.
#[derive(Deserialize)]
struct Lookup {
    lot: Option<String>,
}

async fn overview(
    State(state): State<AppState>,
    Extension(health): Extension<Arc<HealthDomain>>,
    Query(q): Query<Lookup>,
) -> ApiResult<Response> {
    if let Some(lot) = q.lot.map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()) {
        check_lot_id(&lot)?;
        return Ok(Redirect::to(&format!("/health/lots/{lot}")).into_response());
    }
    let (counts, lots, flagged) = with_domain(&state, &health, |state, domain| {
        let (counts, lots) = domain.with_book(state, |book| {
            let lots: Vec<String> = book
                .lots()
                .take(LOTS_LISTED)
                .map(|l| l.spec.lot.clone())
                .collect();
            Ok((book.counts(), lots))
        })?;
        let flagged = state
            .sequencer()
            .store()
            .topic(TOPIC_FLAGGED, 0, MAX_EXTRACT_ENTRIES)
            .map_err(ApiError::internal)?
            .len();
        Ok((counts, lots, flagged))
    })
    .await?;
    let flagged = if flagged >= MAX_EXTRACT_ENTRIES {
        format!("{flagged} or more")
    } else {
        flagged.to_string()
    };
    let body = html! {
        p class="lead" { "Hospitals log a commitment to each patient record, each consent and each access; patients check who read their records. Only counts are public here — no personal data." }
        (facts([
            ("Patient records committed", html! { (counts.records) }),
            ("Patients", html! { (counts.patients) }),
            ("Consents granted", html! { (counts.consents) " (" (counts.consents_in_force) " in force)" }),
            ("Accesses flagged (no consent in force)", html! { (flagged) }),
            ("Vaccine lots registered", html! { (counts.lots) }),
        ]))
        section aria-labelledby="lot-heading" {
            h2 id="lot-heading" { "Trace a vaccine lot" }
            form method="get" action="/health" {
                p {
                    label for="lot" { "Lot number" }
                    input type="text" id="lot" name="lot" required autocomplete="off" pattern="[A-Za-z0-9._@-]{1,64}";
                }
                p { button type="submit" { "Trace" } }
            }
            @if !lots.is_empty() {
                p { "Lots on this log" @if counts.lots > lots.len() { " (the first " (lots.len()) " by number)" } ":" }
                ul class="columns" { @for lot in &lots { li { a href=(format!("/health/lots/{lot}")) { (lot) } } } }
            }
        }
    };
    Ok(page(&config(&state), Section::Health, "Health", body).into_response())
}

async fn lot(
    State(state): State<AppState>,
    Extension(health): Extension<Arc<HealthDomain>>,
    AppPath(lot): AppPath<String>,
) -> ApiResult<Markup> {
    check_lot_id(&lot)?;
    let id = lot.clone();
    let (records, checked) = with_domain(&state, &health, move |state, _| {
        let records = topic_records(state, &lot_topic(&id))?;
        let checked: Result<TraceReport, HealthError> = verify_trace(&id, &records);
        Ok((records, checked))
    })
    .await?;
    if records.is_empty() {
        return Err(ApiError::not_found(format!(
            "unknown lot {lot:?}: never registered"
        )));
    }
    let trace_url = format!("/v1/health/lots/{lot}/trace");
    let body = html! {
        @match &checked {
            Ok(report) => {
                @let l = lot_view(&report.lot);
                (facts([
                    ("Product", html! { (l.product) }),
                    ("Doses", html! { (l.quantity) }),
                    ("Expires", html! { (format_ms(l.expiry_ms)) " (UTC)" }),
                    ("Manufacturer", hex_value(&l.manufacturer)),
                    ("Transfers", html! { (report.transfers) }),
                    ("Administrations", html! { (report.administrations) }),
                ]))
                p class="status ok" { "The server's check: every link of the chain holds (registration first, countersigned transfers, quantities, expiry)." }
                @if !l.holdings.is_empty() {
                    table {
                        caption { "Who holds the lot's doses now" }
                        thead { tr { th scope="col" { "Holder" } th scope="col" { "Doses" } } }
                        tbody { @for (holder, doses) in &l.holdings { tr { td { (hex_value(holder)) } td { (doses) } } } }
                    }
                }
            }
            Err(broken) => {
                p class="status failed" { "The chain of custody is BROKEN: " (broken.to_string()) }
            }
        }
        section aria-labelledby="chain-heading" {
            h2 id="chain-heading" { "Chain of custody" }
            ol class="timeline" {
                @for (index, record) in &records {
                    li { strong { (record.kind()) } " — entry " (index) ", " (format_ms(record.timestamp_ms())) " (UTC)" }
                }
            }
        }
        (verification_panel("trace", "Verify this chain", &[("url", &trace_url), ("lot", &lot), ("select", "extract")]))
        p {
            "Machine-readable: " a href=(trace_url) { "the chain with inclusion proofs" } " (for "
            code { "zkaudit verify" } "), " a href=(format!("/v1/health/lots/{lot}/epcis")) { "as a GS1 EPCIS 2.0 document" }
            " (each event with its log evidence)."
        }
    };
    Ok(page(
        &config(&state),
        Section::Health,
        &format!("Vaccine lot {lot}"),
        body,
    ))
}

/// Patient records, consents and vaccine lots (counts only).
pub(super) fn counts(
    health: &HealthDomain,
    state: &AppState,
) -> ApiResult<Vec<(&'static str, u64)>> {
    health.with_book(state, |book| {
        let counts = book.counts();
        Ok(vec![
            ("patient records", counts.records as u64),
            ("consents", counts.consents as u64),
            ("vaccine lots", counts.lots as u64),
        ])
    })
}
