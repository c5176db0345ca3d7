# frozen_string_literal: true

# packaging/homebrew/check-formula.rb: loads devtrack.rb without Homebrew
# (against small stand-ins for the Formula and service DSLs) and checks what
# Homebrew would take from it.
#
#   ruby check-formula.rb FORMULA PREFIX            # checks; prints key=value lines
#   ruby check-formula.rb FORMULA PREFIX --systemd  # prints the Linux unit brew generates
#
# PREFIX is a Homebrew prefix (/opt/homebrew, /home/linuxbrew/.linuxbrew):
# `opt_bin` is PREFIX/opt/devtrack/bin, as in Homebrew. The stand-ins accept
# only the DSL words the formula is expected to use, so a typo or an
# unexpected word fails here. The Linux unit follows
# Homebrew's Service#to_systemd_unit (Library/Homebrew/service.rb): Type=simple,
# Restart=on-failure for `keep_alive crashed: true`.
# Exits 1 with one line per problem.

require "pathname"

FORMULA_PATH, PREFIX, MODE = ARGV
abort "usage: ruby check-formula.rb FORMULA PREFIX [--systemd]" unless FORMULA_PATH && PREFIX

# The service block's DSL, recording what it is given.
class ServiceStandIn
  attr_reader :values

  def initialize(formula)
    @formula = formula
    @values = {}
  end

  def opt_bin
    @formula.opt_bin
  end

  def name(macos: nil, linux: nil)
    @values[:name] = { macos: macos, linux: linux }
  end

  def run(command)
    @values[:run] = Array(command).map(&:to_s)
  end

  def keep_alive(value)
    @values[:keep_alive] = value
  end

  %i[log_path error_log_path working_dir environment_variables process_type].each do |word|
    define_method(word) { |value| @values[word] = value }
  end
end

# The Formula class DSL, recording the class-level declarations.
class Formula
  class << self
    attr_reader :declared, :service_block, :test_block

    def inherited(subclass)
      super
      subclass.instance_variable_set(:@declared, {})
    end

    %i[desc homepage license url sha256 version].each do |word|
      define_method(word) { |value| @declared[word] = value }
    end

    def head(url, branch: nil)
      @declared[:head] = { url: url, branch: branch }
    end

    def depends_on(spec)
      (@declared[:depends_on] ||= []) << spec
    end

    def uses_from_macos(name)
      (@declared[:uses_from_macos] ||= []) << name
    end

    def service(&block)
      @service_block = block
    end

    def test(&block)
      @test_block = block
    end
  end

  def opt_bin
    Pathname.new(PREFIX)/"opt/devtrack/bin"
  end
end

load FORMULA_PATH
formula_class = Object.const_get(:Devtrack)
source = File.read(FORMULA_PATH)
service = ServiceStandIn.new(formula_class.new)
service.instance_eval(&formula_class.service_block) if formula_class.service_block
values = service.values
declared = formula_class.declared

problems = []
%i[desc homepage license].each { |word| problems << "no `#{word}`" unless declared[word] }
problems << "neither `url` nor `head`" unless declared[:url] || declared[:head]
problems << "`url` without `sha256`" if declared[:url] && !declared[:sha256]
problems << "no `test do` block" unless formula_class.test_block
test_source = source[/^  test do\n(.*?)^  end$/m, 1].to_s
problems << "the test block runs no devtrack command" unless test_source.include?('#{bin}/devtrack')
problems << "install does not use std_cargo_args" unless source.include?("*std_cargo_args")
problems << "the man page is not installed with man1.install" unless source.include?("man1.install")
unless source.include?('generate_completions_from_executable(bin/"devtrack", "completions")')
  problems << "completions are not generated with generate_completions_from_executable"
end
problems << "no service block" unless formula_class.service_block
if values[:name] != { macos: "dev.devtrack", linux: "devtrack" }
  problems << "service name is #{values[:name].inspect}, not macos: dev.devtrack, linux: devtrack"
end
program = values[:run]&.first.to_s
problems << "the service runs #{program.inspect}, not the opt path" unless program == "#{PREFIX}/opt/devtrack/bin/devtrack"
problems << "the service runs a Cellar path" if values[:run].to_a.any? { |arg| arg.include?("/Cellar/") }
problems << "keep_alive is #{values[:keep_alive].inspect}, not crashed: true" if values[:keep_alive] != { crashed: true }
problems << "log_path is set (on Linux it takes the output from the journal)" if values.key?(:log_path)

unless problems.empty?
  problems.each { |problem| warn "check-formula: #{problem}" }
  exit 1
end

# Homebrew's quoting of ExecStart words (Utils::Service.systemd_quote) for
# the plain words used here: a word with whitespace or quotes is
# double-quoted.
def systemd_word(word)
  word.match?(/[\s"'\\]/) ? "\"#{word.gsub(/["\\]/) { |c| "\\#{c}" }}\"" : word
end

if MODE == "--systemd"
  puts <<~UNIT
    [Unit]
    Description=Homebrew generated unit for devtrack

    [Install]
    WantedBy=default.target

    [Service]
    Type=simple
    ExecStart=#{values[:run].map { |word| systemd_word(word) }.join(" ")}
    Restart=on-failure
  UNIT
else
  puts "launchd_label=#{values[:name][:macos]}"
  puts "systemd_unit=#{values[:name][:linux]}.service"
  puts "program=#{program}"
  puts "arguments=#{values[:run].drop(1).join(" ")}"
end
