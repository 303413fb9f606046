//! SVG charts with plotters. Text is left to the viewer's fonts (plotters' SVG backend
//! without its font feature), so no system font library is needed.

use std::ops::Range;

use indexmap::IndexMap;
use plotters::coord::Shift;
use plotters::prelude::*;
use serde_json::Value;

use crate::names::short_name;
use crate::number::round_sig;
use crate::sim::{BalancerKind, Metric, RunResult, Simulation, TimelinePoint};
use crate::sweep::Line;

/// Chart size in pixels, readable when embedded at full width in a README.
pub const SIZE: (u32, u32) = (800, 500);

#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("nothing to plot: {0}")]
    NoData(String),
    #[error("cannot draw the chart: {0}")]
    Draw(String),
}

fn draw_err(e: impl std::fmt::Display) -> PlotError {
    PlotError::Draw(e.to_string())
}

/// Tableau 10: distinct on screen and in print.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

const FONT: &str = "sans-serif";
const SPIKE_SHADE: RGBColor = RGBColor(255, 127, 14);
const OUTAGE_SHADE: RGBColor = RGBColor(127, 127, 127);

/// One line of a chart: its label, colour, whether dashed, and points.
struct Series {
    label: String,
    color: RGBColor,
    dashed: bool,
    /// Marks each point: a sweep's points are measured, the lines between them are not.
    markers: bool,
    points: Vec<(f64, f64)>,
}

/// Each balancer keeps its colour in every chart and panel.
fn balancer_color(r: &RunResult) -> RGBColor {
    color(
        BalancerKind::ALL
            .iter()
            .position(|&b| b == r.balancer)
            .unwrap_or(0),
    )
}

/// Sizes of text, full-size or in one panel of several.
#[derive(Clone, Copy)]
struct Fonts {
    caption: u32,
    labels: u32,
    axis: u32,
    legend: u32,
}

const FULL: Fonts = Fonts {
    caption: 20,
    labels: 15,
    axis: 16,
    legend: 13,
};
const PANEL: Fonts = Fonts {
    caption: 16,
    labels: 12,
    axis: 13,
    legend: 11,
};

/// A half-width chart of the sweep figure.
const HALF: Fonts = Fonts {
    caption: 18,
    labels: 15,
    axis: 15,
    legend: 13,
};

/// A chart on `area` with its caption, margins and room for the axis labels.
fn builder<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, Shift>,
    caption: &str,
    fonts: Fonts,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(caption, (FONT, fonts.caption))
        .margin(12)
        .x_label_area_size(fonts.axis * 3)
        .y_label_area_size(fonts.axis * 3 + 10);
    builder
}

/// One panel per pattern: its caption and its lines.
type Panels = Vec<(String, Vec<Series>)>;

/// The results of each pattern as series, one panel per pattern that has any.
fn panels(sim: &Simulation, series: impl Fn(&RunResult) -> Vec<Series>) -> Panels {
    let mut panels = sim
        .scenario
        .patterns
        .iter()
        .map(|pattern| {
            let lines: Vec<Series> = sim
                .results
                .iter()
                .filter(|r| &r.pattern == pattern)
                .flat_map(&series)
                .collect();
            (short_name(pattern).to_string(), lines)
        })
        .filter(|(_, lines): &(String, Vec<Series>)| !lines.is_empty())
        .collect::<Panels>();
    mark_in_every_panel(&mut panels);
    panels
}

/// Panels share one legend: a line is said to lie under another only where it does in
/// every panel.
fn mark_in_every_panel(panels: &mut Panels) {
    let n = panels.first().map_or(0, |(_, lines)| lines.len());
    if panels.iter().any(|(_, lines)| lines.len() != n) {
        return;
    }
    for i in 1..n {
        let same = |j: usize| {
            panels
                .iter()
                .all(|(_, lines)| !lines[i].points.is_empty() && lines[i].points == lines[j].points)
        };
        if let Some(j) = (0..i).find(|&j| same(j)) {
            for (_, lines) in panels.iter_mut() {
                let first = lines[j].label.clone();
                lines[i].label = format!("{} (same as {first})", lines[i].label);
            }
        }
    }
}

