// The allocator of the `parlog` binary (and of the benchmarks, which measure what it runs): see
// alloc.rs for why it is two.
#[global_allocator]
static ALLOCATOR: parlog_server::alloc::ParlogAlloc = parlog_server::alloc::ParlogAlloc;

fn main() {
    parlog_server::alloc::init();
    // Behave like other Unix tools when the reader goes away (`parlog log | head`): end quietly
    // instead of failing on a closed pipe.
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    std::process::exit(parlog_server::cli::main());
}
