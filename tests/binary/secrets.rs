//! Secrets at rest: an instance's configuration is stored encrypted under a key file beside
//! the store; the key can be rotated while the instance keeps working, and a wrong key stops
//! the server with an error that names it.

use crate::support::{Binary, Server, github_signature};
use std::time::{Duration, Instant};

const GITHUB_SECRET: &str = "correct-horse-battery-staple";
const SLACK_SECRET: &str = "slack-signing-secret-0123";

fn config() -> String {
    format!("label = \"a\"\ngithub_secret = \"{GITHUB_SECRET}\"\nslack_secret = \"{SLACK_SECRET}\"")
}

/// A GitHub-signed delivery to instance `a`'s `/github`: its status.
async fn deliver(server: &Server) -> u16 {
    let signature = github_signature(GITHUB_SECRET, b"{}");
    let response = reqwest::Client::new()
        .post(server.hook("a", "/github"))
        .header("x-hub-signature-256", signature)
        .body("{}")
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

/// Every file of the store (the database, its WAL), as bytes.
pub(crate) fn store_bytes(binary: &Binary) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(binary.dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("store.db") && !path.ends_with("store.db.key") {
            bytes.extend(std::fs::read(&path).unwrap());
        }
    }
    bytes
}

pub(crate) fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle.as_bytes())
}

#[tokio::test]
async fn secrets_are_stored_encrypted_and_rotating_the_key_keeps_the_instance_working() {
    let binary = Binary::example("probe");
    let mut server = binary.serve(&["serve"]);
    let activated = binary.activate("a", &config(), &server.url);
    assert!(activated.status.success());
    let stderr = String::from_utf8_lossy(&activated.stderr);
    assert!(stderr.contains("back it up") && stderr.contains("store.db.key"), "{stderr}");
    assert_eq!(deliver(&server).await, 202);

    for secret in [GITHUB_SECRET, SLACK_SECRET] {
        assert!(!holds(&store_bytes(&binary), secret), "the store file holds a secret in the clear");
        let listed = binary.ok(&["instances", "list", "--json"]);
        assert!(!listed.contains(secret));
    }

    let key_before = std::fs::read_to_string(binary.dir().join("store.db.key")).unwrap();
    let rotated = binary.ok(&["instances", "rotate-key"]);
    assert!(rotated.contains("encrypted 1 instance configurations with the new key"), "{rotated}");
    let key_after = std::fs::read_to_string(binary.dir().join("store.db.key")).unwrap();
    assert_ne!(key_before, key_after);
    assert_eq!(key_after.lines().count(), 1, "the old key is gone from the key file");
    // The running server reads the configuration sealed again, with the new key.
    let mut status = 0;
    for _ in 0..50 {
        status = deliver(&server).await;
        if status == 202
            && binary.database().query_row("SELECT version FROM instances", [], |row| row.get::<_, i64>(0)).unwrap()
                == 2
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 202);
    assert!(!holds(&store_bytes(&binary), GITHUB_SECRET));
    let (_, _) = server.terminate();

    // Restarted, it opens the configuration with the key file as it is now.
    let server = binary.serve(&["serve"]);
    assert_eq!(deliver(&server).await, 202);
    assert!(!server.output().contains(GITHUB_SECRET), "a log line shows a secret");
}

#[tokio::test]
async fn a_server_given_the_wrong_key_refuses_to_start_and_names_it() {
    let binary = Binary::example("probe");
    let mut server = binary.serve(&["serve"]);
    assert!(binary.activate("a", &config(), &server.url).status.success());
    let (_, _) = server.terminate();
    // Another store's key.
    let other = Binary::example("probe");
    assert!(other.activate("b", &config(), "http://127.0.0.1:1").status.success());
    std::fs::copy(other.dir().join("store.db.key"), binary.dir().join("store.db.key")).unwrap();

    let mut child = binary.command().args(["serve", "--listen", "127.0.0.1:0"]).spawn().unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("the server started with the wrong key");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    let output = binary.command().args(["serve", "--listen", "127.0.0.1:0"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is encrypted with the key") && stderr.contains("does not hold"), "{stderr}");
}
