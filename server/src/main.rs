fn main() {
    std::process::exit(parlog_server::cli::main());
}
