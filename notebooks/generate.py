#!/usr/bin/env python3
"""Writes the notebooks of this folder (nbformat 4, evcxr Rust kernel "rust"), without outputs.

    python3 notebooks/generate.py            # rewrite every notebook (their outputs are lost)
    python3 notebooks/generate.py 09 13      # only the notebooks whose names start so
    python3 notebooks/generate.py --check    # fail when a committed notebook's cells differ (CI)

The committed notebooks carry the outputs of an executed run (see README.md): after changing a
notebook here, execute it again (`GCATM_BUDGET=cpu NOTEBOOKS_OUT=/tmp/nb bash .ci/notebooks.sh
notebooks/NAME.ipynb`, then copy `/tmp/nb/notebooks/NAME.ipynb` over it).
"""
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# What the committed outputs were executed with (said in every notebook's introduction). STORED
# names the notebooks (entry labels, "00", "13") committed with the outputs of an execution.
EXECUTED = ("This notebook is committed without stored outputs: the outputs of its earlier executions "
            "came from code that has changed since (the log's TF-IDF input, 200-epoch `cpu` budget, "
            "baselines), and it has not been executed at the **{budget}** budget on the current code yet. "
            "Run it to see its results; the first code cell prints the budget and the machine of the run "
            "(the project's runs use {machine}).")
EXECUTED_STORED = ("The outputs stored in this notebook come from one execution at the **{budget}** budget on "
                   "{machine}; the first code cell prints the build that executed it (crate version, git "
                   "commit, whether the tree differed from it, rustc, candle), the machine, the threads and "
                   "the date, and the training cells print which build trained each run they reuse. "
                   "Executing it again, at any budget (`GCATM_BUDGET`), replaces them.")
