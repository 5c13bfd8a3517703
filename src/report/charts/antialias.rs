//! Anti-aliased strokes for the data lines. The bitmap backend draws wide lines as
//! polygons with mitred joins, which are jagged and, where a line turns sharply (noisy
//! per-second data), shoot spikes across the whole picture. Here each pixel near the
//! path gets the coverage of the nearest segment instead: smooth edges, round joins.

use std::collections::HashMap;

/// Coverage (0–1) of every pixel within `width / 2` of the polyline through `points`.
/// A pixel near several segments counts once, at its highest coverage, so joins are not
/// painted twice.
pub(crate) fn stroke(points: &[(i32, i32)], width: f64) -> HashMap<(i32, i32), f32> {
    let half = (width.max(1.0)) / 2.0;
    let mut cover: HashMap<(i32, i32), f32> = HashMap::new();
    let segments: Vec<((f64, f64), (f64, f64))> = match points {
        [] => Vec::new(),
        [only] => vec![(to_f(*only), to_f(*only))],
        _ => points
            .windows(2)
            .map(|pair| (to_f(pair[0]), to_f(pair[1])))
            .collect(),
    };
    let reach = half + 1.0;
    for (a, b) in segments {
        let (x0, x1) = (
            (a.0.min(b.0) - reach).floor(),
            (a.0.max(b.0) + reach).ceil(),
        );
        let (y0, y1) = (
            (a.1.min(b.1) - reach).floor(),
            (a.1.max(b.1) + reach).ceil(),
        );
        for y in y0 as i32..=y1 as i32 {
            for x in x0 as i32..=x1 as i32 {
                let d = distance((x as f64, y as f64), a, b);
                let c = (half + 0.5 - d).clamp(0.0, 1.0) as f32;
                if c > 0.0 {
                    let slot = cover.entry((x, y)).or_insert(0.0);
                    *slot = slot.max(c);
                }
            }
        }
    }
    cover
}

fn to_f(p: (i32, i32)) -> (f64, f64) {
    (f64::from(p.0), f64::from(p.1))
}

/// Distance from `p` to the segment `a`–`b`.
fn distance(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let length2 = dx * dx + dy * dy;
    let t = if length2 == 0.0 {
        0.0
    } else {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / length2).clamp(0.0, 1.0)
    };
    let (cx, cy) = (a.0 + t * dx, a.1 + t * dy);
    ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt()
}

/// True when every segment is horizontal or vertical: those stay crisp without help.
pub(crate) fn axis_aligned(points: &[(i32, i32)]) -> bool {
    points
        .windows(2)
        .all(|pair| pair[0].0 == pair[1].0 || pair[0].1 == pair[1].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diagonal_is_solid_in_the_middle_and_soft_at_the_edge() {
        let cover = stroke(&[(0, 0), (20, 20)], 2.0);
        assert_eq!(cover[&(10, 10)], 1.0);
        let edge = cover.get(&(10, 12)).copied().unwrap_or(0.0);
        assert!(edge > 0.0 && edge < 1.0, "{edge}");
        assert!(!cover.contains_key(&(10, 15)));
    }

    #[test]
    fn a_sharp_turn_does_not_spike() {
        let cover = stroke(&[(0, 100), (1, 0), (2, 100)], 3.0);
        assert!(cover.keys().all(|(_, y)| *y >= -3 && *y <= 103));
    }
}
