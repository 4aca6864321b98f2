// libcasserole_pacing.so: preloaded (LD_PRELOAD) into an nginx origin to make it a throttled
// upstream, such as an object store that serves each connection at a fixed rate.
//
// Every socket the process accepts (accept or accept4) gets SO_MAX_PACING_RATE set to
// $CASSEROLE_PACING_RATE bytes per second, so the kernel paces each connection from its first
// byte. nginx's own limit_rate would not do: it lets about a second's worth of each response
// through at full speed, which never slows a 2 MiB ranged fetch. Without the variable, accepted
// sockets are left as they are. A failed setsockopt is not reported here: the benchmark measures
// the pace with a plain download before it trusts it.
#include <dlfcn.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>

namespace {

using AcceptFunction = int (*)(int, sockaddr*, socklen_t*);
using Accept4Function = int (*)(int, sockaddr*, socklen_t*, int);

std::uint32_t rate_from_environment() {
  const char* value = std::getenv("CASSEROLE_PACING_RATE");
  return value == nullptr ? 0U : static_cast<std::uint32_t>(std::strtoul(value, nullptr, 10));
}

// Read when the library is loaded, before main: nginx clears its environment (all but TZ) as it
// starts, long before it accepts anything.
const std::uint32_t pacing_rate = rate_from_environment();

int paced(int fd) {
  if (fd >= 0 && pacing_rate > 0) {
    // The caller sees accept's errno, not setsockopt's.
    const int saved_errno = errno;
    ::setsockopt(fd, SOL_SOCKET, SO_MAX_PACING_RATE, &pacing_rate, sizeof pacing_rate);
    errno = saved_errno;
  }
  return fd;
}

template <typename Function>
Function next(const char* name) {
  return reinterpret_cast<Function>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" int accept(int fd, sockaddr* address, socklen_t* length) {
  static const auto real = next<AcceptFunction>("accept");
  return paced(real(fd, address, length));
}

extern "C" int accept4(int fd, sockaddr* address, socklen_t* length, int flags) {
  static const auto real = next<Accept4Function>("accept4");
  return paced(real(fd, address, length, flags));
}
