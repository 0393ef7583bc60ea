//! Reading a file the operator names, every file input of every command through one reader: only
//! a regular file (opened without blocking and its type checked on the open handle, so a FIFO with
//! no writer, even one swapped in for the file, `/dev/zero` or a directory is a clear error, never
//! a hang), and only so much of it (a cap per kind of file,
//! read with a bound, never allocated from a length the file claims), so no input makes a run hang
//! or fill memory.

use std::io::Read as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

/// Documents: suites, finding files, targets lists, known-failures lists, reports compared,
/// aiModels and pricePerGateway files. Far beyond any real one.
pub const MAX_INPUT_FILE_BYTES: u64 = 8 * 1024 * 1024;
/// One `.proto` file, each import too: lp_rpc.proto is 8 kB, and compiling holds a couple of
/// hundred times a file's size (a 13 MB file took 2.5 GB).
pub const MAX_PROTO_FILE_BYTES: u64 = 1024 * 1024;
/// A private key file (`--gateway-key`, `--eth-key`): a hex key and a line break.
pub const MAX_KEY_FILE_BYTES: u64 = 4 * 1024;
/// A PEM CA bundle (`--ca`): a whole public root bundle is about 220 kB.
pub const MAX_CA_FILE_BYTES: u64 = 1024 * 1024;

/// Why an input file was not read.
#[derive(Debug, thiserror::Error)]
pub enum InputFileError {
    #[error("cannot read: {0}")]
    Unreadable(std::io::Error),
    #[error("cannot read: not a regular file (a directory, FIFO or device)")]
    NotAFile,
    #[error("is over {}, more than any such input lpconform reads", size_text(*.limit))]
    TooLarge { limit: u64 },
    #[error("cannot read: not UTF-8 text")]
    NotUtf8,
}

/// `8 MiB`, `4 KiB`.
fn size_text(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes >> 10)
    }
}

/// The text of `path`, a document of at most [`MAX_INPUT_FILE_BYTES`]; the error as the text
/// the document loaders quote after the path.
pub fn read_input_file(path: &Path) -> Result<String, String> {
    read_input_text(path, MAX_INPUT_FILE_BYTES).map_err(|error| error.to_string())
}

/// The text of `path`, when it is a regular file of at most `limit` bytes of UTF-8. The error
/// says what is wrong, for the caller to prefix with the flag and path.
pub fn read_input_text(path: &Path, limit: u64) -> Result<String, InputFileError> {
    String::from_utf8(read_input_bytes(path, limit)?).map_err(|_| InputFileError::NotUtf8)
}

/// The bytes of `path`, when it is a regular file of at most `limit` bytes: for inputs that
/// need not be UTF-8 (a PEM bundle's explanatory text).
pub fn read_input_bytes(path: &Path, limit: u64) -> Result<Vec<u8>, InputFileError> {
    // Opening a FIFO without O_NONBLOCK waits for a writer; checking the path first and opening
    // it after would leave a moment to swap one in. The handle's own type is what is checked.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(InputFileError::Unreadable)?;
    let metadata = file.metadata().map_err(InputFileError::Unreadable)?;
    if !metadata.is_file() {
        return Err(InputFileError::NotAFile);
    }
    if metadata.len() > limit {
        return Err(InputFileError::TooLarge { limit });
    }
    let mut bytes = Vec::new();
    // The limit holds even for a file that grew since its size was read.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(InputFileError::Unreadable)?;
    if bytes.len() as u64 > limit {
        return Err(InputFileError::TooLarge { limit });
    }
    Ok(bytes)
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
        std::fs::write(&small, "x".repeat(4097)).unwrap();
        let refused = read_input_text(&small, MAX_KEY_FILE_BYTES).unwrap_err().to_string();
        assert!(refused.contains("over 4 KiB"), "{refused}");
        std::fs::write(&small, b"\xff\xfe").unwrap();
        assert!(read_input_file(&small).unwrap_err().contains("not UTF-8"));
        for device in ["/dev/zero", "/dev/null"] {
            assert!(read_input_file(Path::new(device))
                .unwrap_err()
                .contains("not a regular file"));
        }

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