EXECUTED_BUDGET = {"default": "cpu"}
STORED = {"00", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14"}
MACHINE = "a 2-core virtual machine, CPU only"


def executed(key):
    """The introduction's sentence on the stored outputs of notebook `key`."""
    text = EXECUTED_STORED if key in STORED else EXECUTED
    return text.format(budget=EXECUTED_BUDGET.get(key, EXECUTED_BUDGET["default"]), machine=MACHINE)


def md(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text.strip("\n")}


def code(text):
    text = text.strip("\n")
    if text.endswith("\n}"):
        # A trailing block or loop would be the cell's value, shown as "()".
        text += ";"
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": text}


def notebook(cells):
    cells = [dict(c, id=f"cell-{i:02d}") for i, c in enumerate(cells)]
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Rust", "language": "rust", "name": "rust"},
            "language_info": {"codemirror_mode": "rust", "file_extension": ".rs",
                              "mimetype": "text/rust", "name": "Rust", "pygment_lexer": "rust",
                              "version": ""},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


DEP = code("""// Build without the debug assertions and overflow checks of evcxr's default profile: with
// them, training is about 3 times slower than in a release build.
:build_env CARGO_PROFILE_DEV_DEBUG_ASSERTIONS=false
:build_env CARGO_PROFILE_DEV_OVERFLOW_CHECKS=false
:dep gcatm = { path = ".." }""")

BUDGETS = """
**Budgets** (`GCATM_BUDGET`, default `cpu`; see `gcatm::experiments::Budget`):

| budget | corpus | epochs | evaluation | hidden width H | batch |
|---|---|--:|---|--:|---|
| `smoke` | planted (512 documents, 300 words, 8 topics) | 2 | every epoch | 64 | the entry's, at most 64 |
| `cpu` | 20ng-1883 (11 314 train / 7 532 test documents, V = 1883) | 200 | every 10 epochs | 1024 | the entry's |
| `long` | 20ng-1883 | 10 000 | every 50 epochs | 1024 | the entry's |
| `full` | 20ng-1883 | 20 000 | every 250 epochs (the log's) | 1024 | the entry's |
"""

CONTEXT = """
**How to read the numbers.** The log's coherence came from the Palmetto tool over a Wikipedia
index; here NPMI is computed by document co-occurrence in the 20ng-1883 corpus itself (train + test,
top-10 words, −1 for pairs that never co-occur), so the log's values are context, not targets to match
digit by digit. Every result below stands beside four baselines for the same K, corpus and evaluator
(fitted once and kept in `runs/<budget>/baselines-k<K>.json`, so later notebooks read them back): random 10-word topics (the floor, mean ± standard deviation over 20 draws),
variational LDA (`gcatm::baseline::Lda`, scikit-learn's algorithm and defaults), collapsed Gibbs LDA at
tomotopy's settings (`gcatm::baseline::GibbsLda`: α = η = 1/K, 1,000 iterations) and ProdLDA at
TopMost's settings (`gcatm::baseline::ProdLda`: 200 epochs), each fitted once with seed 0. NPMI must be read together with topic diversity (TD@25): topics that
all collapse onto the same few words can keep a mid-range NPMI while saying nothing new. The networks
see each document as the log's code fed it: TF-IDF weights (scikit-learn's smoothed idf, fitted on the
training documents), divided by their sum.
"""

SETUP = """
use gcatm::experiments::entry;
use gcatm::experiments::Budget;
use gcatm::experiments::reproduce;
use gcatm::experiments::seeds;
use std::path::PathBuf;

println!("{}", gcatm::provenance::Provenance::now());
let budget = Budget::from_env().expect("GCATM_BUDGET must be smoke, cpu, long or full");
let e = entry("{label}").expect("the entry is in the registry").clone();
let config = e.config(budget);
// The baselines are kept in runs/<budget>/, every seed's run in seeds/<budget>/<label>/seed<S>/.
let out = PathBuf::from("runs").join(budget.to_string());
let seeds_out = PathBuf::from("seeds").join(budget.to_string());
println!("budget={budget} epochs={}", config.epochs);
println!("evaluation every {} epoch(s), H = {}", config.eval_every, config.hidden);
println!("entry {}: {}", e.label, e.notes);
println!("{config:#?}");
"""

LOAD = """
let data = reproduce::load_data(budget, None).expect("the budget's corpus (20ng-1883 ships in data/)");
let evaluator = data.evaluator().expect("the evaluator");
println!("{}", data.description);
// Kept in runs/<budget>/ after the first fit (delete the file to fit again).
let baselines = data.baselines_cached(&evaluator, e.topics, &out).expect("the baselines");
println!("random 10-word topics, K = {}: NPMI {:.4} ± {:.4} (20 draws)", e.topics, baselines.floor.mean, baselines.floor.std);
for m in baselines.models() {
    println!("{}, K = {}: NPMI {:.4}, TD@25 {:.3} ({:.0} s to fit)", m.name, e.topics, m.npmi, m.td, m.seconds);
}
"""


SEEDS = """
// Each seed is read back from its evidence when that holds the finished run of this configuration
// (shipped for the cpu budget), continued from its checkpoint when interrupted, else trained:
// one line per evaluation of a seed trained now. Delete a seed's folder to train it again.
let seed_runs = seeds::run_seeds(&e, budget, &data, &evaluator, &seeds_out, None, &seeds::SEEDS, |s, r| {
    if !r.metrics.is_empty() {
        println!("seed {s}: {r}");
    }
})
.expect("the entry's seeds");
for s in &seed_runs {
    let by = gcatm::train::RunFolder::new(&s.dir).trained_by().expect("the seed's provenance");
    let by: Vec<String> = by.iter().map(|t| t.to_string()).collect();
    println!("seed {}: {} ({}, {} epochs, {:.0} s); trained {}", s.seed, s.dir.display(), s.origin,
             s.row.epochs, s.row.wall_seconds, by.join("; "));
}
"""

EVALUATIONS = """
// Seed 0's evaluations (the losses are the means of that epoch).
for r in seed_runs[0].history.epochs.iter().filter(|r| !r.metrics.is_empty()) {
    println!("{r}");
}
"""

RESULTS = """
seeds::results_table(&seed_runs, &baselines, e.reported_npmi)
"""

SEEDS_NPMI = """
gcatm::plot::seeds_vs_baselines(
    &format!("entry {} ({}, K = {}, {budget}): NPMI, seeds {:?}", e.label, config.variant, e.topics, seeds::SEEDS),
    "NPMI",
    &[(format!("entry {}", e.label), seeds::curves(&seed_runs, "npmi"))],
    Some((baselines.floor.mean, baselines.floor.std)),
    &baselines.lines(|m| m.npmi),
)
.expect("the NPMI chart")
"""

SEEDS_TD = """
gcatm::plot::seeds_vs_baselines(
    &format!("entry {} ({}, K = {}, {budget}): TD@25, seeds {:?}", e.label, config.variant, e.topics, seeds::SEEDS),
    "TD@25",
    &[(format!("entry {}", e.label), seeds::curves(&seed_runs, "td"))],
    None,
    &baselines.lines(|m| m.td),
)
.expect("the TD chart")
"""




LOSSES = """
// Epoch means (the evidence keeps one line per epoch). (No `let` of a reference: evcxr keeps a
// cell's variables, and cannot keep borrowed ones.) The first epochs' losses are far larger than
// the rest: the chart starts after them.
let skip = (config.epochs / 20).max(1);
gcatm::plot::LineChart::new(format!("entry {}, seed 0: training losses, epoch means", e.label))
    .x_label("epoch")
    .from_x(skip as f64)
    .y_label("loss")
    .series("critic D", seed_runs[0].history.loss_curve("loss_d"))
    .series("generator G (adversarial)", seed_runs[0].history.loss_curve("loss_g"))
    .series("encoder E", seed_runs[0].history.loss_curve("loss_e"))
    .legend(gcatm::plot::Legend::Below)
    .build()
    .expect("the loss chart")
"""

INFONCE = """
let chance = (2.0 * config.batch_size as f64 - 1.0).ln();
gcatm::plot::LineChart::new(format!("entry {}, seed 0 (tau {}): InfoNCE, epoch means", e.label, config.temperature))
    .x_label("epoch")
    .y_label("InfoNCE loss")
    .series("InfoNCE", seed_runs[0].history.loss_curve("info_nce"))
    .reference(format!("ln(2B - 1) = {chance:.2} (B = {})", config.batch_size), chance)
    .legend(gcatm::plot::Legend::Below)
    .build()
    .expect("the InfoNCE chart")
"""



INFONCE_NOTE = """
let nce = seed_runs[0].history.loss("info_nce");
if let (Some(first), Some(last)) = (nce.first(), nce.last()) {
    println!("InfoNCE, epoch mean: {:.3} (epoch {}) -> {:.3} (epoch {}); ln(2B - 1) = {chance:.3}", first.1, first.0, last.1, last.0);
    let side = if last.1 > chance { "above" } else { "below" };
    println!("the last epoch's mean is {:.3} {side} ln(2B - 1)", (last.1 - chance).abs());
    if last.1 < chance {
        println!("(below it: on average the positive pair scored above the mean of the 2B - 1 candidates)");
    }
}
"""

TOPICS = """
let final_eval = seed_runs[0].summary.final_evaluation.clone().expect("the run was evaluated");
println!("seed 0, epoch {}:", seed_runs[0].summary.epochs);
gcatm::plot::topic_table(&final_eval.topics, Some(&final_eval.npmi.per_topic)).expect("the topic table")
"""

BEST_TOPICS = """
let (best_epoch, _) = seed_runs[0].history.best("npmi").expect("evaluated epochs");
let at_best = seed_runs[0].history.epochs.iter().find(|r| r.epoch == best_epoch).and_then(|r| r.topics.clone())
    .expect("the topics of the best epoch");
println!("seed 0, topics at epoch {best_epoch} (its best NPMI):");
gcatm::plot::topic_table(&at_best, None).expect("the topic table")
"""


READING = """
println!("Seed 0:");
for line in reproduce::reading(&seed_runs[0].history, &baselines) {
    println!("    {line}");
}
match e.reported_npmi {
    Some(v) => println!("The log reports a maximum of {v} for this run without naming the measure (another scale: context, not comparable digit by digit)."),
    None => println!("The log gives no number for this entry (its figure is no longer reachable)."),
}
"""

# The log's entries as written (Chinese) and in English; `None` where the log omits a field.
LR_Z = "并且**单独设置了Generator的学习率为：{g}**，**改变了temperature为{t}**"
LR_E = "and the generator's learning rate was **set separately to {g}**; the **temperature was changed to {t}**"
S1 = "Section 1 of the log: InfoNCE loss experiments (InfoNCELoss损失实验记录), hard topic label embedding"
S2 = "Section 2 of the log: 使用平均加权的label Embedding — “using a mean-weighted label embedding”"

ENTRIES = [
    dict(label="1", id="2021-08-18-23-12", time="2021-08-18-23-12",
         log="gc_atm/20news_clean_2021-08-18-23-12_topic100/", g="lr/100", t="0.1", topic_num=None,
         fig="image-20210819105105019"),
    dict(label="2", id="2021-08-19-10-54", time="2021-08-19-10-54",
         log="20news_clean_2021-08-19-10-54_topic100", g="lr", t="0.5", topic_num="100",
         fig="image-20210819192642153"),
    dict(label="3", id="2021-08-19-23-12", time="021-08-19-23-12",
         log="gc_atm/20news_clean_2021-08-19-23-12_topic75/", g="lr", t="0.5", topic_num="75",
         fig="image-20210820095317332"),
    dict(label="4", id="2021-08-20-10-08", time="20news_clean_2021-08-20-10-08_topic50",
         log="gc_atm/20news_clean_2021-08-20-10-08_topic50", g="lr", t="0.5", topic_num="50",
         fig="image-20210820213432499"),
    dict(label="5", id="2021-08-21-11-08", time="20news_clean_2021-08-21-11-08_topic30",
         log="gc_atm/20news_clean_2021-08-21-11-08_topic30", g="lr/100", t="0.5", topic_num="30",
         fig="image-20210821200100183"),
    dict(label="6", id="2021-08-21-22-51", time="20news_clean_2021-08-21-22-51_topic20",
         log="gc_atm/20news_clean_2021-08-21-22-51_topic20", g="lr/100", t="0.5", topic_num="20",
         fig="image-20210822095626787"),
    dict(label="7", id="2021-08-23-12-04", time="20news_clean_2021-08-23-12-04_topic20",
         log="gc_atm/20news_clean_2021-08-23-12-04_topic20", g="lr/100", t="0.5", topic_num="20",
         fig="image-20210823140015605"),
    dict(label="8", id="2021-08-27-12-28", time="20news_clean_2021-08-27-12-28_topic30",
         log="gc_atm/20news_clean_2021-08-27-12-28_topic30", g="lr/100", t="0.5", topic_num="20",
         fig="image-20210827194625325"),
    dict(label="9", id="2021-08-23-14-54", time="20news_clean_2021-08-23-14-54_topic100",
         log="gc_atm/20news_clean_2021-08-23-14-54_topic100", g="lr", t="0.5", topic_num="100",
         fig="image-20210824092439273"),
    dict(label="10", id="2021-08-26-10-09", time="20news_clean_2021-08-26-10-09_topic75",
         log="gc_atm/20news_clean_2021-08-26-10-09_topic75", g="lr", t="0.5", topic_num="75",
         fig="image-20210826210817356"),
    dict(label="11", id="2021-08-26-22-19", time="20news_clean_2021-08-26-22-19_topic50",
         log="gc_atm/20news_clean_2021-08-26-22-19_topic50", g="lr", t="0.5", topic_num="50",
         fig="image-20210827094559319"),
    dict(label="12", id="2021-08-27-12-19", time=None, log=None, g=None, t="0.5", topic_num=None,
         fig="image-20210827121935181"),
]

# The registry's values (src/experiments.rs), for the "run here" table.
K = {"1": 100, "2": 100, "3": 75, "4": 50, "5": 30, "6": 20, "7": 20, "8": 30, "9": 100,
     "10": 75, "11": 50, "12": 50}


def table(lr="1e-4", t="0.5", bold_t=True, bold_lr=False):
    tv = f"**{t}**" if bold_t else t
    lv = f"**{lr}**" if bold_lr else lr
    return ("| batch size | clip | learning rate | beta_1 | beta_2 | n_critic | optimizer | temperature |\n"
            "| :--------: | :--: | :-----------: | :----: | :----: | :------: | :-------: | :---------: |\n"
            f"|    256     | 0.01 |     {lv}      |  0.5   | 0.999  |    5     |   Adam    |   {tv}   |")


def interpretation(x):
    n = int(x["label"])
    section1 = n <= 6
    lines = []
    if section1:
        lines.append("- **Section 1, hard label embedding** (`Variant::Hard`; the log's section title says only "
                     "“InfoNCE loss experiments”: “hard label” is the project's reading, from the author's code "
                     "and as opposed to section 2's “mean-weighted label embedding”): a generated document's topic "
                     "embedding is the learned row of argmax(θ) of a K × 128 table; InfoNCE pairs it with the "
                     "projection (Linear(H, H) → ReLU → Linear(H, 128)) of the generator's hidden features.")
    else:
        lines.append("- **Section 2, mean-weighted label embedding** (`Variant::MeanWeighted`): the topic "
                     "embedding is Σ_k θ_k E_k over all K rows of the table (an embedding bag weighted by θ), "
                     "paired by InfoNCE with the projection of the generator's hidden features.")
    if x["g"] == "lr/100":
        lines.append("- “Generator lr = lr/100”: the generator's Adam (projection head and topic table "
                     "included) uses 1e-6 while the encoder and the critic use 1e-4.")
    elif x["g"] == "lr":
        lines.append("- “Generator lr = lr”: all three networks use 1e-4.")
    if n == 1:
        lines.append("- The log names no number of topics in the text; its folder says `topic100`: K = 100.")
    if n == 3:
        lines.append("- The log writes the time as “021-08-19-23-12”, a typo for 2021-08-19-23-12.")
    if n == 8:
        lines.append("- The log's folder says `topic30` while its text says “Topic Num: 20”; the folder name is "
                     "taken as true: K = 30.")
    if n == 9:
        lines.append("- The line under the figure reports a follow-up run with **batch size 1024** (log "
                     "`gc_atm/20news_clean_2021-08-24-23-21_topic100/`) with “max最大值0.03013”: the log does "
                     "not name the measure; the project reads it as the maximum NPMI, the measure of its figures. "
                     "The registry holds it as entry `9b` (entry 9's settings with batch 1024); this notebook "
                     "runs it too. Under the `smoke` budget the batch is capped at 64, so 9 and 9b then "
                     "coincide in batch size.")
    if n == 12:
        lines.append("- The entry has no time stamp, no log folder and no number of topics: the id used is "
                     "its figure's date (2021-08-27-12-19) and K is taken as 50, the entry before it in the log "
                     "(entry 11). That is one reading: by the time stamps, entry 8 (K = 30, 2021-08-27-12-28) "
                     "ran nine minutes after this figure, so K = 30 is possible too.")
        lines.append("- “learning rate 1e-6” is read as 1e-6 for all three networks (the generator's at "
                     "“lr”, as in the entries around it).")
        lines.append("- It follows section 2's entries, so it uses the mean-weighted label embedding.")
    lines.append("- Corpus: the log's `20news_clean` is not available in full; 20 Newsgroups restricted to the "
                 "1883 words it shares with the `20news_clean` vocabulary (20ng-1883) stands in for it.")
    lines.append("- Every other setting is the log's shared table: batch 256, clip 0.01 (every critic "
                 "parameter, BatchNorm's included, clamped after each critic step), Adam (β = 0.5, 0.999), "
                 "n_critic = 5, Dirichlet(1/K) prior, H = 1024; the best-NPMI checkpoint is kept (`best/`).")
    return "\n".join(lines)


def entry_intro(x):
    n = int(x["label"])
    sec = S1 if n <= 6 else S2
    parts = [f"# Entry {n}: {x['id']}" + (" (no time stamp in the log)" if n == 12 else ""), "", f"*{sec}.*", ""]
    parts.append("## The entry as the log gives it")
    parts.append("")
    if n == 12:
        parts.append("The entry has only its table, one remark and a figure:")
        parts.append("")
        parts.append(table(lr="1e-6", bold_lr=True))
        parts.append("")
        parts.append("> 效果很差： — “the results were very poor:”")
        parts.append(">")
        parts.append(f"> *(figure `{x['fig']}.png`, dated 2021-08-27 12:19, no longer reachable)*")
    else:
        parts.append(f"> **Time：** {x['time']}")
        parts.append(">")
        parts.append(f"> **Log：** {x['log']}")
        parts.append(">")
        parts.append(f"> **Method**：{LR_Z.format(g=x['g'], t=x['t'])}")
        if x["topic_num"]:
            parts.append(">")
            parts.append(f"> **Topic Num:** {x['topic_num']}")
        parts.append(">")
        parts.append("> **改变超参数如下：**")
        parts.append("")
        parts.append(table(t=x["t"]))
        parts.append("")
        parts.append(f"> *(figure `{x['fig']}.png`: coherence curves, no longer reachable)*")
        if n == 9:
            parts.append(">")
            parts.append("> Batch Size:1024  max最大值0.03013 log：gc_atm/20news_clean_2021-08-24-23-21_topic100/")
        parts.append("")
        parts.append("**In English.** Method: “" + LR_E.format(g=x["g"], t=x["t"]) + ".” "
                     "“改变超参数如下” = “hyper-parameters changed as follows”."
                     + (" Under the figure: “batch size 1024: maximum value 0.03013”, with its log folder." if n == 9 else ""))
    if n == 12:
        parts.append("")
        parts.append("**In English.** The learning rate in the table is **1e-6** (instead of 1e-4); "
                     "“效果很差” means “the results were very poor”.")
    parts.append("")
    parts.append("## The project's interpretation")
    parts.append("")
    parts.append(interpretation(x))
    parts.append("")
    parts.append("## What runs here")
    parts.append("")
    parts.append(f"`gcatm::experiments::entry(\"{x['label']}\").config(budget)`: K = {K[x['label']]}, "
                 "the variant, learning rates and temperature above, the budget's epochs, evaluation period, "
                 "hidden width and batch cap; trained at seeds 0, 1 and 2 (only the seed differs) by "
                 "`gcatm::experiments::seeds::run_seeds` into `seeds/<budget>/" + x['label'] + "/seed<S>/` beside "
                 "this notebook. For the `cpu` budget those folders ship with the crate (configuration, per-epoch "
                 "history with every evaluation, final metrics, topics and provenance; no checkpoints), so the "
                 "notebook reads them back instead of training for about 6 minutes a seed; delete a folder to "
                 "train that seed again. The results come first, over the three seeds; then seed 0 in detail.")
    parts.append(BUDGETS)
    parts.append(executed(x["label"]))
    parts.append(CONTEXT)
    return "\n".join(parts)


def entry_notebook(x):
    n = int(x["label"])
    cells = [md(entry_intro(x)), DEP,
             md("The build and machine this notebook runs on, the budget, and the entry's configuration from "
                "the registry."),
             code(SETUP.replace("{label}", x["label"])),
             md("The corpus of the budget, the evaluator (NPMI and C_V of the top-10 words, TD of the top 25, "
                "clustering of the test documents), and the four baselines for this K: random 10-word topics, "
                "variational LDA, Gibbs LDA and ProdLDA, fitted on the same training documents."),
             code(LOAD),
             md("## Training\nThe entry at seeds 0, 1 and 2 (only the seed differs), each evaluated every "
                "`eval_every` epochs of the budget, and the build that trained each run."),
             code(SEEDS),
             md("## Results over the three seeds\nMean ± standard deviation over the seeds, each seed, the "
                "baselines at this K (fitted once, seed 0), the random floor, and the log's own number where it "
                "has one. The sentence under the table is computed from the numbers in it "
                "(`gcatm::experiments::seeds::results_verdict`: a mean more than one standard deviation above or "
                "below a baseline's value is called above or below it, otherwise within one standard deviation)."),
             code(RESULTS),
             md("### Coherence and diversity over training\nThe seeds' mean at each evaluation with a band of ± one "
                "standard deviation, beside the random floor (grey band: its mean ± one standard deviation over 20 "
                "draws) and the three model baselines (dashed, one colour and pattern each). Epoch 0 is the "
                "networks as initialised. The ringed point is the best mean."),
             code(SEEDS_NPMI),
             md("TD@25, the share of distinct words among all topics' top 25: a run whose NPMI climbs while its TD "
                "falls is converging on a few repeated topics."),
             code(SEEDS_TD),
             md("## Seed 0 in detail\nIts evaluations, one line each: the epoch, its seconds, the means of its "
                "losses and the metrics."),
             code(EVALUATIONS),
             md("### Losses\nWasserstein critic loss `−mean D(real) + mean D(fake)`, the generator's adversarial "
                "loss `−mean D(fake)` (without the InfoNCE term) and the encoder's `mean D(E(bow), bow)`, as "
                "means over each epoch's iterations. The first epochs are left out (the axis says from which): "
                "their losses are far larger than the rest and would flatten the chart."),
             code(LOSSES),
             md("### InfoNCE\nThe generator's contrastive term (NT-Xent, temperature τ), its mean over each epoch's "
                "generator steps, "
                "with ln(2B − 1), the loss of a model that gives every one of the 2B − 1 candidates the same "
                "similarity. A loss below that line implies that the positive pair scores above the mean of the "
                "candidates (by Jensen's inequality); a loss above it implies nothing of the kind: one negative "
                "scoring far above the others raises the loss above the line even when the positive beats the "
                "average negative, and with a small τ the scaled similarities spread widely."),
             code(INFONCE),
             code(INFONCE_NOTE),
             md("### Topics\nSeed 0's final topics (top-10 words of G(one-hot(k)), BatchNorm in inference "
                "mode) with each topic's NPMI, then its topics at the evaluation with the best NPMI."),
             code(TOPICS),
             code(BEST_TOPICS),
             md("### Reading of seed 0\nComputed from seed 0's history and the baselines "
                "(`gcatm::experiments::reproduce::reading`); the verdict over the three seeds is the one under the "
                "results table."),
             code(READING)]
    if n == 9:
        cells += [
            md("## Follow-up: batch size 1024 (entry 9b)\nThe log's only number for this section: a maximum of "
               "**0.03013** with batch size 1024 (the log does not name the measure). Same corpus, evaluator, "
               "budget and seeds, read back or trained as above."),
            code("""
let follow_up = e.follow_up.expect("entry 9 has its batch-1024 follow-up").clone();
let seed_runs_b = seeds::run_seeds(&follow_up, budget, &data, &evaluator, &seeds_out, None, &seeds::SEEDS, |s, r| {
    if !r.metrics.is_empty() {
        println!("seed {s}: {r}");
    }
})
.expect("entry 9b's seeds");
for s in &seed_runs_b {
    let by = gcatm::train::RunFolder::new(&s.dir).trained_by().expect("the seed's provenance");
    let by: Vec<String> = by.iter().map(|t| t.to_string()).collect();
    println!("seed {}: {} ({}, batch {}); trained {}", s.seed, s.dir.display(), s.origin, s.row.batch_size, by.join("; "));
}
"""),
            code("""
seeds::results_table(&seed_runs_b, &baselines, follow_up.reported_npmi)
"""),
            code("""
gcatm::plot::seeds_vs_baselines(
    &format!("entry 9 vs 9b (K = {}, {budget}): NPMI, seeds {:?}", e.topics, seeds::SEEDS),
    "NPMI",
    &[
        (format!("entry 9, batch {}", config.batch_size), seeds::curves(&seed_runs, "npmi")),
        (format!("entry 9b, batch {}", seed_runs_b[0].row.batch_size), seeds::curves(&seed_runs_b, "npmi")),
    ],
    Some((baselines.floor.mean, baselines.floor.std)),
    &baselines.lines(|m| m.npmi),
)
.expect("the comparison chart")
"""),
            md("The verdict on the batch size, by Welch's two-sided t-test over the seeds (α = 0.05; "
               "`gcatm::experiments::seeds::sibling_verdicts`), then the number of generator steps each run "
               "took: one every n_critic-th iteration of an epoch, counted from its first, so "
               "⌈iterations per epoch / n_critic⌉ per epoch."),
            code("""
{
    let rows = |runs: &[seeds::SeedRun]| runs.iter().map(|r| r.row.clone()).collect::<Vec<_>>();
    let verdicts = seeds::sibling_verdicts(&[rows(&seed_runs), rows(&seed_runs_b)]);
    if verdicts.is_empty() {
        println!("(at the {budget} budget entries 9 and 9b have the same settings: the batch is capped)");
    }
    for line in verdicts {
        println!("{line}");
    }
    // Trainers built (not trained) for their batchers: how many iterations an epoch has.
    let a = gcatm::train::Trainer::new(config.clone(), &data.train).expect("entry 9's trainer");
    let b = gcatm::train::Trainer::new(follow_up.config(budget), &data.train).expect("entry 9b's trainer");
    let steps = |t: &gcatm::train::Trainer| t.config().epochs * t.batcher().n_batches().div_ceil(t.config().n_critic);
    println!("generator steps over {} epochs: batch {} -> {} ({} iterations per epoch), batch {} -> {} ({} per epoch)",
             config.epochs,
             a.config().batch_size, steps(&a), a.batcher().n_batches(),
             b.config().batch_size, steps(&b), b.batcher().n_batches());
}
"""),
        ]
    if n == 7:
        cells += [
            md("## The late phase: this entry trained for thousands of epochs\n"
               "The log's author kept his best K = 20 checkpoint at epoch 16,500 and wrote (in a public issue "
               "thread of zll17/Neural_Topic_Models) that topics became useful only after about 10,000 epochs; "
               "the run above stops at the budget's epochs, in the early phase. `long-runs/7/` beside this "
               "notebook holds the history of the same entry — same settings and seed, evaluated every 50 "
               "epochs — trained by the crate on a CPU with 10,000 epochs as the target (its `README.md` "
               "gives the command, commit and machine; `gcatm reproduce 7 --budget long` trains it again). "
               "Its weights are not shipped: the cells below read its history, which holds the topics of "
               "every evaluation."),
            code("""
let long_dir = PathBuf::from("long-runs").join(e.label);
let long = reproduce::read_history(&long_dir).expect("the shipped history of the long run");
let long_config = reproduce::read_config(&long_dir).expect("the long run's config");
let long_end = long.epochs.last().map_or(0, |r| r.epoch);
println!("long run: {} epochs of {} (evaluated every {}), {} evaluations",
         long_end, long_config.epochs, long_config.eval_every, long.metric("npmi").len());
println!("same settings as this entry at the long budget: {}", long_config == e.config(Budget::Long));
// This notebook's run beside it only when it trained on the same corpus (not at smoke budget).
let same_corpus = budget.corpus() == Budget::Long.corpus();
"""),
            code("""
gcatm::plot::npmi_and_td_runs(
    &format!("entry {} ({}, K = {})", e.label, config.variant, e.topics),
    &[(format!("{long_end} epochs (long run)"), long.curve("npmi"), long.curve("td"))]
        .into_iter()
        .chain(same_corpus.then(|| (format!("{} epochs ({budget}, seed 0)", config.epochs), seed_runs[0].history.curve("npmi"), seed_runs[0].history.curve("td"))))
        .collect::<Vec<_>>(),
    same_corpus.then(|| (baselines.floor.mean, baselines.floor.std)),
    &if same_corpus { baselines.lines(|m| (m.npmi, m.td)) } else { Vec::new() },
)
.expect("the long-run chart")
"""),
            md("The long run's topics at its best NPMI and at its last evaluation."),
            code("""
// (not a block: a cell whose last expression is a block would show its value as "()")
let (long_best_epoch, long_best) = long.best("npmi").expect("evaluated epochs");
let long_best_topics = long.epochs.iter().find(|r| r.epoch == long_best_epoch).and_then(|r| r.topics.clone())
    .expect("topics at the best epoch");
println!("topics at epoch {long_best_epoch} (best NPMI, {long_best:.3}):");
gcatm::plot::topic_table(&long_best_topics, None).expect("the topic table")
"""),
            code("""
let (long_last_epoch, long_last) = *long.metric("npmi").last().expect("evaluated epochs");
let long_last_topics = long.epochs.iter().find(|r| r.epoch == long_last_epoch).and_then(|r| r.topics.clone())
    .expect("topics at the last evaluation");
println!("topics at epoch {long_last_epoch} (the last evaluation, NPMI {long_last:.3}):");
gcatm::plot::topic_table(&long_last_topics, None).expect("the topic table")
"""),
            md("### Reading of the long run\nComputed from its history, the baselines above and this notebook's "
               "run (`gcatm::experiments::reproduce::late_phase_reading`)."),
            code("""
if same_corpus {
    for line in reproduce::late_phase_reading(&long, Some(&seed_runs[0].history), &baselines) {
        println!("{line}");
    }
} else {
    println!("(the {budget} budget's baselines are not those of 20ng-1883, so there is no reading here: run the notebook at the cpu budget)");
}
"""),
        ]
    if n == 12:
        cells += [
            md("## Against entry 11\nEntry 11 is the same model (section 2, K = 50, τ = 0.5) with the usual "
               "learning rate 1e-4. Its seeds are read back (or trained) as above."),
            code("""
let e11 = entry("11").expect("entry 11").clone();
let seed_runs11 = seeds::run_seeds(&e11, budget, &data, &evaluator, &seeds_out, None, &seeds::SEEDS, |s, r| {
    if !r.metrics.is_empty() {
        println!("entry 11, seed {s}: {r}");
    }
})
.expect("entry 11's seeds");
for s in &seed_runs11 {
    println!("entry 11, seed {}: {} ({})", s.seed, s.dir.display(), s.origin);
}
let history11 = seed_runs11[0].history.clone();
"""),
            code("""
gcatm::plot::seeds_vs_baselines(
    &format!("entry 11 vs 12 (K = {}, {budget}): NPMI, seeds {:?}", e.topics, seeds::SEEDS),
    "NPMI",
    &[("entry 11: lr 1e-4", seeds::curves(&seed_runs11, "npmi")), ("entry 12: lr 1e-6", seeds::curves(&seed_runs, "npmi"))],
    Some((baselines.floor.mean, baselines.floor.std)),
    &baselines.lines(|m| m.npmi),
)
.expect("the comparison chart")
"""),
            code("""
gcatm::plot::LineChart::new("seed 0, InfoNCE per epoch: lr 1e-4 vs 1e-6")
    .x_label("epoch")
    .y_label("InfoNCE loss")
    .series("entry 11: lr 1e-4", history11.loss_curve("info_nce"))
    .series("entry 12: lr 1e-6", seed_runs[0].history.loss_curve("info_nce"))
    .legend(gcatm::plot::Legend::Below)
    .build()
    .expect("the InfoNCE comparison")
"""),
            md("### Was 1e-6 \"very poor\"?\nThe log's verdict, tested here: best NPMI and final TD@25 of entry 12 "
               "against entry 11 over the seeds, by Welch's two-sided t-test (α = 0.05; "
               "`gcatm::experiments::seeds::sibling_verdicts`), and how much each seed-0 run's InfoNCE moved from "
               "its first epoch to its last."),
            code("""
{
    let rows = |runs: &[seeds::SeedRun]| runs.iter().map(|r| r.row.clone()).collect::<Vec<_>>();
    for line in seeds::sibling_verdicts(&[rows(&seed_runs11), rows(&seed_runs)]) {
        println!("{line}");
    }
    let drop = |h: &gcatm::train::History| {
        let v = h.loss("info_nce");
        let (first, last) = (v.first().expect("epochs").1, v.last().expect("epochs").1);
        (first, last, 100.0 * (last - first) / first)
    };
    let (a0, a1, ad) = drop(&history11);
    let (b0, b1, bd) = drop(&seed_runs[0].history);
    println!("seed 0, InfoNCE from the first epoch to the last: entry 11 (lr 1e-4) {a0:.3} -> {a1:.3} ({ad:+.1} %); entry 12 (lr 1e-6) {b0:.3} -> {b1:.3} ({bd:+.1} %)");
}
"""),
        ]
    return notebook(cells)


WALKTHROUGH = [
    md("""
# 00 — Walkthrough: the building blocks, one cell at a time

The experiment log trained a **bidirectional adversarial topic model** whose generator also minimises an
**InfoNCE** (contrastive) loss:

- an **encoder** E: bag of words (V) → block(V, H) → Linear(H, K) → softmax = θ, a topic distribution;
- a **generator** G: θ (K) → block(K, H) = h → Linear(H, V) → softmax, a word distribution, with a
  projection head on h and a table of K topic embeddings for the contrastive term;
- a Wasserstein **critic** D on (θ, bow) pairs: block(K + V, H) → Linear(H, 1), weights clipped to ±0.01.

(A block is Linear → BatchNorm1d → LeakyReLU(0.01).) The critic learns to tell real pairs (E(bow), bow)
from generated ones (θ ~ Dirichlet(1/K), G(θ)); the generator and the encoder learn to fool it, and the
generator also learns to make its documents recognisable from their topic embedding (InfoNCE).

This notebook builds each piece with the crate's public API and takes one step of each kind before a
short fit. The entry notebooks `01`…`12` then run the log's entries, and `13-summary` compares them.
""" + BUDGETS + """
Here the corpus is 20ng-1883 when the data folder (`GCATM_DATA`) has it, else the planted corpus;
under `smoke` it is always the planted one. The model below has K = 20 topics, the mean-weighted label
embedding (the log's section 2) and every network at the log's learning rate 1e-4.

""" + executed("00")),
    DEP,
    code("""
use gcatm::experiments::Budget;
use gcatm::model::{trainable_vars, Bow};
use gcatm::experiments::reproduce;
use gcatm::train::{TrainConfig, Trainer, Variant};

/// evcxr links a copy of candle into every cell, and candle numbers its tensors with a counter
/// per copy that restarts at 1 in each cell: a backward pass through parameters made in an earlier
/// cell would mix tensors up. A cell that trains therefore first moves the trainer into itself:
/// it saves a checkpoint and loads it back, which makes the parameters (and the optimiser state,
/// the epoch and the history) anew in this cell.
fn in_this_cell(trainer: Trainer, data: &reproduce::Data) -> Trainer {
    let dir = std::path::Path::new("runs").join("walkthrough-checkpoint");
    gcatm::train::save_checkpoint(&trainer, &dir).expect("saving the checkpoint");
    gcatm::train::load_checkpoint(&dir, &data.train, None).expect("loading the checkpoint")
}

println!("{}", gcatm::provenance::Provenance::now());
let budget = Budget::from_env().expect("GCATM_BUDGET must be smoke, cpu, long or full");
println!("budget={budget} epochs={}", budget.epochs().min(20));
"""),
    md("## 1. The corpus\nDocuments as sparse word counts over a fixed vocabulary."),
    code("""
let data = match reproduce::load_data(budget, None) {
    Ok(d) => d,
    Err(err) => {
        println!("{err}\\n-> using the smoke budget's planted corpus instead");
        reproduce::load_data(Budget::Smoke, None).expect("the planted corpus needs no files")
    }
};
println!("{}", data.description);
println!("{} training documents, {:.0} tokens, mean length {:.1} tokens, V = {}",
         data.train.n_docs(), data.train.tokens(), data.train.mean_len(), data.train.vocab_size());
"""),
    md("## 2. A batch\nThe trainer's configuration (the log's shared table unless set here), then one batch of "
       "its first epoch: a dense B × V tensor of documents as the log fed them (TF-IDF weights, each row then "
       "divided by its sum, so each real document is a word distribution), the same rows in CSR form for the "
       "sparse first layers, and which documents they are."),
    code("""
let config = TrainConfig {
    topics: 20,
    hidden: budget.hidden(),
    batch_size: budget.max_batch_size().map_or(256, |cap| cap.min(256)),
    variant: Variant::MeanWeighted,
    g_lr_scale: 1.0,
    epochs: budget.epochs(),
    device: "cpu".to_string(),
    ..TrainConfig::default()
};
let mut trainer = Trainer::new(config.clone(), &data.train).expect("a valid configuration");
let batch = trainer.batcher().epoch(1).next().expect("at least one batch").expect("the batch");
println!("bow: {:?}, {} non-zeros; documents {:?} ...", batch.bow.dims(), batch.sparse.values.len(), &batch.docs[..4]);
println!("row sums: {:?}", &batch.bow.sum(1).expect("sum").to_vec1::<f32>().expect("values")[..4]);
println!("document {}, its most frequent words: {:?}", batch.docs[0], data.train.top_words(batch.docs[0], 12));
"""),
    md("The same document as the two inputs the crate offers: raw counts divided by their sum "
       "(`input: counts`, not the log's) and the log's TF-IDF weights divided by their sum (`input: tfidf`, "
       "the default; the idf is fitted on the training documents and saved with the run). Frequent words weigh "
       "less under TF-IDF."),
    code("""
{
    let d = batch.docs[0];
    let counts = data.train.l1_normalized();
    let tfidf = trainer.input(&data.train).expect("the run's input").l1_normalized();
    for (name, c) in [("counts, L1", &counts), ("TF-IDF, L1 (the log's)", &tfidf)] {
        let words: Vec<String> = c.top_words(d, 8).iter().map(|(w, v)| format!("{w} {v:.3}")).collect();
        println!("{name:<24} {}", words.join(", "));
    }
}
"""),
    md("## 3. The encoder, the generator and the critic\n`Trainer::new` builds the three networks "
       "(`Encoder::new`, `Generator::new`, `Critic::new`), each on its own `VarMap` from a seeded "
       "initialiser, with one Adam optimiser each. Their parameters:"),
    code("""
{
    let (ev, gv, dv) = trainer.var_maps();
    for (name, vm) in [("encoder E", ev), ("generator G (with its contrastive heads)", gv), ("critic D", dv)] {
        let vars = trainable_vars(vm);
        let n: usize = vars.iter().map(|(_, v)| v.elem_count()).sum();
        println!("{name}: {} tensors, {n} parameters", vars.len());
        for (k, v) in &vars {
            println!("    {k:<28} {:?}", v.dims());
        }
    }
}
"""),
    md("Each network on the batch (BatchNorm in inference mode): θ = E(bow) is a distribution over K topics, "
       "G(θ) one over V words (and h, the hidden features the projection head reads), D one score per "
       "document."),
    code("""
{
    let theta = trainer.encoder.theta(Bow::Dense(&batch.bow), false).expect("E(bow)");
    let sums = theta.sum(1).expect("sum").to_vec1::<f32>().expect("values");
    println!("theta = E(bow): {:?}, rows sum to {:.4}", theta.dims(), sums[0]);
    let out = trainer.generator.forward_with_hidden(&theta, false).expect("G(theta)");
    println!("G(theta): words {:?}, hidden h {:?}", out.words.dims(), out.hidden.dims());
    let score = trainer.critic.score(&theta, Bow::Dense(&batch.bow), false).expect("D(theta, bow)");
    println!("D(theta, bow): {:?}, first scores {:?}", score.dims(), &score.flatten_all().expect("flat").to_vec1::<f32>().expect("values")[..3]);
}
"""),
    md("## 4. The prior\nθ_fake ~ Dirichlet(α = 1/K): with α below 1, draws are sparse. The cell prints the largest "
       "components of four draws, then counts how many of 1,000 draws put at least 90 % of their mass on their "
       "two largest components."),
    code("""
let draws = trainer.prior_mut().sample_rows(1000);
for (i, row) in draws.iter().take(4).enumerate() {
    let mut sorted = row.clone();
    sorted.sort_by(|a, b| b.total_cmp(a));
    println!("draw {i}: largest components {:.3?}, sum {:.6}", &sorted[..4], row.iter().sum::<f64>());
}
let two_topics = draws.iter().filter(|row| {
    let mut sorted = (*row).clone();
    sorted.sort_by(|a, b| b.total_cmp(a));
    sorted[0] + sorted[1] >= 0.9
}).count();
println!("{two_topics} of {} draws put at least 90 % of their mass on their two largest components", draws.len());
"""),
    code("""
let k = config.topics;
let mut mean_sorted = vec![0.0; k];
for row in &draws {
    let mut sorted = row.clone();
    sorted.sort_by(|a, b| b.total_cmp(a));
    for (m, v) in mean_sorted.iter_mut().zip(&sorted) {
        *m += v / draws.len() as f64;
    }
}
gcatm::plot::LineChart::new(format!("Dirichlet(1/{k}) draws: mean of the sorted components"))
    .x_label("rank of the component")
    .y_label("mean θ (1000 draws)")
    .series("prior", mean_sorted.iter().enumerate().map(|(i, &v)| ((i + 1) as f64, v)).collect())
    .markers(true)
    .legend(gcatm::plot::Legend::Hidden)
    .build()
    .expect("the prior chart")
"""),
    md("## 5. One critic step, and the weight clipping\n`critic_step`: θ_real = E(bow), θ_fake ~ prior, "
       "G(θ_fake), `loss_D = −mean D(θ_real, bow) + mean D(θ_fake, G(θ_fake))`, an Adam step on D, then every "
       "critic parameter (BatchNorm's scale and shift included) is clamped to [−clip, clip].\n\n"
       "Every cell that trains starts with `in_this_cell` (defined in the first code cell): evcxr gives each "
       "cell its own copy of candle, whose tensor numbering restarts in every cell, so the trainer is "
       "reloaded from a checkpoint to make its parameters in the cell that back-propagates through them. "
       "The batch is taken again too (the same first batch of epoch 1)."),
    code("""
let mut trainer = in_this_cell(trainer, &data);
let batch = trainer.batcher().epoch(1).next().expect("at least one batch").expect("the batch");
let clip = trainer.config().clip as f32;
let loss_d = trainer.critic_step(&batch).expect("the critic step");
let weights: Vec<f32> = trainable_vars(trainer.var_maps().2).iter()
    .flat_map(|(_, v)| v.flatten_all().expect("flat").to_vec1::<f32>().expect("values"))
    .collect();
let max_abs = weights.iter().fold(0f32, |m, w| m.max(w.abs()));
let at_bound = weights.iter().filter(|w| w.abs() >= clip * 0.999).count();
println!("loss_D = {loss_d:+.5}");
println!("critic: {} weights, largest |w| = {max_abs:.6} (clip = {clip}), {:.1} % at the bound",
         weights.len(), 100.0 * at_bound as f64 / weights.len() as f64);
assert!(max_abs <= clip * (1.0 + 1e-6), "a critic weight escaped the clipping");
println!("every critic weight lies within ±{clip}");
"""),
    md("## 6. One generator step, with InfoNCE\n`loss_G = −mean D(θ_fake, G(θ_fake)) + InfoNCE(projection(h), Σ_k θ_k E_k)`. InfoNCE (NT-Xent) "
       "L2-normalises both sides and asks each of the 2B rows to pick its partner among the 2B − 1 others, "
       "at temperature τ. Within a training iteration `generator_step` reuses the critic step's θ_fake; "
       "here, in a cell of its own after the reload, it draws a fresh θ_fake from the prior."),
    code("""
let mut trainer = in_this_cell(trainer, &data);
let g = trainer.generator_step().expect("the generator step");
let b = batch.docs.len();
println!("adversarial loss_G = {:+.5}", g.adversarial);
println!("InfoNCE = {:.4} (tau = {}); chance level log(2B - 1) = {:.4}",
         g.info_nce.expect("the mean-weighted variant has an InfoNCE term"),
         trainer.config().temperature, ((2 * b - 1) as f64).ln());
{
    // The same loss by hand, from the generator's contrastive pair for fresh prior draws.
    let device = trainer.device().clone();
    let theta = trainer.prior_mut().sample(b, &device).expect("prior draws");
    let out = trainer.generator.forward_with_hidden(&theta, false).expect("G(theta)");
    let pair = trainer.generator.contrastive_pair(&theta, &out).expect("pair").expect("a contrastive variant");
    let nce = gcatm::loss::info_nce(&pair.documents, &pair.topics, trainer.config().temperature).expect("InfoNCE");
    println!("documents {:?} vs topic embeddings {:?}: InfoNCE {:.4}",
             pair.documents.dims(), pair.topics.dims(), nce.to_scalar::<f32>().expect("scalar"));
}
"""),
    md("### InfoNCE by hand\nThe same loss on B = 3 prior draws, computed here from its parts: the 2B × 2B "
       "matrix of scaled cosine similarities `s = z zᵀ / τ` of the stacked rows z = [documents; topic "
       "embeddings] (`gcatm::loss::info_nce_parts`), each row's positive (its partner B rows away, in "
       "brackets), and each row's loss `−s[r][partner] + ln Σ_{c≠r} exp s[r][c]` summed by hand below. "
       "(The generator runs here with BatchNorm in inference mode; training uses batch statistics.)"),
    code("""
{
    let device = trainer.device().clone();
    let tau = trainer.config().temperature;
    let mut prior = gcatm::model::DirichletPrior::symmetric(config.topics, 1.0 / config.topics as f64, 5)
        .expect("the prior");
    let theta = prior.sample(3, &device).expect("prior draws");
    let out = trainer.generator.forward_with_hidden(&theta, false).expect("G(theta)");
    let pair = trainer.generator.contrastive_pair(&theta, &out).expect("pair").expect("a contrastive variant");
    let parts = gcatm::loss::info_nce_parts(&pair.documents, &pair.topics, tau).expect("the parts");
    let s = parts.similarity.to_vec2::<f32>().expect("values");
    let rows = parts.row_loss.to_vec1::<f32>().expect("values");
    println!("rows 0-2: documents (projection of h); rows 3-5: their topic embeddings; tau = {tau}");
    let mut by_hand = Vec::new();
    for (r, row) in s.iter().enumerate() {
        let p = parts.partner[r];
        let others: f64 = (0..row.len()).filter(|&c| c != r).map(|c| (row[c] as f64).exp()).sum();
        let loss = -(row[p] as f64) + others.ln();
        by_hand.push(loss);
        let cells: Vec<String> = row.iter().enumerate().map(|(c, v)| {
            if c == r { "     -   ".to_string() } else if c == p { format!(" [{v:+.3}] ") } else { format!("  {v:+.3}  ") }
        }).collect();
        println!("row {r}: {}  loss by hand {loss:.4} (info_nce_parts {:.4})", cells.join(""), rows[r]);
    }
    let mean = by_hand.iter().sum::<f64>() / by_hand.len() as f64;
    let nce = gcatm::loss::info_nce(&pair.documents, &pair.topics, tau).expect("InfoNCE")
        .to_scalar::<f32>().expect("scalar");
    println!("mean of the {} rows by hand: {mean:.5}; gcatm::loss::info_nce: {nce:.5}; ln(2B - 1) = {:.5}",
             by_hand.len(), ((by_hand.len() - 1) as f64).ln());
    assert!((mean - nce as f64).abs() < 1e-4, "the hand computation disagrees with info_nce");
}
"""),
    md("### The two label embeddings of the log\nSection 1 of the log embeds a generated document's topic as "
       "the row of its most probable topic (`hard`: T[argmax θ]); section 2 as the θ-weighted mean of "
       "all rows (`mean`: θ T). Two trainers that differ only in this setting get, from the same seed, "
       "the same generator parameters and topic table T, so their topic sides can be compared on the "
       "same prior draws: the cosine between them is near 1 when θ is concentrated on one topic and "
       "lower when it is spread."),
    code("""
{
    let hard = Trainer::new(TrainConfig { variant: Variant::Hard, ..config.clone() }, &data.train)
        .expect("a valid configuration");
    let mean = Trainer::new(config.clone(), &data.train).expect("a valid configuration");
    let device = mean.device().clone();
    let mut prior = gcatm::model::DirichletPrior::symmetric(config.topics, 1.0 / config.topics as f64, 9)
        .expect("the prior");
    let theta = prior.sample(6, &device).expect("prior draws");
    let side = |t: &Trainer| {
        let out = t.generator.forward_with_hidden(&theta, false).expect("G(theta)");
        let pair = t.generator.contrastive_pair(&theta, &out).expect("pair").expect("a contrastive variant");
        gcatm::loss::l2_normalize(&pair.topics).expect("normalised").to_vec2::<f32>().expect("values")
    };
    let (h, m) = (side(&hard), side(&mean));
    for (i, row) in theta.to_vec2::<f32>().expect("values").iter().enumerate() {
        let (k, top) = row.iter().enumerate().fold((0, 0f32), |b, (k, &v)| if v > b.1 { (k, v) } else { b });
        let cos: f32 = h[i].iter().zip(&m[i]).map(|(a, b)| a * b).sum();
        println!("draw {i}: argmax theta = topic {k:>2} (theta = {top:.3}); cosine(hard, mean) = {cos:.3}");
    }
}
"""),
    md("## 7. One encoder step\n`loss_E = mean D(E(bow), bow)`: the encoder moves its θ towards what the critic "
       "scores as generated."),
    code("""
let mut trainer = in_this_cell(trainer, &data);
let batch = trainer.batcher().epoch(1).next().expect("at least one batch").expect("the batch");
let loss_e = trainer.encoder_step(&batch).expect("the encoder step");
println!("loss_E = {loss_e:+.5}");
"""),
    md("## 8. A short fit\n`Trainer::fit` runs whole epochs (a critic step every iteration, generator and "
       "encoder steps every n_critic = 5th); the callback evaluates the networks after each epoch: NPMI and "
       "C_V of the top-10 words, TD of the top 25."),
    code("""
let mut trainer = in_this_cell(trainer, &data);
let evaluator = data.evaluator().expect("the evaluator");
let mut npmi: Vec<(f64, f64)> = Vec::new();
let mut cv: Vec<(f64, f64)> = Vec::new();
// Epoch 0: the networks before the fit (after the single steps above), the curves' first point.
let ev0 = evaluator.evaluate_trainer(&trainer).expect("evaluation");
npmi.push((0.0, ev0.npmi.mean));
cv.push((0.0, ev0.cv.as_ref().map_or(f64::NAN, |s| s.mean)));
println!("epoch  0: NPMI {:.4} TD {:.3}", ev0.npmi.mean, ev0.td);
// A short fit: at most 20 epochs whatever the budget (the entry notebooks train longer).
trainer.fit(budget.epochs().min(20), |t, r| {
    let ev = evaluator.evaluate_trainer(t).expect("evaluation");
    npmi.push((r.epoch as f64, ev.npmi.mean));
    cv.push((r.epoch as f64, ev.cv.as_ref().map_or(f64::NAN, |s| s.mean)));
    println!("epoch {:>2} ({:5.1} s): D {:+.4} G {:+.4} E {:+.4} InfoNCE {:.3} | NPMI {:.4} TD {:.3}",
             r.epoch, r.seconds, r.loss_d, r.loss_g, r.loss_e, r.info_nce.unwrap_or(f64::NAN), ev.npmi.mean, ev.td);
    Ok(())
}).expect("training");
"""),
    md("### The n_critic schedule\nWhich networks took a step in each iteration, read back from the "
       "trainer's history: the critic at every iteration, the generator and the encoder at every "
       "n_critic-th one of each epoch (iterations 0, n_critic, 2·n_critic, …, counted from each epoch's "
       "start), as in the log's loop."),
    code("""
{
    let n_critic = trainer.config().n_critic;
    let per_epoch = trainer.batcher().n_batches();
    let its = &trainer.history().iterations;
    println!("n_critic = {n_critic}, {per_epoch} iterations an epoch");
    for (epoch, chunk) in its.chunks(per_epoch).take(2).enumerate() {
        let steps: Vec<&str> = chunk.iter().take(11)
            .map(|l| if l.loss_g.is_some() { "D+G+E" } else { "D" }).collect();
        let more = if chunk.len() > 11 { " ..." } else { "" };
        println!("epoch {}: {}{more}", epoch + 1, steps.join(" "));
    }
    let g = its.iter().filter(|l| l.loss_g.is_some()).count();
    println!("over the whole run: {} critic steps, {g} generator and encoder steps ({:.2} per critic step)",
             its.len(), g as f64 / its.len() as f64);
}
"""),
    md("## 9. The topics\nTopic k's words are the top entries of G(one-hot(k)), BatchNorm in inference mode; "
       "each with its NPMI."),
    code("""
let final_eval = evaluator.evaluate_trainer(&trainer).expect("evaluation");
gcatm::plot::topic_table(&final_eval.topics, Some(&final_eval.npmi.per_topic)).expect("the topic table")
"""),
    md("## 10. The coherence"),
    code("""
println!("NPMI {:.4} (per topic {:.3} .. {:.3}), C_V {:.4}, TD {:.3}, TU {:.3}",
         final_eval.npmi.mean,
         final_eval.npmi.per_topic.iter().cloned().fold(f64::INFINITY, f64::min),
         final_eval.npmi.per_topic.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
         final_eval.cv.as_ref().map_or(f64::NAN, |s| s.mean), final_eval.td, final_eval.tu);
if let Some(c) = &final_eval.clustering {
    println!("test documents clustered by argmax theta: purity {:.3}, NMI {:.3}", c.purity, c.nmi);
}
"""),
    md("NPMI over the short fit beside the four baselines at K = 20 on the same corpus and evaluator: the "
       "random floor (band), variational LDA, Gibbs LDA and ProdLDA (dashed), seed 0, fitted once and kept "
       "in `runs/<budget>/` (the entry notebooks share them). This fit is at most 20 epochs; the entry "
       "notebooks train 200 at the `cpu` budget, and notebook 07 also shows a far longer run."),
    code("""
let baselines = data.baselines_cached(&evaluator, 20, &std::path::PathBuf::from("runs").join(budget.to_string()))
    .expect("the baselines");
println!("{}", baselines.sentence());
gcatm::plot::coherence_vs_baselines(
    "walkthrough (K = 20): NPMI",
    "NPMI",
    &[("walkthrough, K = 20", npmi.clone())],
    Some((baselines.floor.mean, baselines.floor.std)),
    &baselines.lines(|m| m.npmi),
)
.expect("the NPMI chart")
"""),
    md("## 11. The charts of the losses"),
    md("Per iteration; the first iterations are left out (the axis says from which): their losses are far larger "
       "than the rest and would flatten the chart."),
    code("""
let skip = (trainer.history().iterations.len() / 10).min(50);
gcatm::plot::LineChart::new("walkthrough: training losses")
    .x_label("iteration")
    .from_x(skip as f64)
    .y_label("loss")
    .series("critic D", trainer.history().iteration_curve("loss_d"))
    .series("generator G (adversarial)", trainer.history().iteration_curve("loss_g"))
    .series("encoder E", trainer.history().iteration_curve("loss_e"))
    .legend(gcatm::plot::Legend::Below)
    .build()
    .expect("the loss chart")
"""),
    code("""
gcatm::plot::info_nce(&trainer.history().iteration_curve("info_nce"), "iteration").expect("the InfoNCE chart")
"""),
]

SUMMARY_INTRO = """
# 13 — Summary: all entries side by side, over three seeds

The twelve entries of the log and entry 9's batch-1024 follow-up (`9b`), at one budget and at seeds 0, 1
and 2. Every seed's evidence is read from `seeds/<budget>/<entry>/seed<S>/` beside this notebook (where the
entry notebooks train them; for the `cpu` budget every seed ships with the crate), and any seed without a
finished run there is trained now (`gcatm::experiments::seeds::run_seeds`). Every comparison below
is over the seeds; a verdict that one setting beats another is Welch's two-sided t-test at α = 0.05
(`gcatm::experiments::stats`), and "within the seeds' spread" where the test does not reject.
""" + BUDGETS + CONTEXT

SUMMARY = [
    DEP,
    code("""
use gcatm::experiments::{Budget, JULY_2021_HARD_LABEL_NPMI};
use gcatm::experiments::reproduce::{self, SummaryRow};
use gcatm::experiments::seeds;
use std::collections::BTreeMap;
use std::path::PathBuf;

println!("{}", gcatm::provenance::Provenance::now());
let budget = Budget::from_env().expect("GCATM_BUDGET must be smoke, cpu, long or full");
let out = PathBuf::from("runs").join(budget.to_string());
let seeds_out = PathBuf::from("seeds").join(budget.to_string());
println!("budget={budget} epochs={}", budget.epochs());
"""),
    md("Every entry at every seed: read back where its evidence is, trained otherwise (one line per entry)."),
    code("""
let data = reproduce::load_data(budget, None).expect("the budget's corpus (20ng-1883 ships in data/)");
let evaluator = data.evaluator().expect("the evaluator");
let mut groups: Vec<Vec<SummaryRow>> = Vec::new();
for e in reproduce::all_entries() {
    let runs = seeds::run_seeds(e, budget, &data, &evaluator, &seeds_out, None, &seeds::SEEDS, |_, _| {})
        .expect("the entry's seeds");
    let origins: Vec<String> = runs.iter().map(|r| format!("seed {}: {}", r.seed, r.origin)).collect();
    println!("entry {:>3}: {}", e.label, origins.join(", "));
    groups.push(runs.into_iter().map(|r| r.row).collect());
}
"""),
    md("The baselines for every K of the log on the same corpus and evaluator: random 10-word topics, "
       "variational LDA, Gibbs LDA (tomotopy's settings) and ProdLDA (TopMost's settings), seed 0, kept in "
       "`runs/<budget>/` after their first fit."),
    code("""
let mut baselines = BTreeMap::new();
for g in &groups {
    let k = g[0].topics;
    if !baselines.contains_key(&k) {
        baselines.insert(k, data.baselines_cached(&evaluator, k, &out).expect("the baselines"));
    }
}
seeds::baselines_table(&baselines)
"""),
    md("## Every entry\nMean ± standard deviation over the seeds; the last columns give the model baseline with the "
       "highest NPMI at the entry's K (which one it is: the table above). The sentence under the table is counted "
       "from its rows."),
    code("""
seeds::summary_table(&groups, &baselines)
"""),
    md("""
## NPMI against the number of topics

Best NPMI of each entry (the mean over its seeds, with a band of ± one standard deviation) beside the three
model baselines and the random floor at the same K. Section 1's line holds its entries with τ = 0.5 (2–6;
entry 1, τ = 0.1, is its own point), section 2's line entries 7–11 (9b and the 1e-6 entry 12 are left out).
Within each section the log varied the generator's learning rate together with K (lr for K ≥ 50, lr/100 for
K ≤ 30), so a line mixes both.
"""),
    code("""
seeds::chart_by_topics(&groups, &baselines, &format!("best NPMI against K ({budget}, seeds {:?})", seeds::SEEDS))
    .expect("the NPMI-vs-K chart")
"""),
    md("The log's own numbers (July 2021, hard label, τ = 0.1, generator lr/100; Palmetto over Wikipedia) "
       "are on another scale, so they get their own panel."),
    code("""
gcatm::plot::npmi_vs_topics(&[("July 2021, Palmetto (the log's numbers)", JULY_2021_HARD_LABEL_NPMI.to_vec())])
    .expect("the Palmetto chart")
"""),
    md("""
## The log's questions

Every pair of entries whose settings differ in exactly one (`gcatm::experiments::seeds::one_difference`:
the variant, K, the batch size, the generator's learning rate, every learning rate, or τ), with the best NPMI
and final TD@25 of each over its seeds and the verdict of Welch's two-sided t-test (α = 0.05). Three seeds
give the test little power: "within the seeds' spread" says the data do not tell the two apart, not that
they are equal.
"""),
    code("""
for line in seeds::sibling_verdicts(&groups) {
    println!("{line}");
}
"""),
    md("""
Two of the log's questions have no such pair: τ 0.1 against 0.5 (entry 1, the only τ = 0.1 entry, also
has the generator at lr/100 where entry 2 has lr), and the generator at lr/100 against lr (in every pair of
entries with the two rates, K, the variant or τ differs too; the table above gives each entry's settings). The
cell compares entries 1 and 2 anyway, by the same test, with both differences named.
"""),
    code("""
{
    let find = |label: &str| groups.iter().find(|g| g[0].entry == label).expect("the entry's rows");
    let (one, two) = (find("1"), find("2"));
    let best = |g: &Vec<SummaryRow>| g.iter().filter_map(|r| r.best_npmi).collect::<Vec<_>>();
    let td = |g: &Vec<SummaryRow>| g.iter().filter_map(|r| r.td).collect::<Vec<_>>();
    println!("entry 1 (tau {}, generator lr {:.0e}) vs entry 2 (tau {}, generator lr {:.0e}), K = {}:",
             one[0].temperature, one[0].generator_lr, two[0].temperature, two[0].generator_lr, one[0].topics);
    println!("    best NPMI {} vs {}: {}", gcatm::experiments::stats::Spread::of(&best(one)).format(3),
             gcatm::experiments::stats::Spread::of(&best(two)).format(3), gcatm::experiments::stats::verdict(&best(one), &best(two)));
    println!("    final TD@25 {} vs {}: {}", gcatm::experiments::stats::Spread::of(&td(one)).format(2),
             gcatm::experiments::stats::Spread::of(&td(two)).format(2), gcatm::experiments::stats::verdict(&td(one), &td(two)));
}
"""),
    md("""
## The late phase (entry 7 trained for thousands of epochs)

The runs above stop in the early phase. `long-runs/7/` holds the history of entry 7 (seed 0) trained with
the same settings far longer, as notebook `07` shows in full; its reading, computed from that history and
the K = 20 baselines above:
"""),
    code("""
{
    let long = reproduce::read_history(&PathBuf::from("long-runs").join("7")).expect("the long run's history");
    match baselines.get(&20) {
        Some(b) if budget.corpus() == Budget::Long.corpus() => {
            for line in reproduce::late_phase_reading(&long, None, b) {
                println!("{line}");
            }
        }
        _ => println!("(at the {budget} budget the baselines are not those of 20ng-1883: see notebook 07)"),
    }
}
"""),
]


BEYOND_INTRO = """
# 14 — Beyond the log: recipes of remedies for collapse, next to entry 7's faithful setting

**This notebook departs from the log.** Every other notebook runs the log's settings; here the model
is trained once more with a *recipe* of options the log never used, all of them off by default in
`gcatm` (`gcatm::experiments::sweep`):

| recipe | what it changes |
|---|---|
| `balance` | the InfoNCE term weighted, at every generator step, by the ratio of the two terms' gradient norms (the log author's own later remedy; `TrainConfig::balance_contrastive`) |
| `spectral` | the critic kept Lipschitz by a spectral-norm projection (Miyato et al. 2018) instead of weight clipping |
| `ttur` | the critic learns 4 times faster than encoder and generator (two time-scale updates, Heusel et al. 2017) |
| `spectral-ttur`, `all` | combinations |

These are the known remedies for collapse in Wasserstein GANs (a collapsed topic model repeats the same
few words across its topics: its topic diversity, TD@25, falls). Whether any of them helps here is read
from the numbers below, not assumed: the notebook (1) trains entry 7 (K = 20, mean-weighted label,
generator lr/100) with its log settings and with the preset recipe (`gcatm::experiments::sweep::PRESET`,
`gcatm train --preset`), at this budget and seed 0, beside the baselines; (2) shows the three-seed
comparison of recipes (K = 20 and 50 on 20ng-1883, and the planted corpus) that `gcatm sweep` produced
and that is shipped in `sweeps/` beside this notebook (the commands, commit and machine are in its
`README.md`). The sweep counts the runs that reach NPMI ≥ 0.20 with TD@25 ≥ 0.6 and keep it to the end
(`gcatm::experiments::sweep::goal_reading`); that goal was set before the strong baselines were
measured, so the tables give every baseline's NPMI and TD@25 beside it.
"""

BEYOND = [
    DEP,
    md("Budget, entry 7's configuration, and the preset recipe applied over it."),
    code("""
use gcatm::experiments::entry;
use gcatm::experiments::Budget;
use gcatm::experiments::reproduce;
use gcatm::experiments::seeds;
use gcatm::experiments::sweep;
use std::path::PathBuf;

let budget = Budget::from_env().expect("GCATM_BUDGET must be smoke, cpu, long or full");
let e = entry("7").expect("entry 7 is in the registry").clone();
let recipe = sweep::preset();
let config = e.config(budget);
let recipe_config = recipe.apply(config.clone());
let out = PathBuf::from("runs").join(budget.to_string());
println!("{}", gcatm::provenance::Provenance::now());
println!("budget={budget} epochs={}", config.epochs);
println!("entry {}: K = {}, variant {}, generator lr {:.0e}", e.label, config.topics, config.variant, config.generator_lr());
println!("preset recipe `{}`: {}", recipe.name, recipe.summary);
println!("changed: balance_contrastive {} -> {}, critic_constraint {} -> {}, critic_lr_scale {} -> {}",
         config.balance_contrastive, recipe_config.balance_contrastive,
         config.critic_constraint, recipe_config.critic_constraint,
         config.critic_lr_scale, recipe_config.critic_lr_scale);
"""),
    code(LOAD),
    md("### Entry 7 with the log's settings\nSeed 0 of notebook 07 (`seeds/<budget>/7/seed0/`), read back when it is there; otherwise it is trained now."),
    code("""
fn show(r: &gcatm::train::EpochRecord) {
    if !r.metrics.is_empty() {
        println!("{r}");
    }
}
let faithful = seeds::run_seeds(&e, budget, &data, &evaluator, &PathBuf::from("seeds").join(budget.to_string()), None, &[0], |_, r| show(r))
    .expect("entry 7, seed 0")
    .remove(0);
println!("run folder: {}: {}", faithful.dir.display(), faithful.origin);
if faithful.origin == reproduce::Origin::Reused {
    faithful.history.epochs.iter().for_each(show);
}
for session in gcatm::train::RunFolder::new(&faithful.dir).trained_by().expect("the run's provenance") {
    println!("trained {session}");
}
"""),
    md("### Entry 7 with the preset recipe\nSame entry, seed, corpus and epochs; only the recipe's options differ. One line per evaluation."),
    code("""
let ours = sweep::run_recipe(&e, recipe, budget, &data, &evaluator, &out, show).expect("the recipe's run");
println!("run folder: {}: {}", ours.dir.display(), ours.origin);
if ours.origin != reproduce::Origin::Trained {
    ours.trainer.history().epochs.iter().for_each(show);
}
println!("{} epochs, {:.0} s of training and evaluation", ours.summary.epochs, ours.summary.wall_seconds);
for session in gcatm::train::RunFolder::new(&ours.dir).trained_by().expect("the run's provenance") {
    println!("trained {session}");
}
"""),
    md("### Coherence and diversity, both runs\nSeed 0's NPMI and TD@25 at each evaluation, with the random floor (band) and each model baseline's two values (dashed, one colour and pattern per model). One seed: the comparison over three seeds is the sweep's, below."),
    code("""
gcatm::plot::npmi_and_td_runs(
    &format!("entry 7 (K = {}, {budget}): log vs `{}`", e.topics, recipe.name),
    &[
        ("log".to_string(), faithful.history.curve("npmi"), faithful.history.curve("td")),
        (recipe.name.to_string(), ours.trainer.history().curve("npmi"), ours.trainer.history().curve("td")),
    ],
    Some((baselines.floor.mean, baselines.floor.std)),
    &baselines.lines(|m| (m.npmi, m.td)),
)
.expect("the NPMI and TD chart")
"""),
    md("### Topics side by side\nThe final topics of each run (top-10 words, NPMI per topic), then LDA's (seed 0, fitted now on the same training documents)."),
    code("""
let f = faithful.summary.final_evaluation.clone().expect("evaluated");
println!("entry 7, the log's settings, epoch {}:", faithful.summary.epochs);
gcatm::plot::topic_table(&f.topics, Some(&f.npmi.per_topic)).expect("the topic table")
"""),
    code("""
let g = ours.summary.final_evaluation.clone().expect("evaluated");
println!("entry 7, recipe `{}`, epoch {}:", recipe.name, ours.summary.epochs);
gcatm::plot::topic_table(&g.topics, Some(&g.npmi.per_topic)).expect("the topic table")
"""),
    code("""
let lda = gcatm::baseline::Lda::new(e.topics).seed(0).fit(&data.train).expect("LDA");
let lda_eval = lda.evaluate(&evaluator).expect("LDA's scores");
println!("LDA, K = {}: NPMI {:.3}, TD@25 {:.3}", e.topics, lda_eval.npmi.mean, lda_eval.td);
gcatm::plot::topic_table(&lda.top_words(10), Some(&lda_eval.npmi.per_topic)).expect("the topic table")
"""),
    md("### Reading of this notebook's two runs\nComputed from their histories and the baselines (`gcatm::experiments::sweep::recipe_reading`)."),
    code("""
for line in sweep::recipe_reading(&faithful.history, ours.trainer.history(), recipe.name, &baselines) {
    println!("{line}");
}
"""),
    md("## The comparison over recipes and seeds\n`sweeps/` beside this notebook holds what `gcatm sweep` "
       "wrote (its `README.md` gives the commands, the commit and the machine). `sweeps/20ng-entry11/`: entry "
       "11's settings (mean-weighted label, generator lr 1e-4, TF-IDF input) on 20ng-1883 at K = 20 and "
       "K = 50: the log's setting, each remedy alone, and combinations, three seeds each, NPMI and TD@25 "
       "every 10 epochs for 100 epochs. Entry 11's generator learns at the usual rate. The tables are read "
       "from the shipped files, not trained here (they took hours on a CPU)."),
    code("""
let sweep_dir = PathBuf::from("sweeps").join("20ng-entry11");
let (rows, sweep_baselines) = sweep::read_sweep_dir(&sweep_dir).expect("the shipped sweep");
println!("{} runs (entry {}) on {}", rows.len(), rows.first().map_or("-", |r| r.entry.as_str()),
         rows.first().map_or("-", |r| r.corpus.as_str()));
sweep::table_html(&rows, &sweep_baselines)
"""),
    md("Each recipe's NPMI and TD@25 over epochs, the mean of its three seeds (the spread is in the table), "
       "with the random floor and the model baselines at the same K; one chart per cell (evcxr shows one per cell)."),
    code("""
// The floor band and the baselines' lines come from the baselines the sweep kept for the same K.
sweep::chart(&rows, 20, sweep::Measure::Npmi, sweep_baselines.iter().find(|b| b.topics == 20)).expect("the sweep's NPMI chart, K = 20")
"""),
    code("""
sweep::chart(&rows, 20, sweep::Measure::Td, sweep_baselines.iter().find(|b| b.topics == 20)).expect("the sweep's TD chart, K = 20")
"""),
    code("""
sweep::chart(&rows, 50, sweep::Measure::Npmi, sweep_baselines.iter().find(|b| b.topics == 50)).expect("the sweep's NPMI chart, K = 50")
"""),
    code("""
sweep::chart(&rows, 50, sweep::Measure::Td, sweep_baselines.iter().find(|b| b.topics == 50)).expect("the sweep's TD chart, K = 50")
"""),
    md("### What the sweep says\nComputed from the rows above (`gcatm::experiments::sweep::goal_reading`): per K "
       "and recipe, how many seeds reached NPMI ≥ 0.20 with TD@25 ≥ 0.6, and how many kept it to the end."),
    code("""
for line in sweep::goal_reading(&rows) {
    println!("{line}");
}
"""),
    md("### The same recipes on the planted corpus\n`sweeps/planted/`: entry 11's settings on the `smoke` "
       "budget's planted corpus (8 planted topics, a small network), K = 8, 1,000 epochs, three seeds. The "
       "goal's thresholds were set for 20ng-1883 and mean little here, where variational LDA's NPMI is far higher."),
    code("""
let (planted, planted_baselines) = sweep::read_sweep_dir(&PathBuf::from("sweeps").join("planted")).expect("the shipped planted sweep");
sweep::table_html(&planted, &planted_baselines)
"""),
    code("""
for line in sweep::goal_reading(&planted) {
    println!("{line}");
}
"""),
]


def cells_of(nb):
    """(kind, source) of every cell: what must match between a notebook and this generator."""
    src = lambda c: "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
    return [(c["cell_type"], src(c)) for c in nb["cells"]]


CHECK = None  # set by --check: a list collecting the notebooks out of sync


def write(name, nb):
    path = HERE / f"{name}.ipynb"
    if CHECK is not None:
        try:
            committed = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            CHECK.append(f"{path.name}: cannot be read ({err})")
            return
        want, have = cells_of(nb), cells_of(committed)
        if want != have:
            first = next((i for i, (a, b) in enumerate(zip(want, have)) if a != b), min(len(want), len(have)))
            CHECK.append(f"{path.name}: cell {first} differs from notebooks/generate.py "
                         f"({len(have)} cells committed, {len(want)} generated)")
        return
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    print("wrote", path.relative_to(HERE.parent))


def main(prefixes):
    global CHECK
    if "--check" in prefixes:
        CHECK = []
        prefixes = [p for p in prefixes if p != "--check"]
    run(prefixes)
    if CHECK is not None:
        if CHECK:
            print("notebooks out of sync with their source (run python3 notebooks/generate.py, then execute them):")
            print("\n".join("  " + c for c in CHECK))
            sys.exit(1)
        print("notebooks: every cell matches notebooks/generate.py")


def run(prefixes):
    want = lambda name: not prefixes or any(name.startswith(p) for p in prefixes)
    if want("00-walkthrough"):
        write("00-walkthrough", notebook(WALKTHROUGH))
    for x in ENTRIES:
        name = f"{int(x['label']):02d}-{x['id']}"
        if want(name):
            write(name, entry_notebook(x))
    if want("13-summary"):
        cells = [md(SUMMARY_INTRO + "\n" + executed("13"))] + SUMMARY
        write("13-summary", notebook(cells))
    if want("14-beyond-the-log"):
        write("14-beyond-the-log", notebook([md(BEYOND_INTRO + "\n" + executed("14"))] + BEYOND))


if __name__ == "__main__":
    main(sys.argv[1:])
