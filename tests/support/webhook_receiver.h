// A small HTTP/1.1 server on 127.0.0.1 that receives webhook deliveries for
// tests: it records every request, answers 200 (or 500 for the next N
// requests, or nothing at all while told to hang), and can be stopped and
// started again on the same port.
#ifndef QUORUM_TESTS_SUPPORT_WEBHOOK_RECEIVER_H_
#define QUORUM_TESTS_SUPPORT_WEBHOOK_RECEIVER_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace quorum::testing {

class WebhookReceiver {
 public:
  struct Request {
    std::string method;
    std::string path;
    std::map<std::string, std::string> headers;  // Lower-case names.
    std::string body;
    // What the receiver answered (200, 500; 0 when it hung).
    int answered = 0;
    std::string Header(const std::string& name) const {
      auto it = headers.find(name);
      return it == headers.end() ? "" : it->second;
    }
  };

  // Listens on 127.0.0.1:`port` (0: a free one).
  explicit WebhookReceiver(int port = 0) { Start(port); }
  ~WebhookReceiver() { Stop(); }
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  int port() const { return port_; }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/hook";
  }

  // Answers 500 to the next `n` requests.
  void FailNext(int n) {
    std::lock_guard lock(mu_);
    fail_next_ = n;
  }
  // While on, requests are read and never answered (the sender times out).
  void Hang(bool on) {
    std::lock_guard lock(mu_);
    hang_ = on;
    hang_after_ = -1;
    cv_.notify_all();
  }
  // Answers the next `n` requests, then hangs (as Hang(true)).
  void HangAfter(int n) {
    std::lock_guard lock(mu_);
    hang_after_ = n;
  }

  // Every request so far, in arrival order.
  std::vector<Request> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  // The requests answered 200.
  std::vector<Request> accepted() {
    std::lock_guard lock(mu_);
    std::vector<Request> out;
    for (const Request& r : requests_) {
      if (r.answered == 200) out.push_back(r);
    }
    return out;
  }

  // Waits (at most `timeout`) until `done(requests)` holds; its last value.
  bool WaitFor(const std::function<bool(const std::vector<Request>&)>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return done(requests_); });
  }

  // Closes the port and every open connection; requests in flight get no
  // answer. Idempotent.
  void Stop() {
    {
      std::lock_guard lock(mu_);
      if (listen_fd_ < 0) return;
      stopping_ = true;
      cv_.notify_all();
      ::shutdown(listen_fd_, SHUT_RDWR);
      for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
    }
    if (acceptor_.joinable()) acceptor_.join();
    std::vector<std::thread> handlers;
    {
      std::lock_guard lock(mu_);
      handlers.swap(handlers_);
    }
    for (std::thread& t : handlers) t.join();
    std::lock_guard lock(mu_);
    ::close(listen_fd_);
    listen_fd_ = -1;
  }

  // Listens again on the same port (after Stop).
  void Restart() { Start(port_); }

 private:
  void Start(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd, 64) != 0) {
      ::close(fd);
      std::abort();  // A test cannot go on without its receiver.
    }
    socklen_t len = sizeof(addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    std::lock_guard lock(mu_);
    port_ = ntohs(addr.sin_port);
    listen_fd_ = fd;
    stopping_ = false;
    acceptor_ = std::thread([this, fd] { Accept(fd); });
  }

  void Accept(int fd) {
    while (true) {
      int conn = ::accept(fd, nullptr, nullptr);
      std::lock_guard lock(mu_);
      if (conn < 0 || stopping_) {
        if (conn >= 0) ::close(conn);
        return;
      }
      open_.insert(conn);
      handlers_.emplace_back([this, conn] { Handle(conn); });
    }
  }

  // Reads one request from `conn` and answers it (or not).
  void Handle(int conn) {
    std::string data;
    Request request;
    bool complete = false;
    char buf[4096];
    while (!complete) {
      const ssize_t n = ::recv(conn, buf, sizeof(buf), 0);
      if (n <= 0) break;
      data.append(buf, static_cast<size_t>(n));
      const size_t end = data.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      size_t length = 0;
      Parse(data.substr(0, end), &request, &length);
      if (data.size() >= end + 4 + length) {
        request.body = data.substr(end + 4, length);
        complete = true;
      }
    }
    int code = 0;
    if (complete) {
      std::unique_lock lock(mu_);
      if (hang_after_ == 0) {
        hang_ = true;
        hang_after_ = -1;
      } else if (hang_after_ > 0) {
        --hang_after_;
      }
      if (hang_) {
        requests_.push_back(request);
        cv_.notify_all();
        // Until the sender gives up (closes) or the receiver stops.
        lock.unlock();
        while (::recv(conn, buf, sizeof(buf), 0) > 0) {
        }
        lock.lock();
      } else {
        code = fail_next_ > 0 ? 500 : 200;
        if (fail_next_ > 0) --fail_next_;
        request.answered = code;
        requests_.push_back(request);
        cv_.notify_all();
      }
    }
    if (code != 0) {
      const std::string answer =
          code == 200 ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                        "Connection: close\r\n\r\nok"
                      : "HTTP/1.1 500 Internal Server Error\r\n"
                        "Content-Length: 4\r\nConnection: close\r\n\r\nfail";
      (void)::send(conn, answer.data(), answer.size(), MSG_NOSIGNAL);
    }
    std::lock_guard lock(mu_);
    open_.erase(conn);
    ::close(conn);
  }

  static void Parse(const std::string& head, Request* r, size_t* length) {
    size_t pos = head.find("\r\n");
    const std::string line = head.substr(0, pos);
    const size_t sp1 = line.find(' ');
    const size_t sp2 = line.find(' ', sp1 + 1);
    r->method = line.substr(0, sp1);
    r->path = line.substr(sp1 + 1, sp2 - sp1 - 1);
    while (pos != std::string::npos && pos < head.size()) {
      const size_t next = head.find("\r\n", pos + 2);
      const std::string h =
          head.substr(pos + 2, next == std::string::npos ? std::string::npos
                                                         : next - pos - 2);
      const size_t colon = h.find(':');
      if (colon != std::string::npos) {
        std::string name = h.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        size_t v = colon + 1;
        while (v < h.size() && h[v] == ' ') ++v;
        r->headers[name] = h.substr(v);
      }
      pos = next;
    }
    *length =
        static_cast<size_t>(std::atoll(r->Header("content-length").c_str()));
  }

  std::mutex mu_;
  std::condition_variable cv_;
  int port_ = 0;
  int listen_fd_ = -1;                 // Guarded by mu_.
  bool stopping_ = false;              // Guarded by mu_.
  int fail_next_ = 0;                  // Guarded by mu_.
  bool hang_ = false;                  // Guarded by mu_.
  int hang_after_ = -1;                // Guarded by mu_; -1: not set.
  std::vector<Request> requests_;      // Guarded by mu_.
  std::set<int> open_;                 // Guarded by mu_.
  std::vector<std::thread> handlers_;  // Guarded by mu_.
  std::thread acceptor_;
};

}  // namespace quorum::testing

#endif  // QUORUM_TESTS_SUPPORT_WEBHOOK_RECEIVER_H_
