//! What the Evaluate page's buttons do: load and install test sets, import and export them, start, cancel
//! and resume runs (driven by `core::eval::runner` with the browser's ports), and keep the page's state in
//! step. Decisions are the core's; this module wires the store, the network and the signals together.

use crate::core::eval::answer::RunConfig;
use crate::core::eval::judge::JUDGE_PROMPT_VERSION;
use crate::core::eval::model::{latest_versions, parse_export, version_key, write_export, Case, CaseImage, TestSet};
use crate::core::eval::report::{from_json, to_csv, to_json, RUN_EXPORT_FORMAT};
use crate::core::eval::run::{CaseResult, Run, RunState};
use crate::core::eval::runner::{drive, Control, RunEvent, RunPorts};
use crate::core::eval::sample::{SAMPLE_SET_ID, SAMPLE_VERSION};
use crate::core::notice::Alert;
use crate::core::ports::{RunRepo, Runtime, TestSetRepo, WardrobeSource};
use crate::ui::eval::state::{Driving, EvalProblem, EvalState, StartProblem};
use crate::ui::memory::MemoryRecall;
use crate::ui::state::{store, AppState};
use crate::web::download::{file_of, read_text, save_text};
use crate::web::files::{blob_bytes, prepare_image, BlobBytes};
use crate::web::http::FetchTransport;
use crate::web::idb_store::IdbStore;
use crate::web::runtime::{new_uuid, sleep_ms, BrowserRuntime};
use crate::web::tabs::try_exclusive_lock;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::rc::Rc;

/// The database, once the app has opened it.
async fn db(app: AppState) -> Option<IdbStore> {
    for _ in 0..200 {
        if let Some(db) = store(app) {
            return Some(db);
        }
        if app.session.loaded.get_untracked() {
            return None;
        }
        sleep_ms(25).await;
    }
    None
}

fn alert(app: AppState, e: crate::core::ports::StoreError) {
    app.notices.alert(Alert::Store(e));
}

/// Loads the sets and runs, installing the sample set the first time this browser opens the page.
pub fn load(app: AppState, eval: EvalState) {
    spawn_local(async move {
        let Some(db) = db(app).await else { return };
        refresh_sets(app, eval, &db).await;
        match db.load_runs().await {
            Ok(runs) => eval.runs.set(runs),
            Err(e) => alert(app, e),
        }
        eval.loaded.set(true);
        let have_sample = eval.sets.with_untracked(|s| s.iter().any(|t| t.id == SAMPLE_SET_ID));
        if !have_sample && crate::web::prefs::sample_offered() < SAMPLE_VERSION {
            install_sample(app, eval).await;
        }
    });
}

async fn refresh_sets(app: AppState, eval: EvalState, db: &IdbStore) {
    match db.load_test_sets().await {
        Ok(all) => eval.sets.set(latest_versions(all)),
        Err(e) => alert(app, e),
    }
}

/// Draws and stores the sample set.
pub async fn install_sample(app: AppState, eval: EvalState) {
    let Some(db) = db(app).await else { return };
    if eval.installing.get_untracked() {
        return;
    }
    eval.installing.set(true);
    match crate::web::sample::install(&db, "Sample set", BrowserRuntime::default().now_ms()).await {
        Ok(()) => {
            crate::web::prefs::set_sample_offered(SAMPLE_VERSION);
            refresh_sets(app, eval, &db).await;
        }
        Err(crate::web::sample::InstallError::Store(e)) => alert(app, e),
        Err(crate::web::sample::InstallError::Drawing { file, detail }) => {
            eval.problem.set(Some(EvalProblem::SampleNotInstalled { detail: format!("{file}: {detail}") }))
        }
    }
    eval.installing.set(false);
}

