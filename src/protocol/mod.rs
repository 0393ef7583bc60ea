//! Loads the protocol at run time (or the copy built into the binary), so a newer lp_rpc.proto
//! needs no rebuild, and checks it still defines what lpconform calls.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use miette::Diagnostic;
use prost_reflect::{DescriptorPool, MessageDescriptor, MethodDescriptor};
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver, IncludeFileResolver};

mod endpoints;

pub use endpoints::{RpcMethod, INFO_PATH};

use crate::error_text::error_chain;
use crate::input_file::{read_input_text, InputFileError, MAX_PROTO_FILE_BYTES};

/// The service lpconform drives, and the messages it cannot do without (the methods:
/// [`RpcMethod::ALL`]).
const ORCHESTRATOR_SERVICE: &str = "net.Orchestrator";
const REQUIRED_MESSAGES: [&str; 1] = ["net.OrchestratorInfo"];

/// A compiled protocol: every message, enum and service of the loaded files and their imports.
#[derive(Debug, Clone)]
pub struct Protocol {
    pool: DescriptorPool,
    files: Vec<PathBuf>,
}

/// Why a protocol could not be loaded. Compile problems render as `file:line:column: message`.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: no .proto files in this directory", dir.display())]
    NoProtoFiles { dir: PathBuf },
    #[error("{}", lines(.problems))]
    Compile { problems: Vec<SourceProblem> },
    #[error("the protocol lacks {} (loaded: {})", .missing.join(", "), paths(.files))]
    Missing { missing: Vec<String>, files: Vec<PathBuf> },
}

/// One compiler complaint, located in its file when the compiler said where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceProblem {
    pub path: Option<PathBuf>,
    /// 1-based line and column.
    pub position: Option<(usize, usize)>,
    pub message: String,
}

impl Protocol {
    /// Compiles every `*.proto` in a directory (sorted by name), or one file, with that directory
    /// as the include path.
    pub fn load(dir_or_file: &Path) -> Result<Protocol, ProtocolError> {
        let io_error = |source| ProtocolError::Io {
            path: dir_or_file.to_path_buf(),
            source,
        };
        let (include_dir, names) = if fs::metadata(dir_or_file).map_err(io_error)?.is_dir() {
            (dir_or_file.to_path_buf(), proto_files_in(dir_or_file)?)
        } else {
            let parent = dir_or_file.parent().filter(|parent| !parent.as_os_str().is_empty());
            let name = dir_or_file.file_name().map(PathBuf::from).unwrap_or_default();
            (parent.unwrap_or(Path::new(".")).to_path_buf(), vec![name])
        };
        // Each file is opened on its own so one broken file does not hide problems in the others.
        let mut resolver = ChainFileResolver::new();
        resolver.add(BoundedIncludes(include_dir.clone()));
        resolver.add(GoogleFileResolver::new());
        let mut compiler = protox::Compiler::with_file_resolver(resolver);
        compiler.include_imports(true);
        let mut found = Vec::new();
        for name in &names {
            let Err(error) = compiler.open_file(name) else { continue };
            for problem in problems(&include_dir, &error) {
                if !found.contains(&problem) {
                    found.push(problem);
                }
            }
        }
        if !found.is_empty() {
            return Err(ProtocolError::Compile { problems: found });
        }
        let spec = Protocol {
            pool: compiler.descriptor_pool(),
            files: names.iter().map(|name| include_dir.join(name)).collect(),
        };
        spec.check_required()?;
        Ok(spec)
    }

    /// The descriptors the binary was built with.
    pub fn built_in() -> Protocol {
        let pool = DescriptorPool::decode(crate::proto::BUILD_DESCRIPTOR_SET)
            .expect("build.rs encodes a valid descriptor set");
        Protocol {
            pool,
            files: Vec::new(),
        }
    }

