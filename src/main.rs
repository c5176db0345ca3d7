fn main() -> std::process::ExitCode {
    devtrack::cli::main()
}
