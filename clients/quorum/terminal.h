// What the CLI asks of the terminal it prints to: its width, and a pager for
// long output. Everything falls back to plain, deterministic output when
// standard output is not a terminal (a pipe, a file, the tests).
#ifndef QUORUM_CLIENTS_QUORUM_TERMINAL_H_
#define QUORUM_CLIENTS_QUORUM_TERMINAL_H_

#include <cstddef>
#include <string>

namespace quorum::cli {

// The width to lay text out for: `flag` (--width) when above 0; else, when
// standard output is a terminal, $COLUMNS when it is a number, else the
// terminal's own width (TIOCGWINSZ); else kDefaultScreenWidth (80). Not
// clamped (SetScreenWidth clamps).
size_t OutputWidth(int flag);

// Writes `text` to standard output; on a terminal, when `text` is taller
// than the terminal ($LINES, else TIOCGWINSZ; a terminal of unknown height
// gets no pager) and `no_pager` is false, through the pager instead:
// $QUORUM_PAGER, else $PAGER, else "less" (with LESS=FRX unless LESS is
// set: quit when it fits, keep colours, leave the screen as it was). An
// empty pager or "cat" means none. Waits for the pager to exit.
void WriteMaybePaged(const std::string& text, bool no_pager);

}  // namespace quorum::cli

#endif  // QUORUM_CLIENTS_QUORUM_TERMINAL_H_
