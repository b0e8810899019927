//! Land titles end to end, over HTTP and through the `zkaudit` binary:
//! registration with the title credential, transfers and liens signed by
//! every party, the attacks (wrong signer, forged acceptance, double and
//! concurrent transfers, transfer under lien, unknown parcel, stale terms),
//! and parcel histories that verify offline — and fail once tampered.

mod common;

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::rc::Rc;

use common::deploy::Deployment;
use common::identity::Issuer;
use common::*;
use zkaudit_circuits::Fr;
use zkaudit_ledger::codec::fr_to_bytes;
use zkaudit_ledger::identity::CredentialIssue;
use zkaudit_ledger::land::ladm::parcel_document;
use zkaudit_ledger::land::{
    Action, DOMAIN, PARCEL_REGISTER, ParcelRegistration, Terms, TitleCredential, TitleEvent,
};
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::Record;
use zkaudit_verifier::land::HistoryBundle;

/// The origin of the log these tests run.
const LOG: &str = "test.zkaudit/land";

/// A land registry's deployment: the registrar may log land records and
/// keep the title registry.
struct Setup {
    deployment: Deployment,
    registrar: Rc<NoteSigningKey>,
}

impl Deref for Setup {
    type Target = Deployment;

    fn deref(&self) -> &Deployment {
        &self.deployment
    }
}

impl DerefMut for Setup {
    fn deref_mut(&mut self) -> &mut Deployment {
        &mut self.deployment
    }
}

fn start(seed: u64) -> Setup {
    let deployment = Deployment::start(
        seed,
        LOG,
        &[(
            "land-registry",
            &[
                "land/*",
                "identity/registry.create",
                "identity/credential.issue",
                "identity/credential.revoke",
            ],
        )],
    );
    // The title registry, which registrations and transfers keep.
    Issuer::new(&deployment.server, deployment.key_file("land-registry")).create_registry(
        "titles",
        "district,area_m2",
        &[
            "--title",
            "Land titles",
            "--depth",
            "4",
            "--window-changes",
            "16",
            "--window-secs",
            "3600",
        ],
    );
    Setup {
        registrar: deployment.key("land-registry"),
        deployment,
    }
}

impl Setup {
    fn signed(&self, domain: &str, kind: &str, payload: Vec<u8>) -> Record {
        Record::signed(LOG, domain, kind, now_ms(), payload, &*self.registrar).unwrap()
    }

    fn post(&self, record: &Record) -> (u16, serde_json::Value) {
        self.server.post_record(record)
    }

    fn register(&self, parcel: &str, owner: &NoteSigningKey, commitment: u64) {
        let registration = ParcelRegistration {
            parcel: parcel.into(),
            district: 7,
            area_m2: 900,
            documents: vec![[5; 32]],
            title_registry: "titles".into(),
            owner: owner.public_key().to_bytes(),
            owner_commitment: fr_to_bytes(&Fr::from(commitment)),
        };
        let (status, body) =
            self.post(&self.signed(DOMAIN, PARCEL_REGISTER, registration.encode()));
        assert_eq!(status, 201, "{body}");
    }

    fn show(&self, parcel: &str) -> (u16, serde_json::Value) {
        self.server.get_json(&format!("/v1/land/parcels/{parcel}"))
    }

