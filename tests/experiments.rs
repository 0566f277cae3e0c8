//! The experiment log's entries as data: count, ids, the table of hyper-parameters, budgets.
use gcatm::experiments::{entries, entry, Budget, CorpusChoice, Section};
use gcatm::train::{TrainConfig, Variant};
use std::collections::HashSet;

/// The log's table: (number, id, K, generator lr scale, tau, batch, variant).
const TABLE: [(u8, &str, usize, f64, f64, usize, Variant); 12] = [
    (1, "2021-08-18-23-12", 100, 0.01, 0.1, 256, Variant::Hard),
    (2, "2021-08-19-10-54", 100, 1.0, 0.5, 256, Variant::Hard),
    (3, "2021-08-19-23-12", 75, 1.0, 0.5, 256, Variant::Hard),
    (4, "2021-08-20-10-08", 50, 1.0, 0.5, 256, Variant::Hard),
    (5, "2021-08-21-11-08", 30, 0.01, 0.5, 256, Variant::Hard),
    (6, "2021-08-21-22-51", 20, 0.01, 0.5, 256, Variant::Hard),
    (
        7,
        "2021-08-23-12-04",
        20,
        0.01,
        0.5,
        256,
        Variant::MeanWeighted,
    ),
    (
        8,
        "2021-08-27-12-28",
        30,
        0.01,
        0.5,
        256,
        Variant::MeanWeighted,
    ),
    (
        9,
        "2021-08-23-14-54",
        100,
        1.0,
        0.5,
        256,
        Variant::MeanWeighted,
    ),
    (
        10,
        "2021-08-26-10-09",
        75,
        1.0,
        0.5,
        256,
        Variant::MeanWeighted,
    ),
    (
        11,
        "2021-08-26-22-19",
        50,
        1.0,
        0.5,
        256,
        Variant::MeanWeighted,
    ),
    (
        12,
        "2021-08-27-12-19",
        50,
        1.0,
        0.5,
        256,
        Variant::MeanWeighted,
    ),
];

#[test]
fn twelve_entries_in_order_with_unique_ids() {
    let all = entries();
    assert_eq!(all.len(), 12);
    assert_eq!(
        all.iter().map(|e| e.number).collect::<Vec<_>>(),
        (1..=12).collect::<Vec<u8>>()
    );
    let ids: HashSet<_> = all
        .iter()
        .map(|e| e.id)
        .chain([all[8].follow_up.unwrap().id])
        .collect();
    assert_eq!(ids.len(), 13, "ids (follow-up included) must be unique");
    let labels: HashSet<_> = all.iter().map(|e| e.label).collect();
    assert_eq!(labels.len(), 12);
}

#[test]
fn configs_match_the_log_table() {
    for (e, &(n, id, k, g, tau, batch, variant)) in entries().iter().zip(TABLE.iter()) {
        assert_eq!((e.number, e.id), (n, id));
        let cfg = e.config(Budget::Full);
        assert_eq!(cfg.topics, k, "entry {n} K");
        assert_eq!(cfg.g_lr_scale, g, "entry {n} generator lr scale");
        assert_eq!(cfg.temperature, tau, "entry {n} tau");
        assert_eq!(cfg.batch_size, batch, "entry {n} batch");
        assert_eq!(cfg.variant, variant, "entry {n} variant");
        assert_eq!(e.variant, e.section.variant());
        let want_lr = if n == 12 { 1e-6 } else { 1e-4 };
        assert_eq!(cfg.lr, want_lr, "entry {n} lr");
        // The rest is the log's shared table.
        let d = TrainConfig::default();
        assert_eq!(
            (
                cfg.clip,
                cfg.beta_1,
                cfg.beta_2,
                cfg.n_critic,
                cfg.optimizer
            ),
            (d.clip, d.beta_1, d.beta_2, d.n_critic, d.optimizer)
        );
        assert_eq!(cfg.hidden, 1024);
        cfg.validate().unwrap();
    }
}

#[test]
fn sections_split_at_entry_7() {
    for e in entries() {
        let want = if e.number <= 6 {
            Section::HardLabel
        } else {
            Section::MeanWeightedLabel
        };
        assert_eq!(e.section, want, "entry {}", e.number);
    }
}

#[test]
fn entry_9_follow_up_is_batch_1024_with_reported_npmi() {
    let nine = entry("9").unwrap();
    assert_eq!(nine.reported_npmi, None);
    let f = nine.follow_up.unwrap();
    assert_eq!(
        (f.label, f.id, f.batch_size),
        ("9b", "2021-08-24-23-21", 1024)
    );
    assert_eq!(f.reported_npmi, Some(0.03013));
    assert!(f.is_follow_up() && !nine.is_follow_up());
    assert_eq!(
        f.log_dir().unwrap(),
        "gc_atm/20news_clean_2021-08-24-23-21_topic100"
    );
    let cfg = f.config(Budget::Cpu);
    assert_eq!(
        (cfg.topics, cfg.batch_size, cfg.variant),
        (100, 1024, Variant::MeanWeighted)
    );
    assert!(entries()
        .iter()
        .all(|e| e.number == 9 || e.follow_up.is_none()));
}

