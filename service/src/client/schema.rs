//! Imported documents judged by their standard's own JSON schema (OCDS,
//! EPCIS), with the first violation named by its path in the document.

use anyhow::{Result, anyhow, bail};
use serde_json::Value;

/// A standard's schema, compiled with `format` asserted.
pub struct StandardSchema {
    validator: jsonschema::Validator,
    /// How errors name it, e.g. `OCDS 1.1 release schema`.
    name: &'static str,
}

impl StandardSchema {
    /// Compiles the embedded schema `text`.
    pub fn compile(text: &str, name: &'static str) -> Result<Self> {
        let schema: Value = serde_json::from_str(text)
            .map_err(|e| anyhow!("the embedded {name} is not JSON: {e}"))?;
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .map_err(|e| anyhow!("the embedded {name} does not compile: {e}"))?;
        Ok(Self { validator, name })
    }

    /// Refuses `document` at its first violation, named `{prefix}{path}`
    /// (`releases[1].contracts[0].status`, or `epcisBody.eventList[3]`
    /// without a prefix).
    pub fn check(&self, document: &Value, prefix: &str) -> Result<()> {
        if let Some(error) = self.validator.iter_errors(document).next() {
            let path = format!(
                "{prefix}{}",
                json_pointer_as_path(&error.instance_path().to_string())
            );
            bail!("{}: {error} ({})", path.trim_start_matches('.'), self.name);
        }
        Ok(())
    }
}

/// `/contracts/0/value` as `.contracts[0].value`.
fn json_pointer_as_path(pointer: &str) -> String {
    pointer
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|segment| match segment.parse::<usize>() {
            Ok(i) => format!("[{i}]"),
            Err(_) => format!(".{}", segment.replace("~1", "/").replace("~0", "~")),
        })
        .collect()
}
