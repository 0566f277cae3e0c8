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
                   "{machine}, with the code of the commit that stored them (the first code cell prints the "
                   "budget and the machine). Executing it again, at any budget (`GCATM_BUDGET`), replaces them.")
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
digit by digit. Every result below stands beside four baselines computed in this notebook for the same
K, corpus and evaluator: random 10-word topics (the floor, mean ± standard deviation over 20 draws),
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
use std::path::PathBuf;

let budget = Budget::from_env().expect("GCATM_BUDGET must be smoke, cpu, long or full");
let e = entry("{label}").expect("the entry is in the registry").clone();
let config = e.config(budget);
let out = PathBuf::from("runs").join(budget.to_string());
println!("budget={budget} epochs={}", config.epochs);
println!("evaluation every {} epoch(s), H = {}", config.eval_every, config.hidden);
println!("machine: {}", reproduce::machine());
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

TRAIN = """
// One line per epoch; the metrics on evaluated epochs (every `eval_every`). A finished run of
// the same configuration in the run folder is reused, an interrupted one continued: delete the
// folder to train again.
fn show(r: &gcatm::train::EpochRecord) {
    println!("{r}");
}
let run = reproduce::run_entry(&e, budget, &data, &evaluator, &out, show).expect("training the entry");
println!("run folder: {}: {}", run.dir.display(), run.origin);
// A reused (or continued) run: the epochs it trained before.
run.earlier_epochs().iter().for_each(show);
println!("{} epochs, {:.0} s of training and evaluation", run.row.epochs, run.row.wall_seconds);
"""

NPMI_CURVE = """
gcatm::plot::coherence_vs_baselines(
    &format!("entry {} ({}, K = {}, {budget}): NPMI", e.label, config.variant, e.topics),
    "NPMI",
    &[(format!("entry {}", e.label), run.history().curve("npmi"))],
    Some((baselines.floor.mean, baselines.floor.std)),
    &baselines.lines(|m| m.npmi),
)
.expect("the NPMI chart")
"""

TD_CURVE = """
gcatm::plot::npmi_and_td(
    &format!("entry {} ({}, K = {}, {budget})", e.label, config.variant, e.topics),
    run.history().curve("npmi"),
    run.history().curve("td"),
    Some((baselines.floor.mean, baselines.floor.std)),
    &baselines.lines(|m| (m.npmi, m.td)),
)
.expect("the NPMI and TD chart")
"""

CV_CURVE = """
gcatm::plot::LineChart::new(format!("entry {} (K = {}, {budget}): C_V", e.label, e.topics))
    .x_label("epoch")
    .y_label("C_V")
    .series(format!("entry {}", e.label), run.history().curve("cv"))
    .mark_best(true)
    .legend(gcatm::plot::Legend::Below)
    .build()
    .expect("the C_V chart")
"""

LOSSES = """
// Per iteration: the critic every iteration, generator and encoder every n_critic-th one.
// (no `let` of a reference: evcxr keeps a cell's variables, and cannot keep borrowed ones)
gcatm::plot::LineChart::new(format!("entry {}: training losses", e.label))
    .x_label("iteration")
    .y_label("loss")
    .series("critic D", run.history().iteration_curve("loss_d"))
    .series("generator G (adversarial)", run.history().iteration_curve("loss_g"))
    .series("encoder E", run.history().iteration_curve("loss_e"))
    .legend(gcatm::plot::Legend::Below)
    .build()
    .expect("the loss chart")
"""

INFONCE = """
let chance = (2.0 * config.batch_size as f64 - 1.0).ln();
gcatm::plot::LineChart::new(format!("entry {} (tau {}): InfoNCE", e.label, config.temperature))
    .x_label("iteration")
    .y_label("InfoNCE loss")
    .series("InfoNCE", run.history().iteration_curve("info_nce"))
    .reference(format!("ln(2B - 1) = {chance:.2} (B = {})", config.batch_size), chance)
    .legend(gcatm::plot::Legend::Below)
    .build()
    .expect("the InfoNCE chart")
"""