/// Says in the legend when a line is drawn exactly over an earlier one, which hides it
/// (balancers that decide alike on a homogeneous fleet).
fn mark_coinciding(series: &mut [Series]) {
    for i in 1..series.len() {
        if series[i].points.is_empty() {
            continue;
        }
        if let Some(j) = (0..i).find(|&j| series[j].points == series[i].points) {
            let first = series[j].label.clone();
            series[i].label = format!("{} (same as {first})", series[i].label);
        }
    }
}

/// Draws one chart, or with several patterns a grid of panels under one title, the legend
/// in the first panel only (colours mean the same balancer in every panel).
fn faceted(
    what: &str,
    panels: &Panels,
    subject: &str,
    draw: impl Fn(
        &DrawingArea<SVGBackend, Shift>,
        &str,
        &[Series],
        bool,
        Fonts,
    ) -> Result<(), PlotError>,
) -> Result<String, PlotError> {
    render(|root| {
        if let [(name, lines)] = panels.as_slice() {
            return draw(
                root,
                &format!("{what} of {name}, {subject}"),
                lines,
                true,
                FULL,
            );
        }
        let area = root
            .titled(&format!("{what}, {subject}"), (FONT, FULL.caption))
            .map_err(draw_err)?;
        let cols = 2;
        let rows = panels.len().div_ceil(cols);
        let cells = area.split_evenly((rows, cols));
        for (i, ((name, lines), cell)) in panels.iter().zip(&cells).enumerate() {
            draw(cell, name, lines, i == 0, PANEL)?;
        }
        Ok(())
    })
}

/// The chart for a simulation: goodput and attempts over time with `--timeline`, else the
/// latency distributions.
pub fn simulation(sim: &Simulation) -> Result<String, PlotError> {
    if sim.scenario.resilience.timeline.is_some() {
        timeline(sim)
    } else {
        latency_cdf(sim)
    }
}

/// The latency CDF of each balancer over all requests on a log time axis, with the 99% line
/// marked, or with `--slo` the objective (its deadline and share); one panel per pattern.
pub fn latency_cdf(sim: &Simulation) -> Result<String, PlotError> {
    let panels = panels(sim, |r| {
        if r.latency_cdf.is_empty() {
            return Vec::new();
        }
        // The curve is over all requests and stops where the failed ones begin: say so.
        let success = r.metrics.get(Metric::SuccessRate).mean;
        let label = if success < 0.995 {
            format!("{} ({:.1}% answered in full)", r.balancer, 100.0 * success)
        } else {
            r.balancer.to_string()
        };
        vec![Series {
            label,
            color: balancer_color(r),
            dashed: false,
            markers: false,
            points: r.latency_cdf.iter().map(|&(t, q)| (t, q * 100.0)).collect(),
        }]
    });
    if panels.is_empty() {
        return Err(PlotError::NoData("no request answered".into()));
    }
    let slo = sim.scenario.slo;
    let xs = || {
        panels
            .iter()
            .flat_map(|(_, lines)| lines.iter().flat_map(|s| s.points.iter().map(|p| p.0)))
    };
    let deadline = slo.map_or(f64::NAN, |o| o.deadline);
    let max = xs().fold(0.0f64, f64::max).max(deadline);
    let min = xs().filter(|&x| x > 0.0).fold(deadline, f64::min);
    let (lo, hi) = log_range(min, max);
    let (share, share_label) = match slo {
        Some(o) => (100.0 * o.quantile, format!("objective {o}")),
        None => (99.0, "99th percentile".to_string()),
    };
    faceted(
        "Latency distribution",
        &panels,
        &subject(sim),
        |area, caption, lines, with_legend, fonts| {
            let mut chart = builder(area, caption, fonts)
                .build_cartesian_2d((lo..hi).log_scale(), 0.0..100.0)
                .map_err(draw_err)?;
            chart
                .configure_mesh()
                .x_desc("latency (s, log scale)")
                .y_desc("share of all requests (%)")
                .x_label_formatter(&|x| tick(*x))
                .y_label_formatter(&|y| format!("{y:.0}"))
                .light_line_style(WHITE.mix(0.0))
                .label_style((FONT, fonts.labels))
                .axis_desc_style((FONT, fonts.axis))
                .draw()
                .map_err(draw_err)?;
            chart
                .draw_series(DashedLineSeries::new(
                    [(lo, share), (hi, share)],
                    4,
                    4,
                    BLACK.mix(0.4).stroke_width(1),
                ))
                .map_err(draw_err)?
                .label(share_label.as_str())
                .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.mix(0.4)));
            if deadline.is_finite() {
                chart
                    .draw_series(DashedLineSeries::new(
                        [(deadline, 0.0), (deadline, 100.0)],
                        4,
                        4,
                        BLACK.mix(0.4).stroke_width(1),
                    ))
                    .map_err(draw_err)?;
            }
            draw_lines(&mut chart, lines)?;
            if with_legend {
                legend(&mut chart, SeriesLabelPosition::UpperLeft, fonts)?;
            }
            Ok(())
        },
    )
}

