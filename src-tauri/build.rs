fn main() {
    // The capability files live with the rest of the desktop shell sources,
    // not at the crate root where tauri-build looks by default.
    let attributes =
        tauri_build::Attributes::new().capabilities_path_pattern("./src-tauri/capabilities/**/*");
    tauri_build::try_build(attributes).expect("failed to run tauri-build");
}
