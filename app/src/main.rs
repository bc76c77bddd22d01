//! Browser entry point: mount the dashboard on `<body>`, or, in a build
//! with the `bench` feature opened with `?bench`, the browser benchmark.

fn main() {
    console_error_panic_hook::set_once();
    #[cfg(feature = "bench")]
    if web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|q| q.trim_start_matches('?').split('&').any(|p| p == "bench"))
    {
        return leptos::mount::mount_to_body(zai_dash_app::bench::Bench);
    }
    leptos::mount::mount_to_body(zai_dash_app::App);
}
