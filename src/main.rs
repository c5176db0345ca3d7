fn main() {
    std::process::exit(devtrack::cli::main());
}