/// Offers a set as a JSON file with its images embedded.
pub fn export_set(app: AppState, set: TestSet) {
    spawn_local(async move {
        let Some(db) = db(app).await else { return };
        let mut bytes = std::collections::HashMap::new();
        for id in set.image_ids() {
            if let Ok(Some(blob)) = db.eval_image(&id).await {
                if let Ok(b) = blob_bytes(&blob).await {
                    bytes.insert(id, b);
                }
            }
        }
        match write_export(&set, &|id| bytes.get(id).cloned()) {
            Ok(text) => {
                let _ = save_text(&format!("{}.boda-test-set.json", file_stem(&set.name)), "application/json", &text);
            }
            Err(id) => app.notices.alert(Alert::Store(crate::core::ports::StoreError::Other(format!("image {id}")))),
        }
    });
}

/// A file name from a set's name: letters, digits and dashes.
pub fn file_stem(name: &str) -> String {
    let stem: String = name.chars().map(|c| if c.is_alphanumeric() { c } else { '-' }).collect();
    let stem = stem.trim_matches('-').to_owned();
    if stem.is_empty() {
        "test-set".to_owned()
    } else {
        stem
    }
}

/// Imports a test set file: checked whole first, its images decoded and resized as a chat's are, then stored
/// in one transaction as a new set. A refused file stores nothing and says why.
pub fn import_set(app: AppState, eval: EvalState, file: web_sys::File) {
    spawn_local(async move {
        eval.problem.set(None);
        let Some(db) = db(app).await else { return };
        let text = match read_text(&file).await {
            Ok(t) => t,
            Err(detail) => return eval.problem.set(Some(EvalProblem::File { name: file.name(), detail })),
        };
        // One Import takes both kinds of file: a run's is told by its format.
        let format = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("format").and_then(|f| f.as_str()).map(str::to_owned));
        if format.as_deref() == Some(RUN_EXPORT_FORMAT) {
            return import_run(app, eval, &db, &text).await;
        }
        let imported = match parse_export(&text) {
            Ok(s) => s,
            Err(why) => return eval.problem.set(Some(EvalProblem::Import(why))),
        };
        let now = BrowserRuntime::default().now_ms();
        let set_id = new_uuid();
        let mut cases = Vec::with_capacity(imported.cases.len());
        let mut blobs = Vec::new();
        for c in imported.cases {
            let mut images = Vec::with_capacity(c.images.len());
            for image in c.images {
                let id = new_uuid();
                let prepared = match file_of(&image.bytes, &image.name, &image.mime) {
                    Ok(f) => prepare_image(&f, id.clone(), set_id.clone(), now).await,
                    Err(e) => Err((
                        image.name.clone(),
                        crate::core::notice::FileProblem::Unreadable { detail: crate::web::describe_js_error(&e) },
                    )),
                };
                let prepared = match prepared {
                    Ok(p) => p,
                    Err((name, problem)) => return eval.problem.set(Some(EvalProblem::Image { name, problem })),
                };
                images.push(CaseImage {
                    id: id.clone(),
                    name: image.name,
                    mime: prepared.meta.mime.clone(),
                    width: prepared.meta.width,
                    height: prepared.meta.height,
                    caption: image.caption,
                    relevant: image.relevant,
                });
                blobs.push((id, prepared.blob));
            }
            cases.push(Case {
                id: c.id.unwrap_or_else(new_uuid),
                question: c.question,
                reference: c.reference,
                mode: c.mode,
                tags: c.tags,
                images,
            });
        }
        let name = if imported.name.is_empty() { file.name() } else { imported.name };
        let set = TestSet { id: set_id, version: 1, name, created_ms: now, sample: false, cases };
        match db.put_test_set(&set, &blobs).await {
            Ok(()) => refresh_sets(app, eval, &db).await,
            Err(e) => alert(app, e),
        }
    });
}

/// Imports an exported run with its results, whole; a run that was still going comes in as cancelled, so that
/// Resume can finish it here.
async fn import_run(app: AppState, eval: EvalState, db: &IdbStore, text: &str) {
    let (mut run, results) = match from_json(text) {
        Ok(r) => r,
        Err(why) => return eval.problem.set(Some(EvalProblem::RunImport(why))),
    };
    if run.state == RunState::Running {
        run.state = RunState::Cancelled;
    }
    if eval.run(&run.id).is_some() {
        // The same run again: a copy under a new id, so that neither overwrites the other.
        let id = new_uuid();
        let results: Vec<CaseResult> = results.into_iter().map(|r| CaseResult { run_id: id.clone(), ..r }).collect();
        run.id = id;
        return store_imported(app, eval, db, run, results).await;
    }
    store_imported(app, eval, db, run, results).await
}

