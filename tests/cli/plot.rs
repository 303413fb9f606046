//! `--plot`: each chart kind is well-formed SVG of the stated size, with its series, legend
//! and labelled axes.

use crate::commands::tempdir;
use crate::{bad_input, stdout};

/// Runs the command with `--plot`, then parses the chart.
fn chart(args: &[&str]) -> String {
    let dir = tempdir();
    let path = dir.join("chart.svg");
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--plot", path.to_str().unwrap()]);
    stdout(&all);
    std::fs::read_to_string(&path).expect("the chart is written")
}

struct Svg<'a> {
    doc: roxmltree::Document<'a>,
}

impl<'a> Svg<'a> {
    fn parse(text: &'a str) -> Svg<'a> {
        let doc = roxmltree::Document::parse(text).expect("well-formed SVG");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.attribute("width"), Some("800"));
        assert_eq!(root.attribute("height"), Some("500"));
        Svg { doc }
    }

    fn texts(&self) -> Vec<String> {
        self.doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .map(|t| t.trim().to_string())
            .collect()
    }

    fn has_text(&self, wanted: &str) {
        let texts = self.texts();
        assert!(
            texts.iter().any(|t| t == wanted),
            "no text {wanted:?} in {texts:?}"
        );
    }

    /// Data lines: thick polylines of at least `min_points` points (axes and ticks are thin,
    /// legend samples have two points, dashes are short).
    fn lines(&self, min_points: usize) -> usize {
        self.doc
            .descendants()
            .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke-width") == Some("2"))
            .filter(|n| {
                n.attribute("points")
                    .is_some_and(|p| p.split_whitespace().count() >= min_points)
            })
            .count()
    }

    fn count(&self, tag: &str, attribute: &str, value: &str) -> usize {
        self.doc
            .descendants()
            .filter(|n| n.has_tag_name(tag) && n.attribute(attribute) == Some(value))
            .count()
    }
}

#[test]
fn simulate_plots_the_latency_distribution_of_each_balancer() {
    let text = chart(&[
        "simulate",
        "--pattern",
        "master_slave",
        "--balancer",
        "round_robin,least_connections,power_of_two",
        "--tasks",
        "3000",
        "--replications",
        "2",
    ]);
    let svg = Svg::parse(&text);
    for label in [
        "round_robin",
        "least_connections",
        "power_of_two",
        "99th percentile",
        "latency (s, log scale)",
        "share of all requests (%)",
    ] {
        svg.has_text(label);
    }
    assert_eq!(svg.lines(50), 3, "one CDF per balancer");
}

#[test]
fn an_objective_marks_its_deadline_and_share_on_the_distribution() {
    let text = chart(&[
        "simulate",
        "--pattern",
        "master_slave",
        "--balancer",
        "least_connections",
        "--slo",
        "3s@95%",
        "--tasks",
        "3000",
        "--replications",
        "2",
    ]);
    let svg = Svg::parse(&text);
    svg.has_text("objective 3s@95%");
    assert!(!svg.texts().iter().any(|t| t == "99th percentile"));
}

#[test]
fn a_timeline_plots_goodput_and_attempts_with_the_spike_shaded() {
    let text = chart(&[
        "simulate",
        "--pattern",
        "master_slave",
        "--balancer",
        "least_connections",
        "--spike",
        "100+50:2",
        "--timeline",
        "20",
        "--duration",
        "400",
        "--replications",
        "2",
    ]);
    let svg = Svg::parse(&text);
    for label in [
        "least_connections: goodput",
        "least_connections: attempts",
        "spike (--spike)",
        "time (s)",
    ] {
        svg.has_text(label);
    }
    assert_eq!(svg.lines(20), 1, "goodput is one solid line");
    // The window, and its legend sample.
    assert_eq!(svg.count("rect", "fill", "#FF7F0E"), 2);
}

#[test]
fn sweeps_and_merges_plot_p99_and_goodput_against_load() {
    let args = [
        "sweep",
        "--pattern",
        "master_slave",
        "--balancer",
        "round_robin,least_connections",
        "--load",
        "0.4:0.8:0.1",
        "--tasks",
        "2000",
        "--replications",
        "2",
    ];
    let text = chart(&args);
    let svg = Svg::parse(&text);
    for label in [
        "p99 latency over all requests: master_slave",
        "Goodput: master_slave",
        "offered load (of all agents)",
        "goodput (requests/s)",
        "round_robin",
        "least_connections",
    ] {
        svg.has_text(label);
    }
    assert_eq!(svg.lines(5), 4, "2 balancers in 2 panels");
    assert_eq!(
        svg.count("circle", "r", "3"),
        2 * 2 * 5,
        "every point marked"
    );

    // merge draws the same chart from the lines.
    let dir = tempdir();
    let lines = dir.join("sweep.jsonl");
    let mut jsonl_args = args.to_vec();
    jsonl_args.extend(["--format", "jsonl"]);
    std::fs::write(&lines, stdout(&jsonl_args)).unwrap();
    let merged = chart(&["merge", lines.to_str().unwrap()]);
    assert_eq!(merged, text);
}

