//! Browser entry point: mount the dashboard on `<body>`, or the browser
//! benchmark when the page is opened with `?bench`.

fn main() {
    console_error_panic_hook::set_once();
    let bench = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|q| q.trim_start_matches('?').split('&').any(|p| p == "bench"));
    if bench {
        leptos::mount::mount_to_body(zai_dash_app::bench::Bench);
    } else {
        leptos::mount::mount_to_body(zai_dash_app::App);
    }
}
