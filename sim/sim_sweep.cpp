#include "sim/sim_sweep.hpp"
#include "sim/crypto_floor.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <vector>

#include "actors/commands.hpp"
#include "core/check.hpp"
#include "core/prng.hpp"

namespace pss::cli {
namespace {

constexpr unsigned sweep_jobs_max = 64;

struct seed_result {
  int code = 0;   // the child's exit code
  int signal = 0; // the signal that ended it, if any
  std::string output;
};

// The child's side: runs the seed and exits with its code. Never returns.
// The wall time per completed operation against the crypto floor of the
// same operations, timed now in this process (issue 14, part 5). Refresh
// rounds, recoveries and the checkers are in the wall time, not the floor.
void report_crypto_floor(const sim::sim_options& o, const sim::sim_report& r, double wall) {
  const std::uint64_t ops = r.puts_acked + r.gets_ok;
  if (ops == 0) return;
  const sim::crypto_floor f = sim::measure_crypto_floor(o.nodes, o.threshold, 21);
  const double floor_us = (static_cast<double>(r.puts_acked) * f.put_us + static_cast<double>(r.gets_ok) * f.get_us)
                          / static_cast<double>(ops);
  const double per_op_us = wall * 1e6 / static_cast<double>(ops);
  std::fprintf(stderr,
               "pss sim: %llu operations completed (%llu puts, %llu gets), %.0f us wall each; crypto floor %.0f us "
               "each (put %.0f, get %.0f, timed now): %.1fx the floor\n",
               static_cast<unsigned long long>(ops), static_cast<unsigned long long>(r.puts_acked),
               static_cast<unsigned long long>(r.gets_ok), per_op_us, floor_us, f.put_us, f.get_us,
               per_op_us / floor_us);
}

[[noreturn]] void child_main(const sim::sim_options& options, bool verbose) {
  int code = 0;
  {
    sim::simulation s{options, verbose ? &std::cout : nullptr};
    const auto began = std::chrono::steady_clock::now();
    const sim::sim_report r = s.run();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    code = sim::exit_code_of(r);
    if (verbose) {
      std::cout << "reproduce: " << sim::reproduce_command(options) << '\n' << sim::to_json(r) << '\n';
      if (options.engine == "secrets") report_crypto_floor(options, r, wall);
    } else if (code != 0) {
      std::cout << "seed " << options.seed << ": FAILED "
                << (code == 1 ? "safety: " + r.violations.front() : std::string{"liveness lost after healing"})
                << "  (reproduce: " << sim::reproduce_command(options) << ")\n";
    }
    std::cout.flush();
  }
  std::fflush(stdout);
  _exit(code);
}

seed_result result_of(int status) {
  if (WIFSIGNALED(status)) return {1, WTERMSIG(status), {}};
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 1, 0, {}};
}

std::string abort_text(int signal) {
  return "aborted by signal " + std::to_string(signal) + " (an invariant check failed; its message is on stderr)";
}

// One running child of a sweep: its output arrives through a pipe.
struct child {
  pid_t pid = -1;
  int fd = -1;
  sim::sim_options options;
  std::string output;
  bool exited = false;
  int status = 0;
  std::chrono::steady_clock::time_point began;
  bool timed_out = false; // killed after the sweep's seed timeout
};

bool spawn(child& c) {
  int fds[2];
  if (pipe(fds) != 0) {
    std::perror("pss sim: pipe");
    return false;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("pss sim: fork");
    close(fds[0]);
    close(fds[1]);
    return false;
  }
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], STDOUT_FILENO);
    close(fds[1]);
    child_main(c.options, false);
  }
  close(fds[1]);
  c.pid = pid;
  c.fd = fds[0];
  c.began = std::chrono::steady_clock::now();
  return true;
}

// Reads what is ready on the children's pipes; a pipe at end of file is
// closed. Waits at most 100 ms.
void pump(std::vector<child>& running) {
  std::vector<pollfd> fds;
  for (const auto& c : running)
    if (c.fd >= 0) fds.push_back(pollfd{c.fd, POLLIN, 0});
  if (fds.empty()) return;
  if (poll(fds.data(), fds.size(), 100) <= 0) return;
  for (const auto& p : fds) {
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    for (auto& c : running) {
      if (c.fd != p.fd) continue;
      char buffer[4096];
      const ssize_t n = read(c.fd, buffer, sizeof buffer);
      if (n > 0) {
        c.output.append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(c.fd);
        c.fd = -1;
      }
    }
  }
}

void reap(std::vector<child>& running) {
  for (auto& c : running) {
    if (c.exited) continue;
    int status = 0;
    if (waitpid(c.pid, &status, WNOHANG) == c.pid) {
      c.exited = true;
      c.status = status;
    }
  }
}

