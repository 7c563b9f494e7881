//! The group-commit queue: requests hand their jobs to one task, which takes whatever has
//! queued up and handles it together (one transaction, one fsync).
//!
//! Two promises, both about never answering wrongly:
//! - A job is either refused before it is queued (the queue stayed full past the caller's
//!   deadline, or the server is stopping), or it is handled and answered. Once queued, the
//!   caller waits for the answer however long the commit takes: a timeout after the hand-over
//!   would tell the client "failed" about an event that may be stored, and an unkeyed retry
//!   would count it twice.
//! - A panic while handling one batch is caught: its callers get an error (their reply
//!   channels are dropped) and the task goes on with the next batch. If the task ever ends
//!   anyway, [`Committer::is_alive`] says so and the readiness check turns red.

use std::{
    collections::VecDeque,
    panic::AssertUnwindSafe,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

use futures::FutureExt;
use tokio::{
    sync::mpsc,
    time::{Instant, timeout_at},
};

/// Jobs queued before senders wait: bounds memory under overload.
const QUEUE_DEPTH: usize = 4_096;

/// Why a job was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The queue stayed full until the deadline.
    Busy,
    /// The server is stopping (or the task is gone).
    Stopping,
}

/// The sending side. Cheap to clone.
pub(crate) struct Committer<J> {
    queue: Arc<Mutex<Option<mpsc::Sender<J>>>>,
    alive: Arc<AtomicBool>,
}

impl<J> Clone for Committer<J> {
    fn clone(&self) -> Self {
        Self {
            queue: self.queue.clone(),
            alive: self.alive.clone(),
        }
    }
}

/// The queue as the task reads it: the jobs [`More::take`] left behind, then the channel.
struct Inbox<J> {
    rx: mpsc::Receiver<J>,
    aside: VecDeque<J>,
}

impl<J> Inbox<J> {
    fn try_next(&mut self) -> Result<J, mpsc::error::TryRecvError> {
        self.aside
            .pop_front()
            .map_or_else(|| self.rx.try_recv(), Ok)
    }

    async fn next(&mut self) -> Option<J> {
        match self.aside.pop_front() {
            Some(job) => Some(job),
            None => self.rx.recv().await,
        }
    }
}

/// What a batch may still take from the queue while it is handled.
pub(crate) struct More<J> {
    inbox: Arc<tokio::sync::Mutex<Inbox<J>>>,
    size: fn(&J) -> usize,
    room: usize,
}

impl<J> More<J> {
    /// Takes the jobs queued now that `wanted` accepts, in order, while they fit in the
    /// batch's room; it stops at the first that would not. The others stay queued in their
    /// order, ahead of the jobs queued after them (a job `wanted` accepts is never taken
    /// after a later one).
    pub(crate) async fn take(&mut self, wanted: impl Fn(&J) -> bool) -> Vec<J> {
        let mut inbox = self.inbox.lock().await;
        let mut taken = Vec::new();
        let mut left = VecDeque::new();
        // At most a queue's worth put aside: the queue's bound on memory stays a bound.
        while self.room > 0 && left.len() + inbox.aside.len() < QUEUE_DEPTH {
            let Ok(job) = inbox.try_next() else { break };
            if !wanted(&job) {
                left.push_back(job);
                continue;
            }
            let size = (self.size)(&job);
            if size > self.room {
                left.push_back(job);
                break;
            }
            self.room -= size;
            taken.push(job);
        }
        left.append(&mut inbox.aside);
        inbox.aside = left;
        taken
    }
}

impl<J: Send + 'static> Committer<J> {
    /// Starts the task. `size` tells how many items a job carries; a batch holds whole jobs
    /// and at most `max_items` items (one job alone may be larger). `handle` gets each batch,
    /// and [`More`] to take jobs queued since, within the same limit; `idle` is called
    /// whenever the queue is found empty, before the task waits.
    ///
    /// With `own_thread`, the task runs on a thread of its own (its own single-threaded
    /// runtime) rather than among the request handlers: for a database whose statements
    /// run on another thread (SQLite), each statement's answer wakes the committer at once
    /// instead of queueing behind the handlers it has just answered.
    pub(crate) fn start<F, Fut, I>(
        own_thread: bool,
        max_items: usize,
        size: fn(&J) -> usize,
        mut handle: F,
        mut idle: I,
    ) -> (Self, tokio::task::JoinHandle<()>)
    where
        F: FnMut(Vec<J>, More<J>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
        I: FnMut() + Send + 'static,
    {
        let (tx, rx) = mpsc::channel::<J>(QUEUE_DEPTH);
        let inbox = Arc::new(tokio::sync::Mutex::new(Inbox {
            rx,
            aside: VecDeque::new(),
        }));
        let alive = Arc::new(AtomicBool::new(true));
        let flag = alive.clone();
        let max_items = max_items.max(1);
        let work = async move {
            loop {
                let mut queue = inbox.lock().await;
                let first = match queue.try_next() {
                    Ok(job) => job,
                    Err(mpsc::error::TryRecvError::Disconnected) => break,
                    Err(mpsc::error::TryRecvError::Empty) => {
                        idle();
                        match queue.next().await {
                            Some(job) => job,
                            None => break,
                        }
                    }
                };
                // Take whatever else is already waiting: under load the batches grow by
                // themselves, and each costs one commit.
                let mut total = size(&first);
                let mut jobs = vec![first];
                while total < max_items {
                    match queue.try_next() {
                        Ok(job) => {
                            total += size(&job);
                            jobs.push(job);
                        }
                        Err(_) => break,
                    }
                }
                drop(queue);
                let more = More {
                    inbox: inbox.clone(),
                    size,
                    room: max_items.saturating_sub(total),
                };
                if let Err(panic) = AssertUnwindSafe(handle(jobs, more)).catch_unwind().await {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    tracing::error!(panic = %what, "a commit batch panicked; its requests got an error, the committer goes on");
                }
            }
            idle();
            flag.store(false, Ordering::Release);
        };
        let task = if own_thread {
            let flag = alive.clone();
            tokio::task::spawn_blocking(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime.block_on(work),
                    // Not alive: readiness turns red and requests get 503s.
                    Err(err) => {
                        flag.store(false, Ordering::Release);
                        tracing::error!(error = %err, "the committer's runtime did not start");
                    }
                }
            })
        } else {
            tokio::spawn(work)
        };
        (
            Self {
                queue: Arc::new(Mutex::new(Some(tx))),
                alive,
            },
            task,
        )
    }

    /// Queues `job`, waiting for room until `deadline` at most.
    pub(crate) async fn send(&self, job: J, deadline: Instant) -> Result<(), Refused> {
        let sender = self
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or(Refused::Stopping)?;
        match timeout_at(deadline, sender.reserve()).await {
            Ok(Ok(permit)) => {
                permit.send(job);
                Ok(())
            }
            Ok(Err(_)) => Err(Refused::Stopping),
            Err(_) => Err(Refused::Busy),
        }
    }

    /// Stops taking jobs; the task handles what is queued, then ends.
    pub(crate) fn close(&self) {
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    /// Jobs waiting in the channel (not counting those a batch put aside).
    pub(crate) fn queue_len(&self) -> usize {
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map_or(0, |tx| tx.max_capacity() - tx.capacity())
    }

    /// Whether the task is still there to handle jobs.
    pub(crate) fn is_alive(&self) -> bool {
        self.alive.load(Ordering::Acquire)
    }
}

#[cfg(test)]
#[path = "committer_tests.rs"]
mod tests;