/// Goodput (solid) and attempts (dashed) per second over time, with spikes and scripted
/// outages shaded; one panel per pattern.
pub fn timeline(sim: &Simulation) -> Result<String, PlotError> {
    let panels = panels(sim, |r| {
        if r.timeline.is_empty() {
            return Vec::new();
        }
        // Steps: each value is an average over its whole bucket.
        let steps = |value: fn(&TimelinePoint) -> f64| -> Vec<(f64, f64)> {
            r.timeline
                .iter()
                .flat_map(|p| [(p.start, value(p)), (p.end, value(p))])
                .collect()
        };
        vec![
            Series {
                label: format!("{}: goodput", r.balancer),
                color: balancer_color(r),
                dashed: false,
                markers: false,
                points: steps(|p| p.goodput.mean),
            },
            Series {
                label: format!("{}: attempts", r.balancer),
                color: balancer_color(r),
                dashed: true,
                markers: false,
                points: steps(|p| p.attempts.mean),
            },
        ]
    });
    if panels.is_empty() {
        return Err(PlotError::NoData("the timeline is empty".into()));
    }
    let end = sim
        .results
        .iter()
        .filter_map(|r| r.timeline.last())
        .map(|p| p.end)
        .fold(0.0, f64::max);
    let top = panels
        .iter()
        .flat_map(|(_, lines)| lines.iter().flat_map(|s| s.points.iter().map(|p| p.1)))
        .filter(|y| y.is_finite())
        .fold(0.0, f64::max)
        .max(1e-9)
        * 1.1;
    let r = &sim.scenario.resilience;
    let spikes: Vec<(f64, f64)> = r
        .spikes
        .iter()
        .map(|s| (s.start, s.start + s.duration))
        .collect();
    let outages: Vec<(f64, f64)> = r
        .outages
        .iter()
        .map(|o| (o.start, o.start + o.duration))
        .collect();
    faceted(
        "Goodput and attempts",
        &panels,
        &subject(sim),
        |area, caption, lines, with_legend, fonts| {
            let mut chart = builder(area, caption, fonts)
                .build_cartesian_2d(0.0..end, 0.0..top)
                .map_err(draw_err)?;
            chart
                .configure_mesh()
                .x_desc("time (s)")
                .y_desc("requests answered or attempts sent per second")
                .x_label_formatter(&|x| tick(*x))
                .y_label_formatter(&|y| tick(*y))
                .light_line_style(WHITE.mix(0.0))
                .label_style((FONT, fonts.labels))
                .axis_desc_style((FONT, fonts.axis))
                .draw()
                .map_err(draw_err)?;
            for (windows, shade, label) in [
                (&spikes, SPIKE_SHADE, "spike (--spike)"),
                (&outages, OUTAGE_SHADE, "outage (--outage)"),
            ] {
                if windows.is_empty() {
                    continue;
                }
                chart
                    .draw_series(windows.iter().map(|&(a, b)| {
                        Rectangle::new(
                            [(a.min(end), 0.0), (b.min(end), top)],
                            shade.mix(0.18).filled(),
                        )
                    }))
                    .map_err(draw_err)?
                    .label(label)
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 20, y + 5)], shade.mix(0.3).filled())
                    });
            }
            draw_lines(&mut chart, lines)?;
            if with_legend {
                legend(&mut chart, SeriesLabelPosition::UpperRight, fonts)?;
            }
            Ok(())
        },
    )
}

