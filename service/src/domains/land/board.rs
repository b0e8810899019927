//! Land on the board: look a parcel up, see its title and its history as a
//! timeline (registration, transfers, liens), and verify the history in
//! the browser against the registrar's key.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Router};
use maud::{Markup, html};
use serde::Deserialize;
use zkaudit_ledger::land::{LIEN_REGISTER, LIEN_RELEASE, PARCEL_REGISTER, TITLE_TRANSFER};
use zkaudit_ledger::record::Record;

use super::LandDomain;
use super::routes::with_parcel;
use super::views::parcel_view;
use crate::board::page::{Section, facts, format_ms, hex_value, verification_panel};
use crate::board::{config, page};
use crate::server::blocking::blocking_api;
use crate::server::error::{ApiResult, AppPath};
use crate::server::log_access::read_entries;
use crate::server::state::AppState;

/// The pages' routes.
pub(super) fn routes(land: Arc<LandDomain>) -> Router<AppState> {
    Router::new()
        .route("/land", get(lookup))
        .route("/land/{id}", get(parcel))
        .layer(Extension(land))
}

/// `?parcel=` of the lookup form.
#[derive(Deserialize)]
struct Lookup {
    parcel: Option<String>,
}

/// Parcels listed on the lookup page (the lookup finds any).
const PARCELS_LISTED: usize = 100;

async fn lookup(
    State(state): State<AppState>,
    Extension(land): Extension<Arc<LandDomain>>,
    Query(q): Query<Lookup>,
) -> ApiResult<Response> {
    if let Some(id) = q.parcel.filter(|id| !id.trim().is_empty()) {
        let path: String = url_segment(id.trim());
        return Ok(Redirect::to(&format!("/land/{path}")).into_response());
    }
    let reader = state.clone();
    let (parcels, total): (Vec<String>, usize) = blocking_api(move || {
        land.identity().with_registries(&reader, |book| {
            let titles = book.titles();
            let listed = titles
                .parcels()
                .take(PARCELS_LISTED)
                .map(|p| p.registration.parcel.clone())
                .collect();
            Ok((listed, titles.parcels().count()))
        })
    })
    .await?;
    let body = html! {
        p class="lead" { "Every parcel's title and its whole history — registration, sales signed by seller, buyer and registrar, liens — are on the log. Look one up and check its history in your browser." }
        form method="get" action="/land" {
            p {
                label for="parcel" { "Parcel id" }
                input type="text" id="parcel" name="parcel" required autocomplete="off";
            }
            p { button type="submit" { "Look up" } }
        }
        section aria-labelledby="parcels-heading" {
            h2 id="parcels-heading" { "Parcels" }
            @if parcels.is_empty() { p { "No parcel is registered on this log yet." } } @else {
                p { (total) " parcels are registered" @if total > parcels.len() { "; the first " (parcels.len()) " by id" } ":" }
                ul class="columns" {
                    @for id in &parcels { li { a href=(format!("/land/{}", url_segment(id))) { (id) } } }
                }
            }
        }
    };
    Ok(page(&config(&state), Section::Land, "Land titles", body).into_response())
}

async fn parcel(
    State(state): State<AppState>,
    Extension(land): Extension<Arc<LandDomain>>,
    AppPath(id): AppPath<String>,
) -> ApiResult<Markup> {
    let (view, indices) = with_parcel(&state, &land, id, |state, book, p| {
        Ok((parcel_view(state, book, p), p.events.clone()))
    })
    .await?;
    let reader = state.clone();
    let events: Vec<(u64, Record)> = blocking_api(move || {
        Ok(read_entries(&reader, &indices)?
            .into_iter()
            .filter_map(|entry| Some((entry.index, Record::decode(&entry.leaf).ok()?)))
            .collect())
    })
    .await?;
    let history_url = format!("/v1/land/parcels/{}/history", url_segment(&view.parcel));
    let body = html! {
        (facts([
            ("Parcel", html! { (view.parcel) }),
            ("District", html! { (view.district) }),
            ("Registrar", html! { (view.registrar.as_deref().unwrap_or("not a configured authority")) " " small { (hex_value(&view.registrar_key)) } }),
            ("Owner", html! { (hex_value(&view.owner_key)) " since entry " (view.owner_since_index) " (" (format_ms(view.owner_since_ms)) ")" }),
            ("Title version", html! { (view.version) }),
            ("Liens", html! { @if view.liens.is_empty() { "none" } @else {
                ul { @for lien in &view.liens { li { (lien.amount) " to " (hex_value(&lien.holder_key)) " (entry " (lien.index) ")" } } }
            } }),
        ]))
        section aria-labelledby="history-heading" {
            h2 id="history-heading" { "History" }
            ol class="timeline" {
                @for (index, record) in &events {
                    li {
                        strong { (event_name(record.kind())) }
                        " — entry " (index) ", " (format_ms(record.timestamp_ms())) " (UTC)"
                    }
                }
            }
        }
        (verification_panel("land", "Verify this history", &[("url", &history_url), ("registrar", &view.registrar_key)]))
        p { "Machine-readable: " a href=(format!("/v1/land/parcels/{}", url_segment(&view.parcel))) { "this parcel as JSON" } ", " a href=(history_url) { "its history bundle" } ", "
            a href=(format!("/v1/land/parcels/{}/ladm", url_segment(&view.parcel))) { "in the shape of ISO 19152 LADM" } "." }
    };
    Ok(page(
        &config(&state),
        Section::Land,
        &format!("Parcel {}", view.parcel),
        body,
    ))
}

/// A land record kind in words.
fn event_name(kind: &str) -> String {
    match kind {
        PARCEL_REGISTER => "Registered".into(),
        TITLE_TRANSFER => "Transferred".into(),
        LIEN_REGISTER => "Lien registered".into(),
        LIEN_RELEASE => "Lien released".into(),
        other => other.replace('.', " "),
    }
}

/// A parcel id as one URL path segment.
fn url_segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Parcels registered.
pub(super) fn counts(land: &LandDomain, state: &AppState) -> ApiResult<Vec<(&'static str, u64)>> {
    land.identity().with_registries(state, |book| {
        Ok(vec![("parcels", book.titles().parcels().count() as u64)])
    })
}
