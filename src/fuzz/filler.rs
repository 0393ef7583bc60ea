//! Bodies that are a short start and then one repeated byte up to a size near the gRPC message
//! limit (the `oversized` family), written into buffers that are reused once the body is
//! dropped. A fresh 4 MiB body per case costs a thousand page faults and a pass of writes, more
//! than all other generation of a live run together; a reused buffer needs only its start
//! written again. One pool serves the whole process, so a short run in a process that has fuzzed
//! before (a benchmark sample, a unit test) reuses what an earlier run faulted in; a
//! `lpconform fuzz` process fills its pool in its first batches.

use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use bytes::Bytes;

/// Buffers kept for reuse once their bodies are dropped; beyond these the shortest are freed
/// (bodies alive are not counted). A body lives from its case's generation to its answer (a
/// kept finding's, made again, for the run), and with the families taking turns few oversized
/// ones are in flight at once: measured over 5 s, a run at a concurrency of 8 to 32 makes six to
/// nine buffers, all in its first batches; at 64, or with the oversized family alone, it makes
/// some anew all along.
const KEPT: usize = 6;

/// Buffers are made in whole MiB, so one serves the bodies a little over and under its size.
const GRANULE: usize = 1 << 20;

/// Buffers for oversized bodies; the process shares one pool, [`FillerPool::shared`].
#[derive(Debug, Default)]
pub struct FillerPool {
    free: Mutex<Vec<Filler>>,
}

/// A buffer holding `fill` everywhere but its first `written` bytes.
#[derive(Debug)]
struct Filler {
    fill: u8,
    bytes: Vec<u8>,
    written: usize,
}

impl FillerPool {
    /// The process's pool. Fresh buffers of 4 to 8 MiB for every oversized body cost the
    /// benchmark's 400 cases twice the rest of their generation; once their bodies are dropped,
    /// at most [`KEPT`] stay allocated for the rest of the process.
    pub fn shared() -> Arc<FillerPool> {
        static SHARED: LazyLock<Arc<FillerPool>> = LazyLock::new(Arc::default);
        Arc::clone(&SHARED)
    }

    /// `start`, then `fill` up to `len` bytes in all (`start` no longer than `len`).
    pub fn body(self: &Arc<Self>, start: &[u8], fill: u8, len: usize) -> Bytes {
        let len = len.max(start.len());
        let mut filler = self.take(fill, len);
        if filler.fill == fill {
            filler.bytes[..filler.written].fill(fill);
        } else {
            filler.bytes.fill(fill);
            filler.fill = fill;
        }
        filler.bytes[..start.len()].copy_from_slice(start);
        filler.written = start.len();
        let lent = Lent {
            filler: Some(filler),
            pool: Arc::clone(self),
        };
        Bytes::from_owner(lent).slice(..len)
    }

    /// The shortest kept buffer of at least `len` bytes, one already of `fill` when there is
    /// one, else a new one.
    fn take(&self, fill: u8, len: usize) -> Filler {
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        let shortest_fitting = |same_fill: bool| {
            (free.iter().enumerate())
                .filter(|(_, filler)| filler.bytes.len() >= len && (!same_fill || filler.fill == fill))
                .min_by_key(|(_, filler)| filler.bytes.len())
                .map(|(position, _)| position)
        };
        match shortest_fitting(true).or_else(|| shortest_fitting(false)) {
            Some(position) => free.swap_remove(position),
            None => Filler {
                fill,
                bytes: vec![fill; len.next_multiple_of(GRANULE)],
                written: 0,
            },
        }
    }

    /// Keeps `filler` for reuse; when the pool is full the shortest buffer goes, this one or
    /// a kept one, since a long buffer serves more bodies.
    fn give_back(&self, filler: Filler) {
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        free.push(filler);
        if free.len() > KEPT {
            let shortest = (free.iter().enumerate())
                .min_by_key(|(_, filler)| filler.bytes.len())
                .map(|(position, _)| position);
            if let Some(shortest) = shortest {
                free.swap_remove(shortest);
            }
        }
    }
}

/// A buffer lent to one body (and its clones); it goes back to the pool when the last is dropped.
struct Lent {
    filler: Option<Filler>,
    pool: Arc<FillerPool>,
}

impl AsRef<[u8]> for Lent {
    fn as_ref(&self) -> &[u8] {
        self.filler.as_ref().map_or(&[], |filler| &filler.bytes)
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        if let Some(filler) = self.filler.take() {
            self.pool.give_back(filler);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected(start: &[u8], fill: u8, len: usize) -> Vec<u8> {
        let mut body = vec![fill; len];
        body[..start.len()].copy_from_slice(start);
        body
    }

    #[test]
    fn reused_buffers_hold_exactly_the_new_body() {
        let pool = Arc::new(FillerPool::default());
        let first = pool.body(b"a long first start", 0x41, 1_000);
        assert_eq!(first, expected(b"a long first start", 0x41, 1_000));
        drop(first);
        // Same fill, shorter start and length: the old start is filled over, the rest cut off.
        let second = pool.body(b"short", 0x41, 600);
        assert_eq!(second, expected(b"short", 0x41, 600));
        drop(second);
        // Another fill reuses the buffer too, filled anew.
        let third = pool.body(b"xyz", 0xff, 900);
        assert_eq!(third, expected(b"xyz", 0xff, 900));
        assert_eq!(pool.free.lock().unwrap().len(), 0, "the one buffer is lent out");
    }

    #[test]
    fn a_body_alive_keeps_its_buffer_and_the_pool_keeps_at_most_kept() {
        let pool = Arc::new(FillerPool::default());
        let alive = pool.body(b"alive", 0, 64);
        let clone = alive.clone();
        drop(alive);
        let other = pool.body(b"other", 0, 64);
        assert_eq!(clone, expected(b"alive", 0, 64), "a clone's buffer is not lent twice");
        assert_eq!(other, expected(b"other", 0, 64));
        let many: Vec<Bytes> = (0..KEPT + 3).map(|_| pool.body(b"", 7, 32)).collect();
        drop((clone, other, many));
        assert_eq!(pool.free.lock().unwrap().len(), KEPT);
    }
}
