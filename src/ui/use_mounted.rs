//! `use_mounted`: how many rows of a long list are mounted so far. The count grows by `step` per task (a
//! timeout of zero, so the browser paints and handles input in between) until it reaches what `want` says, so
//! no single task mounts hundreds of rows. It does not decide what a row is or how many the list holds: the
//! caller renders the first rows up to the count.

use leptos::prelude::*;
use std::time::Duration;

pub fn use_mounted(want: impl Fn() -> usize + Send + Sync + 'static, step: usize) -> Signal<usize> {
    let mounted = RwSignal::new(0usize);
    Effect::new(move |_| {
        let (have, want) = (mounted.get(), want());
        if have < want {
            set_timeout(move || mounted.set((have + step).min(want)), Duration::ZERO);
        }
    });
    mounted.into()
}
