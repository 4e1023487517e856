#include "clients/quorum/text.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>

namespace quorum::cli {
namespace {

bool IsContinuationByte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// Byte length of the longest prefix of `text` that fits `width` columns.
size_t PrefixBytes(std::string_view text, size_t width) {
  size_t columns = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (IsContinuationByte(text[i])) continue;
    if (columns == width) return i;
    ++columns;
  }
  return text.size();
}

}  // namespace

namespace {
std::atomic<size_t> screen_width{kDefaultScreenWidth};
}  // namespace

size_t ScreenWidth() { return screen_width.load(std::memory_order_relaxed); }

void SetScreenWidth(size_t width) {
  screen_width.store(std::clamp(width, kMinScreenWidth, kMaxScreenWidth),
                     std::memory_order_relaxed);
}

size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\033') {  // An ANSI escape sequence takes no column.
      size_t end = text.find('m', i);
      if (end != std::string_view::npos) {
        i = end;
        continue;
      }
    }
    if (!IsContinuationByte(text[i])) ++width;
  }
  return width;
}

std::string Truncate(std::string_view text, size_t width) {
  if (DisplayWidth(text) <= width) return std::string(text);
  if (width == 0) return "";
  return std::string(text.substr(0, PrefixBytes(text, width - 1))) + "…";
}

std::string PadRight(std::string_view text, size_t width) {
  std::string out(text);
  size_t w = DisplayWidth(text);
  if (w < width) out.append(width - w, ' ');
  return out;
}

std::string PadLeft(std::string_view text, size_t width) {
  size_t w = DisplayWidth(text);
  std::string out = w < width ? std::string(width - w, ' ') : "";
  out += text;
  return out;
}

std::vector<std::string> Wrap(std::string_view text, size_t width) {
  if (width == 0) width = 1;
  std::vector<std::string> lines;
  std::string line;
  size_t line_width = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '\n') {  // A hard line break.
      lines.push_back(line);
      line.clear();
      line_width = 0;
      ++i;
      continue;
    }
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    size_t end = text.find_first_of(" \n", i);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(i, end - i);
    i = end;
    size_t word_width = DisplayWidth(word);
    if (line_width > 0 && line_width + 1 + word_width > width) {
      lines.push_back(line);
      line.clear();
      line_width = 0;
    }
    while (word_width > width) {  // Cut words longer than a line.
      size_t bytes = PrefixBytes(word, width - line_width);
      line += word.substr(0, bytes);
      lines.push_back(line);
      line.clear();
      line_width = 0;
      word.remove_prefix(bytes);
      word_width = DisplayWidth(word);
    }
    if (word.empty()) continue;
    if (line_width > 0) {
      line += ' ';
      ++line_width;
    }
    line += word;
    line_width += word_width;
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

std::string Paragraph(std::string_view text, std::string_view first,
                      std::string_view rest) {
  size_t indent = std::max(DisplayWidth(first), DisplayWidth(rest));
  size_t width = ScreenWidth() > indent + 20 ? ScreenWidth() - indent : 20;
  std::string out;
  bool is_first = true;
  for (const std::string& line : Wrap(text, width)) {
    out += is_first ? first : rest;
    out += line;
    out += '\n';
    is_first = false;
  }
  return out;
}

std::string Style::Wrap(std::string_view s, std::string_view code) const {
  if (!color_ || s.empty()) return std::string(s);
  std::string out = "\033[";
  out += code;
  out += 'm';
  out += s;
  out += "\033[0m";
  return out;
}

std::string Style::Apply(std::string_view color, std::string_view s) const {
  if (color == "red") return Red(s);
  if (color == "green") return Green(s);
  if (color == "yellow") return Yellow(s);
  if (color == "bold") return Bold(s);
  if (color == "dim") return Dim(s);
  if (color == "cyan") return Cyan(s);
  return std::string(s);
}

bool StdoutWantsColor() {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && no_color[0] != '\0') return false;
  return isatty(STDOUT_FILENO) == 1;
}

void Table::AddRow(std::vector<Cell> cells, std::string note) {
  cells.resize(columns_.size());
  rows_.push_back(std::move(cells));
  notes_.push_back(std::move(note));
}

std::string Table::Render(const Style& style, std::string_view indent) const {
  const size_t n = columns_.size();
  if (n == 0) return "";
  std::vector<size_t> widths(n);
  for (size_t c = 0; c < n; ++c) {
    widths[c] = DisplayWidth(columns_[c].header);
    for (const auto& row : rows_) {
      widths[c] = std::max(widths[c], DisplayWidth(row[c].text));
    }
    widths[c] = std::min(widths[c], std::max(columns_[c].max_width,
                                             DisplayWidth(columns_[c].header)));
  }
  // The last column gets what is left of the screen (at least 10 columns),
  // and wraps.
  size_t used = DisplayWidth(indent);
  for (size_t c = 0; c + 1 < n; ++c) used += widths[c] + 2;
  size_t last = ScreenWidth() > used + 10 ? ScreenWidth() - used : 10;
  widths[n - 1] = std::min(widths[n - 1], last);

  auto cell_text = [&](size_t c, std::string_view text) {
    std::string cut = c + 1 < n ? Truncate(text, widths[c]) : std::string(text);
    return columns_[c].right_align ? PadLeft(cut, widths[c])
                                   : PadRight(cut, widths[c]);
  };
  auto finish = [](std::string line) {
    while (!line.empty() && line.back() == ' ') line.pop_back();
    return line + '\n';
  };

  std::string out;
  std::string header;
  for (size_t c = 0; c < n; ++c) {
    if (c > 0) header += "  ";
    header += c + 1 < n ? cell_text(c, columns_[c].header) : columns_[c].header;
  }
  while (!header.empty() && header.back() == ' ') header.pop_back();
  out += std::string(indent) + style.Bold(header) + '\n';
  const std::string note_indent(
      DisplayWidth(indent) + (n > 1 ? widths[0] + 2 : 0), ' ');
  for (size_t r = 0; r < rows_.size(); ++r) {
    const auto& row = rows_[r];
    std::vector<std::string> tail = Wrap(row[n - 1].text, widths[n - 1]);
    std::string line(indent);
    for (size_t c = 0; c + 1 < n; ++c) {
      line += style.Apply(row[c].color, cell_text(c, row[c].text));
      line += "  ";
    }
    line += style.Apply(row[n - 1].color, columns_[n - 1].right_align
                                              ? PadLeft(tail[0], widths[n - 1])
                                              : tail[0]);
    out += finish(line);
    std::string pad(used, ' ');
    for (size_t i = 1; i < tail.size(); ++i) {
      out += finish(pad + style.Apply(row[n - 1].color, tail[i]));
    }
    if (!notes_[r].empty())
      out += Paragraph(notes_[r], note_indent, note_indent);
  }
  return out;
}

}  // namespace quorum::cli