TERMS = """
gcatm::plot::LineChart::new(format!("entry {}: InfoNCE / |adversarial| in the generator's loss", e.label))
    .x_label("epoch")
    .y_label("ratio")
    .series("InfoNCE / |G's adversarial term|", run.history().generator_term_ratio())
    .legend(gcatm::plot::Legend::Below)
    .build()
    .expect("the ratio chart")
"""

SENSITIVITY = """
let s = run.trainer.critic_sensitivity(8).expect("the critic's scores");
println!("critic after {} epochs, mean score over {} documents: real pairs {:+.6}, shuffled pairs {:+.6}, difference {:+.6}",
         run.trainer.epoch(), s.documents, s.real, s.shuffled, s.real - s.shuffled);
"""

INFONCE_NOTE = """
let nce = run.history().loss("info_nce");
if let (Some(first), Some(last)) = (nce.first(), nce.last()) {
    println!("InfoNCE, epoch mean: {:.3} (epoch {}) -> {:.3} (epoch {}); ln(2B - 1) = {chance:.3}", first.1, first.0, last.1, last.0);
    let side = if last.1 > chance { "above" } else { "below" };
    println!("the last epoch's mean is {:.3} {side} ln(2B - 1)", (last.1 - chance).abs());
}
"""

TOPICS = """
let final_eval = run.summary.final_evaluation.clone().expect("the run was evaluated");
gcatm::plot::topic_table(&final_eval.topics, Some(&final_eval.npmi.per_topic)).expect("the topic table")
"""

BEST_TOPICS = """
let (best_epoch, _) = run.history().best("npmi").expect("evaluated epochs");
let at_best = run.history().epochs.iter().find(|r| r.epoch == best_epoch).and_then(|r| r.topics.clone())
    .expect("the topics of the best epoch");
println!("topics at epoch {best_epoch} (best NPMI):");
gcatm::plot::topic_table(&at_best, None).expect("the topic table")
"""

BEST = """
{
    let r = &run.row;
    let f = |v: Option<f64>, d: usize| v.map_or("-".to_string(), |v| format!("{v:.d$}"));
    let td_at = |epoch: usize| run.history().metric("td").into_iter().find(|(e, _)| *e == epoch).map(|p| p.1);
    println!("{:<42} {:>8} {:>7} {:>6}", "", "NPMI", "TD@25", "epoch");
    println!("{:<42} {:>8} {:>7} {:>6}", format!("entry {}, best", e.label), f(r.best_npmi, 4), f(r.best_epoch.and_then(td_at), 3), r.best_epoch.unwrap_or(0));
    println!("{:<42} {:>8} {:>7} {:>6}", format!("entry {}, final", e.label), f(r.final_npmi, 4), f(r.td, 3), r.epochs);
    for (name, (npmi, td)) in baselines.lines(|m| (m.npmi, m.td)) {
        println!("{:<42} {:>8} {:>7} {:>6}", name, format!("{npmi:.4}"), format!("{td:.3}"), "-");
    }
    println!("{:<42} {:>8} {:>7} {:>6}", "random 10-word topics", format!("{:.4}", baselines.floor.mean), "-", "-");
    println!("{:<42} {:>8} {:>7} {:>6}", "  (standard deviation)", format!("{:.4}", baselines.floor.std), "-", "-");
    if let (Some(p), Some(n)) = (r.purity, r.nmi) {
        println!("test documents clustered by argmax theta: purity {p:.3}, NMI {n:.3}");
    }
    println!("budget={} epochs={} ({:.0} s of training and evaluation)", r.budget, r.epochs, r.wall_seconds);
}
"""

