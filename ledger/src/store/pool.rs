//! The pool of read connections both backends keep: connections opened on
//! demand, a few kept idle between reads, and only those the backend finds
//! fit (no transaction left open, not broken) handed out again.

use std::ops::{Deref, DerefMut};
use std::sync::Mutex;

use super::StoreResult;
use super::sql::lock;

/// A backend connection as the pool sees it.
pub(super) trait Reusable {
    /// Ends whatever a reader left open and tells whether the connection
    /// may serve another read. Asked when a connection is handed out and
    /// when it comes back.
    fn reusable(&mut self) -> bool;
}

/// Read connections kept idle between reads (more are opened on demand).
pub(super) struct Pool<C> {
    idle: Mutex<Vec<C>>,
    max_idle: usize,
}

impl<C: Reusable> Pool<C> {
    /// An empty pool keeping at most `max_idle` connections.
    pub(super) fn new(max_idle: usize) -> Self {
        Self {
            idle: Mutex::new(Vec::new()),
            max_idle,
        }
    }

    /// An idle connection, or a new one from `open`; back to the pool when
    /// dropped.
    pub(super) fn get(&self, open: impl FnOnce() -> StoreResult<C>) -> StoreResult<Pooled<'_, C>> {
        let idle = {
            let mut idle = lock(&self.idle);
            idle.retain_mut(C::reusable);
            idle.pop()
        };
        let conn = match idle {
            Some(conn) => conn,
            None => open()?,
        };
        Ok(Pooled {
            pool: self,
            conn: Some(conn),
        })
    }

    /// Closes every idle connection.
    pub(super) fn clear(&self) {
        lock(&self.idle).clear();
    }

    /// Puts a connection back, unless it is unfit or the pool full.
    fn put(&self, mut conn: C) {
        if !conn.reusable() {
            return;
        }
        let mut idle = lock(&self.idle);
        if idle.len() < self.max_idle {
            idle.push(conn);
        }
    }
}

/// A connection borrowed from a [`Pool`].
pub(super) struct Pooled<'p, C: Reusable> {
    pool: &'p Pool<C>,
    /// Always `Some` until dropped.
    conn: Option<C>,
}

impl<C: Reusable> Deref for Pooled<'_, C> {
    type Target = C;

    fn deref(&self) -> &C {
        self.conn
            .as_ref()
            .expect("a pooled connection is held until dropped")
    }
}

impl<C: Reusable> DerefMut for Pooled<'_, C> {
    fn deref_mut(&mut self) -> &mut C {
        self.conn
            .as_mut()
            .expect("a pooled connection is held until dropped")
    }
}

impl<C: Reusable> Drop for Pooled<'_, C> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.put(conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection that is fit until told otherwise.
    struct Conn {
        id: u32,
        fit: bool,
    }

    impl Reusable for Conn {
        fn reusable(&mut self) -> bool {
            self.fit
        }
    }

    #[test]
    fn connections_are_reused_up_to_the_bound_and_unfit_ones_dropped() {
        let pool = Pool::new(1);
        let mut next = 0;
        let mut open = || {
            next += 1;
            Ok(Conn {
                id: next,
                fit: true,
            })
        };
        let (a, b) = (pool.get(&mut open).unwrap(), pool.get(&mut open).unwrap());
        assert_eq!((a.id, b.id), (1, 2));
        drop((a, b));
        // One kept idle, handed out again; the other was over the bound.
        let mut again = pool.get(&mut open).unwrap();
        assert_eq!(again.id, 1);
        again.fit = false;
        drop(again);
        assert_eq!(pool.get(&mut open).unwrap().id, 3);
    }
}
