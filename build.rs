//! Link options for the `devtrack` binary that the code cannot express.
//!
//! The daemon's resident memory is mostly its own mapped binary
//! (docs/performance.md, "Relocations"). The binary is position-independent,
//! and every pointer in its read-only data needs a relocation at start-up:
//! about 37,000 of them, 28,600 in chrono-tz's compiled-in time-zone tables
//! alone (each transition names its abbreviation by `&'static str`). As
//! classic `R_X86_64_RELATIVE` entries they fill an 872 KiB `.rela.dyn` that
//! the loader reads on every start, and those file pages then stay resident.
//! `-z pack-relative-relocs` stores the same relocations as a `DT_RELR`
//! bitmap of 17 KiB: same code, same ASLR, about 0.8 MiB less `VmRSS`.
//!
//! The price is a floor on the C library: glibc reads `DT_RELR` since 2.36
//! (Debian 12, Ubuntu 22.10, Fedora 37), and the linker records that as a
//! `GLIBC_ABI_DT_RELR` version need, so an older loader refuses the binary
//! by name instead of running it half-relocated (the Debian package
//! depends on `libc6 (>= 2.36)` for it, Cargo.toml). GNU ld writes `DT_RELR`
//! since 2.38 and ignores `-z` keywords it does not know (with a warning).
//! To build for an older glibc, set `DEVTRACK_PACK_RELOCS=0`. Only bins get
//! the option: tests and benches link as before.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=DEVTRACK_PACK_RELOCS");
    if std::env::var_os("DEVTRACK_PACK_RELOCS").is_some_and(|v| v == "0") {
        return;
    }
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
