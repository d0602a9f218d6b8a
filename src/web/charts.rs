//! Bar charts drawn on the server as SVG (no scripts, no CDN), always next to a table of the
//! same numbers.

pub struct Bar {
    pub label: String,
    pub value: i64,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub label_x: f64,
    pub value_y: f64,
}

pub struct Chart {
    pub id: String,
    pub title: String,
    pub width: u32,
    pub height: u32,
    pub baseline: f64,
    pub bars: Vec<Bar>,
}

/// Vertical bars, one per (label, value).
pub fn bars(id: &str, title: &str, data: &[(String, i64)]) -> Chart {
    let (width, height) = (600u32, 220u32);
    let (top, bottom, side) = (24.0, 28.0, 8.0);
    let max = data.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1) as f64;
    let slot = (f64::from(width) - 2.0 * side) / data.len().max(1) as f64;
    let usable = f64::from(height) - top - bottom;
    let bars = data
        .iter()
        .enumerate()
        .map(|(i, (label, value))| {
            let h = (*value).max(0) as f64 / max * usable;
            let x = side + i as f64 * slot + slot * 0.15;
            let y = top + usable - h;
            Bar {
                label: label.clone(),
                value: *value,
                x: (x * 10.0).round() / 10.0,
                y: (y * 10.0).round() / 10.0,
                width: ((slot * 0.7) * 10.0).round() / 10.0,
                height: (h * 10.0).round() / 10.0,
                label_x: ((side + i as f64 * slot + slot / 2.0) * 10.0).round() / 10.0,
                value_y: ((y - 4.0) * 10.0).round() / 10.0,
            }
        })
        .collect();
    Chart { id: id.into(), title: title.into(), width, height, baseline: f64::from(height) - bottom, bars }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tallest_bar_fills_the_chart() {
        let c = bars("c", "t", &[("1".into(), 5), ("2".into(), 10), ("3".into(), 0)]);
        assert_eq!(c.bars.len(), 3);
        assert_eq!(c.bars[1].height, 168.0);
        assert_eq!(c.bars[0].height, 84.0);
        assert_eq!(c.bars[2].height, 0.0);
        assert!(c.bars.iter().all(|b| b.y + b.height <= c.baseline + 0.1));
    }
}
