#include "clients/quorum/terminal.h"

#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "clients/quorum/text.h"

namespace quorum::cli {
namespace {

// A positive number from the environment variable `name`, or 0.
size_t EnvNumber(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || value[0] == '\0') return 0;
  char* end = nullptr;
  long n = std::strtol(value, &end, 10);
  return (*end == '\0' && n > 0 && n < 100000) ? static_cast<size_t>(n) : 0;
}

winsize TerminalSize() {
  winsize size{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0) size = winsize{};
  return size;
}

std::string Getenv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

}  // namespace

size_t OutputWidth(int flag) {
  if (flag > 0) return static_cast<size_t>(flag);
  if (isatty(STDOUT_FILENO) != 1) return kDefaultScreenWidth;
  if (size_t columns = EnvNumber("COLUMNS"); columns > 0) return columns;
  winsize size = TerminalSize();
  return size.ws_col > 0 ? size.ws_col : kDefaultScreenWidth;
}

void WriteMaybePaged(const std::string& text, bool no_pager) {
  std::string pager;
  if (std::getenv("QUORUM_PAGER") != nullptr) {
    pager = Getenv("QUORUM_PAGER");
  } else if (std::getenv("PAGER") != nullptr) {
    pager = Getenv("PAGER");
  } else {
    pager = "less";
  }
  bool page = !no_pager && isatty(STDOUT_FILENO) == 1 && !pager.empty() &&
              pager != "cat";
  if (page) {
    size_t rows = EnvNumber("LINES");
    if (rows == 0) rows = TerminalSize().ws_row;
    size_t lines = 0;
    for (char c : text) lines += c == '\n';
    // Output that fits the screen needs no pager, and neither does a
    // terminal that does not say its height (0 rows: a bare pseudo-terminal).
    if (rows == 0 || lines < rows) page = false;
  }
  if (!page) {
    std::cout << text << std::flush;
    return;
  }
  std::cout << std::flush;
  if (std::getenv("LESS") == nullptr) setenv("LESS", "FRX", 1);
  FILE* pipe = popen(pager.c_str(), "w");
  if (pipe == nullptr) {
    std::cout << text << std::flush;
    return;
  }
  // Quitting the pager early closes the pipe: that is not an error.
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old);
  std::fwrite(text.data(), 1, text.size(), pipe);
  pclose(pipe);
  sigaction(SIGPIPE, &old, nullptr);
}

}  // namespace quorum::cli