    /// The built-in descriptors, decoded once per process: what the compiled types know, beside
    /// which the driver spots the fields only a newer loaded proto names.
    pub fn built_in_ref() -> &'static Protocol {
        static BUILT_IN: std::sync::LazyLock<Protocol> = std::sync::LazyLock::new(Protocol::built_in);
        &BUILT_IN
    }

    pub fn pool(&self) -> &DescriptorPool {
        &self.pool
    }

    pub fn message(&self, full_name: &str) -> Option<MessageDescriptor> {
        self.pool.get_message_by_name(full_name)
    }

    pub fn method(&self, service_full_name: &str, method_name: &str) -> Option<MethodDescriptor> {
        self.pool
            .get_service_by_name(service_full_name)?
            .methods()
            .find(|method| method.name() == method_name)
    }

    /// The method an HTTP/2 `:path` (`/net.Orchestrator/Ping`) or a grpcurl name
    /// (`net.Orchestrator/Ping`) names.
    pub fn method_by_path(&self, path: &str) -> Option<MethodDescriptor> {
        let (service, method) = path.trim_start_matches('/').split_once('/')?;
        self.method(service, method)
    }

    /// The .proto files given to the compiler; empty for the built-in spec.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Where the protocol came from, for reports and snapshot headers.
    pub fn source(&self) -> String {
        match self.files.as_slice() {
            [] => "built-in lp_rpc.proto".to_string(),
            files => files
                .iter()
                .map(|file| file.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    fn check_required(&self) -> Result<(), ProtocolError> {
        let mut missing = Vec::new();
        if self.pool.get_service_by_name(ORCHESTRATOR_SERVICE).is_none() {
            missing.push(format!("service {ORCHESTRATOR_SERVICE}"));
        } else {
            let absent = (RpcMethod::ALL.iter().map(|method| method.name()))
                .filter(|name| self.method(ORCHESTRATOR_SERVICE, name).is_none());
            missing.extend(absent.map(|name| format!("method {ORCHESTRATOR_SERVICE}/{name}")));
        }
        let absent = REQUIRED_MESSAGES.iter().filter(|name| self.message(name).is_none());
        missing.extend(absent.map(|name| format!("message {name}")));
        if missing.is_empty() {
            Ok(())
        } else {
            Err(ProtocolError::Missing {
                missing,
                files: self.files.clone(),
            })
        }
    }
}

impl fmt::Display for SourceProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.path, self.position) {
            (Some(path), Some((line, column))) => write!(f, "{}:{line}:{column}: {}", path.display(), self.message),
            (Some(path), None) => write!(f, "{}: {}", path.display(), self.message),
            (None, _) => f.write_str(&self.message),
        }
    }
}

/// The include directory's files, each read by the one bounded reader (a regular file of at most
/// `MAX_PROTO_FILE_BYTES`) before protox parses it: protox's own reader waits on a FIFO and takes
/// a file of up to 2 GiB.
struct BoundedIncludes(PathBuf);

impl FileResolver for BoundedIncludes {
    fn resolve_path(&self, path: &Path) -> Option<String> {
        IncludeFileResolver::new(self.0.clone()).resolve_path(path)
    }

    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        let path = self.0.join(name);
        match read_input_text(&path, MAX_PROTO_FILE_BYTES) {
            Ok(text) => File::from_source(name, &text),
            Err(InputFileError::Unreadable(error)) if error.kind() == io::ErrorKind::NotFound => {
                Err(protox::Error::file_not_found(name))
            }
            Err(error) => Err(protox::Error::new(io::Error::other(format!(
                "{}: {error}",
                path.display()
            )))),
        }
    }
}

/// File names (relative to `dir`) of the `*.proto` files directly in it, sorted.
fn proto_files_in(dir: &Path) -> Result<Vec<PathBuf>, ProtocolError> {
    let io_error = |source| ProtocolError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_error)? {
        let path = entry.map_err(io_error)?.path();
        if path.extension().is_some_and(|extension| extension == "proto") && path.is_file() {
            names.extend(path.file_name().map(PathBuf::from));
        }
    }
    if names.is_empty() {
        return Err(ProtocolError::NoProtoFiles { dir: dir.to_path_buf() });
    }
    names.sort();
    Ok(names)
}

/// Every problem protox reports (the first plus its related ones), each at its first label.
fn problems(include_dir: &Path, error: &protox::Error) -> Vec<SourceProblem> {
    let path = error.file().map(|name| include_dir.join(name));
    let text = path
        .as_ref()
        .and_then(|path| read_input_text(path, MAX_PROTO_FILE_BYTES).ok());
    let locate = |diagnostic: &dyn Diagnostic, message: String| SourceProblem {
        path: path.clone(),
        position: diagnostic
            .labels()
            .and_then(|mut labels| labels.next())
            .zip(text.as_deref())
            .map(|(label, text)| line_column(text, label.offset())),
        message,
    };
    let mut found = vec![locate(error, error_chain(error))];
    found.extend(
        error
            .related()
            .into_iter()
            .flatten()
            .map(|related| locate(related, related.to_string())),
    );
    found
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line_start = before
        .iter()
        .rposition(|&byte| byte == b'\n')
        .map_or(0, |newline| newline + 1);
    let line = before.iter().filter(|&&byte| byte == b'\n').count() + 1;
    (line, String::from_utf8_lossy(&before[line_start..]).chars().count() + 1)
}

fn lines(problems: &[SourceProblem]) -> String {
    problems
        .iter()
        .map(SourceProblem::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn paths(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|file| file.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests;
