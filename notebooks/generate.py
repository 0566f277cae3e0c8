#!/usr/bin/env python3
"""Writes the notebooks of this folder (nbformat 4, evcxr Rust kernel "rust"), without outputs.

    python3 notebooks/generate.py            # rewrite every notebook (their outputs are lost)
    python3 notebooks/generate.py 09 13      # only the notebooks whose names start so

The committed notebooks carry the outputs of an executed run (see README.md): after changing a
notebook here, execute it again (`GCATM_BUDGET=cpu NOTEBOOKS_OUT=/tmp/nb bash .ci/notebooks.sh
notebooks/NAME.ipynb`, then copy `/tmp/nb/notebooks/NAME.ipynb` over it).
"""
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# What the committed outputs were executed with (said in every notebook's introduction).
EXECUTED = ("The outputs stored in this notebook come from an execution at the **{budget}** budget "
            "on {machine}; the first code cell prints the budget and the machine of the current run.")
EXECUTED_BUDGET = {"default": "cpu"}
MACHINE = "a 2-core AMD EPYC virtual machine (CPU only, no GPU; CANDLE_NUM_THREADS=1, matrix products on both cores)"


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
| `cpu` | 20ng-1883 (11 314 train / 7 532 test documents, V = 1883) | 10 | every epoch | 1024 | the entry's |
| `full` | 20ng-1883 | 20 000 | every 250 epochs (the log's) | 1024 | the entry's |
"""

CONTEXT = """
**How to read the numbers.** The log's coherence came from the Palmetto tool over a Wikipedia
index; here NPMI is computed by document co-occurrence in the 20ng-1883 corpus itself (train + test,
top-10 words, −1 for pairs that never co-occur), so the log's values are context, not targets to match
digit by digit. On this corpus and NPMI, random 10-word topics score about 0.053 ± 0.016 (K = 20) and
0.058 ± 0.008 (K = 50), LDA 0.18–0.20 (`shared/reference/RESULTS.md`). NPMI must be read together with
topic diversity (TD): topics that all collapse onto the same frequent words score a high NPMI. The log
ran thousands of epochs; the `cpu` budget runs 10, so its curves show the beginning of training only.
"""

SETUP = """
use gcatm::experiments::{entry, Budget, JULY_2021_BAT_MEAN_NPMI, JULY_2021_HARD_LABEL_NPMI};
use gcatm::reproduce;
use std::path::PathBuf;


/// `(epoch, value)` pairs as chart points.
fn xy(points: &[(usize, f64)]) -> Vec<(f64, f64)> {
    points.iter().map(|&(x, y)| (x as f64, y)).collect()
}

/// Per-iteration losses as chart points: critic, generator (adversarial), encoder.
fn loss_series(it: &[gcatm::train::IterationLosses]) -> (Vec<(f64, f64)>, Vec<(f64, f64)>, Vec<(f64, f64)>) {
    let d = it.iter().enumerate().map(|(i, l)| (i as f64, l.loss_d as f64)).collect();
    let g = it.iter().enumerate().filter_map(|(i, l)| l.loss_g.map(|v| (i as f64, v as f64))).collect();
    let e = it.iter().enumerate().filter_map(|(i, l)| l.loss_e.map(|v| (i as f64, v as f64))).collect();
    (d, g, e)
}

let budget = Budget::from_env().expect("GCATM_BUDGET must be smoke, cpu or full");
let e = entry("{label}").expect("the entry is in the registry").clone();
let config = e.config(budget);
let out = PathBuf::from("runs").join(budget.to_string());
println!("budget:  {budget} ({} epochs, evaluation every {} epoch(s), H = {})",
         budget.epochs(), budget.eval_every(), budget.hidden());
println!("machine: {}", reproduce::machine());
println!("entry {}: {}", e.label, e.notes);
println!("{config:#?}");
"""

LOAD = """
let data = reproduce::load_data(budget, None).expect("the budget's corpus (20ng-1883 needs GCATM_DATA)");
let evaluator = data.evaluator().expect("the evaluator");
println!("{}", data.description);
"""

TRAIN = """
fn show(r: &gcatm::train::EpochRecord) {
    let m = |k: &str| r.metrics.get(k).copied().unwrap_or(f64::NAN);
    println!("epoch {:>3} ({:5.1} s): D {:+.4} G {:+.4} E {:+.4} InfoNCE {:.3} | NPMI {:.4} C_V {:.4} TD {:.3}",
             r.epoch, r.seconds, r.loss_d, r.loss_g, r.loss_e, r.info_nce.unwrap_or(f64::NAN),
             m("npmi"), m("cv"), m("td"));
}
let run = reproduce::run_entry(&e, budget, &data, &evaluator, &out, show).expect("training the entry");
println!("run folder: {} ({:.0} s)", run.dir.display(), run.row.wall_seconds);
"""

NPMI_CURVE = """
gcatm::plot::coherence_curve(
    "NPMI",
    &[(format!("entry {} (K = {}, {budget} budget)", e.label, e.topics), xy(&run.history().metric("npmi")))],
    true,
)
.expect("the NPMI chart")
"""

CV_CURVE = """
gcatm::plot::coherence_curve(
    "C_V",
    &[(format!("entry {} (K = {})", e.label, e.topics), xy(&run.history().metric("cv")))],
    true,
)
.expect("the C_V chart")
"""

LOSSES = """
// Per iteration: the critic every iteration, generator and encoder every n_critic-th one.
let (d, g, en) = loss_series(&run.history().iterations);
// (clones: a value moved into the cell's last expression would stop evcxr from drawing it)
gcatm::plot::losses(&[("critic D", d.clone()), ("generator G (adversarial)", g.clone()), ("encoder E", en.clone())], "iteration")
    .expect("the loss chart")
"""

INFONCE = """
let nce: Vec<(f64, f64)> = run.history().iterations.iter().enumerate()
    .filter_map(|(i, l)| l.info_nce.map(|v| (i as f64, v as f64)))
    .collect();
gcatm::plot::info_nce(&nce, "iteration").expect("the InfoNCE chart")
"""

TOPICS = """
let final_eval = run.summary.final_evaluation.clone().expect("the run was evaluated");
gcatm::plot::topic_table(&final_eval.topics, Some(&final_eval.npmi.per_topic)).expect("the topic table")
"""

BEST = """
{
    let r = &run.row;
    let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.5}"));
    println!("best NPMI {} at epoch {} of {} ({} budget); final NPMI {}, C_V {}, TD {}",
             f(r.best_npmi), r.best_epoch.unwrap_or(0), r.epochs, r.budget, f(r.final_npmi), f(r.cv), f(r.td));
    if let (Some(p), Some(n)) = (r.purity, r.nmi) {
        println!("test documents clustered by argmax theta: purity {p:.3}, NMI {n:.3}");
    }
    match e.reported_npmi {
        Some(v) => println!("the log reports a best NPMI of {v} for this run"),
        None => println!("the log gives no number for this entry (its figure is no longer reachable)"),
    }
    if let Some((k, v)) = JULY_2021_HARD_LABEL_NPMI.iter().find(|(k, _)| *k == e.topics) {
        println!("context: July 2021, hard label, tau 0.1, generator lr/100, K = {k}: {v} (Palmetto)");
    }
    println!("context: July 2021, plain adversarial baseline, mean over K: {JULY_2021_BAT_MEAN_NPMI} (Palmetto)");
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
        lines.append("- **Section 1, hard label embedding** (`Variant::Hard`): a generated document's topic "
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
                     "`gc_atm/20news_clean_2021-08-24-23-21_topic100/`) whose maximum NPMI was **0.03013**. "
                     "The registry holds it as entry `9b` (entry 9's settings with batch 1024); this notebook "
                     "runs it too. Under the `smoke` budget the batch is capped at 64, so 9 and 9b then "
                     "coincide in batch size.")
    if n == 12:
        lines.append("- The entry has no time stamp, no log folder and no number of topics: the id used is "
                     "its figure's date (2021-08-27-12-19) and K is taken as 50, the entry before it.")
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
                 "hidden width and batch cap; trained by `gcatm::reproduce::run_entry` into "
                 f"`runs/<budget>/{x['label']}/` (beside this notebook; the same folder as `gcatm reproduce "
                 f"{x['label']} --out notebooks/runs/<budget>` writes).")
    parts.append(BUDGETS)
    parts.append(EXECUTED.format(budget=EXECUTED_BUDGET.get(x["label"], EXECUTED_BUDGET["default"]),
                                 machine=MACHINE))
    parts.append(CONTEXT)
    return "\n".join(parts)


