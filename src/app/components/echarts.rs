//! Drawing charts in the browser: ECharts itself is fetched when the first chart of a page
//! is drawn ([`with_echarts`]), each chart waits until its placeholder nears the viewport,
//! and is then initialised once and updated in place as fresh figures arrive, so a
//! periodic refresh never flickers. The options come built from the server
//! (`server::charts`); the page's ECharts script draws them (`costlineChart`, defined in
//! `scripts/echarts-entry.js`).

use leptos::prelude::*;

use crate::model::ChartOption;

/// Where `scripts/vendor-echarts.sh` puts the ECharts build, with `costlineChart`.
const ECHARTS_SRC: &str = "/echarts.min.js";
const ECHARTS_SCRIPT_ID: &str = "echarts-script";

/// Runs `then` once ECharts is there: at once when it is, else when the script has loaded.
/// The first call adds the script, so pages without charts never fetch it and a chart page
/// shows its figures before the 600 KB arrive.
fn with_echarts(then: impl FnOnce() + 'static) {
    use wasm_bindgen::{JsCast, closure::Closure};

    let Some(window) = web_sys::window() else {
        return;
    };
    if window.get(DRAW).is_some() {
        then();
        return;
    }
    let Some(document) = window.document() else {
        return;
    };
    let script = document.get_element_by_id(ECHARTS_SCRIPT_ID).or_else(|| {
        let script = document.create_element("script").ok()?;
        script.set_id(ECHARTS_SCRIPT_ID);
        script.set_attribute("src", ECHARTS_SRC).ok()?;
        document.head()?.append_child(&script).ok()?;
        Some(script)
    });
    let Some(script) = script else {
        leptos::logging::warn!("charts not drawn: could not add the ECharts script");
        return;
    };
    let loaded = Closure::once_into_js(then);
    if script
        .add_event_listener_with_callback("load", loaded.unchecked_ref())
        .is_err()
    {
        leptos::logging::warn!("charts not drawn: could not wait for ECharts");
    }
}

/// Runs `then` once element `id` comes within half a screen of the viewport: a chart below
/// the fold costs the page nothing (ECharts' script, drawing) until the reader scrolls
/// toward it.
fn when_near_view(id: &'static str, then: impl FnOnce() + 'static) {
    when_near_view_after(id, then, 0);
}

/// Frames to wait for a placeholder that is not in the document yet: a page reached by a
/// client-side navigation runs its effects before its view is mounted.
const MOUNT_FRAMES: u32 = 120;

fn when_near_view_after(id: &'static str, then: impl FnOnce() + 'static, frames: u32) {
    use wasm_bindgen::{JsCast, closure::Closure};
    use web_sys::{IntersectionObserver, IntersectionObserverEntry, IntersectionObserverInit};

    let Some(element) = document().get_element_by_id(id) else {
        if frames < MOUNT_FRAMES {
            request_animation_frame(move || when_near_view_after(id, then, frames + 1));
        }
        return;
    };
    let mut then = Some(then);
    let seen = Closure::<dyn FnMut(js_sys::Array, IntersectionObserver)>::new(
        move |entries: js_sys::Array, observer: IntersectionObserver| {
            let near = entries.iter().any(|entry| {
                entry
                    .unchecked_into::<IntersectionObserverEntry>()
                    .is_intersecting()
            });
            if near {
                observer.disconnect();
                if let Some(then) = then.take() {
                    then();
                }
            }
        },
    );
    let options = IntersectionObserverInit::new();
    options.set_root_margin("50% 0px");
    match IntersectionObserver::new_with_options(seen.as_ref().unchecked_ref(), &options) {
        Ok(observer) => observer.observe(&element),
        Err(err) => leptos::logging::warn!("chart {id} not drawn: {err:?}"),
    }
    // Called once more at most; one small closure per chart and page.
    seen.forget();
}

/// The page script's function that draws an option into a placeholder (by id), merged into
/// the chart already drawn there when it has the same series.
const DRAW: &str = "costlineChart";

/// Draws chart `id` from `data` whenever it changes, once its placeholder is near the
/// viewport. The same option again (the pages refresh every few seconds) draws nothing.
pub fn draw(id: &'static str, data: Signal<Option<ChartOption>>) {
    let data = Memo::new(move |_| data.get());
    let near = RwSignal::new(false);
    Effect::new(move |_| {
        when_near_view(id, move || {
            near.try_set(true);
        })
    });
    Effect::new(move |_| {
        if !near.get() {
            return;
        }
        if let Some(option) = data.get() {
            with_echarts(move || render(id, &option));
        }
    });
}

/// Hands `option` to the page script for placeholder `id`.
fn render(id: &str, option: &ChartOption) {
    use wasm_bindgen::{JsCast, JsValue};

    let drawn = window()
        .get(DRAW)
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .map(|f| f.call2(&JsValue::NULL, &id.into(), &option.0.as_str().into()));
    match drawn {
        Some(Ok(_)) => {}
        Some(Err(err)) => leptos::logging::warn!("chart {id} not drawn: {err:?}"),
        None => leptos::logging::warn!("chart {id} not drawn: no {DRAW}"),
    }
}