#[test]
fn entry_12_uses_lr_1e6_for_every_network() {
    let e = entry("12").unwrap();
    let cfg = e.config(Budget::Cpu);
    assert_eq!(
        (cfg.lr, cfg.g_lr_scale, cfg.generator_lr()),
        (1e-6, 1.0, 1e-6)
    );
    assert_eq!(cfg.topics, 50);
    assert_eq!(e.log_dir(), None);
}

#[test]
fn lookup_by_number_label_id_and_folder() {
    assert_eq!(entry("3").unwrap().id, "2021-08-19-23-12");
    assert_eq!(entry(" 9B ").unwrap().batch_size, 1024);
    assert_eq!(entry("2021-08-26-22-19").unwrap().number, 11);
    assert_eq!(
        entry("gc_atm/20news_clean_2021-08-18-23-12_topic100/")
            .unwrap()
            .number,
        1
    );
    assert_eq!(
        entry("20news_clean_2021-08-21-22-51_topic20")
            .unwrap()
            .number,
        6
    );
    for bad in ["0", "13", "", "2021-01-01-00-00", "9c"] {
        assert!(entry(bad).is_none(), "{bad:?}");
    }
}

#[test]
fn configs_round_trip_through_json() {
    for budget in [Budget::Smoke, Budget::Cpu, Budget::Long, Budget::Full] {
        for e in entries().iter().chain(entry("9b")) {
            let cfg = e.config(budget);
            let json = serde_json::to_string(&cfg).unwrap();
            assert_eq!(serde_json::from_str::<TrainConfig>(&json).unwrap(), cfg);
        }
    }
    // Entries serialise too (for `gcatm log list --json`).
    let v = serde_json::to_value(entry("1").unwrap()).unwrap();
    assert_eq!(v["variant"], "hard");
    assert_eq!(v["temperature"], 0.1);
}

#[test]
fn budget_parsing_and_numbers() {
    assert_eq!("smoke".parse::<Budget>().unwrap(), Budget::Smoke);
    assert_eq!(" CPU ".parse::<Budget>().unwrap(), Budget::Cpu);
    assert_eq!("Full".parse::<Budget>().unwrap(), Budget::Full);
    let err = "huge".parse::<Budget>().unwrap_err();
    assert!(err.to_string().contains("huge"));
    for b in [Budget::Smoke, Budget::Cpu, Budget::Long, Budget::Full] {
        assert_eq!(b.to_string().parse::<Budget>().unwrap(), b);
        assert_eq!(serde_json::to_string(&b).unwrap(), format!("\"{b}\""));
    }
    assert_eq!(
        (
            Budget::Smoke.epochs(),
            Budget::Cpu.epochs(),
            Budget::Long.epochs(),
            Budget::Full.epochs()
        ),
        (2, 200, 10_000, 20_000)
    );
    assert_eq!(
        (
            Budget::Smoke.eval_every(),
            Budget::Cpu.eval_every(),
            Budget::Long.eval_every(),
            Budget::Full.eval_every()
        ),
        (1, 10, 50, 250)
    );
    assert!(matches!(
        Budget::Smoke.corpus(),
        CorpusChoice::Planted { .. }
    ));
    assert_eq!(Budget::Cpu.corpus(), CorpusChoice::TwentyNg1883);
    assert_eq!(Budget::Long.corpus(), CorpusChoice::TwentyNg1883);
    assert_eq!(Budget::Long.device(), "cpu");
    let smoke = entry("9b").unwrap().config(Budget::Smoke);
    assert_eq!((smoke.batch_size, smoke.hidden, smoke.epochs), (64, 64, 2));
}

/// The only test touching GCATM_BUDGET (tests of one binary share the environment).
#[test]
fn budget_from_env() {
    std::env::remove_var(Budget::ENV);
    assert_eq!(Budget::from_env().unwrap(), Budget::Cpu);
    std::env::set_var(Budget::ENV, "");
    assert_eq!(Budget::from_env().unwrap(), Budget::Cpu);
    std::env::set_var(Budget::ENV, "smoke");
    assert_eq!(Budget::from_env().unwrap(), Budget::Smoke);
    std::env::set_var(Budget::ENV, "laptop");
    assert!(Budget::from_env().is_err());
    std::env::remove_var(Budget::ENV);
}
