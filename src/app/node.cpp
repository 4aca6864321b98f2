#include "app/node.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "cache/memory_store.hpp"
#include "disk/disk_store.hpp"
#include "mirror/object_directory.hpp"
#include "mirror/segment_source.hpp"
#include "server/access_log.hpp"
#include "server/mirror_handler.hpp"
#include "server/passthrough.hpp"
#include "server/server.hpp"
#include "upstream/connection_pool.hpp"
#include "upstream/upstream_client.hpp"

namespace casserole::app {
namespace {

boost::asio::ip::tcp::acceptor listen_on(boost::asio::io_context& io, const Config& config) {
  boost::asio::ip::tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto endpoints = resolver.resolve(config.listen_host, std::to_string(config.listen_port),
                                    boost::asio::ip::tcp::resolver::passive, ec);
  if (ec || endpoints.empty()) {
    throw std::runtime_error("cannot resolve listening address " + config.listen_host + ": " +
                             ec.message());
  }
  boost::asio::ip::tcp::acceptor acceptor(io);
  auto endpoint = endpoints.begin()->endpoint();
  acceptor.open(endpoint.protocol());
  acceptor.set_option(boost::asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + config.listen_host + ":" +
                             std::to_string(config.listen_port) + ": " + ec.message());
  }
  acceptor.listen(boost::asio::socket_base::max_listen_connections);
  return acceptor;
}

// The disk tier, or none when it is switched off or its directory cannot be used: a node without
// a disk still serves. Another process holding the directory is fatal (DirectoryInUse).
std::unique_ptr<disk::DiskStore> open_disk(boost::asio::io_context& io, const Config& config) {
  if (!config.disk_cache_enabled) return nullptr;
  try {
    return std::make_unique<disk::DiskStore>(io.get_executor(),
                                             disk::DiskStore::Options{
                                                 .dir = config.disk_cache_dir,
                                                 .max_usage = config.max_disk_usage,
                                                 .cleaned_usage = config.cleaned_disk_usage,
                                             });
  } catch (const disk::DirectoryInUse&) {
    throw;
  } catch (const std::exception& error) {
    std::cerr << "casserole: disk cache disabled, serving from memory and upstream: "
              << error.what() << std::endl;
    return nullptr;
  }
}

// How long a stopping node waits for segments still being written to disk.
constexpr auto kDrainTime = std::chrono::seconds(5);

}  // namespace

void run_node(const Config& config) {
  boost::asio::io_context io(1);

  mirror::MirrorOptions mirror_options{
      .segment_size = config.segment_size,
      .min_ttl = config.min_ttl,
      .read_ahead = config.read_ahead,
      .memory_wait = config.upstream_timeout,
  };
  upstream::ConnectionPool pool(io.get_executor(), upstream::UpstreamUrl::parse(config.mirror_url),
                                upstream::UpstreamOptions{
                                    .connect_timeout = config.upstream_connect_timeout,
                                    .io_timeout = config.upstream_timeout,
                                    .max_idle = config.upstream_max_idle,
                                    .insecure = config.upstream_insecure,
                                    .ca_file = config.upstream_ca_file,
                                });
  upstream::UpstreamClient upstream(pool);
  cache::MemoryStore memory(config.max_memory_usage);
  std::unique_ptr<disk::DiskStore> disk = open_disk(io, config);
  mirror::ObjectDirectory directory(memory, disk.get(), upstream, config.min_ttl);
  mirror::SegmentSource segments(io.get_executor(), memory, disk.get(), upstream, directory,
                                 mirror_options);
  server::Passthrough passthrough(upstream);
  server::MirrorHandler mirror(directory, segments, passthrough, mirror_options);
  server::AccessLog access_log(config.access_log);
  server::Server server(listen_on(io, config), mirror, passthrough, config.passthrough, access_log);

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    server.stop();
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
          if (disk) {
            co_await disk->drain(std::chrono::steady_clock::now() + kDrainTime);
            std::cerr << "casserole: " << disk->summary() << std::endl;
          }
          io.stop();
        },
        boost::asio::detached);
  });
  boost::asio::co_spawn(io, server.run(), boost::asio::detached);
  std::cerr << "casserole " CASSEROLE_VERSION " listening on " << config.listen_host << ":"
            << config.listen_port << ", mirroring " << config.mirror_url << std::endl;
  io.run();
  // Sessions and fetches still suspended in `io` refer to the pieces declared after it, which
  // would be destroyed first; nothing is buffered that needs writing, so end the process here.
  std::fflush(stderr);
  std::_Exit(0);
}

}  // namespace casserole::app