/// p99 latency and throughput against the swept load (or another numeric parameter), one
/// line per combination of the other parameters.
pub fn sweep(lines: &[Line]) -> Result<String, PlotError> {
    let params: Vec<&Parameters> = lines.iter().map(|l| &l.parameters).collect();
    let x_key = sweep_axis(&params)?;
    let others: Vec<String> = varying(&params)
        .into_iter()
        .filter(|k| *k != x_key)
        .collect();
    let mut groups: Vec<(String, Vec<&Line>)> = Vec::new();
    for line in lines {
        let label = others
            .iter()
            .map(|k| {
                let v = line
                    .parameters
                    .get(k.as_str())
                    .map(display)
                    .unwrap_or_default();
                if k == "pattern" || k == "balancer" {
                    short_name(&v).to_string()
                } else {
                    format!("{k} {v}")
                }
            })
            .collect::<Vec<_>>()
            .join(" / ");
        match groups.iter_mut().find(|(l, _)| *l == label) {
            Some((_, members)) => members.push(line),
            None => groups.push((label, vec![line])),
        }
    }
    let series_of = |metric: Metric| -> Vec<Series> {
        let mut series: Vec<Series> = groups
            .iter()
            .enumerate()
            .map(|(i, (label, members))| {
                let mut points: Vec<(f64, f64)> = members
                    .iter()
                    .filter_map(|l| {
                        let x = l.parameters.get(x_key.as_str())?.as_f64()?;
                        let y = l.result["metrics"][metric.id()]["mean"].as_f64()?;
                        Some((x, y))
                    })
                    .collect();
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                Series {
                    label: if label.is_empty() {
                        "all points".to_string()
                    } else {
                        label.clone()
                    },
                    color: color(i),
                    dashed: false,
                    markers: true,
                    points,
                }
            })
            .collect();
        mark_coinciding(&mut series);
        series
    };
    let p99 = series_of(Metric::LatencyP99);
    // With an objective, the share of requests within it; else the requests answered.
    let attainment = series_of(Metric::Attainment);
    let (right_metric, right_axis) = if attainment.iter().any(|s| !s.points.is_empty()) {
        (attainment, "attainment (share within the deadline)")
    } else {
        (series_of(Metric::Goodput), "goodput (requests/s)")
    };
    let xs: Vec<f64> = lines
        .iter()
        .filter_map(|l| l.parameters.get(x_key.as_str())?.as_f64())
        .collect();
    let x_range = padded(
        xs.iter().copied().fold(f64::INFINITY, f64::min),
        xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let x_desc = match x_key.as_str() {
        "load" => "offered load (of all agents)".to_string(),
        "rate" => "rate (requests/s)".to_string(),
        other => other.replace('_', " "),
    };
    // A pattern common to every point goes in the titles.
    let of = if others.iter().any(|k| k == "pattern") {
        String::new()
    } else {
        lines[0]
            .parameters
            .get("pattern")
            .map(|p| format!(": {}", short_name(&display(p))))
            .unwrap_or_default()
    };
    let (p99_title, right_title) = (
        format!("p99 latency over all requests{of}"),
        if right_axis.starts_with("attainment") {
            format!("Attainment{of}")
        } else {
            format!("Goodput{of}")
        },
    );
    render(|root| {
        let (left, right) = root.split_horizontally(SIZE.0 / 2);
        panel(
            &left,
            &p99_title,
            &x_desc,
            "p99 latency (s)",
            x_range.clone(),
            &p99,
            true,
        )?;
        panel(
            &right,
            &right_title,
            &x_desc,
            right_axis,
            x_range.clone(),
            &right_metric,
            false,
        )
    })
}

/// One half of the sweep chart. Latency gets a log axis when it spans more than 30x.
fn panel(
    area: &DrawingArea<SVGBackend, Shift>,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    x: Range<f64>,
    series: &[Series],
    with_legend: bool,
) -> Result<(), PlotError> {
    let ys = || {
        series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .filter(|y| y.is_finite() && *y > 0.0)
    };
    let (min, max) = (
        ys().fold(f64::INFINITY, f64::min),
        ys().fold(0.0f64, f64::max),
    );
    if !max.is_finite() || max <= 0.0 {
        return Err(PlotError::NoData(format!("no {y_desc} in the points")));
    }
    if with_legend && max / min > 30.0 {
        let (lo, hi) = log_range(min, max);
        let mut chart = builder(area, title, HALF)
            .build_cartesian_2d(x, (lo..hi).log_scale())
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .x_label_formatter(&|x| tick(*x))
            .y_desc(format!("{y_desc}, log scale"))
            .y_label_formatter(&|y| tick(*y))
            .light_line_style(WHITE.mix(0.0))
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 16))
            .draw()
            .map_err(draw_err)?;
        draw_lines(&mut chart, series)?;
        legend(&mut chart, SeriesLabelPosition::UpperLeft, FULL)
    } else {
        let mut chart = builder(area, title, HALF)
            .build_cartesian_2d(x, 0.0..max * 1.1)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .x_label_formatter(&|x| tick(*x))
            .y_desc(y_desc)
            .y_label_formatter(&|y| tick(*y))
            .light_line_style(WHITE.mix(0.0))
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 16))
            .draw()
            .map_err(draw_err)?;
        draw_lines(&mut chart, series)?;
        if with_legend {
            legend(&mut chart, SeriesLabelPosition::UpperLeft, FULL)
        } else {
            Ok(())
        }
    }
}

