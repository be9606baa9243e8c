// The allocator of the `parlog` binary (and of the benchmarks, which measure what it runs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Behave like other Unix tools when the reader goes away (`parlog log | head`): end quietly
    // instead of failing on a closed pipe.
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    std::process::exit(parlog_server::cli::main());
}