#[test]
fn charts_need_an_svg_name_and_something_to_plot() {
    let err = bad_input(&["simulate", "--plot", "chart.png"]);
    assert!(err.contains("--plot") && err.contains(".svg"), "{err}");
    let err = bad_input(&[
        "sweep",
        "--pattern",
        "master_slave",
        "--service",
        "exp:1,det:1",
        "--tasks",
        "100",
        "--plot",
        "chart.svg",
    ]);
    assert!(
        err.contains("--plot") && err.contains("numeric parameter"),
        "{err}"
    );
}

#[test]
fn several_patterns_get_a_panel_each_with_one_legend() {
    let text = chart(&[
        "simulate",
        "--pattern",
        "master_slave,pipeline,scatter_gather",
        "--balancer",
        "round_robin,least_connections",
        "--tasks",
        "2000",
        "--replications",
        "2",
    ]);
    let svg = Svg::parse(&text);
    for caption in ["master_slave", "pipeline", "scatter_gather"] {
        svg.has_text(caption);
    }
    assert_eq!(svg.lines(50), 3 * 2, "a CDF per pattern and balancer");
    let legends = svg
        .texts()
        .iter()
        .filter(|t| *t == "least_connections")
        .count();
    assert_eq!(legends, 1, "one legend for all panels");
}

#[test]
fn a_chart_that_cannot_be_drawn_leaves_the_results_printed() {
    let dir = tempdir();
    let path = dir.join("none.svg");
    // Every request times out before its work is done: nothing completes.
    let out = crate::jaegis()
        .args([
            "simulate",
            "--pattern",
            "master_slave",
            "--balancer",
            "round_robin",
            "--tasks",
            "200",
            "--replications",
            "2",
            "--timeout",
            "0.0001",
            "--plot",
            path.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("round_robin"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to plot"));
    assert!(!path.exists());

    let err = bad_input(&["simulate", "--plot", "/nonexistent-dir/x.svg"]);
    assert!(
        err.contains("--plot") && err.contains("does not exist"),
        "{err}"
    );
    let err = bad_input(&[
        "sweep", "--load", "0.5,0.6", "--shard", "1/2", "--plot", "x.svg",
    ]);
    assert!(err.contains("merge"), "{err}");
}

#[test]
fn charts_are_the_same_whatever_the_thread_count() {
    let dir = tempdir();
    let svg = |threads: &str| {
        let path = dir.join(format!("t{threads}.svg"));
        let out = crate::jaegis()
            .env("RAYON_NUM_THREADS", threads)
            .args([
                "simulate",
                "--pattern",
                "pipeline,scatter_gather",
                "--balancer",
                "round_robin,predictive",
                "--tasks",
                "3000",
                "--replications",
                "4",
                "--plot",
                path.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        std::fs::read_to_string(path).unwrap()
    };
    assert_eq!(svg("1"), svg("3"));
}

#[test]
fn a_curve_hidden_under_another_says_so_in_the_legend() {
    // On a fleet of equal agents, capability_based decides as least_connections does.
    let text = chart(&[
        "simulate",
        "--pattern",
        "master_slave",
        "--balancer",
        "least_connections,capability_based,round_robin",
        "--tasks",
        "2000",
        "--replications",
        "2",
    ]);
    let svg = Svg::parse(&text);
    svg.has_text("least_connections");
    svg.has_text("capability_based (same as least_connections)");
    svg.has_text("round_robin");
}

#[test]
fn the_shared_legend_of_several_panels_claims_only_what_holds_in_every_panel() {
    // scatter_gather sends each request to every agent: there, every balancer draws the
    // same curve; in peer_to_peer they differ. The one legend must not say they coincide.
    let text = chart(&[
        "simulate",
        "--pattern",
        "scatter_gather,peer_to_peer",
        "--balancer",
        "round_robin,least_connections",
        "--tasks",
        "2000",
        "--replications",
        "2",
    ]);
    let svg = Svg::parse(&text);
    svg.has_text("least_connections");
    assert!(
        !svg.texts().iter().any(|t| t.contains("same as")),
        "{:?}",
        svg.texts()
    );
}
