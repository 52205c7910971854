//! The bookkeeping of an evaluation run: which request goes next, what a response does to the run, and what a
//! resumed run still has to ask.
//!
//! A run asks every test case of a set under one or more configurations. Each (case, configuration) pair is a
//! job, and a job goes through stages, one request each: the [`Stage::Answer`], then the judge's verdicts on it
//! ([`Stage::Judge`], and [`Stage::Faithfulness`] when the configuration used retrieval). A [`Scheduler`] hands
//! out stages as [`Task`]s up to a concurrency limit, takes back each task's [`Outcome`], and says what to
//! record ([`Finish`]). It never hands out a stage twice while it is in flight or once it is settled, which is
//! what lets a run be cancelled and resumed without asking anything twice.
//!
//! It is a pure, synchronous state machine: it does no I/O, spawns nothing and has no clock of its own (every
//! call that needs the time takes `now_ms`, on any monotone millisecond scale). The browser runner sends the
//! requests, stores the results, sleeps until [`Scheduler::wake_at`] and calls back in between. Resuming is
//! building a new scheduler from what was stored, once the old one is idle (a request still out from the old
//! one would otherwise be sent again by the new). It does not build requests, parse verdicts or store
//! anything, and it knows nothing of cases and configurations beyond their ids. Everything it reports is a
//! typed kind, never a sentence: the views say it in words.

use crate::core::openai::ApiError;
use serde::{Deserialize, Serialize};
use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeSet, BinaryHeap, HashMap};

/// One request of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The configuration's answer to the case's question.
    Answer,
    /// The judge's verdict on the answer against the case's reference.
    Judge,
    /// The judge's verdict on whether the answer keeps to what retrieval gave it.
    Faithfulness,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Answer, Stage::Judge, Stage::Faithfulness];

    /// Whether the stage is a verdict on the answer (and so waits for it).
    pub fn is_verdict(self) -> bool {
        self != Stage::Answer
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A set of stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Stages(u8);

impl Stages {
    pub const NONE: Stages = Stages(0);

    pub fn of(stages: &[Stage]) -> Stages {
        stages.iter().fold(Stages::NONE, |set, s| set.with(*s))
    }

    pub fn with(self, stage: Stage) -> Stages {
        Stages(self.0 | 1 << stage.index())
    }

    pub fn union(self, other: Stages) -> Stages {
        Stages(self.0 | other.0)
    }

    pub fn contains(self, stage: Stage) -> bool {
        self.0 & 1 << stage.index() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Stage> {
        Stage::ALL.into_iter().filter(move |s| self.contains(*s))
    }
}

/// Which job: a test case under a configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobKey {
    pub case_id: String,
    pub config_id: String,
}

impl JobKey {
    pub fn new(case_id: impl Into<String>, config_id: impl Into<String>) -> JobKey {
        JobKey { case_id: case_id.into(), config_id: config_id.into() }
    }
}

/// A job of the run and the stages it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSpec {
    pub key: JobKey,
    /// Always includes [`Stage::Answer`]: a verdict needs an answer (re-judging stored answers is a run whose
    /// stored records say the answers are done).
    pub stages: Stages,
}

impl JobSpec {
    pub fn new(key: JobKey, stages: &[Stage]) -> JobSpec {
        JobSpec { key, stages: Stages::of(stages).with(Stage::Answer) }
    }
}

/// Why a job failed. Stored with the job, so its serialised form is part of the records.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// 401: the key was refused.
    InvalidKey,
    /// 403: the key may not do this.
    Forbidden,
    /// 404: usually an unknown model.
    NotFound,
    /// Out of credit (429 `insufficient_quota`).
    QuotaExceeded,
    /// The server refused the request as it was (400, 413, 422 and the like).
    Rejected { status: u16 },
    /// The model declined to give the text asked for.
    Refused,
    /// Server errors or network drops, again after every retry the policy allows.
    Unavailable,
    /// The answer could not be read, again after every retry the policy allows.
    Unreadable,
    /// One of the case's images is no longer stored, so the case cannot be asked.
    ImageMissing,
}

/// What is stored for a stage that settled: read back to resume a run.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageRecord {
    /// The stage's result (an answer, a verdict) was written.
    Done,
    /// A verdict stage whose verdict never could be read: the answer is not judged, which is not a score.
    NotJudged,
    /// The stage failed, and with it the job.
    Failed(FailureKind),
}

/// A stored record, as a resumed run reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredStage {
    pub key: JobKey,
    pub stage: Stage,
    pub record: StageRecord,
}

/// How a task's request ended, as the runner classifies it (see [`Outcome::of_error`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The result arrived (and the caller has it, to store).
    Done,
    /// 429: too many requests, with the server's `Retry-After` when it could be read.
    RateLimited { retry_after_ms: Option<u64> },
    /// A network drop or a server error (5xx): worth asking again a few times.
    Transient,
    /// Asking again cannot help (a refused key, a rejected request): the job fails, the run goes on.
    Failed(FailureKind),
    /// The response arrived but could not be read (the judge's verdict did not parse).
    Unreadable,
}

impl Outcome {
    /// Classifies an API error of a stage's request.
    pub fn of_error(error: &ApiError) -> Outcome {
        match error {
            ApiError::RateLimited { retry_after_ms, .. } => Outcome::RateLimited { retry_after_ms: *retry_after_ms },
            ApiError::QuotaExceeded { .. } => Outcome::Failed(FailureKind::QuotaExceeded),
            ApiError::InvalidKey { .. } => Outcome::Failed(FailureKind::InvalidKey),
            ApiError::Forbidden { .. } => Outcome::Failed(FailureKind::Forbidden),
            ApiError::NotFound { .. } => Outcome::Failed(FailureKind::NotFound),
            // A request timeout says nothing against the request itself.
            ApiError::Rejected { status: 408, .. } => Outcome::Transient,
            ApiError::Rejected { status, .. } => Outcome::Failed(FailureKind::Rejected { status: *status }),
            ApiError::Refused { .. } => Outcome::Failed(FailureKind::Refused),
            // A request the runner aborted got no answer, so asking again is right; it is counted as a retry
            // so that a runner that keeps aborting cannot keep a stage forever.
            ApiError::Server { .. }
            | ApiError::Unreachable { .. }
            | ApiError::StreamCut
            | ApiError::MalformedStream { .. }
            | ApiError::InStream { .. }
            | ApiError::Aborted => Outcome::Transient,
        }
    }
}

/// A stage handed out: the runner sends its request and reports back with [`Scheduler::finished`].
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub key: JobKey,
    pub stage: Stage,
    /// Which request of this stage this is in this run, from 1.
    pub attempt: u32,
    /// Unique among the tasks of one scheduler.
    seq: u64,
    job: usize,
}

/// Where a job stands.
#[derive(Debug, Clone, PartialEq)]
pub enum JobStatus {
    /// Nothing of it is in flight, and something is still to be asked.
    Pending,
    /// At least one of its stages is in flight.
    InFlight,
    /// Every stage settled; `not_judged` when a verdict could not be read.
    Complete { not_judged: bool },
    /// A stage failed. Stages already in flight may still come back, and are recorded if they are done.
    Failed { stage: Stage, kind: FailureKind },
}

/// What [`Scheduler::finished`] made of a task's outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum Finish {
    /// The stage settled: the caller stores `record` (for [`StageRecord::Done`], with the result it holds).
    Record { record: StageRecord, job: JobStatus },
    /// The stage is asked again, not before `not_before_ms`.
    Again { not_before_ms: f64 },
    /// The stage's job failed meanwhile, so it is not asked again. Nothing to store.
    Dropped,
    /// Not a task this scheduler has in flight (finished twice, say). Nothing changed.
    Unknown,
}

/// How far a run has come. `done + failed + in_flight + pending == total_jobs`.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub total_jobs: usize,
    /// Complete jobs, including those with a verdict that could not be read.
    pub done: usize,
    /// Of `done`, the jobs with a verdict recorded as [`StageRecord::NotJudged`].
    pub not_judged: usize,
    pub failed: usize,
    /// Jobs with at least one stage in flight.
    pub in_flight: usize,
    /// Jobs waiting for a request, or for a retry.
    pub pending: usize,
    /// Time left, from observed stage durations and the effective concurrency; `None` until enough stages
    /// were timed, and after a cancel.
    pub eta_ms: Option<f64>,
}

