//! Links that carry their data, in the browser: "copy snapshot with data"
//! packs the window on screen into the URL fragment, and a page opened on
//! such a link shows it without asking any relay. The format is the
//! engine's ([`zai_dash_engine::datalink`]); this module only compresses it
//! with the browser's own `CompressionStream` (no compression crate in the
//! bundle) and writes it as base64url with `btoa`.

use js_sys::{Array, Uint8Array};
use wasm_bindgen::{JsCast, JsValue, prelude::wasm_bindgen};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, ReadableWritablePair, Response};
use zai_dash_engine::datalink::{self, Contents, Error};

/// The longest link "copy snapshot with data" writes, characters. Chromium
/// takes URLs of up to 2 MB, but a link is for pasting into chats and
/// tickets: beyond this the plain link to the range is copied instead.
pub const MAX_LINK_CHARS: usize = 100_000;

/// The most text a link is read as. A link of [`MAX_LINK_CHARS`] inflates
/// to at most ~80 MB (deflate's ratio is below 1:1,100); a crafted one
/// that large is refused before it is parsed, as no copied window is.
const MAX_TEXT_BYTES: usize = 16 << 20;

// web-sys has both streams only behind `web_sys_unstable_apis`; each is a
// `ReadableWritablePair`, which is all `pipeThrough` needs.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = CompressionStream)]
    type Compression;
    #[wasm_bindgen(constructor, js_class = "CompressionStream", catch)]
    fn new(format: &str) -> Result<Compression, JsValue>;

    #[wasm_bindgen(js_name = DecompressionStream)]
    type Decompression;
    #[wasm_bindgen(constructor, js_class = "DecompressionStream", catch)]
    fn new(format: &str) -> Result<Decompression, JsValue>;
}

/// The deflate format both ends use: no header, no checksum, smallest.
const FORMAT: &str = "deflate-raw";

/// `text` compressed and written as the fragment (without `#`).
pub async fn pack(text: &str) -> Result<String, String> {
    let pair = Compression::new(FORMAT).map_err(describe)?;
    let bytes = pipe(text.as_bytes(), pair.unchecked_into()).await?;
    let binary: String = bytes.iter().map(|&b| char::from(b)).collect();
    let base64 = web_sys::window()
        .ok_or("no window")?
        .btoa(&binary)
        .map_err(describe)?;
    let url_safe: String = base64
        .chars()
        .filter(|&c| c != '=')
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    Ok(datalink::fragment(&url_safe))
}

/// The data of the link this page was opened on, if it is a data link.
pub async fn opened() -> Option<Result<Contents, String>> {
    let hash = web_sys::window()?.location().hash().ok()?;
    let payload = match datalink::payload(&hash)? {
        Ok(payload) => payload.to_owned(),
        Err(e) => return Some(Err(e.to_string())),
    };
    Some(unpack(&payload).await)
}

async fn unpack(payload: &str) -> Result<Contents, String> {
    let damaged = |e: String| Error::Malformed(e).to_string();
    if payload.len() > MAX_LINK_CHARS {
        return Err(damaged(format!("longer than {MAX_LINK_CHARS} characters")));
    }
    let base64: String = payload
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    // `atob` decodes forgivingly: no padding needed.
    let binary = web_sys::window()
        .ok_or("no window")?
        .atob(&base64)
        .map_err(|_| damaged("not base64url".into()))?;
    let bytes: Vec<u8> = binary.chars().map(|c| c as u8).collect();
    let pair = Decompression::new(FORMAT).map_err(describe)?;
    let text = pipe(&bytes, pair.unchecked_into())
        .await
        .map_err(|_| damaged("not deflate".into()))?;
    if text.len() > MAX_TEXT_BYTES {
        return Err(damaged("it unpacks to too much".into()));
    }
    let text = String::from_utf8(text).map_err(|_| damaged("not text".into()))?;
    datalink::decode(&text).map_err(|e| e.to_string())
}

/// `bytes` through a transform stream, read to the end.
async fn pipe(bytes: &[u8], through: ReadableWritablePair) -> Result<Vec<u8>, String> {
    let parts = Array::of1(&Uint8Array::from(bytes));
    let blob = Blob::new_with_u8_array_sequence(&parts).map_err(describe)?;
    let stream = blob.stream().pipe_through(&through);
    let response = Response::new_with_opt_readable_stream(Some(&stream)).map_err(describe)?;
    let buffer = JsFuture::from(response.array_buffer().map_err(describe)?)
        .await
        .map_err(describe)?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// A JavaScript error as text.
fn describe(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "the browser refused".to_owned())
}