type Parameters = IndexMap<String, Value>;

/// The swept parameter for the x axis: load if it varies, else the first numeric one that
/// does. Called before a sweep runs, to refuse a chart it could not draw.
pub fn sweep_axis(points: &[&Parameters]) -> Result<String, PlotError> {
    let numeric = |k: &String| {
        points
            .iter()
            .all(|p| p.get(k.as_str()).is_some_and(Value::is_number))
    };
    let varying = varying(points);
    ["load", "rate"]
        .iter()
        .map(|k| k.to_string())
        .find(|k| varying.contains(k) && numeric(k))
        .or_else(|| varying.iter().find(|k| numeric(k)).cloned())
        .ok_or_else(|| {
            PlotError::NoData(
                "a sweep chart needs a numeric parameter that varies, such as --load 0.5:0.95:0.05"
                    .into(),
            )
        })
}

/// The parameters that take more than one value, in the sweep's order.
fn varying(points: &[&Parameters]) -> Vec<String> {
    let Some(first) = points.first() else {
        return Vec::new();
    };
    first
        .keys()
        .filter(|k| {
            points
                .iter()
                .any(|p| p.get(k.as_str()) != first.get(k.as_str()))
        })
        .cloned()
        .collect()
}

fn display(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// What was simulated, for the title: the agents and the load.
fn subject(sim: &Simulation) -> String {
    let s = &sim.scenario;
    match s.load {
        Some(load) => format!("{} agents, load {load}", s.agents),
        None => format!("{} agents", s.agents),
    }
}

fn draw_lines<'a, 'b, X, Y>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, Cartesian2d<X, Y>>,
    series: &[Series],
) -> Result<(), PlotError>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    for s in series {
        let style = s.color.stroke_width(2);
        let points = s
            .points
            .iter()
            .copied()
            .filter(|p| p.0.is_finite() && p.1.is_finite());
        if s.markers {
            chart
                .draw_series(points.clone().map(|p| Circle::new(p, 3, s.color.filled())))
                .map_err(draw_err)?;
        }
        let drawn = if s.dashed {
            chart.draw_series(DashedLineSeries::new(points, 8, 5, style))
        } else {
            chart.draw_series(LineSeries::new(points, style))
        }
        .map_err(draw_err)?;
        let dashed = s.dashed;
        drawn.label(&s.label).legend(move |(x, y)| {
            if dashed {
                PathElement::new([(x, y), (x + 8, y)], style)
            } else {
                PathElement::new([(x, y), (x + 20, y)], style)
            }
        });
    }
    Ok(())
}

fn legend<'a, 'b: 'a, X, Y>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, Cartesian2d<X, Y>>,
    position: SeriesLabelPosition,
    fonts: Fonts,
) -> Result<(), PlotError>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, fonts.legend))
        .draw()
        .map_err(draw_err)
}

/// Draws on an 800x500 white SVG and returns its text.
fn render(
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<(), PlotError>,
) -> Result<String, PlotError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        draw(&root)?;
        root.present().map_err(draw_err)?;
    }
    Ok(svg)
}

/// A log axis from a bit below `min` to a bit above `max`.
fn log_range(min: f64, max: f64) -> (f64, f64) {
    let (min, max) = if min.is_finite() && max > 0.0 {
        (min, max)
    } else {
        (0.1, 1.0)
    };
    let lo = min / 1.2;
    let hi = (max * 1.2).max(lo * 10.0);
    (lo, hi)
}