/// The knobs of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The most requests in flight at once (the effective concurrency is lower after rate limits).
    pub concurrency: usize,
    /// How many times a stage is asked again after network drops and server errors before its job fails.
    pub transient_retries: u32,
    /// How many times a stage is asked again after an unreadable response before it is not judged (a verdict)
    /// or fails (an answer).
    pub unreadable_retries: u32,
    /// The first wait of an exponential backoff.
    pub backoff_base_ms: u64,
    /// The longest wait of an exponential backoff.
    pub backoff_cap_ms: u64,
    /// The longest `Retry-After` honoured as given; a longer one (more likely a misread header than a real
    /// wait) is cut to this. Asking sooner than the server wanted only gets another 429, which slows the run
    /// further but never fails it.
    pub retry_after_cap_ms: u64,
    /// The seed of the backoff's jitter, so that a run's waits can be replayed.
    pub seed: u64,
    /// How many stages must have been timed before [`Progress::eta_ms`] guesses.
    pub eta_min_samples: u32,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            concurrency: 4,
            transient_retries: 3,
            unreadable_retries: 2,
            backoff_base_ms: 1_000,
            backoff_cap_ms: 60_000,
            retry_after_cap_ms: 600_000,
            seed: 0x0b0d_a5ee_d0f0_2026,
            eta_min_samples: 3,
        }
    }
}

/// Where one stage of one job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// The job does not need this stage.
    Unneeded,
    /// A verdict waiting for its answer.
    Blocked,
    /// In the ready queue.
    Ready,
    /// Waiting out a backoff, in the delayed queue.
    Delayed,
    /// Handed out and not back yet.
    Flying,
    /// Done, not judged, or (the stage that failed) failed.
    Settled,
    /// Not asked any more: its job failed.
    Dropped,
}

#[derive(Debug, Clone)]
struct Job {
    key: JobKey,
    slots: [Slot; 3],
    /// Requests handed out, network drops and server errors, and unreadable responses, by stage.
    asked: [u32; 3],
    transient: [u32; 3],
    unreadable: [u32; 3],
    failure: Option<(Stage, FailureKind)>,
    not_judged: bool,
    flying: u8,
}

impl Job {
    /// The stages still to be settled (none once the job failed).
    fn open(&self) -> Stages {
        if self.failure.is_some() {
            return Stages::NONE;
        }
        let open = |s: &Stage| !matches!(self.slots[s.index()], Slot::Unneeded | Slot::Settled | Slot::Dropped);
        Stage::ALL.into_iter().filter(open).fold(Stages::NONE, Stages::with)
    }

    fn status(&self) -> JobStatus {
        match &self.failure {
            Some((stage, kind)) => JobStatus::Failed { stage: *stage, kind: kind.clone() },
            None if self.open().is_empty() => JobStatus::Complete { not_judged: self.not_judged },
            None if self.flying > 0 => JobStatus::InFlight,
            None => JobStatus::Pending,
        }
    }

    /// The index of the job's status in [`Scheduler::statuses`].
    fn class(&self) -> usize {
        match self.status() {
            JobStatus::Pending => PENDING,
            JobStatus::InFlight => IN_FLIGHT,
            JobStatus::Complete { .. } => COMPLETE,
            JobStatus::Failed { .. } => FAILED,
        }
    }
}

const PENDING: usize = 0;
const IN_FLIGHT: usize = 1;
const COMPLETE: usize = 2;
const FAILED: usize = 3;

/// A task in flight.
#[derive(Debug, Clone, Copy)]
struct Flight {
    job: usize,
    stage: Stage,
    started: f64,
}

/// A time with a total order, for the queue of delayed stages.
#[derive(Debug, Clone, Copy)]
struct At(f64);