READING = """
for line in reproduce::reading(run.history(), &baselines) {
    println!("{line}");
}
match e.reported_npmi {
    Some(v) => println!("The log reports a best NPMI of {v} for this run, on Palmetto's Wikipedia scale (context, not comparable digit by digit)."),
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
                 "hidden width and batch cap; trained by `gcatm::experiments::reproduce::run_entry` into "
                 f"`runs/<budget>/{x['label']}/` (beside this notebook; the same folder as `gcatm reproduce "
                 f"{x['label']} --out notebooks/runs/<budget>` writes).")
    parts.append(BUDGETS)
    parts.append(executed(x["label"]))
    parts.append(CONTEXT)
    return "\n".join(parts)


def entry_notebook(x):
    n = int(x["label"])
    cells = [md(entry_intro(x)), DEP,
             md("Budget, machine, and the entry's configuration from the registry."),
             code(SETUP.replace("{label}", x["label"])),
             md("The corpus of the budget, the evaluator (NPMI and C_V of the top-10 words, TD of the top 25, "
                "clustering of the test documents), and the four baselines for this K: random 10-word topics, "
                "variational LDA, Gibbs LDA and ProdLDA, fitted on the same training documents."),
             code(LOAD),
             md("Training, evaluated every `eval_every` epochs of the budget; one line per epoch."),
             code(TRAIN),
             md("### Coherence over training\nNPMI at each evaluation beside the random floor (the band: mean ± "
                "one standard deviation) and the three model baselines (dashed, one colour and pattern each); the first point, epoch 0, is the networks as "
                "initialised, before any step. The best point (the checkpoint the log kept) is ringed and "
                "given in the legend."),
             code(NPMI_CURVE),
             md("### Coherence and diversity together\nNPMI and TD@25 (the share of distinct words among all "
                "topics' top 25) at each evaluation on one fixed 0–1 scale, with each model baseline's two values "
                "(dashed, one colour and pattern per model) and the random floor of NPMI (the band): a run whose NPMI climbs while its TD falls is "
                "converging on a few repeated topics."),
             code(TD_CURVE),
             md("C_V, the other coherence measured (the log's pictures showed C_A, C_P and NPMI from Palmetto)."),
             code(CV_CURVE),
             md("### Losses\nWasserstein critic loss `−mean D(real) + mean D(fake)`, the generator's adversarial "
                "loss `−mean D(fake)` (without the InfoNCE term) and the encoder's `mean D(E(bow), bow)`."),
             code(LOSSES),
             md("### InfoNCE\nThe generator's contrastive term (NT-Xent, temperature τ) at each generator step, "
                "with ln(2B − 1), the loss of a model that gives every one of the 2B − 1 candidates the same "
                "similarity. A loss above that line means the positive pairs score lower than the average "
                "negative (the project's reading; with a small τ the scaled similarities spread widely, so "
                "the loss can exceed it by much)."),
             code(INFONCE),
             code(INFONCE_NOTE),
             md("### The generator's two terms, and what the critic sees\nThe generator minimises the "
                "adversarial term −mean D(fake) plus the InfoNCE term. Their ratio per epoch shows which one "
                "drives it. The critic's weights are clipped to ±0.01, so its scores are small; the last cell "
                "compares its mean score on real pairs (E(bow), bow) with the same θ paired with shuffled "
                "documents: when the two are nearly equal, the critic cannot tell which document a θ came "
                "from, and runs whose settings differ print nearly the same adversarial losses."),
             code(TERMS),
             code(SENSITIVITY),
             md("### Topics\nThe final networks' topics (top-10 words of G(one-hot(k)), BatchNorm in inference "
                "mode) with each topic's NPMI, then the topics at the evaluation with the best NPMI."),
             code(TOPICS),
             code(BEST_TOPICS),
             md("### Results beside the baselines"),
             code(BEST),
             md("### Reading\nComputed from the numbers above (the sentences are written by "
                "`gcatm::experiments::reproduce::reading` from this run's history and baselines)."),
             code(READING)]
    if n == 9:
        cells += [
            md("## Follow-up: batch size 1024 (entry 9b)\nThe log's only number for this section: a maximum "
               "NPMI of **0.03013** with batch size 1024. Same corpus, evaluator and budget."),
            code("""
let follow_up = e.follow_up.expect("entry 9 has its batch-1024 follow-up").clone();
let run_b = reproduce::run_entry(&follow_up, budget, &data, &evaluator, &out, show).expect("training entry 9b");
println!("entry 9b: batch {}, {} iterations per epoch",
         run_b.trainer.config().batch_size, run_b.trainer.batcher().n_batches());
"""),
            code("""
