//! The dashboard's resources: loaded by a server function, and on a page's first load sent
//! with the server's render and read from it while hydrating.
//!
//! Both ways in are JSON, and both read it with `serde_json::from_slice`, the reader server
//! functions use for their answers. Leptos' default resource codec reads with `from_str`,
//! a second instance of every answer type's JSON reader in the WASM (each is generic over
//! the reader): about a third of the overview's page code.

use leptos::{
    prelude::*,
    server::codee::{Decoder, Encoder},
};
use serde::{Serialize, de::DeserializeOwned};

/// JSON, read from bytes.
pub struct Json;

impl<T: Serialize> Encoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(text: &str) -> Result<T, serde_json::Error> {
        serde_json::from_slice(text.as_bytes())
    }
}

/// A resource of the value `fetcher` loads for each value of `source`, as
/// [`Resource::new`] makes one, in [`Json`].
#[track_caller]
pub fn resource<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T, Json>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    S: Send + Sync + Clone + PartialEq + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}
