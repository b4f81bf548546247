use aqueduct::prelude::*;

/// A handle, not data: it cannot be recorded for a retry to get back.
struct Download {
    stream: std::fs::File,
}

#[component]
struct Files {}

#[component]
impl Files {
    #[action]
    async fn open(&self, name: &str) -> Result<Download> {
        Ok(Download { stream: std::fs::File::open(name)? })
    }
}

fn main() {}