gcatm::plot::coherence_vs_baselines(
    &format!("entry 9 vs 9b (K = {}, {budget}): NPMI", e.topics),
    "NPMI",
    &[
        (format!("entry 9, batch {}", config.batch_size), run.history().curve("npmi")),
        (format!("entry 9b, batch {}", run_b.trainer.config().batch_size), run_b.history().curve("npmi")),
    ],
    Some((baselines.floor.mean, baselines.floor.std)),
    &baselines.lines(|m| m.npmi),
)
.expect("the comparison chart")
"""),
            code("""
{
    let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.5}"));
    let (a, b) = (&run.row, &run_b.row);
    println!("entry 9  (batch {:>4}): best NPMI {} at epoch {}, TD {}", a.batch_size, f(a.best_npmi), a.best_epoch.unwrap_or(0), f(a.td));
    println!("entry 9b (batch {:>4}): best NPMI {} at epoch {}, TD {}", b.batch_size, f(b.best_npmi), b.best_epoch.unwrap_or(0), f(b.td));
    println!("the log's maximum for 9b: {} (Palmetto, Wikipedia reference; the log does not say after how many epochs)",
             follow_up.reported_npmi.expect("the log reports it"));
}
"""),
            code("""
{
    let steps = |c: &gcatm::train::TrainConfig, batches: usize| c.epochs * batches / c.n_critic;
    let (a, b) = (&run.trainer, &run_b.trainer);
    println!("generator steps over {} epochs: batch {} -> {} ({} iterations per epoch), batch {} -> {} ({} per epoch)",
             config.epochs,
             a.config().batch_size, steps(a.config(), a.batcher().n_batches()), a.batcher().n_batches(),
             b.config().batch_size, steps(b.config(), b.batcher().n_batches()), b.batcher().n_batches());
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
        .chain(same_corpus.then(|| (format!("{} epochs ({budget})", config.epochs), run.history().curve("npmi"), run.history().curve("td"))))
        .collect::<Vec<_>>(),
    same_corpus.then(|| (baselines.floor.mean, baselines.floor.std)),
    &if same_corpus { baselines.lines(|m| (m.npmi, m.td)) } else { Vec::new() },
)
.expect("the long-run chart")
"""),
            md("The long run's topics at its best NPMI and at its last evaluation."),
            code("""
{
    let (epoch, npmi) = long.best("npmi").expect("evaluated epochs");
    let topics = long.epochs.iter().find(|r| r.epoch == epoch).and_then(|r| r.topics.clone());
    println!("topics at epoch {epoch} (best NPMI, {npmi:.3}):");
    gcatm::plot::topic_table(&topics.expect("topics at the best epoch"), None).expect("the topic table")
}
"""),
            code("""
{
    let (epoch, npmi) = *long.metric("npmi").last().expect("evaluated epochs");
    let topics = long.epochs.iter().find(|r| r.epoch == epoch).and_then(|r| r.topics.clone());
    println!("topics at epoch {epoch} (the last evaluation, NPMI {npmi:.3}):");
    gcatm::plot::topic_table(&topics.expect("topics at the last evaluation"), None).expect("the topic table")
}
"""),
            md("### Reading of the long run\nComputed from its history, the baselines above and this notebook's "
               "run (`gcatm::experiments::reproduce::late_phase_reading`)."),
            code("""
