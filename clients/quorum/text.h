// Plain-text layout for a terminal: display widths of UTF-8 text, word
// wrapping, tables that fit the screen width (80 columns by default), and ANSI
// colour that is only emitted when asked for. Pure functions;
// thread-compatible.
#ifndef QUORUM_CLIENTS_QUORUM_TEXT_H_
#define QUORUM_CLIENTS_QUORUM_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace quorum::cli {

// The width human-readable output is laid out for when it does not go to a
// terminal (pipes, files, the golden tests), so that it is deterministic.
inline constexpr size_t kDefaultScreenWidth = 80;
// The narrowest and widest layouts SetScreenWidth accepts.
inline constexpr size_t kMinScreenWidth = 40;
inline constexpr size_t kMaxScreenWidth = 400;

// The width layouts use: kDefaultScreenWidth unless SetScreenWidth changed
// it. The one piece of process-wide state of the text layout: main() sets it
// once, from --width or the terminal, before anything is rendered.
size_t ScreenWidth();
// Sets ScreenWidth(), clamped to [kMinScreenWidth, kMaxScreenWidth].
void SetScreenWidth(size_t width);

// Columns `text` takes on a terminal: one per UTF-8 code point (the server
// normalizes text to NFC, so combining marks are rare).
size_t DisplayWidth(std::string_view text);

// `text` cut to at most `width` columns, ending in "…" when cut.
std::string Truncate(std::string_view text, size_t width);

// `text` padded with spaces on the right (or left) to `width` columns.
std::string PadRight(std::string_view text, size_t width);
std::string PadLeft(std::string_view text, size_t width);

// Greedy word wrap to lines of at most `width` columns; words longer than a
// line are cut. Never returns an empty vector (an empty text is one line).
std::vector<std::string> Wrap(std::string_view text, size_t width);

// `text` wrapped to ScreenWidth() with `first` before the first line and
// `rest` before the others; every line ends in '\n'.
std::string Paragraph(std::string_view text, std::string_view first,
                      std::string_view rest);

// ANSI styling, or plain text when disabled.
class Style {
 public:
  explicit Style(bool color) : color_(color) {}
  bool color() const { return color_; }
  std::string Bold(std::string_view s) const { return Wrap(s, "1"); }
  std::string Dim(std::string_view s) const { return Wrap(s, "2"); }
  std::string Red(std::string_view s) const { return Wrap(s, "31"); }
  std::string Green(std::string_view s) const { return Wrap(s, "32"); }
  std::string Yellow(std::string_view s) const { return Wrap(s, "33"); }
  std::string Cyan(std::string_view s) const { return Wrap(s, "36"); }
  // Applies a colour by its name ("red", "green", "yellow", "bold", "dim",
  // "cyan"); unknown or empty names leave `s` as it is.
  std::string Apply(std::string_view color, std::string_view s) const;

 private:
  std::string Wrap(std::string_view s, std::string_view code) const;
  bool color_;
};

// Whether standard output should be coloured: it is a terminal and NO_COLOR
// is unset (https://no-color.org).
bool StdoutWantsColor();

// A text table. Columns are as wide as their widest cell up to their
// maximum; longer cells are cut with "…", except in the last column, whose
// text wraps onto continuation lines.
class Table {
 public:
  struct Column {
    std::string header;
    size_t max_width = 40;
    bool right_align = false;
  };
  struct Cell {
    Cell(std::string t = "", std::string c = "")
        : text(std::move(t)), color(std::move(c)) {}
    Cell(const char* t) : text(t) {}
    std::string text;
    std::string color;  // A Style::Apply name; empty for none.
  };

  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
  // Adds a row; a non-empty `note` is printed under it, from the second
  // column on, wrapped.
  void AddRow(std::vector<Cell> cells, std::string note = "");
  bool empty() const { return rows_.empty(); }

  // The table, each line starting with `indent`, fitted to ScreenWidth().
  std::string Render(const Style& style, std::string_view indent = "  ") const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<Cell>> rows_;
  std::vector<std::string> notes_;
};

}  // namespace quorum::cli

#endif  // QUORUM_CLIENTS_QUORUM_TEXT_H_
