#include "app/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace shebao::app {
namespace {

constexpr auto kRedrawInterval = std::chrono::milliseconds(200);  // at most 5 redraws a second

}  // namespace

Progress::Progress(std::string label, std::uint64_t total)
    : Progress(std::move(label), total, {}, stderr, stderr_is_terminal()) {}

Progress::Progress(std::string label, std::uint64_t total, std::string_view unit)
    : Progress(std::move(label), total, unit, stderr, stderr_is_terminal()) {}

Progress::Progress(std::string label, std::uint64_t total, std::FILE* out, bool enabled)
    : Progress(std::move(label), total, {}, out, enabled) {}

Progress::Progress(std::string label, std::uint64_t total, std::string_view unit, std::FILE* out, bool enabled)
    : label_(std::move(label)),
      unit_(unit),
      total_(total),
      out_(out),
      enabled_(enabled && out != nullptr),
      check_step_(total == 0 ? 1024 : std::max<std::uint64_t>(1, total / 1000)),
      start_(Clock::now()),
      last_draw_(start_) {
  next_check_ = enabled_ ? check_step_ : std::numeric_limits<std::uint64_t>::max();
  if (enabled_) draw(false);
}

Progress::~Progress() { finish(); }

void Progress::update(std::uint64_t done, std::uint64_t total) {
  done_ = done;
  if (total != total_) {
    total_ = total;
    check_step_ = total == 0 ? 1024 : std::max<std::uint64_t>(1, total / 1000);
    if (enabled_) next_check_ = std::min(next_check_, done_ + check_step_);
  }
  if (done_ >= next_check_) tick();
}

bool Progress::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

void Progress::tick() {
  next_check_ = done_ + check_step_;
  const auto now = Clock::now();
  if (now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  draw(false);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (!enabled_) return;
  draw(true);
  std::fputc('\n', out_);
  std::fflush(out_);
}

void Progress::draw(bool final) {
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  const std::string line = format_line(label_, done_, total_, elapsed, final, unit_);
  std::fprintf(out_, "\r%s\x1b[K", line.c_str());
  std::fflush(out_);
}

std::string Progress::with_thousands(std::uint64_t value) {
  std::string digits = std::to_string(value);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string Progress::format_duration(double seconds, bool tenths) {
  if (!(seconds >= 0) || seconds > 1e9) return "--";
  if (tenths && seconds < 10) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1fs", seconds);
    return buffer;
  }
  const auto whole = static_cast<std::uint64_t>(seconds + 0.5);
  char buffer[48];
  if (whole < 60) {
    std::snprintf(buffer, sizeof buffer, "%llus", static_cast<unsigned long long>(whole));
  } else if (whole < 3600) {
    std::snprintf(buffer, sizeof buffer, "%llum%02llus", static_cast<unsigned long long>(whole / 60),
                  static_cast<unsigned long long>(whole % 60));
  } else {
    std::snprintf(buffer, sizeof buffer, "%lluh%02llum", static_cast<unsigned long long>(whole / 3600),
                  static_cast<unsigned long long>(whole / 60 % 60));
  }
  return buffer;
}

std::string Progress::format_line(std::string_view label, std::uint64_t done, std::uint64_t total,
                                  double elapsed_seconds, bool final, std::string_view unit) {
  std::string line(label);
  line.push_back(' ');
  line += with_thousands(done);
  if (total > 0) {
    line.push_back('/');
    line += with_thousands(total);
    if (!unit.empty()) line.append(" ").append(unit);
    const double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    char percent[16];
    std::snprintf(percent, sizeof percent, "  %d%%", static_cast<int>(fraction * 100.0));
    line += percent;
    if (final) {
      line += "  " + format_duration(elapsed_seconds, true);
    } else if (done > 0 && done < total && elapsed_seconds >= 0.5) {
      const double rate = static_cast<double>(done) / elapsed_seconds;
      line += "  eta " + format_duration(std::ceil(static_cast<double>(total - done) / rate), false);
    } else {
      line += "  eta --";
    }
  } else {
    if (!unit.empty()) line.append(" ").append(unit);
    if (elapsed_seconds > 0 && done > 0) {
      line += "  " + with_thousands(static_cast<std::uint64_t>(static_cast<double>(done) / elapsed_seconds)) + "/s";
    }
    if (final) line += "  " + format_duration(elapsed_seconds, true);
  }
  return line;
}

}  // namespace shebao::app