if same_corpus {
    for line in reproduce::late_phase_reading(&long, Some(run.history()), &baselines) {
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
               "learning rate 1e-4. Its run from notebook 11 is reused when it is there at this budget; "
               "otherwise it is trained now."),
            code("""
let e11 = entry("11").expect("entry 11").clone();
let run11 = reproduce::run_entry(&e11, budget, &data, &evaluator, &out, show).expect("entry 11's run");
println!("entry 11 ({}): {}", run11.dir.display(), run11.origin);
let (history11, row11) = (run11.history().clone(), run11.row.clone());
"""),
            code("""
gcatm::plot::coherence_vs_baselines(
    &format!("entry 11 vs 12 (K = {}, {budget}): NPMI", e.topics),
    "NPMI",
    &[("entry 11: lr 1e-4", history11.curve("npmi")), ("entry 12: lr 1e-6", run.history().curve("npmi"))],
    Some((baselines.floor.mean, baselines.floor.std)),
    &baselines.lines(|m| m.npmi),
)
.expect("the comparison chart")
"""),
            code("""
gcatm::plot::LineChart::new("InfoNCE per epoch: lr 1e-4 vs 1e-6")
    .x_label("epoch")
    .y_label("InfoNCE loss")
    .series("entry 11: lr 1e-4", history11.loss_curve("info_nce"))
    .series("entry 12: lr 1e-6", run.history().loss_curve("info_nce"))
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
            md("How far each run's networks moved (the project's reading: Adam moves each weight by at most "
               "about the learning rate per step, so at 1e-6 the networks stay near their initialisation): "
               "the best NPMI, TD and InfoNCE of both runs are printed above; whether 1e-6 is \"very poor\" "
               "here is read from those numbers, not assumed."),
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

let budget = Budget::from_env().expect("GCATM_BUDGET must be smoke, cpu, long or full");
println!("budget={budget} epochs={}", budget.epochs().min(20));
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
    code("""
gcatm::plot::coherence_curve("C_V", &[("walkthrough, K = 20", cv.clone())], true).expect("the C_V chart")
"""),
    md("## 11. The charts of the losses"),
    code("""
gcatm::plot::losses(&[("critic D", trainer.history().iteration_curve("loss_d")),
                      ("generator G (adversarial)", trainer.history().iteration_curve("loss_g")),
                      ("encoder E", trainer.history().iteration_curve("loss_e"))], "iteration")
    .expect("the loss chart")
"""),
    code("""
gcatm::plot::info_nce(&trainer.history().iteration_curve("info_nce"), "iteration").expect("the InfoNCE chart")
"""),
]

SUMMARY_INTRO = """
# 13 — Summary: all entries side by side

The twelve entries of the log and entry 9's batch-1024 follow-up (`9b`), at one budget. The rows come
from the run folders the entry notebooks left in `runs/<budget>/` beside this notebook (each holds its
`reproduce.json` row); any entry without a finished run there is trained now
(`gcatm::experiments::reproduce::run_all`, which reuses finished runs), and `runs/<budget>/summary.json` is rewritten.
""" + BUDGETS + CONTEXT

SUMMARY = [
    DEP,
    code("""
use gcatm::experiments::{Budget, JULY_2021_HARD_LABEL_NPMI};
use gcatm::experiments::reproduce::{self, SummaryRow};
use std::collections::BTreeMap;
use std::path::PathBuf;

let budget = Budget::from_env().expect("GCATM_BUDGET must be smoke, cpu, long or full");
let out = PathBuf::from("runs").join(budget.to_string());
println!("budget={budget} epochs={}", budget.epochs());
println!("machine: {}", reproduce::machine());
"""),
    code("""
let data = reproduce::load_data(budget, None).expect("the budget's corpus (20ng-1883 ships in data/)");
let rows: Vec<SummaryRow> = {
    let list = reproduce::all_entries();
    let rows = reproduce::run_all(&list, budget, &data, &out, |p| match p {
        reproduce::Progress::Start(e, i, n) => println!("[{}/{n}] entry {}", i + 1, e.label),
        reproduce::Progress::Epoch(_, _) => {}
        reproduce::Progress::Done(r) => println!("entry {:>3}: {:.0} s", r.entry, r.wall_seconds),
    }).expect("running the entries");
    rows
};
for r in &rows {
    assert!(r.error.is_none(), "entry {} failed: {:?}", r.entry, r.error);
}
"""),
    md("The baselines for every K of the log on the same corpus and evaluator: random 10-word topics, "
       "variational LDA, Gibbs LDA (tomotopy's settings) and ProdLDA (TopMost's settings), seed 0."),
    code("""
let evaluator = data.evaluator().expect("the evaluator");
let mut baselines = BTreeMap::new();
for r in &rows {
    if !baselines.contains_key(&r.topics) {
        let b = data.baselines_cached(&evaluator, r.topics, &out).expect("the baselines");
        println!("K = {:>3}: random {:.4} ± {:.4}", r.topics, b.floor.mean, b.floor.std);
        for m in b.models() {
            println!("         {}: NPMI {:.4}, TD@25 {:.3} ({:.0} s)", m.name, m.npmi, m.td, m.seconds);
        }
        baselines.insert(r.topics, b);
    }
}
"""),
    md("## Every entry"),
    code("""
// Baselines' columns: NPMI / TD@25 of variational LDA, Gibbs LDA and ProdLDA at the entry's K.
println!("{:>5} {:>3} {:>4} {:>4} {:>7} {:>4} {:>5} | {:>7} {:>4} {:>7} {:>6} | {:>6} {:>11} {:>11} {:>11} | {:>6}",
         "entry", "sec", "var", "K", "gen lr", "tau", "batch", "best", "ep", "final", "TD", "random", "LDA var.", "LDA Gibbs", "ProdLDA", "wall s");
for r in &rows {
    let b = &baselines[&r.topics];
    let f = |v: Option<f64>, d: usize| v.map_or("-".to_string(), |v| format!("{v:.d$}"));
    let m: Vec<String> = b.models().iter().map(|m| format!("{:.3}/{:.2}", m.npmi, m.td)).collect();
    println!("{:>5} {:>3} {:>4} {:>4} {:>7.0e} {:>4} {:>5} | {:>7} {:>4} {:>7} {:>6} | {:>6.3} {:>11} {:>11} {:>11} | {:>6.0}",
             r.entry, r.section, r.variant, r.topics, r.generator_lr, r.temperature, r.batch_size,
             f(r.best_npmi, 4), r.best_epoch.unwrap_or(0), f(r.final_npmi, 4), f(r.td, 3),
             b.floor.mean, m[0], m.get(1).map_or("-", |s| s.as_str()), m.get(2).map_or("-", |s| s.as_str()), r.wall_seconds);
}
println!("\\n{} entries at budget={budget} epochs={} on {}; corpus: {}", rows.len(), budget.epochs(),
         rows.first().map_or("-", |r| r.machine.as_str()), data.description);
"""),
    md("""
## NPMI against the number of topics

Best NPMI of each run beside the three model baselines and the random floor at the same K. Section 1's line holds its entries
with τ = 0.5 (2–6; entry 1, τ = 0.1, is its own point), section 2's line entries 7–11 (9b and the 1e-6
entry 12 are left out). Within each section the log varied the generator's learning rate together with K
(lr for K ≥ 50, lr/100 for K ≤ 30), so a line mixes both.
"""),
    code("""
gcatm::plot::npmi_vs_topics(&[
    ("section 1, hard label (entries 2-6)", reproduce::best_by_topics(&rows, &["2", "3", "4", "5", "6"])),
    ("section 2, mean-weighted (entries 7-11)", reproduce::best_by_topics(&rows, &["7", "8", "9", "10", "11"])),
    ("entry 1 (hard, tau 0.1, lr/100)", reproduce::best_by_topics(&rows, &["1"])),
    (reproduce::LDA_NAME, baselines.iter().map(|(k, b)| (*k, b.lda_npmi)).collect()),
    (reproduce::GIBBS_NAME, baselines.iter().filter_map(|(k, b)| b.gibbs.as_ref().map(|m| (*k, m.npmi))).collect()),
    (reproduce::PRODLDA_NAME, baselines.iter().filter_map(|(k, b)| b.prodlda.as_ref().map(|m| (*k, m.npmi))).collect()),
    ("random 10-word topics (mean)", baselines.iter().map(|(k, b)| (*k, b.floor.mean)).collect()),
])
.expect("the NPMI-vs-K chart")
"""),
    md("The log's own numbers (July 2021, hard label, τ = 0.1, generator lr/100; Palmetto over Wikipedia) "
       "are on another scale, so they get their own panel."),
    code("""
gcatm::plot::npmi_vs_topics(&[("July 2021, Palmetto (the log's numbers)", JULY_2021_HARD_LABEL_NPMI.to_vec())])
    .expect("the Palmetto chart")
"""),
    md("""
## Generator lr/100 against lr

The same best NPMI, split by the generator's learning rate instead (both sections together; entries 1 and
5–8 at lr/100 = 1e-6, entries 2–4 and 9–11 at lr = 1e-4).
"""),
    code("""
