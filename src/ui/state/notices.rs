//! What the person must see (alerts, role="alert") and passing information (a notice, role="status"), as the
//! core's kinds: the views say them in the chosen language.

use crate::core::notice::{Alert, Notice};
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Notices {
    /// Problems the person must see, each once.
    pub alerts: RwSignal<Vec<Alert>>,
    /// Passing information: retries, trimming, saved settings.
    pub notice: RwSignal<Option<Notice>>,
}

impl Notices {
    /// Shows an alert, unless the same one already shows.
    pub fn alert(&self, alert: Alert) {
        self.alerts.update(|a| {
            if !a.contains(&alert) {
                a.push(alert);
            }
        });
    }

    /// Shows a notice in place of the last one.
    pub fn notify(&self, notice: Notice) {
        self.notice.set(Some(notice));
    }

    /// Clears every alert and the notice (a new turn starts).
    pub fn clear(&self) {
        self.alerts.set(Vec::new());
        self.notice.set(None);
    }
}

pub fn provide_notices() -> Notices {
    let notices = Notices { alerts: RwSignal::new(Vec::new()), notice: RwSignal::new(None) };
    provide_context(notices);
    notices
}

pub fn use_notices() -> Notices {
    expect_context::<Notices>()
}