    fn next_terms(&self, parcel: &str, action: Action) -> Terms {
        let (status, view) = self.show(parcel);
        assert_eq!(status, 200, "{view}");
        Terms {
            parcel: parcel.into(),
            version: view["version"].as_u64().unwrap() + 1,
            previous: hex::decode(view["head"].as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap(),
            time_ms: now_ms(),
            action,
        }
    }

    fn event(&self, terms: Terms, a: &NoteSigningKey, b: &NoteSigningKey) -> Record {
        let owner_leaf = self.show(&terms.parcel).1["owner_leaf"].as_u64();
        let credential = matches!(terms.action, Action::Transfer { .. }).then(|| TitleCredential {
            revoke_leaf: owner_leaf.unwrap_or(0),
        });
        let kind = terms.action.kind();
        let event = TitleEvent {
            signatures: [terms.sign(a), terms.sign(b)],
            terms,
            credential,
        };
        self.signed(DOMAIN, kind, event.encode())
    }

    fn history(&self, parcel: &str) -> HistoryBundle {
        let (status, body) = self
            .server
            .get_json(&format!("/v1/land/parcels/{parcel}/history"));
        assert_eq!(status, 200, "{body}");
        serde_json::from_value(body).unwrap()
    }

    fn leaves(&self) -> Vec<String> {
        let (_, page) = self
            .server
            .get_json("/v1/identity/registries/titles/members");
        page["leaves"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_owned())
            .collect()
    }
}

fn transfer(to: &NoteSigningKey, commitment: u64) -> Action {
    Action::Transfer {
        new_owner: to.public_key().to_bytes(),
        new_commitment: fr_to_bytes(&Fr::from(commitment)),
        price: Some(250_000),
    }
}

fn leaf(commitment: u64) -> String {
    CredentialIssue {
        registry: "titles".into(),
        commitment: fr_to_bytes(&Fr::from(commitment)),
        attributes: vec![7, 900],
    }
    .leaf()
    .unwrap()
    .to_string()
}

#[test]
fn titles_liens_and_the_attacks_over_http() {
    let mut st = start(21);
    let (alice, bob, bank, mallory) = (
        st.new_key("alice"),
        st.new_key("bob"),
        st.new_key("bank"),
        st.new_key("mallory"),
    );
    st.register("D7-100", &alice, 1);
    // Registering the same parcel twice is refused.
    let again = ParcelRegistration {
        parcel: "D7-100".into(),
        district: 7,
        area_m2: 1,
        documents: vec![],
        title_registry: "titles".into(),
        owner: mallory.public_key().to_bytes(),
        owner_commitment: fr_to_bytes(&Fr::from(9u64)),
    };
    let (status, body) = st.post(&st.signed(DOMAIN, PARCEL_REGISTER, again.encode()));
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("already_used")),
        "{body}"
    );
    // The registration issued Alice's title credential.
    assert_eq!(st.leaves(), vec![leaf(1)]);

    // A transfer signed by Mallory instead of the owner: refused.
    let terms = st.next_terms("D7-100", transfer(&bob, 2));
    let (status, body) = st.post(&st.event(terms.clone(), &mallory, &bob));
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("owner"),
        "{body}"
    );
    // A forged buyer acceptance (the owner signs for the buyer): refused.
    let (status, body) = st.post(&st.event(terms.clone(), &alice, &alice));
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("buyer"),
        "{body}"
    );
    // Not the registrar: an authority signature is required.
    let event = st.event(terms.clone(), &alice, &bob);
    let by_mallory = Record::signed(
        LOG,
        DOMAIN,
        event.kind(),
        now_ms(),
        event.payload().to_vec(),
        &mallory,
    )
    .unwrap();
    assert_eq!(st.post(&by_mallory).0, 403);
    // Unknown parcel.
    let mut unknown = terms.clone();
    unknown.parcel = "D7-999".into();
    let (status, body) = st.post(&st.event(unknown, &alice, &bob));
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("unknown_parcel")),
        "{body}"
    );
    assert_eq!(st.show("D7-999").0, 404);

    // A lien (owner + bank); then a transfer under lien is refused.
    let lien = st.event(
        st.next_terms(
            "D7-100",
            Action::Lien {
                lienholder: bank.public_key().to_bytes(),
                amount: 100_000,
            },
        ),
        &alice,
        &bank,
    );
    let (status, body) = st.post(&lien);
    assert_eq!(status, 201, "{body}");
    let under_lien = st.event(st.next_terms("D7-100", transfer(&bob, 2)), &alice, &bob);
    let (status, body) = st.post(&under_lien);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("under_lien")),
        "{body}"
    );
    // Stale terms (the version before the lien) are refused too.
    let (status, body) = st.post(&st.event(terms, &alice, &bob));
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("stale_version")),
        "{body}"
    );
    // A release the bank did not sign is refused; the bank's release works.
    let release = st.next_terms("D7-100", Action::Release { lien: lien.id() });
    assert_eq!(st.post(&st.event(release.clone(), &alice, &mallory)).0, 403);
    assert_eq!(st.post(&st.event(release, &alice, &bank)).0, 201);

    // Now Alice sells to Bob: her credential is revoked, Bob's issued.
    let sale = st.event(st.next_terms("D7-100", transfer(&bob, 2)), &alice, &bob);
    let (status, body) = st.post(&sale);
    assert_eq!(status, 201, "{body}");
    // The same transfer again: refused as stale, nothing changes.
    let sale_terms = TitleEvent::decode(sale.payload()).unwrap().terms;
    assert_eq!(st.post(&st.event(sale_terms, &alice, &bob)).0, 409);
    let (_, view) = st.show("D7-100");
    assert_eq!(view["owner_key"], hex::encode(bob.public_key().as_bytes()));
    assert_eq!(view["version"], 3);
    assert_eq!(view["owner_leaf"], 1);
    assert_eq!(st.leaves(), vec!["0".to_owned(), leaf(2)]);
    // Alice can no longer sell it.
    let stolen = st.event(
        st.next_terms("D7-100", transfer(&mallory, 3)),
        &alice,
        &mallory,
    );
    assert_eq!(st.post(&stolen).0, 403);

    // The history verifies offline; tampering with it does not.
    let bundle = st.history("D7-100");
    assert_eq!(bundle.events.len(), 4);
    let verified = bundle
        .verify(&st.log_vkey, &st.registrar.public_key())
        .unwrap();
    assert_eq!(verified.parcel.owner, bob.public_key());
    assert!(bundle.verify(&st.log_vkey, &mallory.public_key()).is_err());
    // As ISO 19152 LADM, from the verified bundle and from the API: Alice's
    // ownership ended by the sale, Bob's current; the bank's mortgage
    // ended by its release; four sources, each on its log entry with the
    // bundle's inclusion proof.
    let ladm = zkaudit_verifier::land::history_ladm(&bundle, &verified).unwrap();
    let (status, served) = st.server.get_json("/v1/land/parcels/D7-100/ladm");
    assert_eq!(status, 200, "{served}");
    let key = |k: &NoteSigningKey| {
        format!(
            "urn:zkaudit:party:ed25519:{}",
            hex::encode(k.public_key().as_bytes())
        )
    };
    for document in [ladm, served] {
        assert_eq!(document["baUnit"]["name"], "D7-100");
        assert_eq!(document["spatialUnit"]["area"][0]["type"], "officialArea");
        let rrr = document["rrr"].as_array().unwrap();
        let kinds: Vec<(&str, &str)> = rrr
            .iter()
            .map(|r| (r["type"].as_str().unwrap(), r["party"].as_str().unwrap()))
            .collect();
        let (a, b, k) = (key(&alice), key(&bob), key(&bank));
        assert_eq!(
            kinds,
            [
                ("ownership", a.as_str()),
                ("ownership", b.as_str()),
                ("mortgage", k.as_str())
            ]
        );
        let sources = document["sources"].as_array().unwrap();
        assert_eq!(sources.len(), 4);
        // Alice's right ends when Bob's begins, at the sale; Bob's is current.
        assert_eq!(rrr[0]["endLifespanVersion"], rrr[1]["beginLifespanVersion"]);
        assert_eq!(rrr[1]["beginLifespanVersion"], sources[3]["acceptance"]);
        assert!(rrr[1].get("endLifespanVersion").is_none());
        // The mortgage: begun by the lien, ended by the release.
        assert_eq!(rrr[2]["amount"], 100_000);
        assert_eq!(rrr[2]["beginLifespanVersion"], sources[1]["acceptance"]);
        assert_eq!(rrr[2]["endLifespanVersion"], sources[2]["acceptance"]);
        for (source, event) in sources.iter().zip(&bundle.events) {
            assert_eq!(source["logIndex"], event.index);
            assert_eq!(
                source["inclusionProof"],
                serde_json::json!(event.inclusion_proof)
            );
        }
        assert!(document["checkpoint"].as_str().unwrap().contains('\n'));
    }
    assert_eq!(st.server.get_json("/v1/land/parcels/D7-999/ladm").0, 404);
    // A broken history (no registration, or another registrar) is refused.
    let registrar = st.registrar.public_key();
    assert!(parcel_document("D7-100", &registrar, &verified.events[1..], None).is_err());
    assert!(parcel_document("D7-100", &mallory.public_key(), &verified.events, None).is_err());
    let mut dropped = bundle.clone();
    dropped.events.remove(2);
    assert!(
        dropped
            .verify(&st.log_vkey, &st.registrar.public_key())
            .is_err()
    );
    let mut swapped = bundle.clone();
    swapped.events[3].record = bundle.events[1].record.clone();
    assert!(
        swapped
            .verify(&st.log_vkey, &st.registrar.public_key())
            .is_err()
    );
    let mut bad_proof = bundle.clone();
    bad_proof.events[0].inclusion_proof[0] = "00".repeat(32);
    assert!(
        bad_proof
            .verify(&st.log_vkey, &st.registrar.public_key())
            .is_err()
    );
    // Even a history re-signed by the registrar fails without Alice's and Bob's signatures.
    let mut forged = TitleEvent::decode(sale.payload()).unwrap();
    forged.terms.action = transfer(&mallory, 3);
    let forged_record = st.signed(DOMAIN, forged.terms.action.kind(), forged.encode());
    let events = verified
        .events
        .iter()
        .map(|(i, r)| {
            (
                *i,
                if r == &sale {
                    forged_record.clone()
                } else {
                    r.clone()
                },
            )
        })
        .collect::<Vec<_>>();
    assert!(
        zkaudit_ledger::land::verify_history("D7-100", &st.registrar.public_key(), &events)
            .is_err()
    );
}

