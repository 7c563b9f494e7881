//! Drawing charts in the browser: ECharts itself is fetched when the first chart of a page
//! is drawn ([`with_echarts`]), each chart waits until its placeholder nears the viewport,
//! and is then initialised once and updated in place as fresh figures arrive, so a
//! periodic refresh never flickers.

use charming::{Chart, WasmRenderer};
use leptos::prelude::*;

/// Where `scripts/vendor-echarts.sh` puts the ECharts build; charming draws through its
/// global `echarts`.
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
    if window.get("echarts").is_some() {
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

/// Draws chart `id`, built from `data` by `build`, whenever `data` changes, once its
/// placeholder is near the viewport: initialised once, then updated in place. The same
/// figures again (the pages refresh every few seconds) draw nothing.
pub fn draw_with<T>(
    id: &'static str,
    data: Signal<Option<T>>,
    build: impl Fn(&T) -> Option<Chart> + 'static,
) where
    T: Clone + PartialEq + Send + Sync + 'static,
{
    let instance = StoredValue::new_local(None::<charming::Echarts>);
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
        let Some(figures) = data.get() else {
            return;
        };
        let Some(chart) = build(&figures) else {
            return;
        };
        with_echarts(move || render(id, instance, &chart));
    });
}

/// Draws `chart` into the chart `instance` holds, or into a new one on element `id`. Does
/// nothing once the page that owned the chart is gone.
fn render(
    id: &'static str,
    instance: StoredValue<Option<charming::Echarts>, LocalStorage>,
    chart: &Chart,
) {
    let drawn = instance.try_with_value(|echarts| {
        if let Some(echarts) = echarts {
            WasmRenderer::update(echarts, chart);
            true
        } else {
            false
        }
    });
    if drawn == Some(false) {
        // `None` sizes: fill the placeholder, whose CSS gives it its size.
        match WasmRenderer::new_opt(None, None).render(id, chart) {
            Ok(echarts) => {
                instance.try_set_value(Some(echarts));
            }
            Err(err) => leptos::logging::warn!("chart {id} not drawn: {err:?}"),
        }
    }
}
