//! The soak's deliveries: `connections` keep-alive clients posting signed orders in turn to
//! each instance, their answer times kept in a histogram that each sample takes and resets.

use hdrhistogram::Histogram;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::task::JoinHandle;

pub struct Load {
    window: Arc<Mutex<Histogram<u64>>>,
    stopping: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Load {
    pub fn start(address: SocketAddr, instances: Vec<String>, connections: usize) -> Load {
        let window = Arc::new(Mutex::new(Histogram::new(3).expect("a histogram")));
        let stopping = Arc::new(AtomicBool::new(false));
        let next_id = Arc::new(AtomicU64::new(1));
        let instances = Arc::new(instances);
        let tasks = (0..connections)
            .map(|_| {
                let (window, stopping, next_id, instances) =
                    (window.clone(), stopping.clone(), next_id.clone(), instances.clone());
                tokio::spawn(async move {
                    let client = reqwest::Client::new();
                    while !stopping.load(Ordering::Relaxed) {
                        let id = next_id.fetch_add(1, Ordering::Relaxed);
                        let instance = &instances[id as usize % instances.len()];
                        let body = format!(r#"{{"id":{id}}}"#);
                        let mut request =
                            client.post(format!("http://{address}/hooks/{instance}/orders")).body(body.clone());
                        for (name, value) in signed(&body, id) {
                            request = request.header(name, value);
                        }
                        let sent = Instant::now();
                        let accepted = request.send().await.is_ok_and(|answer| answer.status() == 202);
                        if accepted {
                            let micros = sent.elapsed().as_micros() as u64;
                            window.lock().expect("the window").record(micros.max(1)).expect("a latency");
                        }
                    }
                })
            })
            .collect();
        Load { window, stopping, tasks }
    }

    /// The p99 (ms) and count of the deliveries answered since the last call.
    pub fn take_window(&self) -> (f64, u64) {
        let mut window = self.window.lock().expect("the window");
        let taken = (window.value_at_quantile(0.99) as f64 / 1000.0, window.len());
        window.reset();
        taken
    }

    pub async fn stop(self) {
        self.stopping.store(true, Ordering::Relaxed);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Standard Webhooks headers for `body`, signed now.
fn signed(body: &str, id: u64) -> Vec<(&'static str, String)> {
    use base64::Engine;
    use hmac::{KeyInit, Mac};
    let timestamp = jiff::Timestamp::now().as_second();
    let secret = super::integration::SECRET.trim_start_matches("whsec_");
    let key = base64::engine::general_purpose::STANDARD.decode(secret).expect("base64");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).expect("any key length");
    let message_id = format!("msg_{id}");
    mac.update(format!("{message_id}.{timestamp}.{body}").as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    vec![
        ("webhook-id", message_id),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", format!("v1,{signature}")),
    ]
}
