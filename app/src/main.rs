//! Browser entry point: mount the dashboard on `<body>`.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(zai_dash_app::App);
}
