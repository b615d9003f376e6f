//! Event streams are bounded, over HTTP against a real server: a cap per
//! client and in total, keep-alive comments and an idle timeout, a stream
//! that ends after its thread's `end`, and a hub that forgets every thread
//! nobody listens to, so that opening and closing a thousand streams leaves
//! no channel, no stream and no memory behind.

mod common;

use common::threads::{post, uuid, EventStream, ORIGIN};
use common::{spawn_app_inside, Inside};
use serde_json::{json, Value};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;
use varco_protocol::chat::NewThread;
use varco_server::hub::HubStats;

/// The tests of this file run one at a time: one of them measures the
/// process's memory, which the others' servers would grow meanwhile.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// An HTTP client whose connections leave from `127.0.0.<n>`: Linux
/// routes the whole 127/8 to the loopback interface, so each is a client
/// address of its own to the server.
fn client_from(n: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
        .build()
        .unwrap()
}

async fn open(client: &reqwest::Client, base: &str, thread: &str) -> reqwest::Response {
    client
        .get(format!("{base}/api/v1/threads/{thread}/events"))
        .header("origin", ORIGIN)
        .send()
        .await
        .unwrap()
}

/// Opens threads straight in the storage (thread creation has limits of
/// its own, not under test here).
async fn threads(inside: &Inside, n: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let id = uuid();
        inside
            .storage
            .create_thread(
                &NewThread {
                    thread_id: id.clone(),
                    site: "milomb".into(),
                    language: "it".into(),
                    terms_revision: "1".into(),
                },
                "2026-11-23T09:00:00.000Z",
            )
            .await
            .unwrap();
        out.push(id);
    }
    out
}

/// Waits until the hub holds `expected` (the server notices a client that
/// left as soon as the connection closes, asynchronously).
async fn wait_stats(inside: &Inside, expected: HubStats) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let now = inside.hub.stats();
        if now == expected {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the hub holds {now:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

const ZERO: HubStats = HubStats {
    channels: 0,
    streams: 0,
};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

async fn assert_refused(r: reqwest::Response, status: u16, error: &str) {
    assert_eq!(r.status(), status);
    let retry_after: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], error);
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
}