async fn store_imported(app: AppState, eval: EvalState, db: &IdbStore, run: Run, results: Vec<CaseResult>) {
    match db.put_run_with_results(&run, &results).await {
        Ok(()) => {
            eval.results.update(|m| {
                m.insert(run.id.clone(), results);
            });
            eval.runs.update(|rs| rs.insert(0, run));
        }
        Err(e) => alert(app, e),
    }
}

/// Offers a run's results as CSV (a row per result) or as a JSON file that imports to the same report.
pub fn export_run(eval: EvalState, run_id: &str, csv: bool) {
    let Some(run) = eval.run(run_id) else { return };
    let results = eval.results.with_untracked(|m| m.get(run_id).cloned().unwrap_or_default());
    let stem = file_stem(&run.set_name);
    if csv {
        let key = version_key(&run.set_id, run.set_version);
        let Some(set) = eval.set_versions.with_untracked(|m| m.get(&key).cloned()) else { return };
        // A byte-order mark, so that spreadsheet programs read the Korean text as UTF-8.
        let text = format!("\u{feff}{}", to_csv(&run, &set, &results));
        let _ = save_text(&format!("{stem}.boda-run.csv"), "text/csv", &text);
    } else {
        let _ = save_text(&format!("{stem}.boda-run.json"), "application/json", &to_json(&run, &results));
    }
}

/// Stores a new set, or a new version of one, with the images it adds.
pub async fn save_set(app: AppState, eval: EvalState, set: TestSet, blobs: Vec<(String, web_sys::Blob)>) -> bool {
    let Some(db) = db(app).await else { return false };
    match db.put_test_set(&set, &blobs).await {
        Ok(()) => {
            refresh_sets(app, eval, &db).await;
            true
        }
        Err(e) => {
            alert(app, e);
            false
        }
    }
}

/// Deletes a set with all its versions, images, runs and results.
pub fn delete_set(app: AppState, eval: EvalState, set_id: String) {
    spawn_local(async move {
        let Some(db) = db(app).await else { return };
        for run in eval.runs.get_untracked().iter().filter(|r| r.set_id == set_id) {
            cancel_run(eval, &run.id);
        }
        match db.delete_test_set(&set_id).await {
            Ok(()) => {
                eval.runs.update(|rs| rs.retain(|r| r.set_id != set_id));
                refresh_sets(app, eval, &db).await;
            }
            Err(e) => alert(app, e),
        }
    });
}

/// What a run is started with.
pub struct RunSetup {
    pub set: TestSet,
    pub configs: Vec<RunConfig>,
    pub judge_model: String,
    pub concurrency: u32,
}

/// Whether a run can start, and why not.
pub fn check_setup(app: AppState, setup: &RunSetup) -> Result<(), StartProblem> {
    if !app.session.settings.get_untracked().has_key() {
        Err(StartProblem::NoKey)
    } else if setup.set.cases.is_empty() {
        Err(StartProblem::NoSet)
    } else if setup.configs.is_empty() {
        Err(StartProblem::NoConfig)
    } else if setup.configs.iter().any(|c| c.model.trim().is_empty()) {
        Err(StartProblem::NoModel)
    } else if setup.judge_model.trim().is_empty() {
        Err(StartProblem::NoJudge)
    } else if setup.configs.iter().any(|c| c.web.is_some()) && !app.session.settings.get_untracked().has_tavily_key() {
        Err(StartProblem::NoSearchKey)
    } else {
        Ok(())
    }
}

