//! One color per agent or project across the charts of a page: a member's color is its
//! place among all of its company's members of that kind (ordered by id, so creation
//! order), not its rank by spend, so it keeps its color from one chart to the next, when
//! the figures refresh, and when a member's spend overtakes another's.

/// Ten hues told apart on white, none of them the red and amber that mean "over" and "80%"
/// on the level-colored bars.
const COLORS: [&str; 10] = [
    "#2456d6", "#0f766e", "#7c3aed", "#0891b2", "#4d7c0f", "#db2777", "#92400e", "#1e3a8a",
    "#a78bfa", "#15803d",
];

/// The colors of a page: the keys (ids) it colors, in color order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Palette {
    keys: Vec<String>,
}

impl Palette {
    /// A palette over `keys`, in any order: they are sorted, so every chart that builds one
    /// from the same members agrees.
    pub fn of(keys: impl IntoIterator<Item = String>) -> Self {
        let mut keys: Vec<String> = keys.into_iter().collect();
        keys.sort();
        keys.dedup();
        Self { keys }
    }

    /// The color of `key`; a key the palette does not know takes the first color.
    pub fn color(&self, key: &str) -> &'static str {
        let at = self
            .keys
            .binary_search_by(|k| k.as_str().cmp(key))
            .unwrap_or(0);
        COLORS[at % COLORS.len()]
    }
}

/// The projects' palette: every project of the company (`None`: spend without a project,
/// "Unassigned", key `""`, always there), so the donut and the history agree.
pub fn projects(ids: impl IntoIterator<Item = Option<String>>) -> Palette {
    Palette::of(
        ids.into_iter()
            .map(Option::unwrap_or_default)
            .chain([String::new()]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_keeps_its_color_whatever_order_the_members_come_in() {
        let a = Palette::of(["b".to_owned(), "a".to_owned(), "c".to_owned()]);
        let b = Palette::of(["c".to_owned(), "b".to_owned(), "a".to_owned()]);
        for key in ["a", "b", "c"] {
            assert_eq!(a.color(key), b.color(key));
        }
        assert_ne!(a.color("a"), a.color("b"));
        assert_ne!(a.color("b"), a.color("c"));
    }

    #[test]
    fn ten_members_have_ten_colors() {
        let p = Palette::of((0..10).map(|i| format!("k{i}")));
        let mut seen: Vec<&str> = (0..10).map(|i| p.color(&format!("k{i}"))).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 10);
    }
}
