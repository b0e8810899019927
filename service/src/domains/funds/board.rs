//! Public funds on the board: every agency's periods, and each period's
//! proven totals against its appropriations (with a chart), the contracts
//! it pays under (paid against value), its audits and their outcome, and
//! "Verify this report": the halo2 period proof and every record, checked
//! in the browser.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Extension, Router};
use maud::{Markup, html};

use super::FundsDomain;
use super::routes::{contract_view, parse_agency, period_view};
use super::views::summary;
use super::views::{ContractView, PeriodSummary, PeriodView};
use crate::board::page::{Section, facts, hex_value, verification_panel};
use crate::board::{config, page};
use crate::server::blocking::blocking_api;
use crate::server::error::{ApiError, ApiResult, AppPath};
use crate::server::state::AppState;

/// Expenditure rows shown on a period's page (the bundle has them all).
const ROWS_SHOWN: usize = 100;

/// The pages' routes.
pub(super) fn routes(funds: Arc<FundsDomain>) -> Router<AppState> {
    Router::new()
        .route("/funds", get(list))
        .route("/funds/{agency}/{period}", get(period))
        .layer(Extension(funds))
}

async fn list(
    State(state): State<AppState>,
    Extension(funds): Extension<Arc<FundsDomain>>,
) -> ApiResult<Markup> {
    let reader = state.clone();
    let periods: Vec<PeriodSummary> = blocking_api(move || {
        funds.with_book(&reader, |book| {
            Ok(book.periods().map(|p| summary(&reader, p)).collect())
        })
    })
    .await?;
    let body = html! {
        @if periods.is_empty() {
            p { "No agency has opened a budget period on this log yet." }
        } @else {
            table {
                caption { "Budget periods, with their expenditures and whether their totals are proven" }
                thead { tr {
                    th scope="col" { "Agency" }
                    th scope="col" { "Period" }
                    th scope="col" { "Expenditures" }
                    th scope="col" { "Totals" }
                } }
                tbody {
                    @for p in &periods {
                        tr {
                            th scope="row" { (p.agency_name.as_deref().unwrap_or("unknown authority")) }
                            td { a href=(format!("/funds/{}/{}", p.agency, p.period)) { (p.period) } }
                            td { (p.items) }
                            td { @if p.report_index.is_some() { "proven" } @else { "not reported yet" } }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&config(&state), Section::Funds, "Public funds", body))
}

async fn period(
    State(state): State<AppState>,
    Extension(funds): Extension<Arc<FundsDomain>>,
    AppPath((agency, period)): AppPath<(String, String)>,
) -> ApiResult<Markup> {
    let reader = state.clone();
    let (view, contracts): (PeriodView, Vec<ContractView>) = blocking_api(move || {
        let key = parse_agency(&agency)?;
        funds.with_book(&reader, |book| {
            let p = book.period(&key, &period).ok_or_else(|| {
                ApiError::not_found(format!("no period {period:?} of that agency"))
            })?;
            let contracts = p
                .budget
                .categories
                .iter()
                .filter_map(|c| c.contract.as_deref())
                .filter_map(|tender| book.contract(&key, tender))
                .map(contract_view)
                .collect();
            Ok((period_view(&reader, p), contracts))
        })
    })
    .await?;
    let s = &view.summary;
    let agency = s
        .agency_name
        .clone()
        .unwrap_or_else(|| "unknown authority".into());
    let bundle_url = format!("/v1/funds/periods/{}/{}/bundle", s.agency, s.period);
    let title = format!("{agency}: {}", s.period);
    let body = html! {
        (facts([
            ("Agency", html! { (agency) " " small { (hex_value(&s.agency)) } }),
            ("Period", html! { (s.period) }),
            ("Expenditures", html! { (s.items) " (amounts hidden: each is a commitment)" }),
            ("Report", html! { @match s.report_index {
                Some(index) => { "proven by a zero-knowledge proof logged at entry " (index) }
                None => { "not reported yet" }
            } }),
        ]))
        section aria-labelledby="totals-heading" {
            h2 id="totals-heading" { "Totals against appropriations" }
            table class="results" {
                caption { "Per category: the appropriation, the proven total spent, and the share used" }
                thead { tr {
                    th scope="col" { "Category" }
                    th scope="col" { "Appropriation" }
                    th scope="col" { "Proven total" }
                    th scope="col" { "Used" }
                } }
                tbody {
                    @for c in &view.categories {
                        tr {
                            th scope="row" { (c.label) @if let Some(tender) = &c.contract { br; small { "contract " (tender) } } }
                            td { (c.appropriation) }
                            td { (c.total.as_deref().unwrap_or("—")) }
                            td { @if let Some(total) = c.total.as_deref().and_then(|t| t.parse::<u64>().ok()) {
                                meter min="0" max=(c.appropriation.max(1)) value=(total)
                                    aria-label=(format!("{}: {total} of {}", c.label, c.appropriation)) {}
                            } @else { "—" } }
                        }
                    }
                }
            }
        }
        @if !contracts.is_empty() {
            section aria-labelledby="contracts-heading" {
                h2 id="contracts-heading" { "Contracts" }
                table {
                    caption { "Contracts this period pays under: value, and paid so far over all periods" }
                    thead { tr {
                        th scope="col" { "Tender" } th scope="col" { "Winner" }
                        th scope="col" { "Value" } th scope="col" { "Paid" } th scope="col" { "Paid of value" }
                    } }
                    tbody {
                        @for c in &contracts {
                            tr {
                                th scope="row" { (c.tender) }
                                td { (c.winner) }
                                td { (c.value) }
                                td { (c.paid) }
                                td { meter min="0" max=(c.value.max(1)) value=(c.paid.parse::<u64>().unwrap_or(0))
                                    aria-label=(format!("{}: {} paid of {}", c.tender, c.paid, c.value)) {} }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="audits-heading" {
            h2 id="audits-heading" { "Spot audits" }
            @if view.audits.is_empty() {
                p { "No audit has been requested for this period." }
            } @else {
                ul {
                    @for a in &view.audits {
                        li {
                            (a.requester.as_deref().unwrap_or("an authority")) " asked to open " (a.sample.len()) " expenditures (" (a.chosen.len()) " chosen, " (a.random) " drawn at random from the log's root): "
                            @match a.answer_index {
                                Some(index) => { "answered at entry " (index) "; every opened amount matches its commitment." }
                                None => { "not answered yet." }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="items-heading" {
            h2 id="items-heading" { "Expenditures" }
            table {
                caption { "Expenditures in log order (public labels; amounts are committed, not shown)" @if view.expenditures.len() > ROWS_SHOWN { ", the first " (ROWS_SHOWN) } }
                thead { tr { th scope="col" { "#" } th scope="col" { "Label" } th scope="col" { "Log entry" } } }
                tbody {
                    @for item in view.expenditures.iter().take(ROWS_SHOWN) {
                        tr { td { (item.position) } td { (item.label) } td { (item.index) } }
                    }
                }
            }
        }
        @if s.report_index.is_some() {
            (verification_panel("funds", "Verify this report", &[("url", &bundle_url)]))
        }
        p { "Machine-readable: " a href=(format!("/v1/funds/periods/{}/{}", s.agency, s.period)) { "this period as JSON" }
            @if s.report_index.is_some() { ", " a href=(bundle_url) { "its bundle" } " (for " code { "zkaudit verify" } ")" }
            ", " a href=(format!("/v1/funds/ocds/periods/{}/{}", s.agency, s.period)) { "its contracts as OCDS 1.1" } " (with their log evidence)." }
    };
    Ok(page(&config(&state), Section::Funds, &title, body))
}

/// Budget periods and the expenditures logged in them.
pub(super) fn counts(funds: &FundsDomain, state: &AppState) -> ApiResult<Vec<(&'static str, u64)>> {
    funds.with_book(state, |book| {
        let items = book.periods().map(|p| p.items.len() as u64).sum();
        Ok(vec![
            ("budget periods", book.periods().count() as u64),
            ("expenditures", items),
        ])
    })
}
