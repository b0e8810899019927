//! Identity on the board: the credential registries with their current
//! roots and the window of roots a proof may still use, and the scopes
//! (what can be claimed, by whom) with how many claims each has received.
//! Members are never listed here: a registry's leaves are commitments, and
//! the board shows only counts.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Extension, Router};
use maud::{Markup, html};

use super::IdentityDomain;
use super::routes::book;
use super::views::{RegistryView, ScopeView, registry_view, scope_view};
use crate::board::page::{Section, hex_value};
use crate::board::{config, page};
use crate::server::error::ApiResult;
use crate::server::state::AppState;

/// The page's route.
pub(super) fn routes(identity: Arc<IdentityDomain>) -> Router<AppState> {
    Router::new()
        .route("/identity", get(overview))
        .layer(Extension(identity))
}

async fn overview(
    State(state): State<AppState>,
    Extension(identity): Extension<Arc<IdentityDomain>>,
) -> ApiResult<Markup> {
    let (registries, scopes): (Vec<RegistryView>, Vec<ScopeView>) =
        book(&state, &identity, |state, book| {
            let registries = book.registries().map(|r| registry_view(state, r)).collect();
            let scopes = book
                .scopes()
                .map(|s| scope_view(book, s))
                .collect::<ApiResult<_>>()?;
            Ok((registries, scopes))
        })
        .await?;
    let body = html! {
        p class="lead" { "Issuers keep registries of credentials as Merkle trees of commitments; holders prove in zero knowledge that they hold one that satisfies a scope's rule, without saying which. Each claim's nullifier stops a second claim in the same scope." }
        section aria-labelledby="registries-heading" {
            h2 id="registries-heading" { "Registries" }
            @if registries.is_empty() { p { "No registry yet." } } @else {
                table {
                    caption { "Credential registries, their current root, and the roots a proof may use now" }
                    thead { tr {
                        th scope="col" { "Registry" } th scope="col" { "Issuer" } th scope="col" { "Credentials" }
                        th scope="col" { "Current root" } th scope="col" { "Accepted roots" }
                    } }
                    tbody {
                        @for r in &registries {
                            tr {
                                th scope="row" { (r.title) br; small { (r.id) } }
                                td { (r.issuer.as_deref().unwrap_or("unknown authority")) }
                                td { (r.size) " (version " (r.version) ")" }
                                td { @match &r.root { Some(root) => {
                                        (hex_value(root))
                                        @if let Some(index) = r.root_record_index { br; small { "logged at entry " (index) } }
                                    }
                                    None => { "none yet" } } }
                                td { (r.accepted_roots.len()) " — the roots of the last " (r.window_changes) " changes or of the last " (r.window_secs) " s" }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="scopes-heading" {
            h2 id="scopes-heading" { "Scopes" }
            @if scopes.is_empty() { p { "No scope yet." } } @else {
                table {
                    caption { "Scopes: what holders claim, the rule a credential must satisfy, and the claims so far" }
                    thead { tr {
                        th scope="col" { "Scope" } th scope="col" { "Registry" } th scope="col" { "Rule" } th scope="col" { "Claims" }
                    } }
                    tbody {
                        @for s in &scopes {
                            tr {
                                th scope="row" { (s.title) br; small { (s.id) } }
                                td { (s.registry) }
                                td { ul { @for p in &s.predicates { li { (rule(p)) } } } }
                                td { (s.claims) }
                            }
                        }
                    }
                }
            }
        }
        p { "Machine-readable: " a href="/v1/identity/registries" { "registries" } ", " a href="/v1/identity/scopes" { "scopes" } " as JSON. A claim's bundle is checked on the " a href="/check" { "check page" } "." }
    };
    Ok(page(&config(&state), Section::Identity, "Identity", body))
}

/// A predicate in words.
fn rule(p: &super::views::PredicateView) -> String {
    match &p.set {
        Some(set) => format!("{} in {set:?}", p.attribute),
        None if p.min == 0 && p.max == u64::MAX => format!("{}: any", p.attribute),
        None if p.max == u64::MAX => format!("{} ≥ {}", p.attribute, p.min),
        None => format!("{} from {} to {}", p.attribute, p.min, p.max),
    }
}

/// Registries, credentials in them and claims made.
pub(super) fn counts(
    identity: &IdentityDomain,
    state: &AppState,
) -> ApiResult<Vec<(&'static str, u64)>> {
    identity.with_book(state, |book| {
        let credentials = book.registries().map(|r| r.size()).sum();
        let claims = book.scopes().map(|s| book.claims_in(&s.id)).sum();
        Ok(vec![
            ("registries", book.registries().count() as u64),
            ("credentials", credentials),
            ("claims", claims),
        ])
    })
}