#[tokio::test]
async fn one_client_gets_its_share_of_streams_and_the_server_its_total() {
    let _alone = ONE_AT_A_TIME.lock().await;
    // The defaults: one client opens twenty streams at once and gets eight.
    let (app, inside) = spawn_app_inside("", "").await;
    let thread = threads(&inside, 1).await.remove(0);
    let client = client_from(2);
    let attempts =
        futures::future::join_all((0..20).map(|_| open(&client, &app.base, &thread))).await;
    let (open_ones, refused): (Vec<_>, Vec<_>) =
        attempts.into_iter().partition(|r| r.status() == 200);
    assert_eq!(open_ones.len(), 8);
    assert_eq!(refused.len(), 12);
    for r in refused {
        assert_refused(r, 429, "too_many_streams").await;
    }
    // Another client is not affected.
    let other = open(&client_from(3), &app.base, &thread).await;
    assert_eq!(other.status(), 200);
    assert_eq!(
        inside.hub.stats(),
        HubStats {
            channels: 1,
            streams: 9
        }
    );
    // A stream closed by its client frees its place.
    drop(open_ones);
    drop(other);
    wait_stats(&inside, ZERO).await;
    assert_eq!(open(&client, &app.base, &thread).await.status(), 200);
    app.stop().await;

    // A small server: two per client, three in all; the fourth is told
    // the server is busy (503: nothing this client did).
    let (app, inside) =
        spawn_app_inside("max_streams_per_client = 2\nmax_streams_total = 3", "").await;
    let thread = threads(&inside, 1).await.remove(0);
    let (a, b, c) = (client_from(2), client_from(3), client_from(4));
    let mut kept = vec![
        open(&a, &app.base, &thread).await,
        open(&a, &app.base, &thread).await,
    ];
    assert_refused(open(&a, &app.base, &thread).await, 429, "too_many_streams").await;
    kept.push(open(&b, &app.base, &thread).await);
    assert!(kept.iter().all(|r| r.status() == 200));
    assert_refused(open(&c, &app.base, &thread).await, 503, "server_busy").await;
    drop(kept.pop());
    wait_stats(
        &inside,
        HubStats {
            channels: 1,
            streams: 2,
        },
    )
    .await;
    assert_eq!(open(&c, &app.base, &thread).await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn a_quiet_stream_gets_keep_alive_comments_and_is_ended_when_idle() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let (app, inside) =
        spawn_app_inside("stream_heartbeat_seconds = 1\nstream_idle_seconds = 3", "").await;
    let thread = threads(&inside, 1).await.remove(0);
    let mut stream = EventStream::new(open(&client_from(2), &app.base, &thread).await);
    let comments = stream.wait_end(Duration::from_secs(15)).await;
    assert!(comments >= 1, "no keep-alive comment before the end");
    assert!(stream.events.is_empty());
    wait_stats(&inside, ZERO).await;
    app.stop().await;
}

#[tokio::test]
async fn a_stream_ends_after_its_threads_end_and_every_stream_ends_at_shutdown() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let (app, inside) = spawn_app_inside("", "").await;
    let ids = threads(&inside, 2).await;
    let client = client_from(2);
    let mut ending = EventStream::new(open(&client, &app.base, &ids[0]).await);
    let mut staying = EventStream::new(open(&client, &app.base, &ids[1]).await);
    let r = post(
        &app.base,
        &format!("/api/v1/threads/{}/end", ids[0]),
        json!(null),
    )
    .await;
    assert_eq!(r.status(), 204);
    ending.wait_end(Duration::from_secs(10)).await;
    assert_eq!(ending.events.last().unwrap().1, "end");
    // A replay that reaches the end ends there too.
    let mut replay = EventStream::new(open(&client, &app.base, &ids[0]).await);
    replay.wait_end(Duration::from_secs(10)).await;
    assert_eq!(replay.events.len(), 1);

    wait_stats(
        &inside,
        HubStats {
            channels: 1,
            streams: 1,
        },
    )
    .await;
    let hub = inside.hub.clone();
    let stopping = tokio::spawn(app.stop());
    staying.wait_end(Duration::from_secs(10)).await;
    stopping.await.unwrap();
    assert_eq!(hub.stats(), ZERO);
}

/// Opens one stream per thread, `batch` at a time from as many client
/// addresses, and closes them.
async fn open_and_close(clients: &[reqwest::Client], base: &str, threads: &[String]) {
    for (batch_no, batch) in threads.chunks(50).enumerate() {
        let streams = futures::future::join_all(batch.iter().enumerate().map(|(i, t)| {
            let client = &clients[(batch_no * 50 + i) % clients.len()];
            open(client, base, t)
        }))
        .await;
        for r in &streams {
            assert_eq!(r.status(), 200);
        }
        drop(streams);
    }
}

#[tokio::test]
async fn a_thousand_streams_open_and_close_and_leave_nothing_behind() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let (app, inside) = spawn_app_inside("", "").await;
    let all = threads(&inside, 1000).await;
    let clients: Vec<reqwest::Client> = (2..=201).map(client_from).collect();

    // Round 1 warms up (allocator, pools, caches); round 2 must not grow.
    open_and_close(&clients, &app.base, &all[..500]).await;
    wait_stats(&inside, ZERO).await;
    let after_first = rss_kib();
    open_and_close(&clients, &app.base, &all[500..]).await;
    wait_stats(&inside, ZERO).await;
    let after_second = rss_kib();
    // Flat means within 4 MiB: measured growth is well under 1 MiB, while
    // the channels of 500 threads kept after their streams (the leak this
    // guards against) add about 6 MiB.
    let growth = after_second.saturating_sub(after_first);
    assert!(
        growth < 4 * 1024,
        "memory grew by {growth} KiB over 500 streams ({after_first} -> {after_second} KiB)"
    );
    app.stop().await;
}
