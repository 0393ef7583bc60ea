//! Reading a file the operator names (suites, finding files, targets lists): only a regular
//! file, and only so much of it, so a FIFO, a device or a huge file is a clear error rather than
//! a run that hangs or fills memory.

use std::io::Read as _;
use std::path::Path;

/// The largest input file read, far beyond any real suite, finding or targets file.
pub const MAX_INPUT_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// The text of `path`, when it is a regular file of at most [`MAX_INPUT_FILE_BYTES`] of UTF-8.
/// The error says what is wrong, for the caller to prefix with the path.
pub fn read_input_file(path: &Path) -> Result<String, String> {
    let metadata = std::fs::metadata(path).map_err(|error| format!("cannot read: {error}"))?;
    if !metadata.is_file() {
        return Err("cannot read: not a regular file (a directory, FIFO or device)".into());
    }
    let too_large = || {
        format!(
            "is over {} MiB, more than any input lpconform reads",
            MAX_INPUT_FILE_BYTES >> 20
        )
    };
    if metadata.len() > MAX_INPUT_FILE_BYTES {
        return Err(too_large());
    }
    let file = std::fs::File::open(path).map_err(|error| format!("cannot read: {error}"))?;
    let mut text = String::new();
    // The limit holds even for a file that grew since its size was read.
    file.take(MAX_INPUT_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|error| format!("cannot read: {error}"))?;
    if text.len() as u64 > MAX_INPUT_FILE_BYTES {
        return Err(too_large());
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_of_bounded_size_are_read() {
        let scratch = tempfile::tempdir().unwrap();
        let small = scratch.path().join("small.yaml");
        std::fs::write(&small, "cases: []\n").unwrap();
        assert_eq!(read_input_file(&small).unwrap(), "cases: []\n");

        let large = scratch.path().join("large.yaml");
        let file = std::fs::File::create(&large).unwrap();
        file.set_len(MAX_INPUT_FILE_BYTES + 1).unwrap();
        assert!(read_input_file(&large).unwrap_err().contains("over 8 MiB"));

        let fifo = scratch.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|status| status.success()) {
            assert!(read_input_file(&fifo).unwrap_err().contains("not a regular file"));
        }
        assert!(read_input_file(scratch.path())
            .unwrap_err()
            .contains("not a regular file"));
        assert!(read_input_file(&scratch.path().join("missing"))
            .unwrap_err()
            .starts_with("cannot read"));
    }
}