fn padded(min: f64, max: f64) -> Range<f64> {
    if !(min.is_finite() && max.is_finite()) {
        return 0.0..1.0;
    }
    let pad = if max > min {
        (max - min) * 0.04
    } else {
        min.abs().max(1.0) * 0.1
    };
    (min - pad)..(max + pad)
}

/// Tick labels without trailing noise: 0.01, 0.5, 2, 100.
fn tick(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else {
        let s = format!("{:.3}", round_sig(x));
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Attainment against the number of agents, one line per pattern and balancer, with the
/// objective's share as a dashed line and each option's chosen size marked.
pub fn plan(p: &crate::plan::Plan) -> Result<String, PlotError> {
    let series: Vec<Series> = p
        .choices
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.probes.is_empty())
        .map(|(i, c)| Series {
            label: format!("{} ({})", short_name(&c.pattern), c.balancer),
            color: color(i),
            dashed: false,
            markers: true,
            points: c
                .probes
                .iter()
                .map(|pr| (f64::from(pr.agents), pr.attainment.mean))
                .collect(),
        })
        .collect();
    if series.is_empty() {
        return Err(PlotError::NoData(
            "no fleet size was simulated (every pattern is infeasible before simulating)".into(),
        ));
    }
    let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    let ys = series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let y_min = ys
        .filter(|y| y.is_finite())
        .fold(p.slo.quantile, f64::min)
        .max(0.0);
    let x_range = padded(lo, hi);
    let y_range = (y_min - (1.0 - y_min) * 0.1).max(0.0)..1.0 + (1.0 - y_min) * 0.05;
    let target = Series {
        label: format!(
            "objective: {}% within {} s",
            round_sig(100.0 * p.slo.quantile),
            round_sig(p.slo.deadline)
        ),
        color: RGBColor(0, 0, 0),
        dashed: true,
        markers: false,
        points: vec![
            (x_range.start, p.slo.quantile),
            (x_range.end, p.slo.quantile),
        ],
    };
    let chosen: Vec<(f64, f64, RGBColor)> = p
        .choices
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let at = c.at.as_ref()?;
            Some((f64::from(at.agents), at.attainment.mean, color(i)))
        })
        .collect();
    render(|root| {
        let mut chart = builder(
            root,
            &format!(
                "Attainment against fleet size at {} requests/s",
                round_sig(p.rate)
            ),
            FULL,
        )
        .build_cartesian_2d(x_range.clone(), y_range.clone())
        .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_desc("agents")
            .y_desc("attainment (share within the deadline)")
            .label_style((FONT, FULL.labels))
            .axis_desc_style((FONT, FULL.axis))
            .draw()
            .map_err(draw_err)?;
        let mut all = series;
        all.push(target);
        draw_lines(&mut chart, &all)?;
        chart
            .draw_series(
                chosen
                    .iter()
                    .map(|&(x, y, c)| Circle::new((x, y), 8, c.stroke_width(3))),
            )
            .map_err(draw_err)?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font((FONT, FULL.legend))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(draw_err)?;
        Ok(())
    })
}

/// Points of a sorted sample's CDF, at most about 400 of them, the share in percent: a
/// million rows would make an SVG of megabytes for the same curve.
fn cdf_points(sorted: &[f64]) -> Vec<(f64, f64)> {
    let n = sorted.len();
    let step = n.div_ceil(400).max(1);
    let mut points: Vec<(f64, f64)> = (0..n)
        .step_by(step)
        .chain(std::iter::once(n - 1))
        .map(|i| (sorted[i], 100.0 * (i + 1) as f64 / n as f64))
        .filter(|p| p.0 > 0.0)
        .collect();
    points.dedup();
    points
}