gcatm::plot::npmi_vs_topics(&[
    ("generator lr/100 (1, 5-8)", reproduce::best_by_topics(&rows, &["1", "5", "6", "7", "8"])),
    ("generator lr (2-4, 9-11)", reproduce::best_by_topics(&rows, &["2", "3", "4", "9", "10", "11"])),
])
.expect("the lr chart")
"""),
    md("""
## The 1e-6 entry (12) against entry 11

Entry 12 is entry 11 (section 2, K = 50, τ = 0.5) with every learning rate at 1e-6; the log says the
results were very poor.
"""),
    code("""
// (no closure kept in a variable: evcxr cannot keep one between cells)
let h11 = reproduce::read_history(&rows.iter().find(|r| r.entry == "11").expect("entry 11's row").run_dir)
    .expect("entry 11's history");
let h12 = reproduce::read_history(&rows.iter().find(|r| r.entry == "12").expect("entry 12's row").run_dir)
    .expect("entry 12's history");
let b50 = baselines[&50].clone();
gcatm::plot::coherence_vs_baselines(
    &format!("entry 11 vs 12 (K = 50, {budget}): NPMI"),
    "NPMI",
    &[("entry 11: lr 1e-4", h11.curve("npmi")), ("entry 12: lr 1e-6", h12.curve("npmi"))],
    Some((b50.floor.mean, b50.floor.std)),
    &b50.lines(|m| m.npmi),
)
.expect("the 1e-6 chart")
"""),
    code("""
