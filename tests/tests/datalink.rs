//! Links that carry their data, in a real browser: "copy snapshot with
//! data" on a dashboard that has history and live data gives a link that
//! opens in a fresh browser, on a static host with no relay behind it, to
//! the same figures and charts; a link of another format says why it
//! cannot open and the dashboard runs live as usual.

use serde_json::Value;
use zai_dash_e2e::{Browser, Server, StaticSite, wait_for};

/// Every figure of every panel, as `panel class variant: value`, in page
/// order: what a reader of the window sees in numbers.
async fn panel_figures(browser: &Browser) -> Result<Vec<String>, String> {
    let found = browser
        .eval(
            r#"
            return [...document.querySelectorAll(".panels .figure-value")].map(el => {
                const panel = el.closest("[id^=panel-]")?.id ?? "";
                const tag = el.querySelector(".variant-tag")?.textContent ?? "";
                const value = el.textContent.replace(tag, "").trim();
                return `${panel} ${el.className} ${el.dataset.variant ?? ""}: ${value}`;
            });
            "#,
            vec![],
        )
        .await?;
    let Value::Array(items) = found else {
        return Err(format!("not a list: {found}"));
    };
    Ok(items
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_with_data_opens_with_no_relay_and_shows_the_same_figures() {
    // The demo has a past: the window holds history rows and live polls.
    let server = Server::start(&["--demo", "--refresh-ms", "500"]).await;
    let sender = Browser::open_at(&server, "/?w=5m").await;
    for variant in ["production", "canary"] {
        sender.wait_for_scrapes(variant, 4).await;
    }
    sender.press('p').await.expect("pause");
    let paused = wait_for("the paused window's figures", || async {
        let state = sender.attr("#live-badge", "data-state").await?;
        let figures = panel_figures(&sender).await?;
        (state == "paused" && figures.iter().any(|f| f.contains("tokens")))
            .then_some(figures)
            .ok_or(state)
    })
    .await;
    let drawn = sender.drawn("requests").await.expect("a requests chart");

    sender.click("#copy-data").await;
    let link = wait_for("a link carrying the data", || async {
        let note = sender.text("#copy-note").await?;
        let link = sender
            .eval(
                "return document.querySelector('#copied-link').value;",
                vec![],
            )
            .await?;
        let link = link.as_str().unwrap_or_default().to_owned();
        (note.contains("carrying") && link.contains("#d1."))
            .then_some(link)
            .ok_or(note)
    })
    .await;
    assert!(link.starts_with(&server.url("/?")), "{link}");
    drop(sender);

    // A colleague opens it from a static host: there is no relay there.
    let site = StaticSite::start().await;
    let link = link.replacen(&server.url(""), &site.origin(), 1);
    let receiver = Browser::start().await;
    receiver.client.goto(&link).await.expect("open the link");
    wait_for("the same figures, from the link alone", || async {
        let state = receiver.attr("#history-note", "data-state").await?;
        let figures = panel_figures(&receiver).await?;
        (state == "snapshot" && figures == paused)
            .then_some(())
            .ok_or(format!("{state}: {figures:#?}\nwanted {paused:#?}"))
    })
    .await;
    let badge = receiver.attr("#live-badge", "data-state").await;
    assert_eq!(badge.as_deref(), Ok("snapshot"));
    // The same stretch of time is drawn.
    let copied = receiver.drawn("requests").await.expect("a requests chart");
    assert_eq!((copied.from, copied.to), (drawn.from, drawn.to));
    // The data never went to a server: only the app's files were asked for.
    let asked = site.asked();
    for path in &asked {
        assert!(
            path == "/"
                || [".js", ".wasm", ".css", ".ico"]
                    .iter()
                    .any(|e| path.ends_with(e)),
            "the page asked the static host for {path} ({asked:?})"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_link_of_another_format_says_why_and_the_dashboard_runs_live() {
    let server = Server::start(&["--demo", "--refresh-ms", "500"]).await;
    let browser = Browser::open_at(&server, "/?w=5m#d9.AAAA").await;
    let notice = wait_for("a notice on the link's data", || async {
        browser.text("#notices li[data-key='#data']").await
    })
    .await;
    assert!(notice.contains("format 9"), "{notice}");
    assert!(notice.contains("from the relay instead"), "{notice}");
    browser.wait_for_scrapes("production", 2).await;
}