/// A trace in two panels: its arrival rate over time (with the mean), and the empirical
/// CDF of its work (else output tokens, else input tokens) against the fitted
/// distribution's, drawn from the very draws the fit was judged on.
pub fn trace(t: &crate::trace::Trace, s: &crate::trace::Summary) -> Result<String, PlotError> {
    use crate::trace::Role;
    let r = &s.rate_over_time;
    let duration = t.duration();
    let mut rate: Vec<(f64, f64)> = Vec::new();
    for (i, &c) in r.counts.iter().enumerate() {
        let from = i as f64 * r.bucket;
        // The last bucket is cut by the trace's end: its rate is over what it covers.
        let covered = (duration - from).min(r.bucket);
        if covered >= r.bucket / 2.0 {
            rate.push((from + covered / 2.0, c as f64 / covered));
        }
    }
    if rate.is_empty() {
        return Err(PlotError::NoData(
            "the trace is too short for a rate over time".into(),
        ));
    }
    let column = [Role::Work, Role::TokensOut, Role::TokensIn]
        .into_iter()
        .find_map(|role| s.fits.get(role.id()).map(|f| (role, f)));
    let Some((role, fit)) = column else {
        return Err(PlotError::NoData(
            "no work or tokens column to fit (all zero)".into(),
        ));
    };
    let mut values: Vec<f64> = match role {
        Role::Work => t.work.clone().unwrap_or_default(),
        Role::TokensOut => t
            .tokens_out
            .iter()
            .flatten()
            .map(|&x| f64::from(x))
            .collect(),
        _ => t
            .tokens_in
            .iter()
            .flatten()
            .map(|&x| f64::from(x))
            .collect(),
    };
    values.sort_unstable_by(f64::total_cmp);
    let mut drawn = crate::trace::draws(&fit.service, role != Role::Work);
    drawn.sort_unstable_by(f64::total_cmp);
    let cdfs = [
        Series {
            label: format!("trace ({})", t.header(role).unwrap_or(role.id())),
            color: color(0),
            dashed: false,
            markers: false,
            points: cdf_points(&values),
        },
        Series {
            label: format!("fitted {} (KS D {})", fit.service, round_sig(fit.ks_d)),
            color: color(1),
            dashed: true,
            markers: false,
            points: cdf_points(&drawn),
        },
    ];
    let xs = cdfs.iter().flat_map(|c| c.points.iter().map(|p| p.0));
    let (lo, hi) = log_range(
        xs.clone().fold(f64::INFINITY, f64::min),
        xs.fold(0.0, f64::max),
    );
    let mean = s.mean_rate.unwrap_or(f64::NAN);
    let top = rate.iter().map(|p| p.1).fold(mean, f64::max) * 1.1;
    let unit = if role == Role::Work { "s" } else { "tokens" };
    render(|root| {
        let area = root
            .titled(&format!("Trace {}", s.path), (FONT, FULL.caption))
            .map_err(draw_err)?;
        let cells = area.split_evenly((1, 2));
        let mut chart = builder(
            &cells[0],
            &format!("arrivals per second ({} s buckets)", round_sig(r.bucket)),
            PANEL,
        )
        .build_cartesian_2d(0.0..duration.max(r.bucket), 0.0..top.max(1e-9))
        .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_desc("time from the first request (s)")
            .y_desc("requests/s")
            .x_label_formatter(&|x| tick(*x))
            .y_label_formatter(&|y| tick(*y))
            .light_line_style(WHITE.mix(0.0))
            .label_style((FONT, PANEL.labels))
            .axis_desc_style((FONT, PANEL.axis))
            .draw()
            .map_err(draw_err)?;
        let mut lines = vec![Series {
            label: "rate".into(),
            color: color(0),
            dashed: false,
            markers: false,
            points: rate.clone(),
        }];
        if mean.is_finite() {
            lines.push(Series {
                label: format!("mean {}/s", round_sig(mean)),
                color: OUTAGE_SHADE,
                dashed: true,
                markers: false,
                points: vec![(0.0, mean), (duration, mean)],
            });
        }
        draw_lines(&mut chart, &lines)?;
        legend(&mut chart, SeriesLabelPosition::LowerRight, PANEL)?;

        let what = role.id().replace('_', " ");
        let mut chart = builder(&cells[1], &format!("{what}: trace and fit"), PANEL)
            .build_cartesian_2d((lo..hi).log_scale(), 0.0..100.0)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_desc(format!("{what} ({unit}, log scale)"))
            .y_desc("share of requests (%)")
            .x_label_formatter(&|x| tick(*x))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .light_line_style(WHITE.mix(0.0))
            .label_style((FONT, PANEL.labels))
            .axis_desc_style((FONT, PANEL.axis))
            .draw()
            .map_err(draw_err)?;
        draw_lines(&mut chart, &cdfs)?;
        legend(&mut chart, SeriesLabelPosition::UpperLeft, PANEL)
    })
}
