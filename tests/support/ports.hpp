// Loopback ports for the processes a test starts.
//
// free_port() asks the kernel for a port that is free at the time of the call; another process
// may take it before the caller binds it, so starters that can pick their own port (port 0)
// should prefer that. wait_for_port() polls with connect() until something listens.
#pragma once

#include <chrono>
#include <cstdint>

namespace casserole::test {

std::uint16_t free_port();

// True once 127.0.0.1:port accepts a TCP connection, false if `timeout` passes first.
bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout);

// One connect() attempt to 127.0.0.1:port.
bool port_accepts(std::uint16_t port);

}  // namespace casserole::test
