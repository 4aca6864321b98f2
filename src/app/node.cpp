#include "app/node.hpp"
#include "app/option_values.hpp"

#include <sys/resource.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>

#include "admin/admin_handler.hpp"
#include "cache/memory_store.hpp"
#include "cluster/membership.hpp"
#include "cluster/peers.hpp"
#include "disk/disk_store.hpp"
#include "mirror/object_directory.hpp"
#include "mirror/segment_source.hpp"
#include "peering/peer_group.hpp"
#include "server/access_log.hpp"
#include "server/client_handler.hpp"
#include "server/mirror_handler.hpp"
#include "server/passthrough.hpp"
#include "server/peering_handler.hpp"
#include "server/server.hpp"
#include "upstream/cache_policy.hpp"
#include "upstream/connection_pool.hpp"
#include "upstream/upstream_client.hpp"
#include "upstream/upstream_error.hpp"

namespace casserole::app {
namespace {

boost::asio::ip::tcp::acceptor listen_on(boost::asio::io_context& io, const std::string& host,
                                         std::uint16_t port) {
  const std::string address = host + ":" + std::to_string(port);
  boost::asio::ip::tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto endpoints =
      resolver.resolve(host, std::to_string(port), boost::asio::ip::tcp::resolver::passive, ec);
  if (ec || endpoints.empty()) {
    throw std::runtime_error("cannot resolve listening address " + address + ": " + ec.message());
  }
  boost::asio::ip::tcp::acceptor acceptor(io);
  auto endpoint = endpoints.begin()->endpoint();
  acceptor.open(endpoint.protocol());
  acceptor.set_option(boost::asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint, ec);
  if (ec) throw std::runtime_error("cannot listen on " + address + ": " + ec.message());
  acceptor.listen(boost::asio::socket_base::max_listen_connections);
  return acceptor;
}

// The disk tier, or none when it is switched off or its directory cannot be used: a node without
// a disk still serves (and says why in `failure`, which keeps it from being ready). Another
// process holding the directory is fatal (DirectoryInUse).
std::unique_ptr<disk::DiskStore> open_disk(boost::asio::io_context& io, const Config& config,
                                           std::string& failure) {
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
    failure = error.what();
    return nullptr;
  }
}

// Raises the open-file limit to its hard limit, which the kernel lets any process do, and
// returns it: every client connection costs a descriptor, and so may its upstream connection, a
// peer's and a disk file.
std::uint64_t raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur;
}

// Descriptors kept apart from client connections: etcd, the listeners, the disk index, logs.
constexpr std::uint64_t kReservedDescriptors = 64;
constexpr std::uint64_t kMaxAutoConnections = 10000;

server::ServerLimits server_limits(const Config& config) {
  const std::uint64_t descriptors = raise_open_file_limit();
  // Up to three descriptors a connection: the client's, an upstream or peer connection, a file.
  const std::uint64_t fits =
      std::max<std::uint64_t>(16, (descriptors - std::min(descriptors, kReservedDescriptors)) / 3);
  std::uint64_t connections = config.max_connections;
  if (connections == 0) {
    connections = std::min(fits, kMaxAutoConnections);
  } else if (connections > fits) {
    std::cerr << "casserole: --max-connections=" << connections << " may run out of descriptors"
              << " (the open-file limit is " << descriptors << "); accepting will back off then"
              << std::endl;
  }
  return server::ServerLimits{
      .max_connections = static_cast<std::size_t>(connections),
      .header_timeout = config.client_header_timeout,
      .keepalive_timeout = config.keepalive_timeout,
  };
}

// How long a stopping node waits for segments still being written to disk.
constexpr auto kDrainTime = std::chrono::seconds(5);

// How long a peer may take to accept a connection: peers share a network, so a peer that takes
// longer is down, and its keys are better fetched elsewhere at once.
constexpr auto kPeerConnectTimeout = std::chrono::seconds(1);

// The cluster side of a node, present with --etcd: who the others are (kept up to date from
// etcd), how to ask them, and the listener where they ask this node.
struct ClusterSide {
  ClusterSide(boost::asio::io_context& io, const Config& config)
      : peers(config.peering_address),
        group(io.get_executor(), peers,
              upstream::UpstreamOptions{
                  .connect_timeout =
                      std::min<std::chrono::milliseconds>(kPeerConnectTimeout, config.peer_timeout),
                  .io_timeout = config.peer_timeout,
                  .max_idle = config.upstream_max_idle,
                  .insecure = false,
                  .ca_file = {},
              },
              config.cluster_secret),
        membership(io.get_executor(), peers, {.endpoints = config.etcd}) {}

  cluster::Peers peers;
  peering::PeerGroup group;
  cluster::EtcdMembership membership;
};

// The operator's freshness rules; the options were checked when parsed.
upstream::CachePolicy cache_policy(const Config& config) {
  upstream::CachePolicy policy{.min_ttl = config.min_ttl,
                               .default_ttl = config.default_ttl,
                               .immutable = config.immutable,
                               .ignored_query = config.cache_key_ignore_query,
                               .segment_size = config.segment_size};
  for (const auto& rule : config.ttl) {
    auto [glob, ttl] = *parse_path_ttl(rule);
    policy.ttl.push_back({std::move(glob), ttl});
  }
  return policy;
}

