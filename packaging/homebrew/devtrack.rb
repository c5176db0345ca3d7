# Homebrew formula for devtrack: builds it from source, installs the man
# page and the bash/zsh/fish completions, and declares the service that
# `brew services start devtrack` runs (a launchd agent on macOS, a systemd
# user unit on Linux).
#
# The project has published no release tarball yet, so the formula builds
# the repository's main branch (`brew install --HEAD devtrack`); a release
# adds `url` and `sha256` for its tarball. scripts/test-packaging.sh checks
# the file with `ruby -c` and packaging/homebrew/check-formula.rb.
class Devtrack < Formula
  desc "Per-user service that notices your commits and asks for short work updates"
  homepage "https://devtrack.invalid"
  license "MIT"
  head "https://devtrack.invalid/devtrack.git", branch: "main"

  depends_on "rust" => :build

  uses_from_macos "zlib"

  def install
    system "cargo", "install", *std_cargo_args
    (buildpath/"devtrack.1").write Utils.safe_popen_read(bin/"devtrack", "man")
    man1.install "devtrack.1"
    generate_completions_from_executable(bin/"devtrack", "completions")
  end

  service do
    # One label everywhere: `devtrack install-service` registers the same
    # dev.devtrack agent / devtrack.service unit, so the two never run side by
    # side (brew's defaults would be homebrew.mxcl.devtrack / homebrew.devtrack).
    name macos: "dev.devtrack", linux: "devtrack"
    # The opt path survives upgrades (a Cellar path would not); it is the
    # path install-service writes for a Homebrew binary.
    run [opt_bin/"devtrack", "run"]
    # launchd KeepAlive {Crashed: true}, systemd Restart=on-failure: a crash
    # restarts it, a clean stop does not. (`successful_exit: false` would give
    # no Restart= at all on Linux.) No log_path: on Linux it would take the
    # output away from the journal; on macOS the log goes to os_log.
    keep_alive crashed: true
  end

  test do
    (testpath/"config.yaml").write <<~YAML
      repositories:
        - {name: here, path: #{testpath}, enabled: true}
      settings:
        prompt_interval: 90
        work_hours_only: true
        work_start: "09:00"
        work_end: "17:30"
        work_days: mon-fri
    YAML
    assert_match "ok (1 repositories, prompt every 90 minutes)",
                 shell_output("#{bin}/devtrack config check #{testpath}/config.yaml")

    (testpath/"bad.yaml").write "settings:\n  prompt_intervall: 90\n"
    assert_match "did you mean `prompt_interval`",
                 shell_output("#{bin}/devtrack config check #{testpath}/bad.yaml 2>&1", 78)

    assert_match(/^devtrack \d+\.\d+\.\d+/, shell_output("#{bin}/devtrack version"))
  end
end
