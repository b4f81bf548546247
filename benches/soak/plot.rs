//! The samples as three stacked line charts: store size, RSS and p99 over time.

use super::Sample;
use plotters::prelude::*;

/// A font for the labels: plotters draws text with one it is given, and the bench ships none.
const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// A panel's caption and how it reads its value from a sample.
type Series = (&'static str, fn(&Sample) -> f64);

pub fn draw(samples: &[Sample], path: &std::path::Path) -> Result<(), String> {
    let font = std::fs::read(FONT).map_err(|error| format!("no font at {FONT} for the labels ({error})"))?;
    plotters::style::register_font("sans-serif", FontStyle::Normal, Box::leak(font.into_boxed_slice()))
        .map_err(|_| "the font could not be read".to_owned())?;
    let root = BitMapBackend::new(path, (900, 900)).into_drawing_area();
    root.fill(&WHITE).map_err(|error| error.to_string())?;
    let panels = root.split_evenly((3, 1));
    let end = samples.last().map_or(1.0, |sample| sample.seconds);
    let series: [Series; 3] = [
        ("store on disk (MiB)", |s| s.store_bytes as f64 / 1048576.0),
        ("RSS (MiB)", |s| s.rss_bytes as f64 / 1048576.0),
        ("p99 of deliveries (ms)", |s| s.p99_ms),
    ];
    for (panel, (label, value)) in panels.iter().zip(series) {
        let top = samples.iter().map(value).fold(0.0, f64::max) * 1.2 + 1.0;
        let mut chart = ChartBuilder::on(panel)
            .caption(label, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..end, 0.0..top)
            .map_err(|error| error.to_string())?;
        chart.configure_mesh().x_desc("seconds").draw().map_err(|error| error.to_string())?;
        chart
            .draw_series(LineSeries::new(samples.iter().map(|sample| (sample.seconds, value(sample))), &BLUE))
            .map_err(|error| error.to_string())?;
    }
    root.present().map_err(|error| error.to_string())
}