/// Starts a run and returns its id.
pub async fn start_run(app: AppState, eval: EvalState, setup: RunSetup) -> Option<String> {
    if let Err(why) = check_setup(app, &setup) {
        eval.problem.set(Some(EvalProblem::CannotStart(why)));
        return None;
    }
    let db = db(app).await?;
    if setup.configs.iter().any(|c| c.wardrobe) && db.wardrobe_ids().await.is_ok_and(|ids| ids.is_empty()) {
        eval.problem.set(Some(EvalProblem::CannotStart(StartProblem::EmptyWardrobe)));
        return None;
    }
    let settings = app.session.settings.get_untracked();
    let run = Run {
        id: new_uuid(),
        set_id: setup.set.id.clone(),
        set_version: setup.set.version,
        set_name: setup.set.name.clone(),
        configs: setup.configs,
        judge_model: setup.judge_model.trim().to_owned(),
        judge_prompt_version: JUDGE_PROMPT_VERSION.to_owned(),
        prices: settings.prices.clone(),
        credit_usd: settings.search.credit_usd,
        concurrency: setup.concurrency.clamp(1, 16),
        created_ms: BrowserRuntime::default().now_ms(),
        state: RunState::Running,
        finished_ms: None,
        pairwise: Vec::new(),
    };
    if let Err(e) = db.put_run(&run).await {
        alert(app, e);
        return None;
    }
    eval.runs.update(|rs| rs.insert(0, run.clone()));
    eval.results.update(|r| {
        r.insert(run.id.clone(), Vec::new());
    });
    let id = run.id.clone();
    go(app, eval, db, run, setup.set, Vec::new()).await;
    Some(id)
}

/// Resumes a cancelled or interrupted run from what it stored.
pub fn resume_run(app: AppState, eval: EvalState, run_id: String) {
    spawn_local(async move {
        let Some(db) = db(app).await else { return };
        let Some(run) = eval.run(&run_id) else { return };
        let set = match db.load_test_set(&run.set_id, run.set_version).await {
            Ok(Some(set)) => set,
            Ok(None) => return,
            Err(e) => return alert(app, e),
        };
        let stored = match db.load_results(&run_id).await {
            Ok(r) => r,
            Err(e) => return alert(app, e),
        };
        eval.results.update(|r| {
            r.insert(run_id.clone(), stored.clone());
        });
        go(app, eval, db, run, set, stored).await;
    });
}

/// Drives a run in the background, under a lock so that no other tab drives it at the same time.
async fn go(app: AppState, eval: EvalState, db: IdbStore, mut run: Run, set: TestSet, stored: Vec<CaseResult>) {
    let Some(lock) = try_exclusive_lock(&format!("boda-run-{}", run.id)).await else {
        eval.problem.set(Some(EvalProblem::RunElsewhere));
        return;
    };
    let control = Rc::new(Control::default());
    eval.driving.update_value(|d| {
        d.insert(run.id.clone(), Driving { control: control.clone(), _lock: lock });
    });
    eval.driving_rev.update(|r| *r += 1);
    let settings = app.session.settings.get_untracked();
    spawn_local(async move {
        let transport = FetchTransport::new(None);
        let runtime = BrowserRuntime::default();
        // The wardrobe, for configurations that take it, is ranked by this tab's memory as a chat's would be.
        let memory = MemoryRecall::new(app, None);
        let ports = RunPorts {
            store: &db,
            blobs: &BlobBytes,
            transport: &transport,
            runtime: &runtime,
            memory: &memory,
            wardrobe: &db,
        };
        let run_id = run.id.clone();
        let mut on = |event: RunEvent| match event {
            RunEvent::Progress(p) => eval.progress.update(|m| {
                m.insert(run_id.clone(), p);
            }),
            RunEvent::Result(result) => eval.results.update(|m| {
                let list = m.entry(run_id.clone()).or_default();
                match list.iter_mut().find(|r| r.key() == result.key()) {
                    Some(r) => *r = *result,
                    None => list.push(*result),
                }
            }),
            RunEvent::StoreFailed(e) => alert(app, e),
            RunEvent::Paused(e) => app.notices.alert(Alert::Answer(e)),
        };
        drive(ports, &settings, &mut run, &set, stored, &control, &mut on).await;
        eval.runs.update(|rs| {
            if let Some(r) = rs.iter_mut().find(|r| r.id == run.id) {
                *r = run.clone();
            }
        });
        eval.driving.update_value(|d| {
            d.remove(&run.id);
        });
        eval.driving_rev.update(|r| *r += 1);
    });
}

