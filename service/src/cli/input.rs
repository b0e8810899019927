//! What the commands read: a named file, or stdin for `-`.

use std::path::Path;

use anyhow::{Context, Result};

/// A file's text, or stdin's for `-`.
pub fn read_input(file: &Path) -> Result<String> {
    if file.as_os_str() == "-" {
        return Ok(std::io::read_to_string(std::io::stdin())?);
    }
    std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))
}
