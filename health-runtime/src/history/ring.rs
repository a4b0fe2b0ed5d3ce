//! A ring of fixed capacity, allocated once: pushing never allocates, and the oldest item
//! makes room for the newest.

pub(super) struct Ring<T> {
    items: Vec<T>,
    /// Where the next push goes once the ring is full.
    next: usize,
}

impl<T: Clone> Ring<T> {
    pub(super) fn new(capacity: usize) -> Ring<T> {
        Ring {
            items: Vec::with_capacity(capacity),
            next: 0,
        }
    }

    pub(super) fn push(&mut self, item: T) {
        if self.items.len() < self.items.capacity() {
            self.items.push(item);
        } else if let Some(slot) = self.items.get_mut(self.next) {
            *slot = item;
            self.next = (self.next + 1) % self.items.len();
        }
    }

    /// Oldest first.
    pub(super) fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        let (newer, older) = self.items.split_at(self.next);
        older.iter().chain(newer)
    }

    pub(super) fn len(&self) -> usize {
        self.items.len()
    }

    pub(super) fn last(&self) -> Option<&T> {
        self.iter().next_back()
    }
}

#[cfg(test)]
mod tests {
    use super::Ring;

    #[test]
    fn keeps_the_newest_in_order_without_growing() {
        let mut ring = Ring::new(3);
        assert_eq!(ring.last(), None::<&u32>);
        for value in 1..=2 {
            ring.push(value);
        }
        assert_eq!(ring.iter().copied().collect::<Vec<_>>(), [1, 2]);
        let capacity = ring.items.capacity();
        for value in 3..=7 {
            ring.push(value);
        }
        assert_eq!(ring.iter().copied().collect::<Vec<_>>(), [5, 6, 7]);
        assert_eq!(ring.last(), Some(&7));
        assert_eq!(ring.len(), 3);
        assert_eq!(ring.items.capacity(), capacity, "a push never reallocates");
    }
}