impl PartialEq for At {
    fn eq(&self, other: &At) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for At {}

impl PartialOrd for At {
    fn partial_cmp(&self, other: &At) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for At {
    fn cmp(&self, other: &At) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The jitter of the backoff: SplitMix64, so that a seed replays a run's waits exactly.
#[derive(Debug, Clone)]
struct Jitter(u64);

impl Jitter {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..=n`.
    fn up_to(&mut self, n: u64) -> u64 {
        match n.checked_add(1) {
            Some(m) => self.next() % m,
            None => self.next(),
        }
    }
}

/// The ready queue's order: verdicts of started jobs first (so results land whole), then answers, each in the
/// order the jobs were given.
fn queue_key(job: usize, stage: Stage) -> (bool, usize, Stage) {
    (stage == Stage::Answer, job, stage)
}

/// The state of a run.
///
/// Rate limits slow a run and never fail it. A 429 stops every new request until its `Retry-After` (or, when
/// the server gave none, an exponential backoff with jitter) has passed, and halves the effective
/// concurrency; each window's worth of successes adds one back, up to [`Policy::concurrency`]. The 429s of
/// requests that were already out when the concurrency was cut are the same burst: they may extend the wait
/// with their own `Retry-After`, but do not cut again. Network drops and server errors delay only their own
/// stage, with the same kind of backoff, and fail the job after [`Policy::transient_retries`].
///
/// Costs, for J jobs: building is O(J + S) for S stored records (plus O(J log J) for the queue); `next` is
/// O(log J) per task handed out or delayed stage come due; `finished` is O(log J); `progress` is
/// O(concurrency), as it keeps counts rather than looking at the jobs; `wake_at` is O(1). The memory is a few dozen bytes per job beside its key.
#[derive(Debug)]
pub struct Scheduler {
    policy: Policy,
    jobs: Vec<Job>,
    index: HashMap<JobKey, usize>,
    ready: BTreeSet<(bool, usize, Stage)>,
    /// Stages waiting out their own backoff, soonest first. An entry whose stage was dropped meanwhile stays
    /// until it comes due, and is skipped then.
    delayed: BinaryHeap<Reverse<(At, usize, Stage)>>,
    flying: HashMap<u64, Flight>,
    next_seq: u64,
    cancelled: bool,
    /// The effective concurrency, from 1 to the policy's.
    window: usize,
    /// Successes since the window last changed.
    successes: usize,
    /// Rate-limit bursts since the last success: the exponent of the backoff.
    streak: u32,
    /// Tasks from this sequence number on were handed out after the last cut of the window.
    epoch: u64,
    /// No task goes out before this time (a rate limit's wait).
    rate_deadline: Option<f64>,
    jitter: Jitter,
    /// The latest time any call was given.
    clock: f64,
    /// How many jobs have each status (indexed by [`PENDING`] and the rest), and of the complete ones how many
    /// were not judged.
    statuses: [usize; 4],
    not_judged: usize,
    /// How many stages of each kind are still to be settled (in flight or not), in jobs that did not fail.
    open: [usize; 3],
    /// The summed durations of the stages that were done, and how many, by kind.
    timed: [(f64, u32); 3],
}

impl Scheduler {
    /// A run of `jobs` (repeated keys are one job needing every stage they name) that has already stored
    /// `stored`. A stage with a stored record is settled and not asked again; anything else, including what
    /// was in flight when the tab closed, is asked. A stored verdict counts only with its stored answer (it
    /// graded an answer that is not there otherwise); records of unknown jobs and unneeded stages are ignored,
    /// and so is a "not judged" answer, which nothing writes. A stored failure fails its job: to ask failed
    /// jobs again, leave their records out.
    pub fn new(jobs: impl IntoIterator<Item = JobSpec>, stored: &[StoredStage], policy: Policy) -> Scheduler {
        let mut index: HashMap<JobKey, usize> = HashMap::new();
        let mut needs: Vec<(JobKey, Stages)> = Vec::new();
        for spec in jobs {
            let stages = spec.stages.with(Stage::Answer);
            match index.get(&spec.key) {
                Some(&j) => needs[j].1 = needs[j].1.union(stages),
                None => {
                    index.insert(spec.key.clone(), needs.len());
                    needs.push((spec.key, stages));
                }
            }
        }
        let mut jobs: Vec<Job> = needs
            .into_iter()
            .map(|(key, stages)| Job {
                key,
                slots: Stage::ALL.map(|s| if stages.contains(s) { Slot::Blocked } else { Slot::Unneeded }),
                asked: [0; 3],
                transient: [0; 3],
                unreadable: [0; 3],
                failure: None,
                not_judged: false,
                flying: 0,
            })
            .collect();

        // Answers first, so that a verdict's record can be checked against its answer's.
        for verdicts in [false, true] {
            for s in stored.iter().filter(|s| s.stage.is_verdict() == verdicts) {
                let Some(job) = index.get(&s.key).map(|&j| &mut jobs[j]) else { continue };
                let i = s.stage.index();
                let answered = job.slots[Stage::Answer.index()] == Slot::Settled && job.failure.is_none();
                if job.slots[i] == Slot::Unneeded || (verdicts && !answered) {
                    continue;
                }
                match &s.record {
                    StageRecord::Done => job.slots[i] = Slot::Settled,
                    StageRecord::NotJudged if verdicts => {
                        job.slots[i] = Slot::Settled;
                        job.not_judged = true;
                    }
                    StageRecord::NotJudged => {}
                    StageRecord::Failed(kind) => {
                        job.slots[i] = Slot::Settled;
                        job.failure.get_or_insert_with(|| (s.stage, kind.clone()));
                    }
                }
            }
        }

        let window = policy.concurrency.max(1);
        let jitter = Jitter(policy.seed);
        let mut scheduler = Scheduler {
            policy,
            jobs,
            index,
            ready: BTreeSet::new(),
            delayed: BinaryHeap::new(),
            flying: HashMap::new(),
            next_seq: 0,
            cancelled: false,
            window,
            successes: 0,
            streak: 0,
            epoch: 0,
            rate_deadline: None,
            jitter,
            clock: 0.0,
            statuses: [0; 4],
            not_judged: 0,
            open: [0; 3],
            timed: [(0.0, 0); 3],
        };
        for j in 0..scheduler.jobs.len() {
            let job = &mut scheduler.jobs[j];
            let failed = job.failure.is_some();
            let answered = job.slots[Stage::Answer.index()] == Slot::Settled;
            for stage in Stage::ALL {
                let slot = &mut job.slots[stage.index()];
                if *slot == Slot::Blocked {
                    if failed {
                        *slot = Slot::Dropped;
                    } else if answered || stage == Stage::Answer {
                        *slot = Slot::Ready;
                        scheduler.ready.insert(queue_key(j, stage));
                    }
                }
            }
            scheduler.account(j, true);
        }
        scheduler
    }

    /// Hands out what may be asked at `now_ms`, up to the effective concurrency: verdicts of started jobs
    /// before new answers. Nothing while a rate limit's wait lasts, and nothing after [`Scheduler::cancel`].
    pub fn next(&mut self, now_ms: f64) -> Vec<Task> {
        self.tick(now_ms);
        let mut tasks = Vec::new();
        if self.cancelled {
            return tasks;
        }
        while let Some(&Reverse((At(at), j, stage))) = self.delayed.peek() {
            if at > now_ms {
                break;
            }
            self.delayed.pop();
            if self.jobs[j].slots[stage.index()] == Slot::Delayed {
                self.make_ready(j, stage);
            }
        }
        match self.rate_deadline {
            Some(deadline) if now_ms < deadline => return tasks,
            _ => self.rate_deadline = None,
        }
        while self.flying.len() < self.window {
            let Some((_, j, stage)) = self.ready.pop_first() else { break };
            let i = stage.index();
            if self.jobs[j].slots[i] != Slot::Ready {
                continue;
            }
            self.account(j, false);
            let job = &mut self.jobs[j];
            job.slots[i] = Slot::Flying;
            job.flying += 1;
            job.asked[i] = job.asked[i].saturating_add(1);
            let task = Task { key: job.key.clone(), stage, attempt: job.asked[i], seq: self.next_seq, job: j };
            self.account(j, true);
            self.next_seq += 1;
            self.flying.insert(task.seq, Flight { job: j, stage, started: now_ms });
            tasks.push(task);
        }
        tasks
    }

    /// Takes back a task handed out by [`Scheduler::next`], with how its request ended at `now_ms`. A task
    /// this scheduler does not have in flight changes nothing and is [`Finish::Unknown`]; a task of another
    /// scheduler is caught only when it matches none in flight here, so a runner gives each task back to the
    /// scheduler that handed it out.
    pub fn finished(&mut self, task: &Task, outcome: Outcome, now_ms: f64) -> Finish {
        self.tick(now_ms);
        let Some(flight) = self.flying.get(&task.seq).copied() else { return Finish::Unknown };
        let ours = flight.job == task.job
            && flight.stage == task.stage
            && self.jobs.get(flight.job).is_some_and(|job| job.key == task.key);
        if !ours {
            return Finish::Unknown;
        }
        self.flying.remove(&task.seq);
        let j = flight.job;
        self.account(j, false);
        self.jobs[j].flying = self.jobs[j].flying.saturating_sub(1);
        if outcome == Outcome::Done {
            let (total, count) = &mut self.timed[flight.stage.index()];
            *total += (now_ms - flight.started).max(0.0);
            *count = count.saturating_add(1);
        }
        let finish = self.settle(j, flight.stage, task.seq, outcome, now_ms);
        self.account(j, true);
        finish
    }

    /// Stops handing out tasks. Those in flight may still finish and be recorded; once [`Scheduler::is_idle`],
    /// the run can be marked cancelled.
    pub fn cancel(&mut self) {
        self.cancelled = true;
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled
    }

    /// Whether no task is in flight.
    pub fn is_idle(&self) -> bool {
        self.flying.is_empty()
    }

    /// Whether every job is complete or failed.
    pub fn is_complete(&self) -> bool {
        self.statuses[COMPLETE] + self.statuses[FAILED] == self.jobs.len()
    }

    /// How many tasks are in flight.
    pub fn in_flight(&self) -> usize {
        self.flying.len()
    }

    /// The effective concurrency: [`Policy::concurrency`], or less after rate limits.
    pub fn concurrency(&self) -> usize {
        self.window
    }

    /// Until when a rate limit holds every new request back, if it still does at the latest time given.
    pub fn rate_limited_until(&self) -> Option<f64> {
        self.rate_deadline.filter(|&deadline| deadline > self.clock)
    }

    pub fn status(&self, key: &JobKey) -> Option<JobStatus> {
        self.index.get(key).map(|&j| self.jobs[j].status())
    }

    /// The earliest time at which [`Scheduler::next`] could hand something out (a time already past means at
    /// once), for the runner's sleep. `None` when nothing can go out before a task in flight finishes (the
    /// runner wakes for that anyway), after a cancel, and when nothing is left to ask.
    /// A stage dropped while it waited out its backoff may make this early, never late.
    pub fn wake_at(&self) -> Option<f64> {
        if self.cancelled || self.flying.len() >= self.window {
            return None;
        }
        let soonest = match self.delayed.peek() {
            _ if !self.ready.is_empty() => self.clock,
            Some(Reverse((At(at), _, _))) => *at,
            None => return None,
        };
        Some(self.rate_deadline.map_or(soonest, |deadline| deadline.max(soonest)))
    }

    /// How far the run has come at `now_ms`.
    pub fn progress(&self, now_ms: f64) -> Progress {
        Progress {
            total_jobs: self.jobs.len(),
            done: self.statuses[COMPLETE],
            not_judged: self.not_judged,
            failed: self.statuses[FAILED],
            in_flight: self.statuses[IN_FLIGHT],
            pending: self.statuses[PENDING],
            eta_ms: self.eta(now_ms),
        }
    }

    /// The time left: what is still to be asked, at the mean duration of its kind, shared among the effective
    /// concurrency, but never less than the longest chain still to go (an answer and then its verdict), plus
    /// what is left of a rate limit's wait. The backoffs of single stages are not counted.
    fn eta(&self, now_ms: f64) -> Option<f64> {
        if self.cancelled {
            return None;
        }
        if self.open.iter().all(|&n| n == 0) {
            return Some(0.0);
        }
        let (total, count) = self.timed.iter().fold((0.0, 0), |(t, c), &(total, count)| (t + total, c + count));
        if count == 0 || count < self.policy.eta_min_samples {
            return None;
        }
        // A kind not timed yet is guessed at the mean of all.
        let mean = |stage: Stage| match self.timed[stage.index()] {
            (_, 0) => total / f64::from(count),
            (total, count) => total / f64::from(count),
        };
        let open = |stage: Stage| self.open[stage.index()] > 0;
        let verdict = Stage::ALL.into_iter().filter(|s| s.is_verdict() && open(*s)).map(mean).fold(0.0, f64::max);
        let mut work: f64 = Stage::ALL.into_iter().map(|s| self.open[s.index()] as f64 * mean(s)).sum();
        let mut waiting = self.open;
        let mut chain: f64 = 0.0;
        for flight in self.flying.values().filter(|f| self.jobs[f.job].failure.is_none()) {
            let expected = mean(flight.stage);
            let left = (expected - (now_ms - flight.started).max(0.0)).max(0.0);
            work -= expected - left;
            waiting[flight.stage.index()] = waiting[flight.stage.index()].saturating_sub(1);
            chain = chain.max(left + if flight.stage.is_verdict() { 0.0 } else { verdict });
        }
        for stage in Stage::ALL.into_iter().filter(|s| waiting[s.index()] > 0) {
            chain = chain.max(mean(stage) + if stage.is_verdict() { 0.0 } else { verdict });
        }
        let wait = self.rate_deadline.map_or(0.0, |deadline| (deadline - now_ms).max(0.0));
        Some(wait + (work.max(0.0) / self.window as f64).max(chain))
    }

    fn limit(&self) -> usize {
        self.policy.concurrency.max(1)
    }

    fn tick(&mut self, now_ms: f64) {
        self.clock = self.clock.max(now_ms);
    }

    /// What an outcome does to the stage `stage` of job `j`, which is no longer in flight as task `seq`.
    fn settle(&mut self, j: usize, stage: Stage, seq: u64, outcome: Outcome, now_ms: f64) -> Finish {
        let i = stage.index();
        let failed = self.jobs[j].failure.is_some();
        match outcome {
            Outcome::Done => {
                self.answered(seq);
                self.jobs[j].slots[i] = Slot::Settled;
                if stage == Stage::Answer && !failed {
                    for later in Stage::ALL.into_iter().filter(|s| s.is_verdict()) {
                        if self.jobs[j].slots[later.index()] == Slot::Blocked {
                            self.make_ready(j, later);
                        }
                    }
                }
                self.record(j, StageRecord::Done)
            }
            _ if failed => {
                self.jobs[j].slots[i] = Slot::Dropped;
                Finish::Dropped
            }
            Outcome::RateLimited { retry_after_ms } => {
                self.rate_limited(seq, retry_after_ms, now_ms);
                self.make_ready(j, stage);
                Finish::Again { not_before_ms: self.rate_deadline.map_or(now_ms, |deadline| deadline.max(now_ms)) }
            }
            Outcome::Transient => {
                let tries = &mut self.jobs[j].transient[i];
                *tries = tries.saturating_add(1);
                let tries = *tries;
                if tries > self.policy.transient_retries {
                    return self.fail(j, stage, FailureKind::Unavailable);
                }
                let at = now_ms + self.backoff(tries);
                self.jobs[j].slots[i] = Slot::Delayed;
                self.delayed.push(Reverse((At(at), j, stage)));
                Finish::Again { not_before_ms: at }
            }
            Outcome::Unreadable => {
                // The server answered: as far as rate limits go, a success.
                self.answered(seq);
                let tries = &mut self.jobs[j].unreadable[i];
                *tries = tries.saturating_add(1);
                if self.jobs[j].unreadable[i] <= self.policy.unreadable_retries {
                    self.make_ready(j, stage);
                    return Finish::Again { not_before_ms: now_ms };
                }
                if !stage.is_verdict() {
                    return self.fail(j, stage, FailureKind::Unreadable);
                }
                self.jobs[j].slots[i] = Slot::Settled;
                self.jobs[j].not_judged = true;
                self.record(j, StageRecord::NotJudged)
            }
            Outcome::Failed(kind) => self.fail(j, stage, kind),
        }
    }

    /// A response that was not a rate limit, to task `seq`: one more success towards widening the window,
    /// unless the task went out before the last cut.
    fn answered(&mut self, seq: u64) {
        if seq < self.epoch {
            return;
        }
        self.streak = 0;
        self.successes += 1;
        if self.successes >= self.window {
            self.window = (self.window + 1).min(self.limit());
            self.successes = 0;
        }
    }

    /// A 429 to task `seq` at `now_ms`.
    fn rate_limited(&mut self, seq: u64, retry_after_ms: Option<u64>, now_ms: f64) {
        let asked = retry_after_ms.map(|ms| ms.min(self.policy.retry_after_cap_ms) as f64);
        let wait = if seq >= self.epoch {
            // A new burst: cut the window, and wait longer than after the last one.
            self.window = (self.window / 2).max(1);
            self.successes = 0;
            self.epoch = self.next_seq;
            self.streak = self.streak.saturating_add(1);
            match asked {
                Some(ms) => ms,
                None => self.backoff(self.streak),
            }
        } else {
            match asked {
                Some(ms) => ms,
                None => return,
            }
        };
        let until = now_ms + wait;
        self.rate_deadline = Some(self.rate_deadline.map_or(until, |deadline| deadline.max(until)));
    }

    /// The wait before try number `n` + 1 (`n` from 1): the policy's base doubled `n` − 1 times, up to its
    /// cap, less a random part of up to half of it (so that stages held back together do not all come back at
    /// once).
    fn backoff(&mut self, n: u32) -> f64 {
        let doubled = self.policy.backoff_base_ms.saturating_mul(1u64 << n.saturating_sub(1).min(32));
        let full = doubled.min(self.policy.backoff_cap_ms);
        let half = full / 2;
        (full - half + self.jitter.up_to(half)) as f64
    }

    fn record(&self, j: usize, record: StageRecord) -> Finish {
        Finish::Record { record, job: self.jobs[j].status() }
    }

    /// Fails job `j` at `stage`: its stages not in flight are not asked any more.
    fn fail(&mut self, j: usize, stage: Stage, kind: FailureKind) -> Finish {
        let job = &mut self.jobs[j];
        job.slots[stage.index()] = Slot::Settled;
        job.failure = Some((stage, kind.clone()));
        for s in Stage::ALL {
            match job.slots[s.index()] {
                Slot::Ready => {
                    self.ready.remove(&queue_key(j, s));
                    job.slots[s.index()] = Slot::Dropped;
                }
                Slot::Blocked | Slot::Delayed => job.slots[s.index()] = Slot::Dropped,
                Slot::Unneeded | Slot::Flying | Slot::Settled | Slot::Dropped => {}
            }
        }
        self.record(j, StageRecord::Failed(kind))
    }

    fn make_ready(&mut self, j: usize, stage: Stage) {
        self.jobs[j].slots[stage.index()] = Slot::Ready;
        self.ready.insert(queue_key(j, stage));
    }

    /// Adds job `j` to the counts (or, with `add` false, takes it out, before it changes).
    fn account(&mut self, j: usize, add: bool) {
        let job = &self.jobs[j];
        let class = job.class();
        let not_judged = class == COMPLETE && job.not_judged;
        let open = job.open();
        let step = |count: &mut usize| *count = if add { *count + 1 } else { count.saturating_sub(1) };
        step(&mut self.statuses[class]);
        if not_judged {
            step(&mut self.not_judged);
        }
        for stage in open.iter() {
            step(&mut self.open[stage.index()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(case: usize, config: usize) -> JobKey {
        JobKey::new(format!("case-{case}"), format!("config-{config}"))
    }

    /// `cases` × `configs` jobs, the odd configurations with retrieval (and so a faithfulness verdict).
    fn jobs(cases: usize, configs: usize) -> Vec<JobSpec> {
        let mut jobs = Vec::new();
        for case in 0..cases {
            for config in 0..configs {
                let stages: &[Stage] =
                    if config % 2 == 1 { &[Stage::Judge, Stage::Faithfulness] } else { &[Stage::Judge] };
                jobs.push(JobSpec::new(key(case, config), stages));
            }
        }
        jobs
    }

    fn policy(concurrency: usize) -> Policy {
        Policy { concurrency, ..Policy::default() }
    }

    fn record(key: JobKey, stage: Stage, record: StageRecord) -> StoredStage {
        StoredStage { key, stage, record }
    }

    /// The runner, played in virtual time: each request takes `duration`, `respond` says how it ended, and
    /// what the scheduler says to record is kept as the store would.
    struct Sim {
        now: f64,
        flying: Vec<(f64, Task)>,
        asked: Vec<(JobKey, Stage)>,
        records: Vec<StoredStage>,
        most_in_flight: usize,
        /// The narrowest effective concurrency seen.
        narrowest: usize,
        /// The time and the progress after each finished task.
        seen: Vec<(f64, Progress)>,
    }

    impl Sim {
        fn new() -> Sim {
            Sim {
                now: 0.0,
                flying: Vec::new(),
                asked: Vec::new(),
                records: Vec::new(),
                most_in_flight: 0,
                narrowest: usize::MAX,
                seen: Vec::new(),
            }
        }

        /// Hands out what the scheduler gives at the current time.
        fn dispatch(&mut self, s: &mut Scheduler, duration: &dyn Fn(&Task) -> f64) -> usize {
            let tasks = s.next(self.now);
            let count = tasks.len();
            for task in tasks {
                self.asked.push((task.key.clone(), task.stage));
                self.flying.push((self.now + duration(&task), task));
            }
            assert!(self.flying.len() <= s.limit(), "{} in flight", self.flying.len());
            assert!(count == 0 || self.flying.len() <= s.concurrency(), "{} in flight", self.flying.len());
            self.most_in_flight = self.most_in_flight.max(self.flying.len());
            self.narrowest = self.narrowest.min(s.concurrency());
            count
        }

        fn finish(&mut self, s: &mut Scheduler, task: &Task, outcome: Outcome) -> Finish {
            let finish = s.finished(task, outcome, self.now);
            self.seen.push((self.now, s.progress(self.now)));
            if let Finish::Record { record, .. } = &finish {
                self.records.push(StoredStage { key: task.key.clone(), stage: task.stage, record: record.clone() });
            }
            finish
        }

        /// Runs until nothing is in flight and nothing more will be handed out.
        fn run(
            &mut self,
            s: &mut Scheduler,
            duration: impl Fn(&Task) -> f64,
            mut respond: impl FnMut(&Task, f64) -> Outcome,
        ) {
            for _ in 0..1_000_000 {
                self.dispatch(s, &duration);
                let soonest = (0..self.flying.len()).min_by(|&a, &b| self.flying[a].0.total_cmp(&self.flying[b].0));
                let wake = s.wake_at().filter(|&w| w > self.now);
                match (soonest, wake) {
                    (None, None) => return,
                    (None, Some(w)) => self.now = w,
                    (Some(i), Some(w)) if w < self.flying[i].0 => self.now = w,
                    (Some(i), _) => {
                        let (at, task) = self.flying.remove(i);
                        self.now = at;
                        let outcome = respond(&task, self.now);
                        self.finish(s, &task, outcome);
                    }
                }
            }
            panic!("the run did not settle");
        }

        /// How many times each stage was asked.
        fn counts(&self) -> HashMap<(JobKey, Stage), usize> {
            let mut counts = HashMap::new();
            for asked in &self.asked {
                *counts.entry(asked.clone()).or_insert(0) += 1;
            }
            counts
        }
    }

    fn fixed(ms: f64) -> impl Fn(&Task) -> f64 {
        move |_| ms
    }

    fn all_done(_: &Task, _: f64) -> Outcome {
        Outcome::Done
    }

    #[test]
    fn a_run_asks_every_stage_once_within_the_concurrency_limit() {
        let mut s = Scheduler::new(jobs(10, 2), &[], policy(3));
        let mut sim = Sim::new();
        sim.run(&mut s, fixed(100.0), all_done);
        assert!(s.is_complete() && s.is_idle());
        assert_eq!(sim.most_in_flight, 3);
        // 20 answers, 20 judges, 10 faithfulness verdicts.
        assert_eq!(sim.asked.len(), 50);
        assert!(sim.counts().values().all(|&n| n == 1));
        let p = s.progress(sim.now);
        assert_eq!((p.total_jobs, p.done, p.failed, p.in_flight, p.pending), (20, 20, 0, 0, 0));
    }

    #[test]
    fn a_zero_concurrency_still_asks_one_at_a_time() {
        let mut s = Scheduler::new(jobs(3, 1), &[], policy(0));
        let mut sim = Sim::new();
        sim.run(&mut s, fixed(10.0), all_done);
        assert!(s.is_complete());
        assert_eq!(sim.most_in_flight, 1);
    }

    #[test]
    fn verdicts_of_started_jobs_go_before_new_answers() {
        let mut s = Scheduler::new(jobs(3, 2), &[], policy(1));
        let order: Vec<(JobKey, Stage)> = {
            let mut sim = Sim::new();
            sim.run(&mut s, fixed(10.0), all_done);
            sim.asked
        };
        let expected: Vec<(JobKey, Stage)> = (0..3)
            .flat_map(|case| {
                let plain = [(key(case, 0), Stage::Answer), (key(case, 0), Stage::Judge)];
                let retrieval =
                    [(key(case, 1), Stage::Answer), (key(case, 1), Stage::Judge), (key(case, 1), Stage::Faithfulness)];
                plain.into_iter().chain(retrieval)
            })
            .collect();
        assert_eq!(order, expected);
    }

    #[test]
    fn resume_asks_only_what_is_missing() {
        use StageRecord::*;
        let stored = [
            // Complete.
            record(key(0, 0), Stage::Answer, Done),
            record(key(0, 0), Stage::Judge, Done),
            // Answered, not judged yet (the judge was in flight when the tab closed).
            record(key(1, 0), Stage::Answer, Done),
            // Failed.
            record(key(2, 0), Stage::Answer, Failed(FailureKind::InvalidKey)),
            // Answered and judged, the faithfulness verdict unreadable: complete.
            record(key(3, 1), Stage::Answer, Done),
            record(key(3, 1), Stage::Judge, Done),
            record(key(3, 1), Stage::Faithfulness, NotJudged),
            // Answered and judged, faithfulness missing.
            record(key(4, 1), Stage::Answer, Done),
            record(key(4, 1), Stage::Judge, Done),
            // A verdict without its answer graded nothing that is there: both are asked.
            record(key(5, 0), Stage::Judge, Done),
            // Records of unknown jobs and of stages a job does not need are ignored.
            record(key(9, 9), Stage::Answer, Done),
            record(key(6, 0), Stage::Answer, Done),
            record(key(6, 0), Stage::Faithfulness, Failed(FailureKind::Refused)),
        ];
        let specs = [
            JobSpec::new(key(0, 0), &[Stage::Judge]),
            JobSpec::new(key(1, 0), &[Stage::Judge]),
            JobSpec::new(key(2, 0), &[Stage::Judge]),
            JobSpec::new(key(3, 1), &[Stage::Judge, Stage::Faithfulness]),
            JobSpec::new(key(4, 1), &[Stage::Judge, Stage::Faithfulness]),
            JobSpec::new(key(5, 0), &[Stage::Judge]),
            JobSpec::new(key(6, 0), &[Stage::Judge]),
            JobSpec::new(key(7, 0), &[Stage::Judge]),
        ];
        let mut s = Scheduler::new(specs, &stored, policy(1));
        let p = s.progress(0.0);
        assert_eq!((p.done, p.not_judged, p.failed, p.pending), (2, 1, 1, 5));
        assert_eq!(
            s.status(&key(2, 0)),
            Some(JobStatus::Failed { stage: Stage::Answer, kind: FailureKind::InvalidKey })
        );
        let mut sim = Sim::new();
        sim.run(&mut s, fixed(10.0), all_done);
        assert_eq!(
            sim.asked,
            [
                // The started jobs' verdicts first.
                (key(1, 0), Stage::Judge),
                (key(4, 1), Stage::Faithfulness),
                (key(6, 0), Stage::Judge),
                (key(5, 0), Stage::Answer),
                (key(5, 0), Stage::Judge),
                (key(7, 0), Stage::Answer),
                (key(7, 0), Stage::Judge),
            ]
        );
        let p = s.progress(sim.now);
        assert_eq!((p.done, p.not_judged, p.failed, p.pending), (7, 1, 1, 0));
    }

    #[test]
    fn repeated_jobs_are_one_job_with_every_stage_they_name() {
        let specs = [JobSpec::new(key(0, 0), &[Stage::Judge]), JobSpec::new(key(0, 0), &[Stage::Faithfulness])];
        let mut s = Scheduler::new(specs, &[], policy(4));
        let mut sim = Sim::new();
        sim.run(&mut s, fixed(10.0), all_done);
        assert_eq!(s.progress(sim.now).total_jobs, 1);
        assert_eq!(sim.asked.len(), 3);
    }

    #[test]
    fn cancel_drains_then_idles_and_a_resumed_run_asks_nothing_twice() {
        let specs = jobs(4, 2);
        let mut s = Scheduler::new(specs.clone(), &[], policy(3));
        let mut sim = Sim::new();
        // Three answers go out; two come back; then the person cancels.
        assert_eq!(sim.dispatch(&mut s, &fixed(10.0)), 3);
        for _ in 0..2 {
            let (_, task) = sim.flying.remove(0);
            sim.finish(&mut s, &task, Outcome::Done);
        }
        assert_eq!(sim.dispatch(&mut s, &fixed(10.0)), 2);
        s.cancel();
        assert!(s.is_cancelled());
        assert!(s.next(sim.now).is_empty());
        assert_eq!(s.wake_at(), None);
        assert_eq!(s.progress(sim.now).eta_ms, None);
        // What was in flight drains and is recorded.
        while let Some((_, task)) = sim.flying.pop() {
            assert!(!s.is_idle());
            assert!(matches!(sim.finish(&mut s, &task, Outcome::Done), Finish::Record { .. }));
            assert!(s.next(sim.now).is_empty());
        }
        assert!(s.is_idle() && !s.is_complete());
        let drained = sim.records.len();
        assert_eq!(drained, 5);

        // The resumed run asks only the rest, and in all nothing is asked twice.
        let mut resumed = Scheduler::new(specs, &sim.records, policy(3));
        assert_eq!(resumed.progress(sim.now).in_flight, 0);
        sim.run(&mut resumed, fixed(10.0), all_done);
        assert!(resumed.is_complete());
        assert_eq!(sim.asked.len(), 8 + 8 + 4);
        assert!(sim.counts().values().all(|&n| n == 1));
    }

    #[test]
    fn an_unreadable_verdict_is_retried_then_not_judged() {
        let mut s = Scheduler::new(jobs(2, 1), &[], Policy { unreadable_retries: 2, ..policy(1) });
        let mut judged = 0;
        let mut sim = Sim::new();
        sim.run(&mut s, fixed(10.0), |task, _| match (task.key.case_id.as_str(), task.stage) {
            ("case-0", Stage::Judge) => {
                judged += 1;
                Outcome::Unreadable
            }
            _ => Outcome::Done,
        });
        assert_eq!(judged, 3);
        assert!(s.is_complete());
        assert_eq!(s.status(&key(0, 0)), Some(JobStatus::Complete { not_judged: true }));
        assert_eq!(s.status(&key(1, 0)), Some(JobStatus::Complete { not_judged: false }));
        assert!(sim.records.contains(&record(key(0, 0), Stage::Judge, StageRecord::NotJudged)));
        let p = s.progress(sim.now);
        assert_eq!((p.done, p.not_judged, p.failed), (2, 1, 0));

        // An answer that cannot be read is a failure, not a verdict.
        let mut s = Scheduler::new(jobs(1, 1), &[], Policy { unreadable_retries: 0, ..policy(1) });
        let task = s.next(0.0).remove(0);
        let failed = StageRecord::Failed(FailureKind::Unreadable);
        assert!(
            matches!(s.finished(&task, Outcome::Unreadable, 1.0), Finish::Record { record, .. } if record == failed)
        );
    }

    #[test]
    fn transient_errors_are_retried_a_bounded_number_of_times() {
        let mut s = Scheduler::new(jobs(2, 1), &[], Policy { transient_retries: 2, ..policy(2) });
        let mut sim = Sim::new();
        sim.run(
            &mut s,
            fixed(10.0),
            |task, _| {
                if task.key.case_id == "case-0" {
                    Outcome::Transient
                } else {
                    Outcome::Done
                }
            },
        );
        assert!(s.is_complete());
        assert_eq!(sim.counts()[&(key(0, 0), Stage::Answer)], 3);
        assert_eq!(
            s.status(&key(0, 0)),
            Some(JobStatus::Failed { stage: Stage::Answer, kind: FailureKind::Unavailable })
        );
        assert_eq!(s.status(&key(1, 0)), Some(JobStatus::Complete { not_judged: false }));
    }

    #[test]
    fn failed_jobs_do_not_block_the_run() {
        let mut s = Scheduler::new(jobs(10, 1), &[], policy(2));
        let mut sim = Sim::new();
        sim.run(&mut s, fixed(10.0), |task, _| match task.key.case_id.as_str() {
            "case-3" => Outcome::Failed(FailureKind::Rejected { status: 400 }),
            "case-5" if task.stage == Stage::Judge => Outcome::Failed(FailureKind::InvalidKey),
            _ => Outcome::Done,
        });
        assert!(s.is_complete() && s.is_idle());
        let p = s.progress(sim.now);
        assert_eq!((p.done, p.failed), (8, 2));
        // The failed answer's verdict is never asked.
        assert!(!sim.asked.contains(&(key(3, 0), Stage::Judge)));
    }

    #[test]
    fn a_failed_verdict_drops_the_stages_of_its_job_that_are_not_back() {
        let specs = [JobSpec::new(key(0, 1), &[Stage::Judge, Stage::Faithfulness])];
        let mut s = Scheduler::new(specs, &[], policy(4));
        let answer = s.next(0.0).remove(0);
        s.finished(&answer, Outcome::Done, 1.0);
        let verdicts = s.next(1.0);
        assert_eq!(verdicts.len(), 2);
        let (judge, faithfulness) = (&verdicts[0], &verdicts[1]);
        assert_eq!((judge.stage, faithfulness.stage), (Stage::Judge, Stage::Faithfulness));
        let failed = s.finished(judge, Outcome::Failed(FailureKind::Rejected { status: 400 }), 2.0);
        let kind = FailureKind::Rejected { status: 400 };
        let status = JobStatus::Failed { stage: Stage::Judge, kind: kind.clone() };
        assert_eq!(failed, Finish::Record { record: StageRecord::Failed(kind), job: status.clone() });
        // The sibling in flight is not asked again after a rate limit; had it been done, it would be recorded.
        assert_eq!(s.finished(faithfulness, Outcome::RateLimited { retry_after_ms: None }, 3.0), Finish::Dropped);
        assert_eq!(s.status(&key(0, 1)), Some(status));
        assert!(s.next(3.0).is_empty());
        let p = s.progress(3.0);
        assert_eq!((p.failed, p.in_flight, p.pending), (1, 0, 0));
    }

    #[test]
    fn a_transient_error_delays_only_its_own_stage() {
        let mut s = Scheduler::new(jobs(3, 1), &[], policy(2));
        let tasks = s.next(0.0);
        let Finish::Again { not_before_ms } = s.finished(&tasks[0], Outcome::Transient, 100.0) else { panic!() };
        // The first retry waits between half the base and the base.
        assert!((600.0..=1100.0).contains(&not_before_ms), "{not_before_ms}");
        // The other jobs go on meanwhile.
        assert_eq!(s.next(100.0)[0].key, key(2, 0));
        assert_eq!(s.wake_at(), None);
        s.finished(&tasks[1], Outcome::Done, 200.0);
        let judge = s.next(200.0);
        assert_eq!((judge[0].key.clone(), judge[0].stage), (key(1, 0), Stage::Judge));
        s.finished(&judge[0], Outcome::Done, 300.0);
        // Nothing else is ready, so the runner sleeps until the retry.
        assert!(s.next(300.0).is_empty());
        assert_eq!(s.wake_at(), Some(not_before_ms));
        assert!(s.next(not_before_ms - 1.0).is_empty());
        let retry = s.next(not_before_ms);
        assert_eq!((retry[0].key.clone(), retry[0].stage, retry[0].attempt), (key(0, 0), Stage::Answer, 2));
        // Transient errors do not slow the run.
        assert_eq!(s.concurrency(), 2);
    }

    #[test]
    fn backoff_doubles_up_to_its_cap_with_seeded_jitter() {
        let waits = |seed: u64| {
            let p = Policy { seed, transient_retries: 10, backoff_base_ms: 1000, backoff_cap_ms: 8000, ..policy(1) };
            let mut s = Scheduler::new(jobs(1, 1), &[], p);
            let mut now = 0.0;
            let mut waits = Vec::new();
            for _ in 0..6 {
                let task = s.next(now).remove(0);
                let Finish::Again { not_before_ms } = s.finished(&task, Outcome::Transient, now) else { panic!() };
                waits.push(not_before_ms - now);
                now = not_before_ms;
            }
            waits
        };
        let first = waits(1);
        for (wait, full) in first.iter().zip([1000.0, 2000.0, 4000.0, 8000.0, 8000.0, 8000.0]) {
            assert!((full / 2.0..=full).contains(wait), "{wait} for {full}");
        }
        // The same seed replays the same waits; another seed jitters otherwise.
        assert_eq!(first, waits(1));
        assert_ne!(first, waits(2));
    }

    #[test]
    fn retry_after_is_honoured_even_beyond_what_a_chat_waits() {
        let mut s = Scheduler::new(jobs(2, 1), &[], policy(2));
        let tasks = s.next(0.0);
        let wait = 45_000;
        assert!(wait > crate::core::openai::MAX_RETRY_WAIT_MS);
        let limited = s.finished(&tasks[0], Outcome::RateLimited { retry_after_ms: Some(wait) }, 1000.0);
        assert_eq!(limited, Finish::Again { not_before_ms: 46_000.0 });
        assert_eq!(s.concurrency(), 1);
        assert_eq!(s.rate_limited_until(), Some(46_000.0));
        // The other request was out before the cut: its success does not widen the window again.
        s.finished(&tasks[1], Outcome::Done, 2000.0);
        assert_eq!(s.concurrency(), 1);
        assert_eq!(s.wake_at(), Some(46_000.0));
        assert!(s.next(45_999.0).is_empty());
        let after = s.next(46_000.0);
        // One at a time now, the started job's verdict first.
        assert_eq!(after.len(), 1);
        assert_eq!((after[0].key.clone(), after[0].stage), (key(1, 0), Stage::Judge));
        assert_eq!(s.rate_limited_until(), None);
        // Successes widen the window again, one window's worth at a time, up to the limit.
        s.finished(&after[0], Outcome::Done, 46_100.0);
        assert_eq!(s.concurrency(), 2);
        let rest = s.next(46_100.0);
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].attempt, 2);
    }

    #[test]
    fn a_burst_of_rate_limits_cuts_once_and_waits_for_the_longest_retry_after() {
        let mut s = Scheduler::new(jobs(8, 1), &[], policy(4));
        let tasks = s.next(0.0);
        assert_eq!(tasks.len(), 4);
        s.finished(&tasks[0], Outcome::RateLimited { retry_after_ms: Some(1000) }, 10.0);
        s.finished(&tasks[1], Outcome::RateLimited { retry_after_ms: Some(5000) }, 20.0);
        s.finished(&tasks[2], Outcome::RateLimited { retry_after_ms: None }, 30.0);
        s.finished(&tasks[3], Outcome::RateLimited { retry_after_ms: Some(2000) }, 40.0);
        assert_eq!(s.concurrency(), 2);
        assert_eq!(s.rate_limited_until(), Some(5020.0));
        assert_eq!(s.next(5019.0).len(), 0);
        assert_eq!(s.next(5020.0).len(), 2);

        // An absurd Retry-After is cut to the policy's cap.
        let mut s = Scheduler::new(jobs(1, 1), &[], policy(1));
        let task = s.next(0.0).remove(0);
        let day = 24 * 3_600_000;
        s.finished(&task, Outcome::RateLimited { retry_after_ms: Some(day) }, 0.0);
        assert_eq!(s.rate_limited_until(), Some(Policy::default().retry_after_cap_ms as f64));
    }

    #[test]
    fn a_storm_of_rate_limits_slows_the_run_but_loses_nothing() {
        let storm_ends = 60_000.0;
        let mut s = Scheduler::new(jobs(10, 2), &[], policy(4));
        let mut sim = Sim::new();
        let mut in_storm = 0;
        sim.run(&mut s, fixed(200.0), |_, now| {
            if now < storm_ends {
                in_storm += 1;
                Outcome::RateLimited { retry_after_ms: None }
            } else {
                Outcome::Done
            }
        });
        assert!(s.is_complete());
        let p = s.progress(sim.now);
        assert_eq!((p.done, p.failed), (20, 0));
        // Every stage was recorded once, done.
        assert_eq!(sim.records.len(), 50);
        assert!(sim.records.iter().all(|r| r.record == StageRecord::Done));
        // Backing off, the storm got a handful of requests rather than the 1200 that four at a time would send.
        assert!(in_storm <= 30, "{in_storm} requests during the storm");
        assert_eq!(sim.narrowest, 1);
        // The run went on soon after the storm (the longest wait is the backoff's cap), and its window is whole.
        assert!(sim.now < storm_ends + 60_000.0 + 5_000.0, "finished at {}", sim.now);
        assert_eq!(s.concurrency(), 4);
        println!("{in_storm} requests during the storm; finished at {} ms", sim.now);
    }

    #[test]
    fn the_time_left_is_guessed_from_what_was_timed() {
        let mut s = Scheduler::new(jobs(20, 2), &[], policy(4));
        assert_eq!(s.progress(0.0).eta_ms, None);
        let mut sim = Sim::new();
        // Answers take 0.8 to 1.25 s, verdicts 0.3 to 0.5 s, varying from job to job.
        let duration = |task: &Task| {
            let spread = (task.key.case_id.len() * 7 + task.key.case_id.bytes().map(usize::from).sum::<usize>()) % 10;
            let spread = spread as f64 / 10.0;
            if task.stage == Stage::Answer {
                800.0 + 450.0 * spread
            } else {
                300.0 + 200.0 * spread
            }
        };
        sim.run(&mut s, duration, all_done);
        let end = sim.now;
        assert_eq!(s.progress(end).eta_ms, Some(0.0));
        // No guess before three stages were timed, and one after every later event.
        let guesses: Vec<(f64, f64)> = sim.seen.iter().filter_map(|(at, p)| p.eta_ms.map(|eta| (*at, eta))).collect();
        assert_eq!(sim.seen.len() - guesses.len(), 2);
        // Once a few jobs are complete, the guessed end is within a fifth of the run of the real one, and the
        // time left hardly ever grows (with steady durations, only when a new kind of stage is first timed).
        for &(at, eta) in guesses.iter().skip(8) {
            assert!((at + eta - end).abs() <= end / 5.0, "at {at}: {eta} left, the run ended at {end}");
        }
        for pair in guesses.windows(2).skip(4) {
            let ((_, before), (_, after)) = (pair[0], pair[1]);
            assert!(after <= before + 500.0, "from {before} to {after}");
        }
    }

    #[test]
    fn a_rate_limit_adds_its_wait_to_the_time_left() {
        let mut s = Scheduler::new(jobs(4, 1), &[], policy(2));
        let mut now = 0.0;
        for _ in 0..2 {
            for task in s.next(now) {
                now += 100.0;
                s.finished(&task, Outcome::Done, now);
            }
        }
        let before = s.progress(now).eta_ms.unwrap();
        let task = s.next(now).remove(0);
        s.finished(&task, Outcome::RateLimited { retry_after_ms: Some(30_000) }, now);
        let after = s.progress(now).eta_ms.unwrap();
        assert!(after >= before + 30_000.0, "{before} then {after}");
    }

    /// A small deterministic generator for the randomized test (xorshift64*).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn outcome(&mut self) -> Outcome {
            match self.below(100) {
                0..=54 => Outcome::Done,
                55..=69 => Outcome::RateLimited {
                    retry_after_ms: if self.below(2) == 0 { None } else { Some(self.below(3000) as u64) },
                },
                70..=82 => Outcome::Transient,
                83..=96 => Outcome::Unreadable,
                _ => Outcome::Failed(FailureKind::Rejected { status: 400 }),
            }
        }
    }

    /// What the randomized test knows of a run, as the store and the stand-in server see it.
    #[derive(Default)]
    struct Model {
        needs: HashMap<JobKey, Stages>,
        in_flight: std::collections::HashSet<(JobKey, Stage)>,
        settled: HashMap<(JobKey, Stage), StageRecord>,
        failed: std::collections::HashSet<JobKey>,
        stored: Vec<StoredStage>,
        requests: usize,
    }

    impl Model {
        /// Checks what `next` handed out against everything handed out and recorded so far.
        fn hand_out(&mut self, s: &Scheduler, tasks: &[Task]) {
            for task in tasks {
                let id = (task.key.clone(), task.stage);
                assert!(self.needs[&task.key].contains(task.stage), "{id:?} is not needed");
                assert!(!self.in_flight.contains(&id), "{id:?} handed out while in flight");
                assert!(!self.settled.contains_key(&id), "{id:?} handed out once settled");
                assert!(!self.failed.contains(&task.key), "{id:?} handed out after its job failed");
                if task.stage.is_verdict() {
                    let answer = self.settled.get(&(task.key.clone(), Stage::Answer));
                    assert_eq!(answer, Some(&StageRecord::Done), "{id:?} handed out before its answer");
                }
                self.in_flight.insert(id);
                self.requests += 1;
            }
            assert_eq!(s.in_flight(), self.in_flight.len());
            assert!(s.in_flight() <= s.limit());
            assert!(tasks.is_empty() || s.in_flight() <= s.concurrency());
        }

        /// Checks what `finished` made of a task's outcome, and stores what it says to.
        fn finish(&mut self, task: &Task, finish: Finish) {
            let id = (task.key.clone(), task.stage);
            assert!(self.in_flight.remove(&id), "{id:?} was not in flight");
            match finish {
                Finish::Record { record, job } => {
                    assert!(!self.settled.contains_key(&id), "{id:?} recorded twice");
                    if let StageRecord::Failed(_) = record {
                        self.failed.insert(task.key.clone());
                    }
                    assert_eq!(matches!(job, JobStatus::Failed { .. }), self.failed.contains(&task.key));
                    self.stored.push(StoredStage { key: task.key.clone(), stage: task.stage, record: record.clone() });
                    self.settled.insert(id, record);
                }
                Finish::Again { .. } => {}
                Finish::Dropped => assert!(self.failed.contains(&task.key), "{id:?} dropped from a live job"),
                Finish::Unknown => panic!("{id:?} unknown"),
            }
        }
    }

    fn check_progress(s: &Scheduler, now: f64) {
        let p = s.progress(now);
        assert_eq!(p.done + p.failed + p.in_flight + p.pending, p.total_jobs, "{p:?}");
        assert!(p.not_judged <= p.done);
        assert!(p.eta_ms.is_none_or(|eta| eta >= 0.0 && eta.is_finite()), "{p:?}");
    }

    #[test]
    fn no_stage_is_handed_out_twice_across_random_interleavings() {
        let (mut events, mut resumes) = (0, 0);
        for seed in 1..=24u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
            let specs = jobs(1 + rng.below(40), 1 + rng.below(4));
            let policy = Policy {
                concurrency: 1 + rng.below(6),
                transient_retries: rng.below(4) as u32,
                unreadable_retries: rng.below(3) as u32,
                backoff_base_ms: 50,
                backoff_cap_ms: 2_000,
                seed,
                ..Policy::default()
            };
            let mut model =
                Model { needs: specs.iter().map(|j| (j.key.clone(), j.stages)).collect(), ..Model::default() };
            let mut s = Scheduler::new(specs.clone(), &[], policy.clone());
            let mut now = 0.0;
            let mut flying: Vec<Task> = Vec::new();
            let mut finished: Vec<Task> = Vec::new();
            // Random events while the run lasts: requests go out, come back in any order with any outcome,
            // come back twice, and now and then the run is cancelled and resumed.
            for _ in 0..20_000 {
                if s.is_complete() {
                    break;
                }
                events += 1;
                now += rng.below(400) as f64;
                match rng.below(200) {
                    0..=79 => {
                        let tasks = s.next(now);
                        model.hand_out(&s, &tasks);
                        flying.extend(tasks);
                    }
                    80..=179 if !flying.is_empty() => {
                        let task = flying.swap_remove(rng.below(flying.len()));
                        let outcome = rng.outcome();
                        model.finish(&task, s.finished(&task, outcome, now));
                        finished.push(task);
                    }
                    180..=189 if !finished.is_empty() => {
                        let task = &finished[rng.below(finished.len())];
                        assert_eq!(s.finished(task, Outcome::Done, now), Finish::Unknown);
                    }
                    190 => {
                        // Cancel, drain, and resume from what was stored.
                        resumes += 1;
                        s.cancel();
                        assert!(s.next(now).is_empty());
                        while let Some(task) = flying.pop() {
                            let outcome = rng.outcome();
                            model.finish(&task, s.finished(&task, outcome, now));
                            assert!(s.next(now).is_empty());
                        }
                        assert!(s.is_idle());
                        let before = s.progress(now);
                        s = Scheduler::new(specs.clone(), &model.stored, policy.clone());
                        let after = s.progress(now);
                        assert_eq!(
                            (after.done, after.not_judged, after.failed),
                            (before.done, before.not_judged, before.failed)
                        );
                        assert_eq!(after.in_flight, 0);
                        finished.clear();
                    }
                    _ => {}
                }
                check_progress(&s, now);
            }

            // The storm passes: every response is done from now on, and the run completes.
            for _ in 0..100_000 {
                let tasks = s.next(now);
                model.hand_out(&s, &tasks);
                flying.extend(tasks);
                if let Some(task) = flying.pop() {
                    now += 10.0;
                    model.finish(&task, s.finished(&task, Outcome::Done, now));
                } else if let Some(at) = s.wake_at().filter(|&at| at > now) {
                    now = at;
                } else {
                    break;
                }
                check_progress(&s, now);
            }
            assert!(s.is_complete() && s.is_idle(), "seed {seed}: {:?}", s.progress(now));
            for (key, needs) in &model.needs {
                if model.failed.contains(key) {
                    continue;
                }
                for stage in needs.iter() {
                    let record = model.settled.get(&(key.clone(), stage));
                    assert!(matches!(record, Some(StageRecord::Done | StageRecord::NotJudged)), "{key:?} {stage:?}");
                }
            }
        }
        println!("{events} random events, {resumes} resumes");
        assert!(events > 10_000 && resumes > 20);
    }

    #[test]
    fn the_bookkeeping_of_a_big_run_is_cheap() {
        // 200 cases × 4 configurations, each job with both verdicts: 800 jobs, 2400 requests.
        let specs: Vec<JobSpec> = (0..200)
            .flat_map(|case| (0..4).map(move |config| (case, config)))
            .map(|(case, config)| JobSpec::new(key(case, config), &[Stage::Judge, Stage::Faithfulness]))
            .collect();
        let started = std::time::Instant::now();
        let mut s = Scheduler::new(specs, &[], policy(4));
        let (mut now, mut asked) = (0.0, 0);
        loop {
            let tasks = s.next(now);
            if tasks.is_empty() {
                break;
            }
            for task in tasks {
                now += 1.0;
                asked += 1;
                s.finished(&task, Outcome::Done, now);
                let _ = (s.progress(now), s.wake_at());
            }
        }
        let elapsed = started.elapsed();
        assert!(s.is_complete());
        assert_eq!(asked, 2400);
        println!("800 jobs × 3 stages: {:.2} ms of bookkeeping", elapsed.as_secs_f64() * 1000.0);
        // Natively this takes a few milliseconds, even unoptimised; the bound only catches a quadratic slip.
        assert!(elapsed.as_secs() < 2, "{elapsed:?}");
    }

    #[test]
    fn odd_times_and_policies_do_not_panic() {
        let odd = Policy {
            concurrency: usize::MAX,
            transient_retries: u32::MAX,
            backoff_base_ms: u64::MAX,
            backoff_cap_ms: u64::MAX,
            retry_after_cap_ms: u64::MAX,
            eta_min_samples: 0,
            ..Policy::default()
        };
        for policy in [odd, Policy::default()] {
            let mut s = Scheduler::new(jobs(3, 2), &[], policy);
            for now in [f64::NAN, -1e300, f64::INFINITY, 0.0, f64::NEG_INFINITY] {
                let _ = (s.progress(now), s.wake_at());
                for task in s.next(now) {
                    s.finished(&task, Outcome::RateLimited { retry_after_ms: Some(u64::MAX) }, now);
                    let _ = s.progress(now);
                }
                for task in s.next(now) {
                    s.finished(&task, Outcome::Transient, now);
                }
                for task in s.next(now) {
                    s.finished(&task, Outcome::Done, now);
                    let _ = s.progress(now);
                }
            }
        }
    }

    #[test]
    fn tasks_it_did_not_hand_out_change_nothing() {
        let mut s = Scheduler::new(jobs(2, 1), &[], policy(2));
        let tasks = s.next(0.0);
        assert!(matches!(s.finished(&tasks[0], Outcome::Done, 1.0), Finish::Record { .. }));
        // Finished twice.
        assert_eq!(s.finished(&tasks[0], Outcome::Done, 1.0), Finish::Unknown);
        // Altered, or from another run.
        let forged = Task { key: key(7, 7), ..tasks[1].clone() };
        assert_eq!(s.finished(&forged, Outcome::Done, 1.0), Finish::Unknown);
        let other = Scheduler::new(jobs(5, 1), &[], policy(5)).next(0.0).remove(4);
        assert_eq!(s.finished(&other, Outcome::Done, 1.0), Finish::Unknown);
        assert_eq!(s.in_flight(), 1);
        assert!(matches!(s.finished(&tasks[1], Outcome::Done, 1.0), Finish::Record { .. }));
    }

    #[test]
    fn api_errors_are_classified() {
        let cases = [
            (
                ApiError::RateLimited { retry_after_ms: Some(1500), detail: None },
                Outcome::RateLimited { retry_after_ms: Some(1500) },
            ),
            (ApiError::QuotaExceeded { detail: None }, Outcome::Failed(FailureKind::QuotaExceeded)),
            (ApiError::InvalidKey { detail: None }, Outcome::Failed(FailureKind::InvalidKey)),
            (ApiError::Rejected { status: 400, detail: None }, Outcome::Failed(FailureKind::Rejected { status: 400 })),
            (ApiError::Rejected { status: 408, detail: None }, Outcome::Transient),
            (ApiError::Server { status: 503, detail: None }, Outcome::Transient),
            (ApiError::Unreachable { host: "api.openai.com".into() }, Outcome::Transient),
            (ApiError::StreamCut, Outcome::Transient),
        ];
        for (error, outcome) in cases {
            assert_eq!(Outcome::of_error(&error), outcome, "{error:?}");
        }
    }

    #[test]
    fn records_keep_their_stored_form() {
        let json = serde_json::to_string(&StageRecord::Failed(FailureKind::Rejected { status: 400 })).unwrap();
        assert_eq!(json, r#"{"failed":{"rejected":{"status":400}}}"#);
        assert_eq!(serde_json::to_string(&StageRecord::NotJudged).unwrap(), r#""not_judged""#);
        assert_eq!(serde_json::to_string(&Stage::Faithfulness).unwrap(), r#""faithfulness""#);
    }
}
