//! Locating the real model file for integration tests.

use std::path::PathBuf;

pub const MODEL_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// `$SDEC_MODEL_DIR/<file>` if the variable is set, else
/// `<workspace root>/.sdec/models/<file>`; `None` (with a printed "skipped"
/// line naming `test`) when the file is absent.
pub fn model_path(test: &str) -> Option<PathBuf> {
    let dir = match std::env::var_os("SDEC_MODEL_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.sdec/models"),
    };
    let path = dir.join(MODEL_FILE);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "skipped: {test}: {} not found (run the setup script to fetch it)",
            path.display()
        );
        None
    }
}
