//! Compiles proto/lp_rpc.proto with protox (pure Rust, no protoc) into prost
//! types and tonic client/server code, and saves the encoded descriptor set so
//! the binary can compare run-time loads against what it was built with.

use std::{env, fs, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);

    let mut compiler = protox::Compiler::new(["proto"])?;
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(["lp_rpc.proto"])?;
    fs::write(
        out_dir.join("lp_rpc_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(compiler.file_descriptor_set())?;
    Ok(())
}