#[test]
fn concurrent_conflicting_transfers_exactly_one_wins() {
    let mut st = start(22);
    let alice = st.new_key("alice");
    st.register("D7-200", &alice, 1);
    let buyers: Vec<NoteSigningKey> = (0..6).map(|i| st.new_key(&format!("buyer{i}"))).collect();
    // Six buyers, six sales of the same version, signed by the owner each time.
    let records: Vec<Record> = buyers
        .iter()
        .enumerate()
        .map(|(i, b)| {
            st.event(
                st.next_terms("D7-200", transfer(b, 10 + i as u64)),
                &alice,
                b,
            )
        })
        .collect();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let server = &st.server;
        let handles: Vec<_> = records
            .iter()
            .map(|r| scope.spawn(move || server.post_record(r).0))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        5,
        "{statuses:?}"
    );
    let winner = statuses.iter().position(|s| *s == 201).unwrap();
    let (_, view) = st.show("D7-200");
    assert_eq!(
        view["owner_key"],
        hex::encode(buyers[winner].public_key().as_bytes())
    );
    assert_eq!(view["version"], 1);
    // The registry agrees: Alice's leaf revoked once, exactly one buyer's leaf issued.
    assert_eq!(st.leaves(), vec!["0".to_owned(), leaf(10 + winner as u64)]);
    let bundle = st.history("D7-200");
    bundle
        .verify(&st.log_vkey, &st.registrar.public_key())
        .unwrap();
}

