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
    let instance = StoredValue::new_local(None::<Drawn>);
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

/// Draws `chart` into the chart `instance` holds (with the shape it was drawn in), or into
/// a new one on element `id`. Does nothing once the page that owned the chart is gone.
fn render(id: &'static str, instance: StoredValue<Option<Drawn>, LocalStorage>, chart: &Chart) {
    let drawn = instance.try_update_value(|drawn| {
        if let Some((echarts, shape)) = drawn {
            if let Some(new_shape) = update(echarts, shape, chart) {
                *shape = new_shape;
            }
            true
        } else {
            false
        }
    });
    if drawn == Some(false) {
        // `None` sizes: fill the placeholder, whose CSS gives it its size.
        match WasmRenderer::new_opt(None, None).render(id, chart) {
            Ok(echarts) => {
                let first = serde_wasm_bindgen::to_value(chart)
                    .map(|o| shape(&o))
                    .unwrap_or_default();
                instance.try_set_value(Some((echarts, first)));
            }
            Err(err) => leptos::logging::warn!("chart {id} not drawn: {err:?}"),
        }
    }
}

/// A drawn chart, and the shape of its option.
type Drawn = (charming::Echarts, String);

/// What a merge cannot change in a drawn chart: its series by name, and which of them
/// carry mark lines. ECharts merges a new option into the old one, which moves bars
/// smoothly but never removes a series or a mark line: when this differs (the history
/// stacked per project instead of per agent, the budget lines of a month but not of a
/// week), the option replaces the old one whole.
fn shape(option: &wasm_bindgen::JsValue) -> String {
    use js_sys::{Array, Reflect};
    use wasm_bindgen::JsCast;

    let Some(series) = Reflect::get(option, &"series".into())
        .ok()
        .and_then(|s| s.dyn_into::<Array>().ok())
    else {
        return String::new();
    };
    series
        .iter()
        .map(|s| {
            let name = Reflect::get(&s, &"name".into())
                .ok()
                .and_then(|n| n.as_string())
                .unwrap_or_default();
            let marked = Reflect::get(&s, &"markLine".into()).is_ok_and(|m| m.is_object());
            format!("{name}:{marked}")
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// Puts `chart` into the drawn chart `echarts` of shape `drawn`, merged when the shape is
/// the same; returns the new shape.
fn update(echarts: &charming::Echarts, drawn: &str, chart: &Chart) -> Option<String> {
    use js_sys::{Function, Object, Reflect};
    use wasm_bindgen::{JsCast, JsValue};

    let option = serde_wasm_bindgen::to_value(chart)
        .map_err(|err| leptos::logging::warn!("chart not updated: {err}"))
        .ok()?;
    let target: &JsValue = echarts.as_ref();
    let set_option = Reflect::get(target, &"setOption".into())
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    let new_shape = shape(&option);
    let opts = Object::new();
    Reflect::set(&opts, &"notMerge".into(), &(new_shape != drawn).into()).ok()?;
    set_option
        .call2(target, &option, &opts)
        .map_err(|err| leptos::logging::warn!("chart not updated: {err:?}"))
        .ok()?;
    Some(new_shape)
}