// A child still running past the seed timeout is killed: a runaway that the
// simulator's own guard (sim/checkers/runaway.hpp) did not see must not
// stall the sweep. Its pipe closes when it dies, and reap() collects it.
void kill_overdue(std::vector<child>& running, unsigned timeout_seconds) {
  if (timeout_seconds == 0) return;
  const auto now = std::chrono::steady_clock::now();
  for (auto& c : running) {
    if (c.exited || c.timed_out || now - c.began < std::chrono::seconds{timeout_seconds}) continue;
    c.timed_out = true;
    kill(c.pid, SIGKILL);
  }
}

struct totals {
  std::uint64_t passed = 0, safety = 0, liveness = 0, aborted = 0, timeouts = 0;
  [[nodiscard]] std::uint64_t failed() const { return safety + liveness + aborted + timeouts; }
};

void count(totals& t, const seed_result& r, const sim::sim_options& o, bool timed_out, unsigned timeout_seconds,
           std::string& line) {
  if (timed_out) {
    line = "seed " + std::to_string(o.seed) + ": FAILED timeout: still running after " + std::to_string(timeout_seconds)
           + " s of wall time, killed (a runaway?)  (reproduce: " + sim::reproduce_command(o) + ")\n";
    ++t.timeouts;
  } else if (r.signal) {
    line = "seed " + std::to_string(o.seed) + ": FAILED safety: " + abort_text(r.signal)
           + "  (reproduce: " + sim::reproduce_command(o) + ")\n";
    ++t.aborted;
  } else if (r.code == 0) {
    ++t.passed;
  } else if (r.code == 3) {
    ++t.liveness;
  } else {
    ++t.safety;
  }
}

} // namespace

int run_one_seed(const sim::sim_options& options) {
  const auto began = std::chrono::steady_clock::now();
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("pss sim: fork");
    return exit_code::failed;
  }
  if (pid == 0) child_main(options, true);
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return exit_code::failed;
  const seed_result r = result_of(status);
  if (r.signal) {
    sim::sim_report report;
    report.options = options;
    report.ok = false;
    report.live = false;
    report.violations.push_back(abort_text(r.signal));
    std::cout << "result: SAFETY VIOLATION: " << report.violations.front() << '\n'
              << "reproduce: " << sim::reproduce_command(options) << '\n'
              << sim::to_json(report) << '\n';
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  std::fprintf(stderr, "pss sim: %.2f s wall, %.1f simulated s per wall s (safety phase)\n", wall,
               options.seconds / std::max(wall, 1e-9));
  return r.code;
}

int run_sweep(const sweep_request& q) {
  PSS_CHECK(q.first <= q.last);
  const auto began = std::chrono::steady_clock::now();
  const unsigned jobs = std::clamp(q.jobs, 1u, sweep_jobs_max);
  std::vector<child> running;
  std::map<std::uint64_t, std::string> finished; // seed -> its lines, until printed in order
  std::uint64_t next = q.first, print_next = q.first;
  bool stop = false;
  totals t;
  while (true) {
    while (!stop && running.size() < jobs && next <= q.last) {
      child c;
      c.options = sim::options_for_seed(q.base, q.draw, next);
      if (!spawn(c)) return exit_code::failed;
      running.push_back(std::move(c));
      ++next;
    }
    if (running.empty()) break;
    pump(running);
    reap(running);
    kill_overdue(running, q.seed_timeout_seconds);
    for (auto it = running.begin(); it != running.end();) {
      if (!it->exited || it->fd >= 0) {
        ++it;
        continue;
      }
      seed_result r = result_of(it->status);
      std::string line = it->output;
      count(t, r, it->options, it->timed_out, q.seed_timeout_seconds, line);
      if (q.stop_at_first_failure && (it->timed_out || r.signal || r.code != 0)) stop = true;
      finished[it->options.seed] = std::move(line);
      it = running.erase(it);
    }
    for (auto f = finished.find(print_next); f != finished.end(); f = finished.find(++print_next)) {
      std::cout << f->second << std::flush;
      finished.erase(f);
    }
  }
  for (const auto& [seed, line] : finished) std::cout << line; // seeds after a stop, in order
  const auto& o = q.base;
  std::cout << "sweep: seeds " << q.first << ".." << q.last << " (profile " << o.profile
            << (o.planted != planted::bug::none ? ", planted bug " + std::string{planted::name(o.planted)} : "")
            << "): " << t.passed << " ok, " << t.failed() << " failed (safety " << t.safety << ", aborted "
            << t.aborted << ", liveness " << t.liveness << ", timeout " << t.timeouts << ")\n";
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  std::fprintf(stderr, "pss sim: sweep took %.2f s wall with %u jobs\n", wall, jobs);
  if (t.safety + t.aborted > 0) return exit_code::failed;
  return t.liveness + t.timeouts > 0 ? exit_code::lost_liveness : exit_code::ok;
}

} // namespace pss::cli