#[test]
fn the_cli_flow_register_sign_submit_history() {
    let st = start(23);
    let server = &st.server;
    let t = |name: &str| st.path(name);
    let reg = st.key_file("land-registry");
    for who in ["owner", "buyer", "stranger"] {
        ok(&[
            "keygen",
            "--name",
            who,
            "--out",
            s(&t(&format!("{who}.key"))),
        ]);
    }
    let pubkey = |who: &str| {
        ok(&["land", "pubkey", "--key", s(&t(&format!("{who}.key")))])
            .trim()
            .to_owned()
    };
    let (owner, buyer) = (pubkey("owner"), pubkey("buyer"));
    server.ok(&[
        "land",
        "register",
        "--key",
        reg,
        "--parcel",
        "D3-1",
        "--district",
        "3",
        "--area",
        "1200",
        "--doc",
        &"ab".repeat(32),
        "--registry",
        "titles",
        "--owner",
        &owner,
        "--owner-commitment",
        "77",
    ]);
    let terms = t("terms.json");
    server.ok(&[
        "land",
        "transfer",
        "--parcel",
        "D3-1",
        "--to",
        &buyer,
        "--to-commitment",
        "88",
        "--price",
        "5000",
        "--out",
        s(&terms),
    ]);
    // Submitting before both parties signed fails; a stranger cannot sign.
    let submit = ["land", "submit", s(&terms), "--key", reg];
    let err = server.fails(&submit);
    assert!(err.contains("owner has not signed"), "{err}");
    let err = fails(&["land", "sign", s(&terms), "--key", s(&t("stranger.key"))]);
    assert!(err.contains("neither the owner"), "{err}");
    ok(&["land", "sign", s(&terms), "--key", s(&t("owner.key"))]);
    ok(&["land", "sign", s(&terms), "--key", s(&t("buyer.key"))]);
    let out = server.ok(&submit);
    assert!(out.contains("title.transfer"), "{out}");
    // Submitting the same terms again is a stale version.
    let err = server.fails(&submit);
    assert!(err.contains("stale"), "{err}");
    let err = server.fails(&["land", "show", "nope"]);
    assert!(err.contains("no parcel"), "{err}");

    let bundle = t("history.json");
    let out = server.ok(&["land", "history", "D3-1", "--out", s(&bundle)]);
    assert!(out.contains("chain of owners unbroken"), "{out}");
    assert!(out.contains(&buyer), "{out}");
    // The verified history as LADM: the buyer owns it now, the deed's
    // digest is on the registration's source.
    let ladm: serde_json::Value =
        serde_json::from_str(&server.ok(&["land", "history", "D3-1", "--ladm"])).unwrap();
    assert_eq!(ladm["baUnit"]["name"], "D3-1");
    let rights = ladm["rrr"].as_array().unwrap();
    assert!(
        rights.last().unwrap()["party"]
            .as_str()
            .unwrap()
            .ends_with(&buyer),
        "{ladm}"
    );
    assert_eq!(ladm["sources"][0]["documents"][0], "ab".repeat(32));
    let registrar_hex = hex::encode(st.registrar.public_key().as_bytes());
    let verify = |file: &Path| {
        zkaudit(&[
            "land",
            "verify",
            s(file),
            "--log-key",
            &st.log_vkey,
            "--registrar",
            &registrar_hex,
        ])
    };
    let out = verify(&bundle);
    assert_ran(&out);
    // A tampered bundle fails offline.
    let mut tampered: HistoryBundle =
        serde_json::from_str(&std::fs::read_to_string(&bundle).unwrap()).unwrap();
    tampered.events.pop();
    tampered.events.push(tampered.events[0].clone());
    let bad = t("tampered.json");
    std::fs::write(&bad, serde_json::to_string(&tampered).unwrap()).unwrap();
    let out = verify(&bad);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does NOT verify"), "{err}");
}
