//! OCDS 1.1 validity, judged by the standard's own schemas.

use std::path::Path;

/// `package` is valid by OCDS 1.1.5's release package and release schemas
/// (`shared/vectors/standards`), the release schema patched with the
/// `zkaudit` extension as OCDS applies extensions (JSON Merge Patch), with
/// formats asserted, by the `jsonschema` crate.
pub fn assert_ocds_valid(package: &serde_json::Value) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/standards");
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(dir.join(name)).unwrap()).unwrap()
    };
    let package_schema = read("ocds-1.1-release-package-schema.json");
    let mut release_schema = read("ocds-1.1-release-schema.json");
    let id = release_schema["id"].as_str().unwrap().to_owned();
    json_patch::merge(
        &mut release_schema,
        &serde_json::from_str(zkaudit_ledger::funds::ocds::EXTENSION_RELEASE_SCHEMA).unwrap(),
    );
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .with_retriever(ReleaseSchema { id, release_schema })
        .build(&package_schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(package)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{package:#}");
    // The extension is really applied: a malformed proven total fails.
    let mut broken = package.clone();
    if let Some(payment) = broken["releases"][0]["zkaudit"]["payments"].get_mut(0) {
        payment["provenTotal"] = "ten".into();
        assert!(!validator.is_valid(&broken));
    }
}

/// Answers the package schema's one reference, the release schema, from
/// the local copy: the tests reach no network.
struct ReleaseSchema {
    id: String,
    release_schema: serde_json::Value,
}

impl jsonschema::Retrieve for ReleaseSchema {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
        if uri.as_str() == self.id {
            Ok(self.release_schema.clone())
        } else {
            Err(format!("{} is not a schema this test has", uri.as_str()).into())
        }
    }
}
