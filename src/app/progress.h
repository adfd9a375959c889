// A progress line on the terminal for long commands (gen, import, month runs).
//
//   Progress progress("gen: persons", total);          // or with a unit:
//   Progress progress("import a.csv", 0, "bytes");     // total not known yet
//   for (...) { ...; progress.advance(); }              // counts one by one, or
//   progress.update(done, total);                       // absolute count (and total)
//   progress.finish();
//
// draws "gen: persons 420,000/1,000,000  42%  eta 6s" on stderr, redrawn in
// place (carriage return, erase to end of line) at most 5 times a second, and
// on finish() the final "gen: persons 1,000,000/1,000,000  100%  3.2s" and a
// newline. With a unit: "import a.csv 1,200,000/5,000,000 bytes  24%  eta 3s".
// It is enabled only when stderr is a terminal: otherwise it writes nothing at
// all, and advance() costs an addition and a comparison. The clock is read at
// most once per ~1/1000 of the total, so advance(1) per line of a file is fine.
// A total of 0 means unknown: the line shows the count and the rate
// ("12,345 lines  8,000/s").
//
// Thread safety: one object per thread; not shared.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace shebao::app {

class Progress {
 public:
  // Reports on stderr when stderr is a terminal.
  Progress(std::string label, std::uint64_t total);
  Progress(std::string label, std::uint64_t total, std::string_view unit);
  // Reports on `out` when `enabled` (tests, or a caller that knows better).
  Progress(std::string label, std::uint64_t total, std::FILE* out, bool enabled);
  Progress(std::string label, std::uint64_t total, std::string_view unit, std::FILE* out, bool enabled);
  ~Progress();  // finish()es
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(std::uint64_t n = 1) {
    done_ += n;
    if (done_ >= next_check_) tick();
  }
  // Sets the count (and the total, 0 = still unknown) instead of adding to it.
  void update(std::uint64_t done, std::uint64_t total);
  // Final line and newline (if enabled); idempotent.
  void finish();

  std::uint64_t done() const { return done_; }
  std::uint64_t total() const { return total_; }
  bool enabled() const { return enabled_; }

  // Whether stderr is a terminal (isatty).
  static bool stderr_is_terminal();

  // The text of one line (no control characters): label, counts, percentage
  // and "eta ..." while running (elapsed_seconds since the start), or the
  // elapsed time when `final`.
  static std::string format_line(std::string_view label, std::uint64_t done, std::uint64_t total,
                                 double elapsed_seconds, bool final, std::string_view unit = {});
  // 1234567 -> "1,234,567".
  static std::string with_thousands(std::uint64_t value);
  // Seconds -> "6s", "2m05s", "1h02m"; with tenths below 10 s: "3.2s".
  static std::string format_duration(double seconds, bool tenths);

 private:
  using Clock = std::chrono::steady_clock;
  void tick();
  void draw(bool final);

  std::string label_;
  std::string unit_;
  std::uint64_t total_;
  std::FILE* out_;
  bool enabled_;
  bool finished_ = false;
  std::uint64_t done_ = 0;
  std::uint64_t next_check_;
  std::uint64_t check_step_;
  Clock::time_point start_;
  Clock::time_point last_draw_;
};

}  // namespace shebao::app