def entry_notebook(x):
    n = int(x["label"])
    cells = [md(entry_intro(x)), DEP,
             md("Budget, machine, and the entry's configuration from the registry."),
             code(SETUP.replace("{label}", x["label"])),
             md("The corpus of the budget (a clear error if 20ng-1883 is missing: set `GCATM_DATA`), and the "
                "evaluator: NPMI and C_V of the top-10 words, TD of the top 25, clustering of the test documents."),
             code(LOAD),
             md("Training, evaluated every epoch of the budget's period; one line per epoch."),
             code(TRAIN),
             md("### Coherence over training\nNPMI at each evaluation; the best point (the checkpoint the log "
                "kept) is ringed and given in the legend."),
             code(NPMI_CURVE),
             md("C_V, the other coherence measured (the log's pictures showed C_A, C_P and NPMI from Palmetto)."),
             code(CV_CURVE),
             md("### Losses\nWasserstein critic loss `−mean D(real) + mean D(fake)`, the generator's adversarial "
                "loss `−mean D(fake)` (without the InfoNCE term) and the encoder's `mean D(E(bow), bow)`."),
             code(LOSSES),
             md("### InfoNCE\nThe generator's contrastive term (NT-Xent, temperature τ) at each generator step. "
                "With a batch of B documents its chance level is log(2B − 1) (6.24 for B = 256)."),
             code(INFONCE),
             md("### Topics\nThe final networks' topics (top-10 words of G(one-hot(k)), BatchNorm in inference "
                "mode) with each topic's NPMI."),
             code(TOPICS),
             md("### Best NPMI\nAgainst what the log reports for this entry (where it gives a number) and the July "
                "2021 Palmetto numbers as context."),
             code(BEST)]
    if n == 9:
        cells += [
            md("## Follow-up: batch size 1024 (entry 9b)\nThe log's only number for this section: a maximum "
               "NPMI of **0.03013** with batch size 1024. Same corpus, evaluator and budget."),
            code("""
let follow_up = e.follow_up.expect("entry 9 has its batch-1024 follow-up").clone();
let run_b = reproduce::run_entry(&follow_up, budget, &data, &evaluator, &out, show).expect("training entry 9b");
println!("entry 9b: batch {}, {} iterations per epoch; run folder {}",
         run_b.trainer.config().batch_size, run_b.trainer.batcher().n_batches(), run_b.dir.display());
"""),
            code("""
gcatm::plot::compare_runs(
    &format!("entry 9, batch {}", config.batch_size),
    &xy(&run.history().metric("npmi")),
    &format!("entry 9b, batch {}", run_b.trainer.config().batch_size),
    &xy(&run_b.history().metric("npmi")),
    "NPMI",
)
.expect("the comparison chart")
"""),
            code("""
{
    let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.5}"));
    let (a, b) = (&run.row, &run_b.row);
    println!("entry 9  (batch {:>4}): best NPMI {} at epoch {}, TD {}", a.batch_size, f(a.best_npmi), a.best_epoch.unwrap_or(0), f(a.td));
    println!("entry 9b (batch {:>4}): best NPMI {} at epoch {}, TD {}", b.batch_size, f(b.best_npmi), b.best_epoch.unwrap_or(0), f(b.td));
    println!("the log's maximum for 9b: {} (Palmetto, Wikipedia reference, after thousands of epochs)",
             follow_up.reported_npmi.expect("the log reports it"));
}
"""),
            md("With batch 1024 an epoch has 11 iterations instead of 44, so the generator takes 3 steps per "
               "epoch instead of 9: over the `cpu` budget's 10 epochs it has barely started."),
        ]
    if n == 12:
        cells += [
            md("## Against entry 11\nEntry 11 is the same model (section 2, K = 50, τ = 0.5) with the usual "
               "learning rate 1e-4. Its run from notebook 11 is reused when it is there at this budget; "
               "otherwise it is trained now."),
            code("""
let e11 = entry("11").expect("entry 11").clone();
let row11 = match reproduce::finished_run(&e11, budget, &data, &out) {
    Some(row) => { println!("reusing {}", row.run_dir.display()); row }
    None => reproduce::run_entry(&e11, budget, &data, &evaluator, &out, show).expect("training entry 11").row,
};
let history11 = reproduce::read_history(&row11.run_dir).expect("entry 11's history");
"""),
            code("""
gcatm::plot::compare_runs(
    "entry 11: lr 1e-4",
    &xy(&history11.metric("npmi")),
    "entry 12: lr 1e-6",
    &xy(&run.history().metric("npmi")),
    "NPMI",
)
.expect("the comparison chart")
"""),
            code("""
gcatm::plot::LineChart::new("InfoNCE per epoch: lr 1e-4 vs 1e-6")
    .x_label("epoch")
    .y_label("InfoNCE loss")
    .series("entry 11: lr 1e-4", xy(&history11.loss("info_nce")))
    .series("entry 12: lr 1e-6", xy(&run.history().loss("info_nce")))
    .build()
    .expect("the InfoNCE comparison")
"""),
            code("""
{
    let drop = |h: &gcatm::train::History| {
        let v = h.loss("info_nce");
        let (first, last) = (v.first().expect("epochs").1, v.last().expect("epochs").1);
        (first, last, 100.0 * (last - first) / first)
    };
    let (a0, a1, ad) = drop(&history11);
    let (b0, b1, bd) = drop(run.history());
    println!("InfoNCE, first -> last epoch: entry 11 (lr 1e-4) {a0:.3} -> {a1:.3} ({ad:+.1} %); entry 12 (lr 1e-6) {b0:.3} -> {b1:.3} ({bd:+.1} %)");
    let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.4}"));
    println!("best NPMI: entry 11 {}, entry 12 {}; final TD: entry 11 {}, entry 12 {}",
             f(row11.best_npmi), f(run.row.best_npmi), f(row11.td), f(run.row.td));
}
"""),
            md("Adam moves each weight by at most about the learning rate per step, so with 1e-6 the networks "
               "stay near their random initialisation for a very long time: the topics remain the initial "
               "random word lists. That is the log's “效果很差” (very poor results), and it is visible within "
               "any budget."),
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

""" + EXECUTED.format(budget=EXECUTED_BUDGET.get("00", EXECUTED_BUDGET["default"]), machine=MACHINE)),
    DEP,
    code("""
use gcatm::experiments::Budget;
use gcatm::model::{trainable_vars, Bow};
use gcatm::reproduce;
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

let budget = Budget::from_env().expect("GCATM_BUDGET must be smoke, cpu or full");
println!("budget:  {budget}");
println!("machine: {}", reproduce::machine());
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
       "its first epoch: a dense B × V tensor whose rows are L1-normalised (each real document is a word "
       "distribution), the same rows in CSR form for the sparse first layers, and which documents they are."),
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
{
    let (ids, counts) = data.train.doc(batch.docs[0]);
    let mut words: Vec<(f32, &str)> = counts.iter().zip(ids).map(|(&c, &i)| (c, data.train.vocab().word(i as usize))).collect();
    words.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!("document {}, its most frequent words: {:?}", batch.docs[0], &words[..words.len().min(12)]);
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
    md("## 4. The prior\nθ_fake ~ Dirichlet(α = 1/K): most draws put almost all their mass on one or two topics."),
    code("""
let draws = trainer.prior_mut().sample_rows(1000);
for (i, row) in draws.iter().take(4).enumerate() {
    let mut sorted = row.clone();
    sorted.sort_by(|a, b| b.total_cmp(a));
    println!("draw {i}: largest components {:.3?}, sum {:.6}", &sorted[..4], row.iter().sum::<f64>());
}
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
trainer.fit(budget.epochs(), |t, r| {
    let ev = evaluator.evaluate(&t.generator, &t.encoder).expect("evaluation");
    npmi.push((r.epoch as f64, ev.npmi.mean));
    cv.push((r.epoch as f64, ev.cv.as_ref().map_or(f64::NAN, |s| s.mean)));
    println!("epoch {:>2} ({:5.1} s): D {:+.4} G {:+.4} E {:+.4} InfoNCE {:.3} | NPMI {:.4} TD {:.3}",
             r.epoch, r.seconds, r.loss_d, r.loss_g, r.loss_e, r.info_nce.unwrap_or(f64::NAN), ev.npmi.mean, ev.td);
    Ok(())
}).expect("training");
"""),
    md("## 9. The topics\nTopic k's words are the top entries of G(one-hot(k)), BatchNorm in inference mode; "
       "each with its NPMI."),
    code("""
let final_eval = evaluator.evaluate(&trainer.generator, &trainer.encoder).expect("evaluation");
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
    code("""
gcatm::plot::coherence_curve("NPMI", &[("walkthrough, K = 20", npmi.clone())], true).expect("the NPMI chart")
"""),
    code("""
gcatm::plot::coherence_curve("C_V", &[("walkthrough, K = 20", cv.clone())], true).expect("the C_V chart")
"""),
    md("## 11. The charts of the losses"),
    code("""
let (d, g, en) = {
    let it = &trainer.history().iterations;
    let d: Vec<(f64, f64)> = it.iter().enumerate().map(|(i, l)| (i as f64, l.loss_d as f64)).collect();
    let g: Vec<(f64, f64)> = it.iter().enumerate().filter_map(|(i, l)| l.loss_g.map(|v| (i as f64, v as f64))).collect();
    let en: Vec<(f64, f64)> = it.iter().enumerate().filter_map(|(i, l)| l.loss_e.map(|v| (i as f64, v as f64))).collect();
    (d, g, en)
};
// (clones: a value moved into the cell's last expression would stop evcxr from drawing it)
gcatm::plot::losses(&[("critic D", d.clone()), ("generator G (adversarial)", g.clone()), ("encoder E", en.clone())], "iteration")
    .expect("the loss chart")
"""),
    code("""
let nce: Vec<(f64, f64)> = trainer.history().iterations.iter().enumerate()
    .filter_map(|(i, l)| l.info_nce.map(|v| (i as f64, v as f64)))
    .collect();
gcatm::plot::info_nce(&nce, "iteration").expect("the InfoNCE chart")
"""),
]

SUMMARY_INTRO = """
# 13 — Summary: all entries side by side

The twelve entries of the log and entry 9's batch-1024 follow-up (`9b`), at one budget. The rows come
from, in order of preference:

1. the run folders the entry notebooks left in `runs/<budget>/` beside this notebook: each holds its
   `reproduce.json` row; any entry without a finished run there is trained now
   (`gcatm::reproduce::run_all` with `reuse`), and `runs/<budget>/summary.json` is rewritten;
2. when none of those exist, `../runs/summary.json` as `gcatm reproduce --all --budget <budget>` writes
   it at the repository root, if it holds every entry at this budget.
""" + BUDGETS + CONTEXT

SUMMARY = [
    DEP,
    code("""
use gcatm::experiments::{Budget, JULY_2021_HARD_LABEL_NPMI};
use gcatm::reproduce::{self, SummaryRow};
use std::path::PathBuf;


/// `(epoch, value)` pairs as chart points.
fn xy(points: &[(usize, f64)]) -> Vec<(f64, f64)> {
    points.iter().map(|&(x, y)| (x as f64, y)).collect()
}

/// An optional number with `d` decimals, `-` for none.
fn fmt(v: Option<f64>, d: usize) -> String {
    v.map_or("-".to_string(), |v| format!("{v:.d$}"))
}

/// Best NPMI against K of the entries with these labels.
fn best(rows: &[SummaryRow], labels: &[&str]) -> Vec<(usize, f64)> {
    rows.iter()
        .filter(|r| labels.contains(&r.entry.as_str()))
        .filter_map(|r| r.best_npmi.map(|v| (r.topics, v)))
        .collect()
}

/// The run folder of an entry.
fn run_dir(rows: &[SummaryRow], label: &str) -> PathBuf {
    rows.iter().find(|r| r.entry == label).expect("the entry's row").run_dir.clone()
}

/// Relative fall (%) of the InfoNCE term from the first epoch to the last, against K.
fn info_drop(rows: &[SummaryRow], labels: &[&str]) -> Vec<(f64, f64)> {
    let mut v: Vec<(f64, f64)> = rows.iter()
        .filter(|r| labels.contains(&r.entry.as_str()))
        .filter_map(|r| {
            let h = reproduce::read_history(&r.run_dir).ok()?;
            let nce = h.loss("info_nce");
            let (first, last) = (nce.first()?.1, nce.last()?.1);
            Some((r.topics as f64, 100.0 * (first - last) / first))
        })
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    v
}

let budget = Budget::from_env().expect("GCATM_BUDGET must be smoke, cpu or full");
let out = PathBuf::from("runs").join(budget.to_string());
println!("budget:  {budget}");
println!("machine: {}", reproduce::machine());
"""),
    code("""
let rows: Vec<SummaryRow> = {
    let list = reproduce::all_entries();
    let have_local = list.iter().any(|e| out.join(e.label).join(reproduce::ROW_FILE).exists());
    let cli_summary = PathBuf::from("..").join("runs").join(reproduce::SUMMARY_FILE);
    let from_cli = if have_local {
        None
    } else {
        reproduce::read_summary(&cli_summary).ok().filter(|rows| {
            rows.len() == list.len() && rows.iter().all(|r| r.budget == budget && r.is_complete())
        })
    };
    match from_cli {
        Some(rows) => {
            println!("read {}", cli_summary.display());
            rows
        }
        None => {
            let data = reproduce::load_data(budget, None).expect("the budget's corpus (20ng-1883 needs GCATM_DATA)");
            let rows = reproduce::run_all(&list, budget, &data, &out, true, |p| match p {
                reproduce::Progress::Start(e, i, n) => println!("[{}/{n}] training entry {}", i + 1, e.label),
                reproduce::Progress::Epoch(_, _) => {}
                reproduce::Progress::Done(r) => println!("entry {:>3}: {} ({:.0} s)", r.entry, r.run_dir.display(), r.wall_seconds),
            }).expect("running the entries");
            println!("summary: {}", out.join(reproduce::SUMMARY_FILE).display());
            rows
        }
    }
};
for r in &rows {
    assert!(r.error.is_none(), "entry {} failed: {:?}", r.entry, r.error);
}
"""),
    md("## Every entry"),
    code("""
println!("{:>5} {:>3} {:>4} {:>4} {:>7} {:>4} {:>5} | {:>9} {:>3} {:>9} {:>6} {:>6} {:>7} {:>7} | {:>7}",
         "entry", "sec", "var", "K", "gen lr", "tau", "batch", "best NPMI", "ep", "final", "TD", "C_V", "InfoNCE", "wall s", "log");
for r in &rows {
    println!("{:>5} {:>3} {:>4} {:>4} {:>7.0e} {:>4} {:>5} | {:>9} {:>3} {:>9} {:>6} {:>6} {:>7} {:>7.0} | {:>7}",
             r.entry, r.section, r.variant, r.topics, r.generator_lr, r.temperature, r.batch_size,
             fmt(r.best_npmi, 5), r.best_epoch.unwrap_or(0), fmt(r.final_npmi, 5), fmt(r.td, 3), fmt(r.cv, 3),
             fmt(r.final_info_nce, 3), r.wall_seconds, fmt(r.reported_npmi, 5));
}
println!("\\n{} entries at the {budget} budget on {}; corpus: {}", rows.len(),
         rows.first().map_or("-", |r| r.machine.as_str()), rows.first().map_or("-", |r| r.corpus.as_str()));
"""),
    md("""
## NPMI against the number of topics, per section

Best NPMI of each run. Section 1's line holds its entries with τ = 0.5 (2–6; entry 1, τ = 0.1, is its own
point), section 2's line entries 7–11 (9b and the 1e-6 entry 12 are left out). Within each section the
log varied the generator's learning rate together with K (lr for K ≥ 50, lr/100 for K ≤ 30), so a line
mixes both. The July 2021 Palmetto numbers (hard label, τ = 0.1, lr/100) are context on another scale.
"""),
    code("""
gcatm::plot::npmi_vs_topics(&[
    ("section 1, hard label (entries 2-6)", best(&rows, &["2", "3", "4", "5", "6"])),
    ("section 2, mean-weighted (entries 7-11)", best(&rows, &["7", "8", "9", "10", "11"])),
    ("entry 1 (hard, tau 0.1, lr/100)", best(&rows, &["1"])),
    ("July 2021, Palmetto (context)", JULY_2021_HARD_LABEL_NPMI.to_vec()),
])
.expect("the NPMI-vs-K chart")
"""),
    md("""
## Generator lr/100 against lr

The same best NPMI, split by the generator's learning rate instead (both sections together; entries 1 and
5–8 at lr/100 = 1e-6, entries 2–4 and 9–11 at lr = 1e-4).
"""),
    code("""