/// Asks a run this tab drives to stop once its requests in flight are back.
pub fn cancel_run(eval: EvalState, run_id: &str) {
    eval.driving.with_value(|d| {
        if let Some(driving) = d.get(run_id) {
            driving.control.cancel();
        }
    });
}

/// Loads a run's results and the set version it ran on, for its report.
pub fn open_results(app: AppState, eval: EvalState, run_id: String) {
    let driving = eval.is_driving(&run_id);
    spawn_local(async move {
        let Some(db) = db(app).await else { return };
        if let Some(run) = eval.run(&run_id) {
            let key = version_key(&run.set_id, run.set_version);
            if !eval.set_versions.with_untracked(|m| m.contains_key(&key)) {
                match db.load_test_set(&run.set_id, run.set_version).await {
                    Ok(Some(set)) => eval.set_versions.update(|m| {
                        m.insert(key, set);
                    }),
                    Ok(None) => {}
                    Err(e) => alert(app, e),
                }
            }
        }
        if driving {
            return;
        }
        match db.load_results(&run_id).await {
            Ok(results) => eval.results.update(|m| {
                m.insert(run_id, results);
            }),
            Err(e) => alert(app, e),
        }
    });
}

/// Has the judge compare configuration `a`'s answers with `b`'s, case by case in both orders, and keeps the
/// comparisons with the run (replacing an earlier comparison of the same pair).
pub async fn compare_pairwise(app: AppState, eval: EvalState, run_id: String, a: String, b: String) {
    let Some(db) = db(app).await else { return };
    let Some(mut run) = eval.run(&run_id) else { return };
    let Some(set) = eval.set_versions.with_untracked(|m| m.get(&version_key(&run.set_id, run.set_version)).cloned())
    else {
        return;
    };
    let results = eval.results.with_untracked(|m| m.get(&run_id).cloned().unwrap_or_default());
    let settings = app.session.settings.get_untracked();
    let transport = FetchTransport::new(None);
    let runtime = BrowserRuntime::default();
    let outcomes = match crate::core::eval::pairwise::compare_pair(
        &transport,
        &runtime,
        &settings,
        &run,
        &set,
        &results,
        (&a, &b),
    )
    .await
    {
        Ok(o) => o,
        Err((e, done)) => {
            app.notices.alert(Alert::Answer(e.redacted(&settings.api_key)));
            done
        }
    };
    run.pairwise.retain(|o| !(o.a == a && o.b == b));
    run.pairwise.extend(outcomes);
    if let Err(e) = db.put_run(&run).await {
        alert(app, e);
    }
    eval.runs.update(|rs| {
        if let Some(r) = rs.iter_mut().find(|r| r.id == run.id) {
            *r = run;
        }
    });
}

/// Sets (or, with `None`, clears) a person's correctness score for one result.
pub fn override_verdict(app: AppState, eval: EvalState, run_id: String, key: String, tenths: Option<u8>) {
    let mut changed = None;
    eval.results.update(|m| {
        if let Some(r) = m.get_mut(&run_id).and_then(|list| list.iter_mut().find(|r| r.key() == key)) {
            r.human_tenths = tenths;
            changed = Some(r.clone());
        }
    });
    let Some(result) = changed else { return };
    spawn_local(async move {
        let Some(db) = db(app).await else { return };
        if let Err(e) = db.put_result(&result).await {
            alert(app, e);
        }
    });
}

/// Deletes a run and its results.
pub fn delete_run(app: AppState, eval: EvalState, run_id: String) {
    cancel_run(eval, &run_id);
    spawn_local(async move {
        let Some(db) = db(app).await else { return };
        match db.delete_run(&run_id).await {
            Ok(()) => {
                eval.runs.update(|rs| rs.retain(|r| r.id != run_id));
                eval.results.update(|m| {
                    m.remove(&run_id);
                });
            }
            Err(e) => alert(app, e),
        }
    });
}
