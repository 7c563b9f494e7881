//! The committer's promises: answers, refusals, draining, the idle hook and `More`.

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

/// Jobs 0 to 9 through a committer of room 4 whose first batch (job 0 alone) waits, as
/// for a lock, then takes the even jobs queued meanwhile; each job is `size` items.
/// Answers the batches as handled, after checking every job is answered once.
async fn batches_when_the_first_waits_then_takes_the_even(
    size: fn(&Job) -> usize,
) -> Vec<Vec<u32>> {
    let (gate_tx, gate_rx) = oneshot::channel::<()>();
    let gate = Arc::new(tokio::sync::Mutex::new(Some(gate_rx)));
    let batches = Arc::new(std::sync::Mutex::new(Vec::<Vec<u32>>::new()));
    let seen = batches.clone();
    let (committer, task) = Committer::<Job>::start(
        false,
        4,
        size,
        move |jobs, mut more| {
            let (gate, seen) = (gate.clone(), seen.clone());
            async move {
                let mut jobs = jobs;
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
    batches.lock().expect("not poisoned").clone()
}

/// A batch takes the jobs its handler wants from those queued since it began, within
/// its room; the others come next, in the order they were queued.
#[tokio::test]
async fn a_batch_takes_what_it_wants_of_the_queue_and_the_rest_keeps_its_order() {
    // Job 0 and three more (room for 4): 2, 4, 6; then 1, 3, 5, 7 in their order, then
    // the rest.
    assert_eq!(
        batches_when_the_first_waits_then_takes_the_even(|_| 1).await,
        vec![vec![0, 2, 4, 6], vec![1, 3, 5, 7], vec![8, 9]]
    );
}

/// A wanted job larger than the room left stops the taking: it is not taken, nor any
/// wanted job after it (which would then commit before it).
#[tokio::test]
async fn a_wanted_job_that_does_not_fit_stops_the_taking() {
    // Job 2 is 4 items: after job 0 the room is 3.
    assert_eq!(
        batches_when_the_first_waits_then_takes_the_even(|(n, _)| if *n == 2 { 4 } else { 1 })
            .await,
        vec![vec![0], vec![1, 2], vec![3, 4, 5, 6], vec![7, 8, 9]]
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
