// A client socket to 127.0.0.1 that sends whatever bytes a test gives it, for what no HTTP
// client would send: malformed or smuggling requests, a header trickled a byte at a time, a
// reader that never reads. Every wait is bounded by the timeout it is given; nothing throws
// after construction (a failed send or read shows as such in the result).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace casserole::test {

class RawConnection {
 public:
  // Connects at once; throws std::system_error if it cannot. A receive_buffer above 0 sets
  // SO_RCVBUF before connecting, which also bounds the TCP window the peer sees.
  explicit RawConnection(std::uint16_t port, int receive_buffer = 0);
  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&&) = delete;
  ~RawConnection();

  // Sends everything; false if the peer is gone.
  bool send(std::string_view bytes);

  struct Received {
    std::string bytes;
    bool closed = false;  // the peer closed (or reset) the connection
  };
  // Reads until the peer closes or `timeout` passes.
  Received read_until_closed(std::chrono::milliseconds timeout);
  // Reads until `bytes` holds `marker`, the peer closes or `timeout` passes.
  Received read_until(std::string_view marker, std::chrono::milliseconds timeout);
  // Without waiting: whether the peer has closed; bytes it sent before are discarded.
  bool closed_by_peer();

 private:
  int fd_ = -1;
};

// Connects, writes `bytes` and returns what the peer sends until it closes the connection or
// `timeout` passes ("" if it cannot connect).
std::string raw_exchange(std::uint16_t port, std::string_view bytes,
                         std::chrono::milliseconds timeout);

}  // namespace casserole::test
