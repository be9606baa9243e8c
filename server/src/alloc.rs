//! The allocator of the `parlog` binary (and of the benchmarks, which measure what it runs):
//! mimalloc for everything below `LARGE_ALLOC_BYTES_MIN`, the system's malloc at and above it.
//!
//! Why two: mimalloc is fast for the many small allocations of sled and serde (glibc malloc cost
//! the store's threads a fifth of their time). But every open sled database allocates its page
//! table zeroed, 6 MiB of which it touches almost nothing, and mimalloc hands such blocks out of
//! its arena with every page touched: 5.4 MiB of resident memory per open study, 540 MiB for 100
//! (benches/studies.rs). The system's calloc maps large blocks fresh from the kernel, whose pages
//! cost nothing until written: 1.4 MiB per open study. Large blocks are rare, so their speed does
//! not matter.
//!
//! Which allocator owns a block follows from its size alone, which `GlobalAlloc` passes to every
//! call (the layout given to `dealloc` is the one the block was allocated or reallocated with),
//! so a block is always freed by the allocator that made it.

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks of this size or larger come from the system's allocator.
pub const LARGE_ALLOC_BYTES_MIN: usize = 1024 * 1024;

pub struct ParlogAlloc;

static SMALL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn large(size: usize) -> bool {
    size >= LARGE_ALLOC_BYTES_MIN
}

/// Makes glibc map every block from `LARGE_ALLOC_BYTES_MIN` up fresh from the kernel (its
/// default moves that threshold up after a large block is freed, and would then clear reused
/// heap memory for a zeroed block, touching its pages). Call once at start, before threads.
pub fn init() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a parameter of glibc's allocator; called before other threads.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, LARGE_ALLOC_BYTES_MIN as libc::c_int);
    }
}

// SAFETY: each method forwards to the allocator that owns blocks of the size it is given, and
// both uphold GlobalAlloc's contract; `realloc` across the threshold allocates in the other one,
// copies the smaller of the two sizes and frees the old block where it came from.
unsafe impl GlobalAlloc for ParlogAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if large(layout.size()) {
            System.alloc(layout)
        } else {
            SMALL.alloc(layout)
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if large(layout.size()) {
            System.alloc_zeroed(layout)
        } else {
            SMALL.alloc_zeroed(layout)
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if large(layout.size()) {
            System.dealloc(ptr, layout)
        } else {
            SMALL.dealloc(ptr, layout)
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match (large(layout.size()), large(new_size)) {
            (false, false) => SMALL.realloc(ptr, layout, new_size),
            (true, true) => System.realloc(ptr, layout, new_size),
            _ => {
                let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
                let new = self.alloc(new_layout);
                if !new.is_null() {
                    std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                new
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_move_between_the_allocators_with_their_bytes() {
        let a = ParlogAlloc;
        unsafe {
            let small = Layout::from_size_align(1000, 8).unwrap();
            let p = a.alloc(small);
            for i in 0..1000 {
                *p.add(i) = (i % 251) as u8;
            }
            // Grows past the threshold: into the system's allocator, bytes kept.
            let q = a.realloc(p, small, 3 * LARGE_ALLOC_BYTES_MIN);
            assert!((0..1000).all(|i| *q.add(i) == (i % 251) as u8));
            let big = Layout::from_size_align(3 * LARGE_ALLOC_BYTES_MIN, 8).unwrap();
            // And back below it.
            let r = a.realloc(q, big, 500);
            assert!((0..500).all(|i| *r.add(i) == (i % 251) as u8));
            a.dealloc(r, Layout::from_size_align(500, 8).unwrap());
            let z = a.alloc_zeroed(big);
            assert!((0..big.size()).step_by(4096).all(|i| *z.add(i) == 0));
            a.dealloc(z, big);
        }
    }
}