gcatm::plot::LineChart::new("InfoNCE per epoch: entry 11 (lr 1e-4) vs entry 12 (lr 1e-6)")
    .x_label("epoch")
    .y_label("InfoNCE loss")
    .series("entry 11: lr 1e-4", h11.loss_curve("info_nce"))
    .series("entry 12: lr 1e-6", h12.loss_curve("info_nce"))
    .legend(gcatm::plot::Legend::Below)
    .build()
    .expect("the InfoNCE comparison")
"""),
    md("""
## Reading

Every sentence below is computed from the runs above (`gcatm::experiments::reproduce::reading` per entry, against the
random floor and the model baselines at its K; `gcatm::experiments::reproduce::siblings` for the pairs of entries that differ in one
setting).
"""),
    code("""
for r in &rows {
    let h = reproduce::read_history(&r.run_dir).expect("the entry's history");
    println!("entry {} (K = {}, {}, generator lr {:.0e}, tau {}):", r.entry, r.topics, r.variant, r.generator_lr, r.temperature);
    for line in reproduce::reading(&h, &baselines[&r.topics]) {
        println!("    {line}");
    }
}
"""),
    code("""
for line in reproduce::siblings(&rows) {
    println!("{line}");
}
"""),    md("""
## The late phase (entry 7 trained for thousands of epochs)

The runs above stop in the early phase. `long-runs/7/` holds the history of entry 7 trained with the
same settings far longer, as notebook `07` shows in full; its reading, computed from that history and the
K = 20 baselines above:
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
# 14 — Beyond the log: a recipe against collapse, next to entry 7's faithful setting

**This notebook departs from the log.** Every other notebook runs the log's settings; here the model
is trained once more with a *recipe* of options the log never used, all of them off by default in
`gcatm` (`gcatm::experiments::sweep`):

| recipe | what it changes |
|---|---|
| `balance` | the InfoNCE term weighted, at every generator step, by the ratio of the two terms' gradient norms (the log author's own later remedy; `TrainConfig::balance_contrastive`) |
| `spectral` | the critic kept Lipschitz by a spectral-norm projection (Miyato et al. 2018) instead of weight clipping |
| `ttur` | the critic learns 4 times faster than encoder and generator (two time-scale updates, Heusel et al. 2017) |
| `spectral-ttur`, `all` | combinations |

