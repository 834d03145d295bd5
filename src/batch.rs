//! `evaluate_many`'s decoding and computing, overlapped: the calling thread decodes orders
//! (Python objects, so under the GIL) chunk by chunk while a worker thread evaluates the
//! chunks already decoded (pure Rust, never touching Python); once everything is decoded the
//! calling thread releases the GIL and helps with what is left. On this 2-core machine the
//! computation then hides behind the decoding instead of following it.
use crate::pynode::PyNode;
use aba_loyalty_calc::{CalcError, CalcResult, Engine, Evaluation, Order};
use pyo3::Python;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Mutex;
use std::thread;

/// Below this many orders a second thread costs more than it saves.
const PARALLEL_THRESHOLD: usize = 256;
/// Orders handed to the worker at a time.
const CHUNK: usize = 64;

/// Decoded orders, their results (same length), and the first decoding error if any (orders
/// after it are neither decoded nor evaluated).
pub struct Batch {
    pub orders: Vec<Order>,
    pub results: Vec<CalcResult<Evaluation>>,
    pub decode_error: Option<CalcError>,
}

type Job = (usize, Vec<Order>);
type Done = (usize, Vec<Order>, Vec<CalcResult<Evaluation>>);

pub fn decode_and_evaluate(py: Python<'_>, engine: &Engine, nodes: &[PyNode<'_>]) -> Batch {
    let parallel = thread::available_parallelism().is_ok_and(|n| n.get() >= 2);
    if !parallel || nodes.len() < PARALLEL_THRESHOLD {
        let mut orders = Vec::with_capacity(nodes.len());
        let decode_error = decode(nodes, |order| orders.push(order));
        let results = py.detach(|| orders.iter().map(|order| engine.evaluate(order)).collect());
        return Batch {
            orders,
            results,
            decode_error,
        };
    }

    let (job_sender, job_receiver) = channel::<Job>();
    let jobs = Mutex::new(job_receiver);
    let (done_sender, done_receiver) = channel::<Done>();
    let mut decode_error = None;
    thread::scope(|scope| {
        let worker_done = done_sender.clone();
        let worker_jobs = &jobs;
        scope.spawn(move || work(engine, worker_jobs, &worker_done));

        let mut chunk = Vec::with_capacity(CHUNK);
        let mut chunk_index = 0;
        let error = decode(nodes, |order| {
            chunk.push(order);
            if chunk.len() == CHUNK {
                // The receiver lives until the scope ends: sending cannot fail.
                let _ = job_sender.send((chunk_index, std::mem::take(&mut chunk)));
                chunk_index += 1;
            }
        });
        if !chunk.is_empty() {
            let _ = job_sender.send((chunk_index, chunk));
        }
        decode_error = error;
        drop(job_sender);
        py.detach(|| work(engine, &jobs, &done_sender));
    });
    drop(done_sender);

    let mut done: Vec<Done> = done_receiver.into_iter().collect();
    done.sort_unstable_by_key(|(index, _, _)| *index);
    let mut orders = Vec::with_capacity(nodes.len());
    let mut results = Vec::with_capacity(nodes.len());
    for (_, chunk_orders, chunk_results) in done {
        orders.extend(chunk_orders);
        results.extend(chunk_results);
    }
    Batch {
        orders,
        results,
        decode_error,
    }
}

/// Decodes in list order until the first error, giving each order to `sink`; the error's path
/// starts with the order's index.
fn decode(nodes: &[PyNode<'_>], mut sink: impl FnMut(Order)) -> Option<CalcError> {
    for (index, node) in nodes.iter().enumerate() {
        match Order::decode(node) {
            Ok(order) => sink(order),
            Err(err) => return Some(err.within(index)),
        }
    }
    None
}

/// Evaluates chunks until the queue is closed and empty.
fn work(engine: &Engine, jobs: &Mutex<Receiver<Job>>, done: &Sender<Done>) {
    loop {
        let job = match jobs.lock() {
            Ok(receiver) => receiver.recv(),
            // A panic on the other thread: it is re-raised when the scope ends.
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        let Ok((index, orders)) = job else {
            return;
        };
        let results = orders.iter().map(|order| engine.evaluate(order)).collect();
        let _ = done.send((index, orders, results));
    }
}
