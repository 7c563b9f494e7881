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
    /// Takes the jobs queued now that `wanted` accepts, in order, while the batch has room.
    /// The others stay queued in their order, ahead of the jobs queued after them (a job
    /// `wanted` accepts is never taken after a later one).
    pub(crate) async fn take(&mut self, wanted: impl Fn(&J) -> bool) -> Vec<J> {
        let mut inbox = self.inbox.lock().await;
        let mut taken = Vec::new();
        let mut left = VecDeque::new();
        // At most a queue's worth put aside: the queue's bound on memory stays a bound.
        while self.room > 0 && left.len() + inbox.aside.len() < QUEUE_DEPTH {
            let Ok(job) = inbox.try_next() else { break };
            if wanted(&job) {
                self.room = self.room.saturating_sub((self.size)(&job));
                taken.push(job);
            } else {
                left.push_back(job);
            }
        }
        left.append(&mut inbox.aside);
        inbox.aside = left;
        taken
    }
}

impl<J: Send + 'static> Committer<J> {
    /// Starts the task. `size` tells how many items a job carries; a batch holds whole jobs
    /// and at most `max_items` items (one job alone may be larger). `handle` gets each batch,
    /// and [`More`] to take jobs queued since, up to the same limit; `idle` is called
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
mod tests {
    use std::time::Duration;

    use tokio::sync::oneshot;

    use super::*;

    type Job = (u32, oneshot::Sender<u32>);

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    /// Answers each job with its own number.
    async fn echo(jobs: Vec<Job>, _: More<Job>) {
        for (n, reply) in jobs {
            let _ = reply.send(n);
        }
    }

    #[tokio::test]
    async fn a_panicking_batch_fails_its_callers_and_the_next_batch_still_commits() {
        let (committer, _task) = Committer::<Job>::start(
            false,
            1,
            |_| 1,
            |jobs, _| async move {
                for (n, reply) in jobs {
                    assert_ne!(n, 13, "unlucky job");
                    let _ = reply.send(n * 2);
                }
            },
            || {},
        );
        let (tx, rx) = oneshot::channel();
        committer.send((13, tx), soon()).await.expect("queued");
        assert!(rx.await.is_err(), "the panicking batch answers nothing");
        for n in [1, 2, 3] {
            let (tx, rx) = oneshot::channel();
            committer.send((n, tx), soon()).await.expect("queued");
            assert_eq!(rx.await, Ok(n * 2));
        }
        assert!(committer.is_alive());
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_the_deadline_and_never_after_queueing() {
        let (gate_tx, gate_rx) = oneshot::channel::<()>();
        let gate = Arc::new(tokio::sync::Mutex::new(Some(gate_rx)));
        let (committer, _task) = Committer::<Job>::start(
            false,
            1,
            |_| 1,
            move |jobs, _| {
                let gate = gate.clone();
                async move {
                    // The first batch holds the task until the test opens the gate.
                    if let Some(rx) = gate.lock().await.take() {
                        let _ = rx.await;
                    }
                    for (n, reply) in jobs {
                        let _ = reply.send(n);
                    }
                }
            },
            || {},
        );
        let mut replies = Vec::new();
        // One job in the task, QUEUE_DEPTH in the queue: all accepted.
        for n in 0..=QUEUE_DEPTH as u32 {
            let (tx, rx) = oneshot::channel();
            committer.send((n, tx), soon()).await.expect("room");
            replies.push(rx);
        }
        let (tx, _rx) = oneshot::channel();
        let refused = committer
            .send((9_999, tx), Instant::now() + Duration::from_millis(50))
            .await;
        assert_eq!(refused, Err(Refused::Busy));
        gate_tx.send(()).expect("open");
        for (n, rx) in replies.into_iter().enumerate() {
            assert_eq!(rx.await, Ok(n as u32), "every queued job is answered");
        }
    }

    /// A batch takes the jobs its handler wants from those queued since it began, within
    /// its room; the others come next, in the order they were queued.
    #[tokio::test]
    async fn a_batch_takes_what_it_wants_of_the_queue_and_the_rest_keeps_its_order() {
        let (gate_tx, gate_rx) = oneshot::channel::<()>();
        let gate = Arc::new(tokio::sync::Mutex::new(Some(gate_rx)));
        let batches = Arc::new(std::sync::Mutex::new(Vec::<Vec<u32>>::new()));
        let seen = batches.clone();
        let (committer, task) = Committer::<Job>::start(
            false,
            4,
            |_| 1,
            move |jobs, mut more| {
                let (gate, seen) = (gate.clone(), seen.clone());
                async move {
                    let mut jobs = jobs;
                    // The first batch waits (as for a lock), then takes the even jobs.
                    if let Some(rx) = gate.lock().await.take() {
                        let _ = rx.await;
                        jobs.extend(more.take(|(n, _)| n % 2 == 0).await);
                    }
                    seen.lock()
                        .expect("not poisoned")
                        .push(jobs.iter().map(|(n, _)| *n).collect());
                    for (n, reply) in jobs {
                        let _ = reply.send(n);
                    }
                }
            },
            || {},
        );
        let mut replies = Vec::new();
        for n in 0..10 {
            let (tx, rx) = oneshot::channel();
            committer.send((n, tx), soon()).await.expect("queued");
            replies.push(rx);
            if n == 0 {
                // The first batch is job 0 alone: the task takes it before the rest.
                while committer.queue_len() > 0 {
                    tokio::task::yield_now().await;
                }
            }
        }
        gate_tx.send(()).expect("open");
        for (n, rx) in replies.into_iter().enumerate() {
            assert_eq!(rx.await, Ok(n as u32), "every job is answered once");
        }
        committer.close();
        task.await.expect("ends");
        // Job 0 and three more (room for 4): 2, 4, 6; then 1, 3, 5, 7 in their order,
        // then the rest.
        assert_eq!(
            *batches.lock().expect("not poisoned"),
            vec![vec![0, 2, 4, 6], vec![1, 3, 5, 7], vec![8, 9]]
        );
    }

    #[tokio::test]
    async fn closing_drains_the_queue_then_the_task_ends() {
        let (committer, task) = Committer::<Job>::start(true, 8, |_| 1, echo, || {});
        let (tx, rx) = oneshot::channel();
        committer.send((7, tx), soon()).await.expect("queued");
        committer.close();
        let (tx2, _rx2) = oneshot::channel();
        assert_eq!(
            committer.send((8, tx2), soon()).await,
            Err(Refused::Stopping)
        );
        assert_eq!(rx.await, Ok(7));
        task.await.expect("ends");
        assert!(!committer.is_alive());
    }

    #[tokio::test]
    async fn the_idle_hook_runs_each_time_the_queue_is_found_empty() {
        let idles = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = idles.clone();
        let (committer, task) = Committer::<Job>::start(
            true,
            8,
            |_| 1,
            echo,
            move || {
                counted.fetch_add(1, Ordering::SeqCst);
            },
        );
        for n in [1, 2] {
            let (tx, rx) = oneshot::channel();
            committer.send((n, tx), soon()).await.expect("queued");
            assert_eq!(rx.await, Ok(n));
            // Answered, nothing else queued: the hook runs before the task waits again.
            let deadline = Instant::now() + Duration::from_secs(5);
            while idles.load(Ordering::SeqCst) < n as usize {
                assert!(Instant::now() < deadline, "the hook ran after batch {n}");
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        committer.close();
        task.await.expect("ends");
        assert!(
            idles.load(Ordering::SeqCst) >= 3,
            "and once more as the task ends"
        );
    }
}