gcatm::plot::npmi_vs_topics(&[
    ("generator lr/100 (1, 5-8)", best(&rows, &["1", "5", "6", "7", "8"])),
    ("generator lr (2-4, 9-11)", best(&rows, &["2", "3", "4", "9", "10", "11"])),
])
.expect("the lr chart")
"""),
    md("""
Whether the generator learns at all shows in its own loss: the relative fall of the InfoNCE term from
the first epoch to the last, per entry, against K.
"""),
    code("""
gcatm::plot::LineChart::new("InfoNCE fall over the run, first to last epoch")
    .x_label("number of topics K")
    .y_label("InfoNCE fall (%)")
    .series("generator lr/100 (1, 5-8)", info_drop(&rows, &["1", "5", "6", "7", "8"]))
    .series("generator lr (2-4, 9-11)", info_drop(&rows, &["2", "3", "4", "9", "10", "11"]))
    .markers(true)
    .build()
    .expect("the InfoNCE-fall chart")
"""),
    md("""
## The 1e-6 failure (entry 12)

Entry 12 is entry 11 (section 2, K = 50, τ = 0.5) with every learning rate at 1e-6; the log says the
results were very poor.
"""),
    code("""
let h11 = reproduce::read_history(&run_dir(&rows, "11")).expect("entry 11's history");
let h12 = reproduce::read_history(&run_dir(&rows, "12")).expect("entry 12's history");
gcatm::plot::compare_runs("entry 11: lr 1e-4", &xy(&h11.metric("npmi")), "entry 12: lr 1e-6", &xy(&h12.metric("npmi")), "NPMI")
    .expect("the 1e-6 chart")
