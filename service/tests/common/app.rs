//! The service in this test's process, answered through its router with
//! `tower::ServiceExt::oneshot`: no listener, no child process, no port.
//!
//! This is how the refusal matrices run: every case is one request handed
//! to the same router the HTTP server serves, so a case costs microseconds
//! and a failure points at the handler, not at a socket. What only a real
//! process shows (crashes, several processes on one database, the CLI
//! against a server) keeps using [`super::ServerProcess`].

use std::path::Path;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, header};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use tower::ServiceExt as _;
use zkaudit_ledger::note::NoteSigningKey;
use zkaudit_ledger::record::Record;
use zkaudit_service::server::{self, ServeOptions, StoreLocation};

/// Larger than any answer the tests read (tile bundles, `/metrics`).
const MAX_ANSWER_BYTES: usize = 64 << 20;

/// A started service and its router.
pub struct App {
    // Field order is drop order: the router (which holds the state and so
    // the append queue) goes before the runtime its tasks run on.
    router: Router,
    runtime: tokio::runtime::Runtime,
    /// Dropped last, outside the runtime: the PostgreSQL driver's clients
    /// cannot be dropped on a runtime thread.
    _sequencer: std::sync::Arc<zkaudit_ledger::sequencer::Sequencer>,
}

impl App {
    /// Starts the service on the SQLite store in `data`, with the config
    /// `data/zkaudit.toml` (a development one is created when absent), as
    /// `zkaudit serve --data <data>` would.
    pub fn start(data: &Path) -> Self {
        Self::start_on(data, StoreLocation::Sqlite(data.to_owned()))
    }

    /// Starts the service as [`App::start`] does, with its log in `store`.
    pub fn start_on(data: &Path, store: StoreLocation) -> Self {
        std::fs::create_dir_all(data).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let options = ServeOptions {
            data_dir: data.to_owned(),
            config: None,
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url: None,
            database_schema: "public".into(),
        };
        // Opened outside the runtime: the PostgreSQL driver blocks on a
        // runtime of its own.
        let store = server::open_store(&store).unwrap();
        let router = runtime.block_on(async {
            let (config, config_dir) = server::load_or_create_config(&options).unwrap();
            let service = server::start(&config, &config_dir, data, store)
                .await
                .unwrap();
            let sequencer = service.state.sequencer().clone();
            let router = zkaudit_service::api::router(service.state, service.max_body_bytes).0;
            (router, sequencer)
        });
        let (router, _sequencer) = router;
        Self {
            router,
            runtime,
            _sequencer,
        }
    }

    /// Starts the service on a development config in `<tmp>/log`; returns
    /// it with the development authority's key.
    pub fn with_dev_authority(tmp: &tempfile::TempDir) -> (Self, NoteSigningKey) {
        let data = super::data_dir(tmp, "log");
        let app = Self::start(&data);
        (app, super::dev_authority(&data))
    }

    /// Sends one request; returns the status and the body's bytes.
    pub fn request(&self, request: Request<Body>) -> (u16, Vec<u8>) {
        let (status, _, body) = self.exchange(request);
        (status, body)
    }

    /// Sends one request; returns the status, the headers and the body's bytes.
    pub fn exchange(&self, request: Request<Body>) -> (u16, axum::http::HeaderMap, Vec<u8>) {
        self.runtime.block_on(async {
            let response = self.router.clone().oneshot(request).await.unwrap();
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = axum::body::to_bytes(response.into_body(), MAX_ANSWER_BYTES)
                .await
                .unwrap();
            (status, headers, body.to_vec())
        })
    }

    /// `GET path`; returns the status and the raw body.
    pub fn get_bytes(&self, path: &str) -> (u16, Vec<u8>) {
        self.request(Request::get(path).body(Body::empty()).unwrap())
    }

    /// `GET path`; returns the status and the JSON body (`Null` if not JSON).
    pub fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let (status, bytes) = self.get_bytes(path);
        (status, json_or_null(&bytes))
    }

    /// `method path` with `body` as its raw bytes and `content_type`.
    pub fn send(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: impl Into<Body>,
    ) -> (u16, serde_json::Value) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, content_type)
            .body(body.into())
            .unwrap();
        let (status, bytes) = self.request(request);
        (status, json_or_null(&bytes))
    }

    /// `POST path` with a JSON body; returns the status and the JSON body.
    pub fn post_json(&self, path: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
        self.send(
            Method::POST,
            path,
            "application/json",
            serde_json::to_vec(body).unwrap(),
        )
    }

    /// Appends a record through `POST /v1/log/entries`.
    pub fn post_record(&self, record: &Record) -> (u16, serde_json::Value) {
        self.post_record_bytes(&record.encode())
    }

    /// `POST /v1/log/entries` of `bytes` as the record, well formed or not.
    pub fn post_record_bytes(&self, bytes: &[u8]) -> (u16, serde_json::Value) {
        self.post_json(
            "/v1/log/entries",
            &serde_json::json!({ "record": BASE64.encode(bytes) }),
        )
    }

    /// The log's size as `GET /v1/log` reports it.
    pub fn log_size(&self) -> u64 {
        self.get_json("/v1/log").1["size"].as_u64().unwrap()
    }
}

fn json_or_null(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap_or(serde_json::Value::Null)
}
