//! Using the dashboard in a real browser: the crosshair tooltip, and the
//! whole page in both themes, saved as screenshots for people to look at.

use zai_dash_e2e::{Browser, Fleet, PANELS, Server, VARIANTS, wait_for};
use zai_dash_engine::units::NO_DATA;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crosshair_tooltip_lists_both_variants_and_survives_a_refresh() {
    let fleet = Fleet::start().await;
    let browser = Browser::open(&fleet.server).await;
    browser.wait_for_lines("latency").await;

    let tooltip = browser
        .wait_for_tooltip("latency", |t| {
            VARIANTS
                .iter()
                .all(|variant| t.rows_of(variant).any(|(_, v)| v != NO_DATA))
        })
        .await;
    assert!(!tooltip.time.is_empty(), "{tooltip:?}");
    for variant in VARIANTS {
        let labels: Vec<&str> = tooltip.rows_of(variant).map(|(l, _)| l.as_str()).collect();
        for q in ["p50", "p95", "p99"] {
            let label = format!("{q} · {variant}");
            assert!(labels.contains(&label.as_str()), "{label} in {tooltip:?}");
        }
    }

    // The pointer stays put while both variants refresh: the tooltip is the
    // same point with the same values, not dropped or moved by the redraw.
    for variant in VARIANTS {
        let seen = browser.scrape_count(variant).await;
        browser.wait_for_scrapes(variant, seen + 2).await;
    }
    let after = browser.tooltip("latency").await.expect("the DOM");
    assert_eq!(after.as_ref(), Some(&tooltip), "after a refresh");
    // The crosshair is shared: every chart shows its line, laid over the
    // canvas inside the plot area; the tooltip is only on the chart under
    // the pointer.
    let requests = browser.tooltip("requests").await.expect("the DOM");
    assert_eq!(requests, None, "one tooltip, on the chart hovered");
    for chart in PANELS {
        let left = browser
            .eval(
                &format!(
                    "const line = document.querySelector('#chart-{chart} .crosshair');\
                     return line && parseFloat(line.style.left);"
                ),
                vec![],
            )
            .await
            .expect("the DOM");
        let left = left.as_f64().unwrap_or(f64::NAN);
        let (chart_width, _) = browser
            .size(&format!("#chart-{chart} canvas"))
            .await
            .expect("the canvas");
        assert!(
            (56.0..chart_width).contains(&left),
            "{chart}: crosshair at {left} of {chart_width}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_page_screenshots_of_the_live_demo_in_both_themes() {
    let server = Server::start(&["--demo", "--refresh-ms", "500"]).await;
    let browser = Browser::open(&server).await;
    browser
        .client
        .set_window_size(1400, 2400)
        .await
        .expect("a tall window");
    // Five minutes across, so the first seconds of data make visible lines;
    // then wait until every chart has drawn some (the DOM cannot tell).
    browser
        .click("#window-select button[data-window='5m']")
        .await;
    for chart in PANELS {
        wait_for(&format!("lines drawn on chart {chart}"), || async {
            let drawn = browser.drawn_pixels(chart).await?;
            if drawn >= 20 {
                Ok(())
            } else {
                Err(format!("{drawn} pixels"))
            }
        })
        .await;
    }
    for (panel, class) in [("requests", "req-rate"), ("latency", "p50")] {
        browser.wait_for_figures(panel, class).await;
    }

    let first = theme(&browser).await.expect("a theme");
    browser.screenshot(&format!("dashboard-{}", first.0)).await;
    browser.click("#theme-toggle").await;
    let second = wait_for("the other theme", || async {
        let now = theme(&browser).await?;
        if now.0 != first.0 {
            Ok(now)
        } else {
            Err(format!("{now:?}"))
        }
    })
    .await;
    browser.screenshot(&format!("dashboard-{}", second.0)).await;

    let mut names = [first.0.as_str(), second.0.as_str()];
    names.sort_unstable();
    assert_eq!(names, ["dark", "light"]);
    assert_ne!(
        first.1, second.1,
        "the page background changes with the theme"
    );
}

/// The page's theme (`data-theme`) and its computed background colour.
async fn theme(browser: &Browser) -> Result<(String, String), String> {
    let found = browser
        .eval(
            r#"const app = document.querySelector(".app");
               return app && [app.dataset.theme, getComputedStyle(app).backgroundColor];"#,
            vec![],
        )
        .await?;
    match (found[0].as_str(), found[1].as_str()) {
        (Some(theme), Some(background)) => Ok((theme.to_owned(), background.to_owned())),
        _ => Err(format!("{found}")),
    }
}
