//! `serve --demo` runs each simulated variant as a set of pods, like the
//! real deployment (production 2, canary 1, or `--demo-replicas`), relays
//! each pod as its own target, and also answers a load-balanced URL that
//! goes round the pods, as a Kubernetes Service does.

use std::net::SocketAddr;

use clap::Parser;
use tokio::net::TcpListener;
use zai_dash_engine::parse::parse;
use zai_dash_server::{config::ServeConfig, serve};

use crate::support::*;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    config: ServeConfig,
}

/// `zai-dash serve --demo ARGS` on a free loopback port.
async fn demo(args: &[&str]) -> SocketAddr {
    let argv = ["serve", "--dist", "/nonexistent", "--demo"]
        .iter()
        .chain(args);
    let config = Cli::try_parse_from(argv).unwrap().config;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve::run_until(listener, config, std::future::pending()));
    addr
}

/// The value of the unlabelled sample `name` in `text`.
fn value(text: &str, name: &str) -> f64 {
    let scrape = parse(text);
    scrape
        .samples
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .value
}

/// `process_start_time_seconds` of the exposition at `path`.
async fn started(relay: SocketAddr, path: &str) -> f64 {
    let (status, _, text) = get(format!("http://{relay}{path}")).await;
    assert_eq!(status, 200, "{path}: {text}");
    value(&text, "process_start_time_seconds")
}

#[tokio::test]
async fn each_simulated_pod_is_a_target_of_its_variant() {
    let relay = demo(&[]).await;
    let production = target_ids(relay, "production").await;
    let canary = target_ids(relay, "canary").await;
    assert_eq!((production.len(), canary.len()), (2, 1));

    for id in &production {
        let (status, _, text) = get(format!("http://{relay}/relay/production/{id}")).await;
        assert_eq!(status, 200, "{text}");
        let scrape = parse(&text);
        assert!(scrape.errors.is_empty(), "{:?}", scrape.errors);
        let build = scrape
            .samples
            .iter()
            .find(|s| s.name == "zai_proxy_build_info")
            .expect("build info");
        assert!(build.labels.get("version").is_some() && build.labels.get("commit").is_some());
        assert!(value(&text, "process_start_time_seconds") > 1.7e9);
    }
    let (status, body) = get_json(format!("http://{relay}/relay/production")).await;
    assert_eq!(status, 409, "{body}");
    let (status, _, _) = get(format!("http://{relay}/relay/canary")).await;
    assert_eq!(status, 200, "a variant of one pod needs no id");
}

#[tokio::test]
async fn demo_replicas_sets_the_pods_of_every_variant() {
    let relay = demo(&["--demo-replicas", "3"]).await;
    assert_eq!(target_ids(relay, "production").await.len(), 3);
    assert_eq!(target_ids(relay, "canary").await.len(), 3);
    let (status, _, _) = get(format!("http://{relay}/demo/canary/3/metrics")).await;
    assert_eq!(status, 404, "pods are numbered from 0");
}

#[tokio::test]
async fn the_load_balanced_demo_url_goes_round_the_pods() {
    let relay = demo(&[]).await;
    let pods = [
        started(relay, "/demo/production/0/metrics").await,
        started(relay, "/demo/production/1/metrics").await,
    ];
    assert_ne!(pods[0], pods[1], "each pod is its own process");

    let mut answers = Vec::new();
    for _ in 0..4 {
        answers.push(started(relay, "/demo/production/metrics").await);
    }
    // Two processes in turn: every answer comes from the other pod than
    // the one before (a pod restarting meanwhile only gets a new time).
    for pair in answers.windows(2) {
        assert_ne!(pair[0], pair[1], "{answers:?}");
    }
    assert!(
        answers.iter().any(|a| pods.contains(a)),
        "{answers:?} vs {pods:?}"
    );
}
