//! The evaluation's reactive state, a context of its own: the test sets (newest version of each), the runs,
//! the results of the runs shown, and the runs this tab is driving. Provided once at the app's root, so a run
//! goes on while the person chats.

use crate::core::eval::model::{ImportRefusal, TestSet};
use crate::core::eval::run::{CaseResult, Run};
use crate::core::eval::runner::Control;
use crate::core::eval::schedule::Progress;
use crate::web::tabs::AnswerLock;
use leptos::prelude::*;
use std::collections::HashMap;
use std::rc::Rc;

/// What went wrong on the page, as a kind (the view words it).
#[derive(Debug, Clone, PartialEq)]
pub enum EvalProblem {
    /// A test set file was refused, with the reason.
    Import(ImportRefusal),
    /// The sample set's drawings could not be made (offline on a first visit, say).
    SampleNotInstalled { detail: String },
    /// A file could not be read.
    File { name: String, detail: String },
    /// An image of an imported set could not be used.
    Image { name: String, problem: crate::core::notice::FileProblem },
    /// A run file was refused.
    RunImport(crate::core::eval::report::RunImportRefusal),
    /// A set keeps at least one case.
    LastCase,
    /// Another tab is driving this run.
    RunElsewhere,
    /// A run needs a set with cases, at least one configuration and a key.
    CannotStart(StartProblem),
}

/// Why a run cannot start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartProblem {
    NoKey,
    NoSet,
    NoConfig,
    NoModel,
    NoJudge,
    /// A configuration searches the web, and Settings have no Tavily key.
    NoSearchKey,
    /// A configuration takes the wardrobe, and the wardrobe holds nothing.
    EmptyWardrobe,
}

/// A run this tab is driving: how to cancel it, and the lock that keeps other tabs from driving it too.
pub struct Driving {
    pub control: Rc<Control>,
    pub _lock: AnswerLock,
}

#[derive(Clone, Copy)]
pub struct EvalState {
    /// The newest version of each test set, newest first.
    pub sets: RwSignal<Vec<TestSet>>,
    pub runs: RwSignal<Vec<Run>>,
    /// Results by run id, for the runs whose report has been opened or that this tab drives.
    pub results: RwSignal<HashMap<String, Vec<CaseResult>>>,
    /// The exact set versions runs ran on, by [`crate::core::eval::model::version_key`].
    pub set_versions: RwSignal<HashMap<String, TestSet>>,
    /// The progress of the runs this tab drives, by run id.
    pub progress: RwSignal<HashMap<String, Progress>>,
    pub driving: StoredValue<HashMap<String, Driving>, LocalStorage>,
    /// Bumped when `driving` changes, so views can tell which runs are live here.
    pub driving_rev: RwSignal<u64>,
    pub loaded: RwSignal<bool>,
    pub installing: RwSignal<bool>,
    pub problem: RwSignal<Option<EvalProblem>>,
}

impl EvalState {
    /// Whether this tab is driving the run.
    pub fn is_driving(&self, run_id: &str) -> bool {
        self.driving_rev.track();
        self.driving.with_value(|d| d.contains_key(run_id))
    }

    pub fn run(&self, run_id: &str) -> Option<Run> {
        self.runs.with(|rs| rs.iter().find(|r| r.id == run_id).cloned())
    }

    pub fn set_of(&self, set_id: &str) -> Option<TestSet> {
        self.sets.with(|s| s.iter().find(|t| t.id == set_id).cloned())
    }
}

pub fn provide_eval() -> EvalState {
    let eval = EvalState {
        sets: RwSignal::new(Vec::new()),
        runs: RwSignal::new(Vec::new()),
        results: RwSignal::new(HashMap::new()),
        set_versions: RwSignal::new(HashMap::new()),
        progress: RwSignal::new(HashMap::new()),
        driving: StoredValue::new_local(HashMap::new()),
        driving_rev: RwSignal::new(0),
        loaded: RwSignal::new(false),
        installing: RwSignal::new(false),
        problem: RwSignal::new(None),
    };
    provide_context(eval);
    eval
}

pub fn use_eval() -> EvalState {
    expect_context::<EvalState>()
}
