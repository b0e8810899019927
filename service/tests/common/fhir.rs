//! HL7 FHIR validity, judged by `fhir.resources` (Python), an
//! implementation nobody at zkaudit wrote.

/// The pinned `fhir.resources`, installed once into `target/fhir-tools` (a
/// Python virtual environment, built in a staging folder renamed into
/// place).
const FHIR_RESOURCES: &str = "fhir.resources==8.3.0";

/// `python fhir_validate.py` in the virtual environment with
/// [`FHIR_RESOURCES`].
pub fn fhir_validator() -> std::process::Command {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap();
    let tools = workspace.join("target/fhir-tools");
    let marker = tools.join(format!("installed-{FHIR_RESOURCES}"));
    if !marker.exists() {
        let staging = tools.with_file_name(format!("fhir-tools.staging-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        let venv = std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&staging)
            .output()
            .expect("the health test needs python3 with venv");
        assert!(
            venv.status.success(),
            "{}",
            String::from_utf8_lossy(&venv.stderr)
        );
        let pip = std::process::Command::new(staging.join("bin/pip"))
            .args(["install", "--quiet", FHIR_RESOURCES])
            .output()
            .unwrap();
        assert!(
            pip.status.success(),
            "{}",
            String::from_utf8_lossy(&pip.stderr)
        );
        std::fs::write(staging.join(marker.file_name().unwrap()), b"").unwrap();
        let _ = std::fs::remove_dir_all(&tools);
        std::fs::rename(&staging, &tools).unwrap();
    }
    let mut command = std::process::Command::new(tools.join("bin/python"));
    command.arg(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/health/fhir_validate.py"),
    );
    command
}

/// `file` (a FHIR Bundle) and every resource in it are valid R5 by
/// fhir.resources.
pub fn fhir_validates(file: &std::path::Path) {
    let run = fhir_validator().arg(file).output().unwrap();
    assert!(
        run.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
}