// Says once, at start-up, that the upstream cannot be reached, so that an operator who mistyped
// --mirror-url (or started the node before its upstream) learns it from the first lines of the
// log rather than from each 502. Only a connection is made (TCP, and TLS for https), no request:
// an origin's logs and counts see nothing, and the connection serves the first request.
// Serving starts meanwhile.
boost::asio::awaitable<void> note_unreachable_upstream(upstream::ConnectionPool& pool,
                                                       std::string mirror_url) {
  try {
    auto lease = co_await pool.acquire();
    pool.release(std::move(lease.connection));
  } catch (const upstream::UpstreamError& error) {
    const bool timeout = error.kind() == upstream::UpstreamError::Kind::timeout;
    std::cerr << "casserole: the upstream " << mirror_url << " cannot be reached (" << error.what()
              << "); requests will answer " << (timeout ? 504 : 502) << " until it can"
              << std::endl;
  }
}

}  // namespace

void run_node(const Config& config) {
  // Asio's sends ask for no SIGPIPE, but sendfile(2) cannot: a client that leaves in the middle
  // of a disk hit would otherwise end the process.
  std::signal(SIGPIPE, SIG_IGN);
  boost::asio::io_context io(1);

  mirror::MirrorOptions mirror_options{
      .segment_size = config.segment_size,
      .cache_policy = cache_policy(config),
      .metadata_from =
          config.metadata_from_get ? mirror::MetadataFrom::get : mirror::MetadataFrom::head,
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
  std::string disk_failure;
  std::unique_ptr<disk::DiskStore> disk = open_disk(io, config, disk_failure);
  std::optional<ClusterSide> cluster;
  if (!config.etcd.empty()) cluster.emplace(io, config);
  peering::PeerGroup* peers = cluster ? &cluster->group : nullptr;
  mirror::ObjectDirectory directory(memory, disk.get(), upstream, mirror_options.cache_policy,
                                    peers, mirror_options.metadata_from);
  mirror::SegmentSource segments(io.get_executor(), memory, disk.get(), upstream, directory,
                                 mirror_options, peers);
  server::Passthrough passthrough(upstream);
  server::MirrorHandler mirror(directory, segments, passthrough, mirror_options);
  server::ClientHandler clients(mirror, passthrough, config.passthrough);
  server::AccessLog access_log(config.access_log, config.access_log_json
                                                      ? server::AccessLog::Format::json
                                                      : server::AccessLog::Format::text);
  const server::ServerLimits limits = server_limits(config);
  server::Server server(listen_on(io, config.listen_host, config.listen_port), clients, access_log,
                        limits);
  std::optional<server::PeeringHandler> peering_handler;
  std::optional<server::Server> peering_server;
  if (cluster) {
    auto address = upstream::UpstreamUrl::parse(config.peering_address);
    peering_handler.emplace(directory, segments, cluster->peers, config.cluster_secret,
                            mirror_options);
    peering_server.emplace(
        listen_on(io, address.host, static_cast<std::uint16_t>(std::stoul(address.port))),
        *peering_handler, access_log, limits);
  }

  const admin::NodeState node_state{
      .address = config.listen_host + ":" + std::to_string(config.listen_port),
      .peering_address = cluster ? config.peering_address : std::string(),
      .clients = server,
      .peering = peering_server ? &*peering_server : nullptr,
      .memory = memory,
      .disk = disk.get(),
      .disk_failure = disk_failure,
      .upstream = pool,
      .directory = directory,
      .segments = segments,
      .peers = peers,
      .membership = cluster ? &cluster->membership : nullptr,
  };
  admin::AdminHandler admin_handler(node_state, config.admin_token);
  // The admin listener keeps no access log: scrapes and probes every few seconds would drown
  // the clients' lines.
  const server::AccessLog no_log(false);
  server::Server admin_server(listen_on(io, config.admin_host, config.admin_port), admin_handler,
                              no_log, limits);

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    server.stop();
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
          // Leaving first lets the others stop asking this node while it finishes.
          if (cluster) co_await cluster->membership.leave();
          if (peering_server) peering_server->stop();
          if (disk) {
            co_await disk->drain(std::chrono::steady_clock::now() + kDrainTime);
            std::cerr << "casserole: " << disk->summary() << std::endl;
          }
          io.stop();
        },
        boost::asio::detached);
  });
  boost::asio::co_spawn(io, server.run(), boost::asio::detached);
  boost::asio::co_spawn(io, admin_server.run(), boost::asio::detached);
  std::cerr << "casserole " CASSEROLE_VERSION " listening on " << config.listen_host << ":"
            << config.listen_port << ", mirroring " << config.mirror_url << ", at most "
            << limits.max_connections << " connections; admin on " << config.admin_host << ":"
            << config.admin_port << std::endl;
  boost::asio::co_spawn(io, note_unreachable_upstream(pool, config.mirror_url),
                        boost::asio::detached);
  if (cluster) {
    boost::asio::co_spawn(io, peering_server->run(), boost::asio::detached);
    boost::asio::co_spawn(io, cluster->membership.run(), boost::asio::detached);
    std::cerr << "casserole: peering on " << config.peering_address << ", members from etcd at "
              << config.etcd.front() << (config.etcd.size() > 1 ? " and others" : "") << std::endl;
  }
  io.run();
  // Sessions and fetches still suspended in `io` refer to the pieces declared after it, which
  // would be destroyed first; nothing is buffered that needs writing, so end the process here.
  std::fflush(stderr);
  std::_Exit(0);
}

}  // namespace casserole::app