The faithful model collapses early: NPMI rises while topic diversity (TD@25) falls; at the `cpu`
budget's 200 epochs the entries of notebooks 01–12 end at TD@25 0.09–0.48, against variational
LDA's 0.50–0.67 (the summary's table). The question here is whether a recipe built from the crate's
blocks keeps both: NPMI ≥ 0.20 with TD@25 ≥ 0.6 held to the end of the run (the goal that
`gcatm::experiments::sweep::goal_reading` counts; the three model baselines stand beside it in the
tables and charts below).

The notebook (1) trains entry 7 (K = 20, mean-weighted label, generator lr/100) with its log settings
and with the preset recipe (`gcatm::experiments::sweep::PRESET`, `gcatm train --preset`), at this
budget, beside the baselines; (2) shows the three-seed comparison of recipes (K = 20 and 50 on 20ng-1883, and the
planted corpus) that `gcatm sweep` produced and that is shipped in `sweeps/` beside this notebook (the
commands, commit and machine are in its `README.md`).
Why these remedies: they are the known ones for collapse in Wasserstein GANs listed in the issue that
asked for this notebook; which one is best here is read from the numbers below, not assumed.
"""

BEYOND = [
    DEP,
    md("Budget, entry 7's configuration, and the preset recipe applied over it."),
    code("""
use gcatm::experiments::entry;
use gcatm::experiments::Budget;
use gcatm::experiments::reproduce;
use gcatm::experiments::sweep;
use std::path::PathBuf;

let budget = Budget::from_env().expect("GCATM_BUDGET must be smoke, cpu, long or full");
let e = entry("7").expect("entry 7 is in the registry").clone();
let recipe = sweep::preset();
let config = e.config(budget);
let recipe_config = recipe.apply(config.clone());
let out = PathBuf::from("runs").join(budget.to_string());
println!("budget={budget} epochs={}", config.epochs);
println!("machine: {}", reproduce::machine());
println!("entry {}: K = {}, variant {}, generator lr {:.0e}", e.label, config.topics, config.variant, config.generator_lr());
println!("preset recipe `{}`: {}", recipe.name, recipe.summary);
println!("changed: balance_contrastive {} -> {}, critic_constraint {} -> {}, critic_lr_scale {} -> {}",
         config.balance_contrastive, recipe_config.balance_contrastive,
         config.critic_constraint, recipe_config.critic_constraint,
         config.critic_lr_scale, recipe_config.critic_lr_scale);
"""),
    code(LOAD),
    md("### Entry 7 with the log's settings\nThe run of notebook 07 at this budget is reused when it is in `runs/`; otherwise it is trained now."),
    code("""
fn show(r: &gcatm::train::EpochRecord) {
    if !r.metrics.is_empty() {
        println!("{r}");
    }
}
let faithful = reproduce::run_entry(&e, budget, &data, &evaluator, &out, show).expect("entry 7");
println!("run folder: {}: {}", faithful.dir.display(), faithful.origin);
faithful.earlier_epochs().iter().for_each(show);
"""),
    md("### Entry 7 with the preset recipe\nSame entry, seed, corpus and epochs; only the recipe's options differ. One line per evaluation."),
    code("""
let ours = sweep::run_recipe(&e, recipe, budget, &data, &evaluator, &out, show).expect("the recipe's run");
println!("run folder: {}: {}", ours.dir.display(), ours.origin);
if ours.origin != reproduce::Origin::Trained {
    ours.trainer.history().epochs.iter().for_each(show);
}
println!("{} epochs, {:.0} s of training and evaluation", ours.summary.epochs, ours.summary.wall_seconds);
"""),
    md("### Coherence and diversity, both runs\nNPMI and TD@25 at each evaluation on one 0–1 scale, with the random floor (band) and each model baseline's two values (dashed, one colour and pattern per model)."),
    code("""
gcatm::plot::npmi_and_td_runs(
    &format!("entry 7 (K = {}, {budget}): log vs `{}`", e.topics, recipe.name),
    &[
        ("log".to_string(), faithful.history().curve("npmi"), faithful.history().curve("td")),
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
for line in sweep::recipe_reading(faithful.history(), ours.trainer.history(), recipe.name, &baselines) {
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
println!("{}", sweep::table(&rows, &sweep_baselines));
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
println!("{}", sweep::table(&planted, &planted_baselines));
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