"""),
    code("""
gcatm::plot::LineChart::new("InfoNCE per epoch: lr 1e-4 vs 1e-6")
    .x_label("epoch")
    .y_label("InfoNCE loss")
    .series("entry 11: lr 1e-4", xy(&h11.loss("info_nce")))
    .series("entry 12: lr 1e-6", xy(&h12.loss("info_nce")))
    .build()
    .expect("the InfoNCE comparison")
"""),
    code("""
for label in ["11", "12"] {
    let topics = std::fs::read_to_string(run_dir(&rows, label).join("topics.txt")).expect("topics.txt");
    println!("entry {label}, first topics:");
    for t in topics.lines().take(5) {
        println!("    {t}");
    }
}
"""),
]


def write(name, nb):
    path = HERE / f"{name}.ipynb"
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    print("wrote", path.relative_to(HERE.parent))


def main(prefixes):
    want = lambda name: not prefixes or any(name.startswith(p) for p in prefixes)
    if want("00-walkthrough"):
        write("00-walkthrough", notebook(WALKTHROUGH))
    for x in ENTRIES:
        name = f"{int(x['label']):02d}-{x['id']}"
        if want(name):
            write(name, entry_notebook(x))
    if want("13-summary"):
        reading = (HERE / "summary-reading.md")
        cells = [md(SUMMARY_INTRO + "\n" + EXECUTED.format(
            budget=EXECUTED_BUDGET.get("13", EXECUTED_BUDGET["default"]), machine=MACHINE))] + SUMMARY
        if reading.exists():
            cells.append(md(reading.read_text()))
        write("13-summary", notebook(cells))


if __name__ == "__main__":
    main(sys.argv[1:])
